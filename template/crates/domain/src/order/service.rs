//! Use cases on orders. Handlers call these; these call the ports.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::DomainError;
use crate::clock::Clock;
use crate::id::IdGenerator;
use crate::idempotency::{IDEMPOTENCY_KEY_TTL_HOURS, IdempotencyKey, KeyUse};
use crate::order::{
    IdempotencyStore, NewOrder, Order, OrderId, OrderQuery, OrderRepository, PaymentGateway,
};
use crate::owner::Caller;
use crate::paging::{Cursor, check_page_size};

/// The order use cases, over whichever adapters the binary plugs in.
#[derive(Clone)]
pub struct OrderService {
    repository: Arc<dyn OrderRepository>,
    idempotency: Arc<dyn IdempotencyStore>,
    payments: Arc<dyn PaymentGateway>,
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
        payments: Arc<dyn PaymentGateway>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            repository,
            idempotency,
            payments,
            clock,
            ids,
        }
    }

    /// Places a new pending order, owned by the caller, and stores it.
    #[tracing::instrument(name = "place_order", skip_all)]
    pub async fn place_order(&self, caller: &Caller, new: NewOrder) -> Result<Order, DomainError> {
        let order = self.new_order(caller, new, self.clock.now());
        self.repository.insert(&order).await?;
        Ok(order)
    }

    /// Places an order at most once per idempotency key of this caller. Repeating the request
    /// with the same key returns the order the first one created; the same key with a
    /// different request is refused (`Invalid`). Another caller's key is another key: it is
    /// never replayed, refused or revealed. Keys are remembered for
    /// [`IDEMPOTENCY_KEY_TTL_HOURS`].
    #[tracing::instrument(name = "place_order_once", skip_all)]
    pub async fn place_order_once(
        &self,
        caller: &Caller,
        new: NewOrder,
        key: &IdempotencyKey,
    ) -> Result<Placement, DomainError> {
        let fingerprint = new.fingerprint();
        let now = self.clock.now();
        let order = self.new_order(caller, new, now);
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
                id,
                same_request: true,
            } => Ok(Placement {
                order: self
                    .get_order(&Caller::owner(order.owner().clone()), OrderId::from_uuid(id))
                    .await?,
                replayed: true,
            }),
            KeyUse::Repeated { .. } => Err(DomainError::invalid(
                "idempotency_key",
                "was already used with a different request; use a new key",
            )),
        }
    }

    fn new_order(&self, caller: &Caller, new: NewOrder, now: DateTime<Utc>) -> Order {
        let id = OrderId::from_uuid(self.ids.next_id());
        Order::place(id, caller.as_owner().clone(), new, now)
    }

    /// The order with this id if the caller may see it, else `NotFound` (whether it exists
    /// or belongs to somebody else: the answer is the same).
    #[tracing::instrument(name = "get_order", skip(self, caller))]
    pub async fn get_order(&self, caller: &Caller, id: OrderId) -> Result<Order, DomainError> {
        self.repository
            .find(id)
            .await?
            .filter(|order| caller.may_see(order.owner()))
            .ok_or_else(|| DomainError::NotFound {
                entity: "order",
                id: id.to_string(),
            })
    }

    /// One page of the orders the caller may see, newest first, and the cursor of the next
    /// page if there is one. The query's `owner` is set from the caller.
    #[tracing::instrument(name = "list_orders", skip(self, caller))]
    pub async fn list_orders(
        &self,
        caller: &Caller,
        query: OrderQuery,
    ) -> Result<OrderPage, DomainError> {
        check_page_size(query.limit)?;
        let limit = query.limit;
        // One more than asked tells whether another page follows.
        let mut orders = self
            .repository
            .list(&OrderQuery {
                owner: caller.scope().cloned(),
                limit: limit + 1,
                ..query
            })
            .await?;
        let has_more = orders.len() > limit as usize;
        orders.truncate(limit as usize);
        let next = has_more.then(|| orders.last().map(Order::cursor)).flatten();
        Ok(OrderPage { orders, next })
    }

    /// Cancels a pending order, under the same version rule as [`Self::pay_order`]. An order
    /// whose payment is in progress (`paying`) cannot be cancelled (`RuleViolated`).
    #[tracing::instrument(name = "cancel_order", skip(self, caller))]
    pub async fn cancel_order(
        &self,
        caller: &Caller,
        id: OrderId,
        expected_version: Option<i64>,
    ) -> Result<Order, DomainError> {
        let mut order = self.current(caller, id, expected_version).await?;
        let read_version = order.version();
        order.cancel(self.clock.now())?;
        self.repository.update(&order, read_version).await?;
        Ok(order)
    }

    /// The order, if the caller may see it and it is at `expected_version` (when given).
    async fn current(
        &self,
        caller: &Caller,
        id: OrderId,
        expected_version: Option<i64>,
    ) -> Result<Order, DomainError> {
        let order = self.get_order(caller, id).await?;
        match expected_version {
            Some(expected) if expected != order.version() => Err(DomainError::StaleVersion {
                entity: "order",
                expected,
                actual: order.version(),
            }),
            _ => Ok(order),
        }
    }
}

/// The result of [`OrderService::place_order_once`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub order: Order,
    /// `true` when an earlier request with the same key created the order.
    pub replayed: bool,
}

/// A page of orders and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPage {
    pub orders: Vec<Order>,
    pub next: Option<Cursor>,
}

mod paying;
#[cfg(test)]
mod tests;
