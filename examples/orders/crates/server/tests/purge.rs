//! `<binary> purge-idempotency-keys`, on SQLite and PostgreSQL: one line per key table and a
//! total (or "nothing to purge" when no resource keeps keys), exit 0; expired
//! keys go, live keys stay.
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
use persistence::DatabaseOptions;
use persistence::SeaOrmIdempotencyStore;
use support::process::{BINARY, CONFIG_DIR};
use support::{TestDatabase, on_every_database};

const HOUR: Duration = Duration::from_secs(3600);

fn order() -> Order {
    let new = NewOrder {
        customer_email: Email::parse("ada@example.com").unwrap(),
        amount: Money::new(5, Currency::parse("EUR").unwrap()).unwrap(),
        note: None,
    };
    Order::place(
        OrderId::from_uuid(UuidV7Generator.next_id()),
        Owner::anonymous(),
        new,
        SystemClock.now(),
    )
}

/// Runs `purge-idempotency-keys` against `db`; answers its standard output after checking that
/// it succeeded.
async fn purge(db: &TestDatabase) -> String {
    let mut command = std::process::Command::new(BINARY);
    command
        .arg("purge-idempotency-keys")
        .env("APP_PROFILE", "test")
        .env("APP_CONFIG_DIR", CONFIG_DIR)
        .env("DATABASE_URL", &db.url)
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT");
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn the_purge_command_reports_every_key_table(db: TestDatabase) {
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
    let tables = persistence::idempotency_key_tables();
    let store = SeaOrmIdempotencyStore::new(connection.clone());
    let now = SystemClock.now();
    let (expired, live) = (
        IdempotencyKey::parse("expired").unwrap(),
        IdempotencyKey::parse("live").unwrap(),
    );
    let live_order = order();
    store
        .insert_order_once(&expired, "x", &order(), now - Duration::from_secs(1))
        .await
        .unwrap();
    store
        .insert_order_once(&live, "x", &live_order, now + HOUR)
        .await
        .unwrap();

    let stdout = purge(&db).await;
    if tables.is_empty() {
        assert_eq!(
            stdout,
            "no resource keeps idempotency keys: nothing to purge\n"
        );
    } else {
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            lines.len(),
            tables.len() + 1,
            "a line per table and the total: {stdout}"
        );
        for (line, table) in lines.iter().zip(&tables) {
            assert!(
                line.starts_with(&format!("{table}: purged ")),
                "{table}: {stdout}"
            );
        }
        assert!(
            lines.contains(&"idempotency_keys: purged 1 expired idempotency keys"),
            "{stdout}"
        );
        assert_eq!(
            lines.last(),
            Some(&"purged 1 expired idempotency keys in total"),
            "{stdout}"
        );
    }

    let again = store
        .insert_order_once(&live, "x", &order(), now)
        .await
        .unwrap();
    assert_eq!(
        again,
        KeyUse::Repeated {
            id: live_order.id().as_uuid(),
            same_request: true
        },
        "the live key stayed"
    );
    let second = purge(&db).await;
    assert!(
        second.ends_with("purged 0 expired idempotency keys in total\n"),
        "the expired key is gone: {second}"
    );
    connection.close().await.unwrap();
    db.drop_database().await;
}

on_every_database!(the_purge_command_reports_every_key_table);
