//! The `OrderRepository` contract, run against a fresh SQLite database and a fresh PostgreSQL
//! database (when `TEST_DATABASE_URL` is set): same tests, same expectations.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::DomainError;
use domain::clock::{Clock, SystemClock};
use domain::id::UuidV7Generator;
use domain::idempotency::IdempotencyKey;
use domain::order::{
    Charge, ChargeOutcome, NewOrder, Order, OrderId, OrderQuery, OrderRepository, OrderService,
    OrderStatus, PaymentGateway,
};
use domain::owner::{Caller, Owner};
use domain::values::{Currency, Email, Money};
use persistence::{DatabaseConnection, SeaOrmIdempotencyStore, SeaOrmOrderRepository};
use test_support::{TestDatabase, on_every_database};

mod common;
use common::connect;
use uuid::Uuid;

fn new_order(n: i64) -> NewOrder {
    NewOrder {
        customer_email: Email::parse(&format!("customer{n}@example.com")).unwrap(),
        amount: Money::new(100 + n, Currency::parse("EUR").unwrap()).unwrap(),
        note: None,
    }
}

fn order_at(n: i64, at: DateTime<Utc>) -> Order {
    Order::place(OrderId::from_uuid(Uuid::now_v7()), Owner::anonymous(), new_order(n), at)
}

/// The caller of these tests.
fn ada() -> Caller {
    Caller::owner(Owner::parse("ada").unwrap())
}

/// Every charge accepted: these tests are about storage, not payments.
struct AcceptingGateway;

#[async_trait::async_trait]
impl PaymentGateway for AcceptingGateway {
    async fn charge(&self, _: &Charge) -> Result<ChargeOutcome, DomainError> {
        Ok(ChargeOutcome::Accepted)
    }
}

fn service(connection: &DatabaseConnection) -> OrderService {
    OrderService::new(
        Arc::new(SeaOrmOrderRepository::new(connection.clone())),
        Arc::new(SeaOrmIdempotencyStore::new(connection.clone())),
        Arc::new(AcceptingGateway),
        Arc::new(SystemClock),
        Arc::new(UuidV7Generator),
    )
}

async fn orders_read_back_exactly_as_written(db: TestDatabase) {
    let connection = connect(&db).await;
    let repository = SeaOrmOrderRepository::new(connection.clone());
    let order = order_at(1, SystemClock.now());
    repository.insert(&order).await.unwrap();
    assert_eq!(repository.find(order.id()).await.unwrap(), Some(order.clone()));
    let unknown = OrderId::from_uuid(Uuid::now_v7());
    assert_eq!(repository.find(unknown).await.unwrap(), None);

    let duplicate = repository.insert(&order).await.unwrap_err();
    assert!(matches!(duplicate, DomainError::Conflict(_)), "{duplicate:?}");
    connection.close().await.unwrap();
    db.drop_database().await;
}

async fn a_stale_update_changes_nothing(db: TestDatabase) {
    let connection = connect(&db).await;
    let repository = SeaOrmOrderRepository::new(connection.clone());
    let order = order_at(1, SystemClock.now());
    repository.insert(&order).await.unwrap();

    let mut paid = order.clone();
    paid.begin_payment(SystemClock.now()).unwrap();
    let mut cancelled = order.clone();
    cancelled.cancel(SystemClock.now()).unwrap();

    repository.update(&paid, 1).await.unwrap();
    let stale = repository.update(&cancelled, 1).await.unwrap_err();
    assert!(matches!(stale, DomainError::Conflict(_)), "{stale:?}");
    assert_eq!(repository.find(order.id()).await.unwrap(), Some(paid));

    let missing = order_at(2, SystemClock.now());
    let err = repository.update(&missing, 1).await.unwrap_err();
    assert!(matches!(err, DomainError::NotFound { .. }), "{err:?}");
    connection.close().await.unwrap();
    db.drop_database().await;
}

async fn pages_are_stable_under_concurrent_inserts(db: TestDatabase) {
    let connection = connect(&db).await;
    let repository = SeaOrmOrderRepository::new(connection.clone());
    let start = SystemClock.now();
    // Ten orders, two of them sharing a timestamp: the id breaks the tie.
    let mut written = Vec::new();
    for n in 0..10 {
        let at = start + chrono::Duration::milliseconds(if n == 5 { 4 } else { n });
        let order = order_at(n, at);
        repository.insert(&order).await.unwrap();
        written.push(order);
    }
    written.sort_by_key(|o| std::cmp::Reverse((o.created_at(), o.id())));

    let mut seen = Vec::new();
    let mut query = OrderQuery { owner: None, status: None, after: None, limit: 3 };
    loop {
        let page = repository.list(&query).await.unwrap();
        // A newer order arriving between pages must not shift what the next page holds.
        repository.insert(&order_at(99, SystemClock.now() + chrono::Duration::hours(1))).await.unwrap();
        let Some(last) = page.last() else { break };
        query.after = Some(last.cursor());
        seen.extend(page.iter().map(Order::id));
    }
    let expected: Vec<OrderId> = written.iter().map(Order::id).collect();
    assert_eq!(seen, expected, "each order exactly once, newest first");

    let paid = repository
        .list(&OrderQuery { owner: None, status: Some(OrderStatus::Paid), after: None, limit: 100 })
        .await
        .unwrap();
    assert!(paid.is_empty());
    connection.close().await.unwrap();
    db.drop_database().await;
}

async fn fifty_concurrent_creates_are_each_stored_once(db: TestDatabase) {
    let connection = connect(&db).await;
    let orders = service(&connection);
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let orders = orders.clone();
            tokio::spawn(async move { orders.place_order(&ada(), new_order(n)).await })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap().id());
    }
    let stored = orders
        .list_orders(&ada(), OrderQuery { owner: None, status: None, after: None, limit: 100 })
        .await
        .unwrap();
    let mut stored_ids: Vec<OrderId> = stored.orders.iter().map(Order::id).collect();
    ids.sort();
    stored_ids.sort();
    assert_eq!(stored_ids, ids);
    connection.close().await.unwrap();
    db.drop_database().await;
}

async fn of_twenty_concurrent_transitions_exactly_one_wins(db: TestDatabase) {
    let connection = connect(&db).await;
    let orders = service(&connection);
    let id = orders.place_order(&ada(), new_order(1)).await.unwrap().id();
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let orders = orders.clone();
            tokio::spawn(async move {
                if n % 2 == 0 {
                    orders.pay_order(&ada(), id, None).await
                } else {
                    orders.cancel_order(&ada(), id, None).await
                }
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(order) => winners.push(order),
            Err(DomainError::Conflict(_) | DomainError::RuleViolated(_)) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    let stored = orders.get_order(&ada(), id).await.unwrap();
    // A cancel wins alone; a payment may be finished by several pay requests (one charge
    // key), and all of them answer the same paid order.
    match stored.status() {
        OrderStatus::Cancelled => assert_eq!((winners.len(), stored.version()), (1, 2)),
        OrderStatus::Paid => assert_eq!(stored.version(), 3),
        other => panic!("the order ended {other:?}"),
    }
    assert!(!winners.is_empty());
    assert!(winners.iter().all(|winner| *winner == stored), "{winners:?}");
    connection.close().await.unwrap();
    db.drop_database().await;
}

async fn twenty_concurrent_posts_with_one_key_create_one_order(db: TestDatabase) {
    let connection = connect(&db).await;
    let orders = service(&connection);
    let key = IdempotencyKey::parse("retry-me").unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (orders, key) = (orders.clone(), key.clone());
            tokio::spawn(async move { orders.place_order_once(&ada(), new_order(7), &key).await })
        })
        .collect();
    let mut ids = Vec::new();
    let mut first_placements = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(placement) => {
                first_placements += usize::from(!placement.replayed);
                ids.push(placement.order.id());
            }
            // A duplicate that raced the first one while it was still being written.
            Err(DomainError::Conflict(_)) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(first_placements, 1, "exactly one request created the order");
    ids.dedup();
    assert_eq!(ids.len(), 1, "every answer names the same order");
    let stored = orders
        .list_orders(&ada(), OrderQuery { owner: None, status: None, after: None, limit: 100 })
        .await
        .unwrap();
    assert_eq!(stored.orders.len(), 1);

    let mut other_request = new_order(8);
    other_request.note = None;
    let reused = orders.place_order_once(&ada(), other_request, &key).await.unwrap_err();
    assert!(matches!(reused, DomainError::Invalid { .. }), "{reused:?}");
    connection.close().await.unwrap();
    db.drop_database().await;
}

on_every_database!(
    twenty_concurrent_posts_with_one_key_create_one_order,
    orders_read_back_exactly_as_written,
    a_stale_update_changes_nothing,
    pages_are_stable_under_concurrent_inserts,
    fifty_concurrent_creates_are_each_stored_once,
    of_twenty_concurrent_transitions_exactly_one_wins,
);
