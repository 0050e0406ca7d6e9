//! Use cases on orders. Handlers call these; these call the ports.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::DomainError;
use crate::order::{IdempotencyKey, NewOrder, Order, OrderId};
use crate::ports::{
    Charge, ChargeOutcome, Clock, IdGenerator, IdempotencyStore, KeyUse, OrderCursor, OrderQuery,
    OrderRepository, PaymentGateway,
};

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

    /// Pays a pending order: charges its amount through the payment gateway, then records it
    /// as paid. `expected_version`, when given, must be the current version (`StaleVersion`
    /// otherwise). A refused charge is `PaymentDeclined` and a gateway that cannot answer is
    /// `Unavailable`; in both cases the order stays pending and unchanged.
    ///
    /// The order of operations: the rule is checked first (a paid or cancelled order is never
    /// charged), then the gateway is called, and only an accepted charge is stored. If storing
    /// fails after the charge (the database went away), the order is still pending at the
    /// same version, so paying again sends the same idempotency key and the gateway does not
    /// charge twice. If somebody changed the order in between (a concurrent cancel), storing
    /// is refused as a `Conflict` and the charge needs a refund: that is logged as an error.
    #[tracing::instrument(name = "pay_order", skip(self), err(Display))]
    pub async fn pay_order(
        &self,
        id: OrderId,
        expected_version: Option<i64>,
    ) -> Result<Order, DomainError> {
        let mut order = self.current(id, expected_version).await?;
        let read_version = order.version();
        let charge = Charge::for_order(&order);
        order.pay(self.clock.now())?;
        match self.payments.charge(&charge).await? {
            ChargeOutcome::Accepted => {}
            ChargeOutcome::Declined { reason } => return Err(DomainError::PaymentDeclined(reason)),
        }
        if let Err(err) = self.repository.update(&order, read_version).await {
            tracing::error!(
                order_id = %id,
                idempotency_key = charge.idempotency_key.as_str(),
                error = %err,
                "the charge was accepted but the order could not be recorded as paid"
            );
            return Err(err);
        }
        Ok(order)
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
        let mut order = self.current(id, expected_version).await?;
        let read_version = order.version();
        change(&mut order, self.clock.now())?;
        self.repository.update(&order, read_version).await?;
        Ok(order)
    }

    /// The order, if it is at `expected_version` (when given).
    async fn current(&self, id: OrderId, expected_version: Option<i64>) -> Result<Order, DomainError> {
        let order = self.get_order(id).await?;
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
mod tests;
