//! Ports: what the domain needs from the outside world, as traits. Adapters live in other
//! crates; tests can implement them in memory.

use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;
{%- if example %}

use async_trait::async_trait;

use crate::DomainError;
use crate::order::{Order, OrderId};

/// Where orders are kept.
#[async_trait]
pub trait OrderRepository: Send + Sync {
    /// Stores a new order. An order with the same id already stored is a `Conflict`.
    async fn insert(&self, order: &Order) -> Result<(), DomainError>;

    /// The order with this id, if any.
    async fn find(&self, id: OrderId) -> Result<Option<Order>, DomainError>;
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
