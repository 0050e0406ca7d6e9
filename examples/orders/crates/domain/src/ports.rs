//! The domain's ports in one place, for code written before each resource had its own folder:
//! new code imports them from where they live (`clock`, `id`, and each resource's `port`).

pub use crate::clock::{Clock, SystemClock};
pub use crate::id::{IdGenerator, UuidV7Generator};
pub use crate::idempotency::KeyUse;
pub use crate::order::{
    Charge, ChargeOutcome, IdempotencyStore, OrderQuery, OrderRepository, PaymentGateway,
};
