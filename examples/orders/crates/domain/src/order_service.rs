//! Use cases on orders. Handlers call these; these call the ports.

use std::sync::Arc;

use crate::DomainError;
use crate::order::{NewOrder, Order, OrderId};
use crate::ports::{Clock, IdGenerator, OrderRepository};

/// The order use cases, over whichever adapters the binary plugs in.
#[derive(Clone)]
pub struct OrderService {
    repository: Arc<dyn OrderRepository>,
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
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            repository,
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
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use async_trait::async_trait;
    use chrono::{DateTime, TimeZone, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::order::{Currency, Email, Money, OrderStatus};

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
        OrderService::new(
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
        assert!(matches!(
            err,
            DomainError::NotFound {
                entity: "order",
                ..
            }
        ));
    }

    #[tokio::test]
    async fn repository_conflicts_reach_the_caller_unchanged() {
        let orders = service(Uuid::from_u128(3));
        orders.place_order(new_order()).await.unwrap();
        let err = orders.place_order(new_order()).await.unwrap_err();
        assert!(matches!(err, DomainError::Conflict(_)));
    }
}
