//! Owners, caller-scoped idempotency keys, the purge of expired keys, the migration that added
//! owners, and concurrent pay + cancel: on a fresh SQLite database and a fresh PostgreSQL
//! database (when `TEST_DATABASE_URL` is set).
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::DomainError;
use domain::clock::{Clock, SystemClock};
use domain::id::UuidV7Generator;
use domain::idempotency::{IdempotencyKey, KeyUse};
use domain::order::{
    Charge, ChargeOutcome, IdempotencyStore, NewOrder, Order, OrderId, OrderQuery, OrderRepository,
    OrderService, OrderStatus, PaymentGateway,
};
use domain::owner::{Caller, Owner};
use domain::values::{Currency, Email, Money};
use migration::{Migrator, MigratorTrait};
use persistence::{
    PurgedKeys, SeaOrmIdempotencyStore, SeaOrmOrderRepository, purge_expired_idempotency_keys,
};
use sea_orm::ConnectionTrait;
use test_support::{TestDatabase, on_every_database};
use uuid::Uuid;

mod common;
use common::{connect, connect_unmigrated};

fn owner(name: &str) -> Owner {
    Owner::parse(name).unwrap()
}

fn new_order() -> NewOrder {
    NewOrder {
        customer_email: Email::parse("ada@example.com").unwrap(),
        amount: Money::new(990, Currency::parse("EUR").unwrap()).unwrap(),
        note: None,
    }
}

fn order_of(name: &str) -> Order {
    Order::place(
        OrderId::from_uuid(Uuid::now_v7()),
        owner(name),
        new_order(),
        SystemClock.now(),
    )
}

fn query(owner: Option<Owner>) -> OrderQuery {
    OrderQuery {
        owner,
        status: None,
        after: None,
        limit: 100,
    }
}

async fn owners_are_stored_and_limit_the_listing(db: TestDatabase) {
    let connection = connect(&db).await;
    let repository = SeaOrmOrderRepository::new(connection.clone());
    let (ada, bob) = (order_of("ada"), order_of("bob"));
    repository.insert(&ada).await.unwrap();
    repository.insert(&bob).await.unwrap();
    assert_eq!(
        repository.find(bob.id()).await.unwrap().unwrap().owner(),
        &owner("bob")
    );
    let listed = repository.list(&query(Some(owner("ada")))).await.unwrap();
    assert_eq!(listed, [ada]);
    let everything = repository.list(&query(None)).await.unwrap();
    assert_eq!(everything.len(), 2);
    connection.close().await.unwrap();
    db.drop_database().await;
}

async fn idempotency_keys_are_scoped_to_the_owner(db: TestDatabase) {
    let connection = connect(&db).await;
    let store = SeaOrmIdempotencyStore::new(connection.clone());
    let key = IdempotencyKey::parse("shared").unwrap();
    let later = SystemClock.now() + chrono::Duration::hours(1);
    let (ada, bob) = (order_of("ada"), order_of("bob"));
    let first = store
        .insert_order_once(&key, "one", &ada, later)
        .await
        .unwrap();
    let other = store
        .insert_order_once(&key, "two", &bob, later)
        .await
        .unwrap();
    assert_eq!(
        (first, other),
        (KeyUse::First, KeyUse::First),
        "two owners, two keys"
    );
    let again = store
        .insert_order_once(&key, "one", &order_of("ada"), later)
        .await
        .unwrap();
    assert_eq!(
        again,
        KeyUse::Repeated {
            id: ada.id().as_uuid(),
            same_request: true
        }
    );
    connection.close().await.unwrap();
    db.drop_database().await;
}

async fn the_purge_removes_expired_keys_and_keeps_live_ones(db: TestDatabase) {
    let connection = connect(&db).await;
    let store = SeaOrmIdempotencyStore::new(connection.clone());
    let now = SystemClock.now();
    let (expired, live) = (order_of("ada"), order_of("ada"));
    let expired_key = IdempotencyKey::parse("old").unwrap();
    let live_key = IdempotencyKey::parse("new").unwrap();
    let past = now - chrono::Duration::minutes(1);
    store
        .insert_order_once(&expired_key, "x", &expired, past)
        .await
        .unwrap();
    store
        .insert_order_once(&live_key, "x", &live, now + chrono::Duration::hours(1))
        .await
        .unwrap();

    // Other resources' key tables (a generated one's) are purged too: only orders' counts here.
    let orders_keys = |purged: Vec<PurgedKeys>| {
        purged
            .into_iter()
            .find(|table| table.table == "idempotency_keys")
            .map(|table| table.purged)
    };
    let first = purge_expired_idempotency_keys(&connection, now)
        .await
        .unwrap();
    assert_eq!(orders_keys(first), Some(1), "the expired key went");
    let second = purge_expired_idempotency_keys(&connection, now)
        .await
        .unwrap();
    assert_eq!(orders_keys(second), Some(0));
    let rows = connection
        .query_all_raw(sea_orm::Statement::from_string(
            connection.get_database_backend(),
            "SELECT \"key\" FROM idempotency_keys",
        ))
        .await
        .unwrap();
    let keys: Vec<String> = rows
        .iter()
        .map(|row| row.try_get("", "key").unwrap())
        .collect();
    assert_eq!(keys, ["new"], "the live key stayed");
    let repeated = store
        .insert_order_once(&live_key, "x", &order_of("ada"), now)
        .await
        .unwrap();
    assert_eq!(
        repeated,
        KeyUse::Repeated {
            id: live.id().as_uuid(),
            same_request: true
        }
    );
    connection.close().await.unwrap();
    db.drop_database().await;
}

async fn orders_from_before_owners_belong_to_anonymous(db: TestDatabase) {
    let connection = connect_unmigrated(&db).await;
    Migrator::up(&connection, Some(2)).await.unwrap();
    let id = Uuid::now_v7();
    let backend = connection.get_database_backend();
    let at = SystemClock.now();
    for (sql, values) in [
        (
            "INSERT INTO orders (id, customer_email, amount_minor, currency, note, status, \
             version, created_at, updated_at) VALUES ($1, 'old@example.com', 5, 'EUR', NULL, \
             'pending', 1, $2, $2)",
            vec![id.into(), at.into()],
        ),
        (
            "INSERT INTO idempotency_keys (\"key\", fingerprint, order_id, created_at, \
             expires_at) VALUES ('legacy-key', 'f', $1, $2, $3)",
            vec![
                id.into(),
                at.into(),
                (at + chrono::Duration::hours(1)).into(),
            ],
        ),
    ] {
        // `$n` placeholders: PostgreSQL's, and understood by SQLite too.
        connection
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                backend, sql, values,
            ))
            .await
            .unwrap();
    }
    Migrator::up(&connection, None).await.unwrap();

    let order = SeaOrmOrderRepository::new(connection.clone())
        .find(OrderId::from_uuid(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.owner(), &Owner::anonymous());
    let store = SeaOrmIdempotencyStore::new(connection.clone());
    let key = IdempotencyKey::parse("legacy-key").unwrap();
    let reused = store
        .insert_order_once(&key, "other", &order_of(Owner::ANONYMOUS), at)
        .await;
    assert!(
        matches!(reused, Ok(KeyUse::Repeated { .. })),
        "the key was kept: {reused:?}"
    );

    Migrator::down(&connection, Some(1)).await.unwrap();
    connection.close().await.unwrap();
    // `migrate down` and `migrate up` are two runs, each with its own pool: on SQLite (WAL) a
    // pooled connection still holding a read snapshot from before the down could see the
    // dropped column again.
    let connection = connect_unmigrated(&db).await;
    Migrator::up(&connection, None).await.unwrap();
    connection.close().await.unwrap();
    db.drop_database().await;
}

/// Accepts every charge after a pause (a cancel has time to land meanwhile), and remembers
/// which orders it charged.
#[derive(Default)]
struct SlowGateway(Mutex<Vec<OrderId>>);

#[async_trait::async_trait]
impl PaymentGateway for SlowGateway {
    async fn charge(&self, charge: &Charge) -> Result<ChargeOutcome, DomainError> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.0.lock().unwrap().push(charge.order_id);
        Ok(ChargeOutcome::Accepted)
    }
}

async fn concurrent_pay_and_cancel_never_leave_a_charged_cancelled_order(db: TestDatabase) {
    let connection = connect(&db).await;
    let gateway = Arc::new(SlowGateway::default());
    let orders = OrderService::new(
        Arc::new(SeaOrmOrderRepository::new(connection.clone())),
        Arc::new(SeaOrmIdempotencyStore::new(connection.clone())),
        gateway.clone(),
        Arc::new(SystemClock),
        Arc::new(UuidV7Generator),
    );
    let caller = Caller::owner(owner("ada"));
    let mut pairs = Vec::new();
    for n in 0..30 {
        let id = orders.place_order(&caller, new_order()).await.unwrap().id();
        let (pay, cancel) = (orders.clone(), orders.clone());
        let (payer, canceller) = (caller.clone(), caller.clone());
        let paying = tokio::spawn(async move { pay.pay_order(&payer, id, None).await });
        // Half the cancels start a little later, to land while the charge is in flight.
        let delay = Duration::from_millis(if n % 2 == 0 { 0 } else { 10 });
        let cancelling = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            cancel.cancel_order(&canceller, id, None).await
        });
        pairs.push((id, paying, cancelling));
    }
    let (mut paid, mut cancelled) = (0, 0);
    for (id, paying, cancelling) in pairs {
        for result in [paying.await.unwrap(), cancelling.await.unwrap()] {
            match result {
                Ok(_) | Err(DomainError::Conflict(_) | DomainError::RuleViolated(_)) => {}
                Err(other) => panic!("unexpected error: {other:?}"),
            }
        }
        let stored = orders.get_order(&caller, id).await.unwrap();
        let charged = gateway.0.lock().unwrap().contains(&id);
        match stored.status() {
            OrderStatus::Paid => paid += 1,
            OrderStatus::Cancelled => cancelled += 1,
            other => panic!("order {id} ended {other:?}"),
        }
        assert_eq!(
            charged,
            stored.status() == OrderStatus::Paid,
            "order {id}: {stored:?}"
        );
    }
    assert_eq!(paid + cancelled, 30);
    connection.close().await.unwrap();
    db.drop_database().await;
}

on_every_database!(
    owners_are_stored_and_limit_the_listing,
    idempotency_keys_are_scoped_to_the_owner,
    the_purge_removes_expired_keys_and_keeps_live_ones,
    orders_from_before_owners_belong_to_anonymous,
    concurrent_pay_and_cancel_never_leave_a_charged_cancelled_order,
);
