//! The order's ports: where orders are kept, and how a create is made idempotent. Adapters
//! live in other crates; tests implement them in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::DomainError;
use crate::idempotency::{IdempotencyKey, KeyUse};
use crate::order::{Order, OrderId, OrderStatus};
use crate::owner::Owner;
use crate::paging::Cursor;

/// Which orders to list: newest first, optionally of one owner and of one status, starting
/// after a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQuery {
    /// Only this owner's orders; `None` for every order (administrators).
    pub owner: Option<Owner>,
    pub status: Option<OrderStatus>,
    pub after: Option<Cursor>,
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

/// Remembers which idempotency key created which order.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Stores `order` and the key (with the request's fingerprint, valid until `expires_at`)
    /// in one transaction. Keys are scoped to the order's owner: the same key from two owners
    /// is two keys. If the owner's key is already taken and not expired, stores nothing and
    /// reports what it stands for (the id of the order it created); of concurrent requests
    /// with one key exactly one stores.
    async fn insert_order_once(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        order: &Order,
        expires_at: DateTime<Utc>,
    ) -> Result<KeyUse, DomainError>;
}
