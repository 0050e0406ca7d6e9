//! Ports: what the domain needs from the outside world, as traits. Adapters live in other
//! crates; tests can implement them in memory.

use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;
{%- if example %}

use async_trait::async_trait;

use crate::DomainError;
use crate::order::{IdempotencyKey, Money, Order, OrderId, OrderStatus, Owner};

/// A position in the newest-first listing of orders: the last order a page ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderCursor {
    pub created_at: DateTime<Utc>,
    pub id: OrderId,
}

impl OrderCursor {
    pub fn after(order: &Order) -> Self {
        Self {
            created_at: order.created_at(),
            id: order.id(),
        }
    }
}

/// Which orders to list: newest first, optionally of one owner and of one status, starting
/// after a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQuery {
    /// Only this owner's orders; `None` for every order (administrators).
    pub owner: Option<Owner>,
    pub status: Option<OrderStatus>,
    pub after: Option<OrderCursor>,
    /// How many orders at most.
    pub limit: u32,
}

/// Where orders are kept.
#[async_trait]
pub trait OrderRepository: Send + Sync {
    /// Stores a new order. An order with the same id already stored is a `Conflict`.
    async fn insert(&self, order: &Order) -> Result<(), DomainError>;

    /// The order with this id, if any.
    async fn find(&self, id: OrderId) -> Result<Option<Order>, DomainError>;

    /// Stores the order's new state if the stored version is still `expected_version`;
    /// otherwise changes nothing and answers `Conflict` (or `NotFound` if it is gone).
    async fn update(&self, order: &Order, expected_version: i64) -> Result<(), DomainError>;

    /// Orders matching `query`, newest first (by creation time, then id). Stable under
    /// concurrent inserts: a cursor never skips or repeats an order that existed when the
    /// previous page was read.
    async fn list(&self, query: &OrderQuery) -> Result<Vec<Order>, DomainError>;
}

/// What an idempotency key already stands for, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyUse {
    /// The key was new: the order was stored together with it.
    First,
    /// The key (still valid) already created an order; nothing was stored.
    Repeated {
        order_id: OrderId,
        /// Whether the first request had the same fingerprint as this one.
        same_request: bool,
    },
}

/// Remembers which idempotency key created which order.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Stores `order` and the key (with the request's fingerprint, valid until `expires_at`)
    /// in one transaction. Keys are scoped to the order's owner: the same key from two owners
    /// is two keys. If the owner's key is already taken and not expired, stores nothing and
    /// reports what it stands for; of concurrent requests with one key exactly one stores.
    async fn insert_order_once(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        order: &Order,
        expires_at: DateTime<Utc>,
    ) -> Result<KeyUse, DomainError>;
}

/// A request to take an order's amount from the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub order_id: OrderId,
    pub amount: Money,
    /// The same for every attempt to pay one version of the order
    /// ([`IdempotencyKey::for_payment`]): the gateway charges at most once per key.
    pub idempotency_key: IdempotencyKey,
}

impl Charge {
    /// The charge that pays `order` at its current version: the version at which it became
    /// `paying`, so that every attempt to finish one payment sends the same key.
    pub fn for_order(order: &Order) -> Self {
        Self {
            order_id: order.id(),
            amount: order.amount(),
            idempotency_key: IdempotencyKey::for_payment(order.id(), order.version()),
        }
    }
}

/// What the payment gateway decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// The amount was taken.
    Accepted,
    /// The gateway refused (insufficient funds, blocked card, ...); nothing was taken.
    Declined { reason: String },
}

/// Takes payments.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Charges at most once per `charge.idempotency_key`: calling again with the same key
    /// (after a lost answer, or a failure to record the payment) answers the first outcome
    /// and takes nothing more. A refusal is `Ok(Declined)`; a gateway that cannot be reached
    /// or is failing is `Unavailable` (safe to try again later).
    async fn charge(&self, charge: &Charge) -> Result<ChargeOutcome, DomainError>;
}
{%- endif %}

/// The current time. A port so that tests can fix it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// New identifiers. A port so that tests can make them predictable.
pub trait IdGenerator: Send + Sync {
    fn next_id(&self) -> Uuid;
}

/// The wall clock, to the microsecond: the precision every supported database keeps, so a
/// timestamp reads back exactly as it was written.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// Time-ordered UUID v7 identifiers: they index well as primary keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Generator;

impl IdGenerator for UuidV7Generator {
    fn next_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}
