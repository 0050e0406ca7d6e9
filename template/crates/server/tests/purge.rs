//! `<binary> purge-idempotency-keys`: expired keys go, live keys stay.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use domain::clock::{Clock, SystemClock};
use domain::id::{IdGenerator, UuidV7Generator};
use domain::idempotency::{IdempotencyKey, KeyUse};
use domain::order::{IdempotencyStore, NewOrder, Order, OrderId};
use domain::owner::Owner;
use domain::values::{Currency, Email, Money};
use migration::{Migrator, MigratorTrait};
use persistence::{DatabaseOptions, SeaOrmIdempotencyStore};
use support::process::{BINARY, CONFIG_DIR};
use support::{TestDatabase, on_every_database};

const HOUR: Duration = Duration::from_secs(3600);

fn order() -> Order {
    let new = NewOrder {
        customer_email: Email::parse("ada@example.com").unwrap(),
        amount: Money::new(5, Currency::parse("EUR").unwrap()).unwrap(),
        note: None,
    };
    Order::place(OrderId::from_uuid(UuidV7Generator.next_id()), Owner::anonymous(), new, SystemClock.now())
}

async fn the_purge_command_removes_expired_keys_only(db: TestDatabase) {
    let connection = persistence::connect(&DatabaseOptions {
        url: db.url.clone(),
        max_connections: 2,
        min_connections: 1,
        connect_timeout: Duration::from_secs(5),
        acquire_timeout: Duration::from_secs(10),
        connect_attempts: 1,
    })
    .await
    .unwrap();
    Migrator::up(&connection, None).await.unwrap();
    let store = SeaOrmIdempotencyStore::new(connection.clone());
    let now = SystemClock.now();
    let (expired, live) = (IdempotencyKey::parse("expired").unwrap(), IdempotencyKey::parse("live").unwrap());
    let live_order = order();
    store.insert_order_once(&expired, "x", &order(), now - Duration::from_secs(1)).await.unwrap();
    store.insert_order_once(&live, "x", &live_order, now + HOUR).await.unwrap();

    let mut command = std::process::Command::new(BINARY);
    command
        .arg("purge-idempotency-keys")
        .env("APP_PROFILE", "test")
        .env("APP_CONFIG_DIR", CONFIG_DIR)
        .env("DATABASE_URL", &db.url)
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT");
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("purged 1 expired idempotency keys"), "{stdout}");

    let again = store.insert_order_once(&live, "x", &order(), now).await.unwrap();
    assert_eq!(again, KeyUse::Repeated { id: live_order.id().as_uuid(), same_request: true }, "the live key stayed");
    let freed = store.insert_order_once(&expired, "y", &order(), now + HOUR).await.unwrap();
    assert_eq!(freed, KeyUse::First, "the expired key is gone");
    connection.close().await.unwrap();
    db.drop_database().await;
}

on_every_database!(the_purge_command_removes_expired_keys_only);
