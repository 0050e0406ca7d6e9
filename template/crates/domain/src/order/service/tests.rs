//! Use-case tests over in-memory ports: the rules, without I/O.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::order::{Charge, ChargeOutcome, Note, OrderStatus};
use crate::owner::Owner;
use crate::paging::MAX_PAGE_SIZE;
use crate::values::{Currency, Email, Money};

/// An in-memory repository: enough to test the use cases without I/O.
#[derive(Default)]
struct InMemoryOrders(Mutex<HashMap<OrderId, Order>>);

#[async_trait]
impl OrderRepository for InMemoryOrders {
    async fn insert(&self, order: &Order) -> Result<(), DomainError> {
        let mut orders = self.0.lock().unwrap();
        if orders.contains_key(&order.id()) {
            return Err(DomainError::Conflict("duplicate id".into()));
        }
        orders.insert(order.id(), order.clone());
        Ok(())
    }

    async fn find(&self, id: OrderId) -> Result<Option<Order>, DomainError> {
        Ok(self.0.lock().unwrap().get(&id).cloned())
    }

    async fn update(&self, order: &Order, expected_version: i64) -> Result<(), DomainError> {
        let mut orders = self.0.lock().unwrap();
        match orders.get(&order.id()) {
            None => Err(DomainError::NotFound {
                entity: "order",
                id: order.id().to_string(),
            }),
            Some(stored) if stored.version() != expected_version => {
                Err(DomainError::Conflict("changed concurrently".into()))
            }
            Some(_) => {
                orders.insert(order.id(), order.clone());
                Ok(())
            }
        }
    }

    async fn list(&self, query: &OrderQuery) -> Result<Vec<Order>, DomainError> {
        let mut orders: Vec<Order> = self.0.lock().unwrap().values().cloned().collect();
        orders.sort_by_key(|o| std::cmp::Reverse((o.created_at(), o.id())));
        Ok(orders
            .into_iter()
            .filter(|o| query.owner.as_ref().is_none_or(|owner| o.owner() == owner))
            .filter(|o| query.status.is_none_or(|status| o.status() == status))
            .filter(|o| {
                query
                    .after
                    .is_none_or(|after| after.precedes(o.created_at(), o.id().as_uuid()))
            })
            .take(query.limit as usize)
            .collect())
    }
}

/// Keys in memory, inserting into the shared in-memory orders.
struct InMemoryKeys {
    orders: Arc<InMemoryOrders>,
    keys: Mutex<HashMap<(Owner, String), (OrderId, String)>>,
}

#[async_trait]
impl IdempotencyStore for InMemoryKeys {
    async fn insert_order_once(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        order: &Order,
        _expires_at: DateTime<Utc>,
    ) -> Result<KeyUse, DomainError> {
        let scoped = (order.owner().clone(), key.as_str().to_owned());
        let known = self.keys.lock().unwrap().get(&scoped).cloned();
        if let Some((order_id, first)) = known {
            return Ok(KeyUse::Repeated {
                id: order_id.as_uuid(),
                same_request: first == fingerprint,
            });
        }
        self.orders.insert(order).await?;
        let entry = (order.id(), fingerprint.to_owned());
        self.keys.lock().unwrap().insert(scoped, entry);
        Ok(KeyUse::First)
    }
}

/// A payment gateway that answers `outcome` and remembers every charge it was asked for.
struct RecordingGateway {
    outcome: Mutex<Result<ChargeOutcome, DomainError>>,
    charges: Mutex<Vec<Charge>>,
}

impl RecordingGateway {
    fn answering(outcome: Result<ChargeOutcome, DomainError>) -> Arc<Self> {
        Arc::new(Self {
            outcome: Mutex::new(outcome),
            charges: Mutex::default(),
        })
    }

    fn answer(&self, outcome: Result<ChargeOutcome, DomainError>) {
        *self.outcome.lock().unwrap() = outcome;
    }

    fn keys(&self) -> Vec<String> {
        let charges = self.charges.lock().unwrap();
        charges.iter().map(|charge| charge.idempotency_key.as_str().to_owned()).collect()
    }
}

#[async_trait]
impl PaymentGateway for RecordingGateway {
    async fn charge(&self, charge: &Charge) -> Result<ChargeOutcome, DomainError> {
        self.charges.lock().unwrap().push(charge.clone());
        self.outcome.lock().unwrap().clone()
    }
}

fn with_ports(orders: Arc<InMemoryOrders>, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> OrderService {
    with_gateway(orders, clock, ids, RecordingGateway::answering(Ok(ChargeOutcome::Accepted)))
}

fn with_gateway(
    orders: Arc<InMemoryOrders>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    payments: Arc<RecordingGateway>,
) -> OrderService {
    let keys = Arc::new(InMemoryKeys {
        orders: orders.clone(),
        keys: Mutex::default(),
    });
    OrderService::new(orders, keys, payments, clock, ids)
}

struct FixedClock(DateTime<Utc>);
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

struct FixedId(Uuid);
impl IdGenerator for FixedId {
    fn next_id(&self) -> Uuid {
        self.0
    }
}

fn service(id: Uuid) -> OrderService {
    let noon = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    with_ports(
        Arc::new(InMemoryOrders::default()),
        Arc::new(FixedClock(noon)),
        Arc::new(FixedId(id)),
    )
}

/// The caller of most tests.
fn ada() -> Caller {
    Caller::owner(Owner::parse("ada").unwrap())
}

fn new_order() -> NewOrder {
    NewOrder {
        customer_email: Email::parse("ada@example.com").unwrap(),
        amount: Money::new(990, Currency::parse("USD").unwrap()).unwrap(),
        note: None,
    }
}

#[tokio::test]
async fn placed_orders_can_be_read_back() {
    let id = Uuid::from_u128(7);
    let orders = service(id);
    let placed = orders.place_order(&ada(), new_order()).await.unwrap();
    assert_eq!(placed.id().as_uuid(), id);
    assert_eq!(placed.status(), OrderStatus::Pending);
    assert_eq!(orders.get_order(&ada(), placed.id()).await.unwrap(), placed);
}

#[tokio::test]
async fn a_missing_order_is_not_found() {
    let err = service(Uuid::from_u128(1))
        .get_order(&ada(), OrderId::from_uuid(Uuid::from_u128(2)))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::NotFound { entity: "order", .. }));
}

#[tokio::test]
async fn repository_conflicts_reach_the_caller_unchanged() {
    let orders = service(Uuid::from_u128(3));
    orders.place_order(&ada(), new_order()).await.unwrap();
    let err = orders.place_order(&ada(), new_order()).await.unwrap_err();
    assert!(matches!(err, DomainError::Conflict(_)));
}

/// Ids 1, 2, 3, ... and a clock one second later at every reading: a history to page.
fn sequential_service() -> OrderService {
    struct Sequential(Mutex<u128>);
    impl IdGenerator for Sequential {
        fn next_id(&self) -> Uuid {
            let mut next = self.0.lock().unwrap();
            *next += 1;
            Uuid::from_u128(*next)
        }
    }
    struct Ticking(Mutex<DateTime<Utc>>);
    impl Clock for Ticking {
        fn now(&self) -> DateTime<Utc> {
            let mut now = self.0.lock().unwrap();
            *now += chrono::Duration::seconds(1);
            *now
        }
    }
    with_ports(
        Arc::new(InMemoryOrders::default()),
        Arc::new(Ticking(Mutex::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()))),
        Arc::new(Sequential(Mutex::new(0))),
    )
}

#[tokio::test]
async fn paying_checks_the_expected_version() {
    let orders = sequential_service();
    let order = orders.place_order(&ada(), new_order()).await.unwrap();
    let err = orders.pay_order(&ada(), order.id(), Some(7)).await.unwrap_err();
    assert!(matches!(err, DomainError::StaleVersion { expected: 7, actual: 1, .. }));
    assert_eq!(orders.get_order(&ada(), order.id()).await.unwrap().status(), OrderStatus::Pending);

    let paid = orders.pay_order(&ada(), order.id(), Some(1)).await.unwrap();
    assert_eq!((paid.status(), paid.version()), (OrderStatus::Paid, 3), "via paying");
    assert_eq!(orders.get_order(&ada(), order.id()).await.unwrap(), paid, "the change was stored");
}

#[tokio::test]
async fn a_paid_order_cannot_be_cancelled() {
    let orders = sequential_service();
    let order = orders.place_order(&ada(), new_order()).await.unwrap();
    orders.pay_order(&ada(), order.id(), None).await.unwrap();
    let err = orders.cancel_order(&ada(), order.id(), None).await.unwrap_err();
    assert!(matches!(err, DomainError::RuleViolated(_)));
}

#[tokio::test]
async fn an_idempotency_key_places_one_order_and_refuses_another_request() {
    let orders = sequential_service();
    let key = IdempotencyKey::parse("client-42").unwrap();
    let first = orders.place_order_once(&ada(), new_order(), &key).await.unwrap();
    assert!(!first.replayed);
    let again = orders.place_order_once(&ada(), new_order(), &key).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.order, first.order);

    let mut different = new_order();
    different.note = Some(Note::parse("another").unwrap());
    let err = orders.place_order_once(&ada(), different, &key).await.unwrap_err();
    assert!(matches!(err, DomainError::Invalid { field: "idempotency_key", .. }));
}

#[test]
fn idempotency_keys_are_bounded_visible_ascii() {
    assert!(IdempotencyKey::parse("a").is_ok());
    assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
    for bad in ["", "has space", "tab\t", "é", &"k".repeat(256)] {
        assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
    }
}

mod listing;
mod ownership;
mod paying;
