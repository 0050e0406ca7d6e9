//! Paying an order, beyond what every resource has: the charge sent to the payment gateway and
//! the gateway's port. The use case is `service/paying.rs`.

use async_trait::async_trait;

use crate::DomainError;
use crate::idempotency::IdempotencyKey;
use crate::order::{Order, OrderId};
use crate::values::Money;

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
