//! Use cases on orders. Handlers call these; these call the ports.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::DomainError;
use crate::order::{IdempotencyKey, NewOrder, Order, OrderId};
use crate::ports::{
    Clock, IdGenerator, IdempotencyStore, KeyUse, OrderCursor, OrderQuery, OrderRepository,
};

/// The order use cases, over whichever adapters the binary plugs in.
#[derive(Clone)]
pub struct OrderService {
    repository: Arc<dyn OrderRepository>,
    idempotency: Arc<dyn IdempotencyStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for OrderService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderService").finish_non_exhaustive()
    }
}

impl OrderService {
    pub fn new(
        repository: Arc<dyn OrderRepository>,
        idempotency: Arc<dyn IdempotencyStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            repository,
            idempotency,
            clock,
            ids,
        }
    }

    /// Places a new pending order and stores it.
    #[tracing::instrument(name = "place_order", skip_all, err(Display))]
    pub async fn place_order(&self, new: NewOrder) -> Result<Order, DomainError> {
        let order = Order::place(
            OrderId::from_uuid(self.ids.next_id()),
            new,
            self.clock.now(),
        );
        self.repository.insert(&order).await?;
        Ok(order)
    }

    /// Places an order at most once per idempotency key. Repeating the request with the same
    /// key returns the order the first one created; the same key with a different request is
    /// refused (`Invalid`). Keys are remembered for [`IDEMPOTENCY_KEY_TTL_HOURS`].
    #[tracing::instrument(name = "place_order_once", skip_all, err(Display))]
    pub async fn place_order_once(
        &self,
        new: NewOrder,
        key: &IdempotencyKey,
    ) -> Result<Placement, DomainError> {
        let fingerprint = new.fingerprint();
        let now = self.clock.now();
        let order = Order::place(OrderId::from_uuid(self.ids.next_id()), new, now);
        let expires_at = now + chrono::Duration::hours(IDEMPOTENCY_KEY_TTL_HOURS);
        match self
            .idempotency
            .insert_order_once(key, &fingerprint, &order, expires_at)
            .await?
        {
            KeyUse::First => Ok(Placement {
                order,
                replayed: false,
            }),
            KeyUse::Repeated {
                order_id,
                same_request: true,
            } => Ok(Placement {
                order: self.get_order(order_id).await?,
                replayed: true,
            }),
            KeyUse::Repeated { .. } => Err(DomainError::invalid(
                "Idempotency-Key",
                "was already used with a different request; use a new key",
            )),
        }
    }

    /// The order with this id, or `NotFound`.
    #[tracing::instrument(name = "get_order", skip(self), err(Display))]
    pub async fn get_order(&self, id: OrderId) -> Result<Order, DomainError> {
        self.repository
            .find(id)
            .await?
            .ok_or_else(|| DomainError::NotFound {
                entity: "order",
                id: id.to_string(),
            })
    }

    /// One page of orders, newest first, and the cursor of the next page if there is one.
    #[tracing::instrument(name = "list_orders", skip(self), err(Display))]
    pub async fn list_orders(&self, query: OrderQuery) -> Result<OrderPage, DomainError> {
        if !(1..=MAX_PAGE_SIZE).contains(&query.limit) {
            return Err(DomainError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        // One more than asked tells whether another page follows.
        let mut orders = self
            .repository
            .list(&OrderQuery {
                limit: query.limit + 1,
                ..query
            })
            .await?;
        let has_more = orders.len() > query.limit as usize;
        orders.truncate(query.limit as usize);
        let next = has_more.then(|| orders.last().map(OrderCursor::after)).flatten();
        Ok(OrderPage { orders, next })
    }

    /// Pays a pending order. `expected_version`, when given, must be the current version
    /// (`StaleVersion` otherwise).
    #[tracing::instrument(name = "pay_order", skip(self), err(Display))]
    pub async fn pay_order(
        &self,
        id: OrderId,
        expected_version: Option<i64>,
    ) -> Result<Order, DomainError> {
        self.transition(id, expected_version, Order::pay).await
    }

    /// Cancels a pending order, under the same version rule as [`Self::pay_order`].
    #[tracing::instrument(name = "cancel_order", skip(self), err(Display))]
    pub async fn cancel_order(
        &self,
        id: OrderId,
        expected_version: Option<i64>,
    ) -> Result<Order, DomainError> {
        self.transition(id, expected_version, Order::cancel).await
    }

    /// Read, check the version, apply the rule, write back only if nobody changed it since.
    async fn transition(
        &self,
        id: OrderId,
        expected_version: Option<i64>,
        change: fn(&mut Order, DateTime<Utc>) -> Result<(), DomainError>,
    ) -> Result<Order, DomainError> {
        let mut order = self.get_order(id).await?;
        let read_version = order.version();
        if let Some(expected) = expected_version
            && expected != read_version
        {
            return Err(DomainError::StaleVersion {
                entity: "order",
                expected,
                actual: read_version,
            });
        }
        change(&mut order, self.clock.now())?;
        self.repository.update(&order, read_version).await?;
        Ok(order)
    }
}

/// How long an idempotency key is remembered.
pub const IDEMPOTENCY_KEY_TTL_HOURS: i64 = 24;

/// The result of [`OrderService::place_order_once`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub order: Order,
    /// `true` when an earlier request with the same key created the order.
    pub replayed: bool,
}

/// Largest page [`OrderService::list_orders`] returns.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A page of orders and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPage {
    pub orders: Vec<Order>,
    pub next: Option<OrderCursor>,
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use async_trait::async_trait;
    use chrono::{DateTime, TimeZone, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::order::{Currency, Email, IdempotencyKey, Money, OrderStatus};

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
                .filter(|o| query.status.is_none_or(|status| o.status() == status))
                .filter(|o| {
                    query
                        .after
                        .is_none_or(|after| (o.created_at(), o.id()) < (after.created_at, after.id))
                })
                .take(query.limit as usize)
                .collect())
        }
    }

    /// Keys in memory, inserting into the shared in-memory orders.
    struct InMemoryKeys {
        orders: Arc<InMemoryOrders>,
        keys: Mutex<HashMap<String, (OrderId, String)>>,
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
            let known = self.keys.lock().unwrap().get(key.as_str()).cloned();
            if let Some((order_id, first)) = known {
                return Ok(KeyUse::Repeated {
                    order_id,
                    same_request: first == fingerprint,
                });
            }
            self.orders.insert(order).await?;
            let entry = (order.id(), fingerprint.to_owned());
            self.keys.lock().unwrap().insert(key.as_str().to_owned(), entry);
            Ok(KeyUse::First)
        }
    }

    fn with_ports(orders: Arc<InMemoryOrders>, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> OrderService {
        let keys = Arc::new(InMemoryKeys {
            orders: orders.clone(),
            keys: Mutex::default(),
        });
        OrderService::new(orders, keys, clock, ids)
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
        let placed = orders.place_order(new_order()).await.unwrap();
        assert_eq!(placed.id().as_uuid(), id);
        assert_eq!(placed.status(), OrderStatus::Pending);
        assert_eq!(orders.get_order(placed.id()).await.unwrap(), placed);
    }

    #[tokio::test]
    async fn a_missing_order_is_not_found() {
        let err = service(Uuid::from_u128(1))
            .get_order(OrderId::from_uuid(Uuid::from_u128(2)))
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::NotFound { entity: "order", .. }));
    }

    #[tokio::test]
    async fn repository_conflicts_reach_the_caller_unchanged() {
        let orders = service(Uuid::from_u128(3));
        orders.place_order(new_order()).await.unwrap();
        let err = orders.place_order(new_order()).await.unwrap_err();
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
        let order = orders.place_order(new_order()).await.unwrap();
        let err = orders.pay_order(order.id(), Some(7)).await.unwrap_err();
        assert!(matches!(err, DomainError::StaleVersion { expected: 7, actual: 1, .. }));
        assert_eq!(orders.get_order(order.id()).await.unwrap().status(), OrderStatus::Pending);

        let paid = orders.pay_order(order.id(), Some(1)).await.unwrap();
        assert_eq!((paid.status(), paid.version()), (OrderStatus::Paid, 2));
        assert_eq!(orders.get_order(order.id()).await.unwrap(), paid, "the change was stored");
    }

    #[tokio::test]
    async fn a_paid_order_cannot_be_cancelled() {
        let orders = sequential_service();
        let order = orders.place_order(new_order()).await.unwrap();
        orders.pay_order(order.id(), None).await.unwrap();
        let err = orders.cancel_order(order.id(), None).await.unwrap_err();
        assert!(matches!(err, DomainError::RuleViolated(_)));
    }

    #[tokio::test]
    async fn listing_pages_newest_first_until_the_end() {
        let orders = sequential_service();
        let mut placed = Vec::new();
        for _ in 0..5 {
            placed.push(orders.place_order(new_order()).await.unwrap().id());
        }
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = orders
                .list_orders(OrderQuery { status: None, after, limit: 2 })
                .await
                .unwrap();
            seen.extend(page.orders.iter().map(Order::id));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        placed.reverse();
        assert_eq!(seen, placed, "every order once, newest first");
    }

    #[tokio::test]
    async fn listing_filters_by_status_and_checks_the_limit() {
        let orders = sequential_service();
        let first = orders.place_order(new_order()).await.unwrap();
        orders.place_order(new_order()).await.unwrap();
        orders.cancel_order(first.id(), None).await.unwrap();
        let query = OrderQuery { status: Some(OrderStatus::Cancelled), after: None, limit: 10 };
        let page = orders.list_orders(query).await.unwrap();
        assert_eq!(page.orders.len(), 1);
        assert_eq!(page.orders[0].id(), first.id());
        assert_eq!(page.next, None);
        for limit in [0, MAX_PAGE_SIZE + 1] {
            let query = OrderQuery { status: None, after: None, limit };
            assert!(orders.list_orders(query).await.is_err(), "limit {limit}");
        }
    }

    #[tokio::test]
    async fn an_idempotency_key_places_one_order_and_refuses_another_request() {
        let orders = sequential_service();
        let key = IdempotencyKey::parse("client-42").unwrap();
        let first = orders.place_order_once(new_order(), &key).await.unwrap();
        assert!(!first.replayed);
        let again = orders.place_order_once(new_order(), &key).await.unwrap();
        assert!(again.replayed);
        assert_eq!(again.order, first.order);

        let mut different = new_order();
        different.note = Some(crate::order::Note::parse("another").unwrap());
        let err = orders.place_order_once(different, &key).await.unwrap_err();
        assert!(matches!(err, DomainError::Invalid { field: "Idempotency-Key", .. }));
    }

    #[test]
    fn idempotency_keys_are_bounded_visible_ascii() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for bad in ["", "has space", "tab\t", "é", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}
