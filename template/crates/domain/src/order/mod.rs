//! The order resource: the aggregate (here), its value objects (`values.rs`), its ports
//! (`port.rs`), its use cases (`service.rs`) and, beyond what every resource has, paying
//! (`payment.rs`, `service/paying.rs`). The aggregate's status changes only through its
//! transitions, each raising the version.

use chrono::{DateTime, Utc};

use crate::DomainError;
use crate::owner::Owner;
use crate::paging::Cursor;
use crate::values::{Email, Money};

mod payment;
mod port;
mod service;
mod values;

pub use payment::{Charge, ChargeOutcome, PaymentGateway};
pub use port::{IdempotencyStore, OrderQuery, OrderRepository};
pub use service::{OrderPage, OrderService, Placement};
pub use values::{NOTE_MAX_CHARS, Note, OrderId, OrderStatus};

/// What a customer asks for: validated values, no identity yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub customer_email: Email,
    pub amount: Money,
    pub note: Option<Note>,
}

impl NewOrder {
    /// A canonical text of the request, equal for equal requests: what an idempotency key is
    /// checked against when it is used again.
    pub fn fingerprint(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}",
            self.customer_email.as_str(),
            self.amount.amount_minor(),
            self.amount.currency().as_str(),
            self.note.as_ref().map_or("", Note::as_str)
        )
    }
}

/// Every field of a stored order, for adapters that rebuild one with [`Order::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    pub id: OrderId,
    pub owner: Owner,
    pub customer_email: Email,
    pub amount: Money,
    pub note: Option<Note>,
    pub status: OrderStatus,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The order aggregate. Its status changes only through its transitions (pending → paying →
/// paid, paying → pending when the charge is declined, pending → cancelled), and every change
/// raises `version` by one (the optimistic-concurrency token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    state: OrderState,
}

impl Order {
    /// A new pending order at version 1.
    pub fn place(id: OrderId, owner: Owner, new: NewOrder, now: DateTime<Utc>) -> Self {
        Self {
            state: OrderState {
                id,
                owner,
                customer_email: new.customer_email,
                amount: new.amount,
                note: new.note,
                status: OrderStatus::Pending,
                version: 1,
                created_at: now,
                updated_at: now,
            },
        }
    }

    /// Where a listing that ended with this order continues.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.state.created_at,
            id: self.state.id.as_uuid(),
        }
    }

    /// Rebuilds an order read back from storage.
    pub fn restore(state: OrderState) -> Self {
        Self { state }
    }

    /// Pending → paying: recorded before the gateway is asked to charge (ADR 0009).
    pub fn begin_payment(&mut self, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.transition(OrderStatus::Pending, OrderStatus::Paying, "pay", now)
    }

    /// Paying → paid: the gateway accepted the charge.
    pub fn complete_payment(&mut self, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.transition(OrderStatus::Paying, OrderStatus::Paid, "complete the payment of", now)
    }

    /// Paying → pending: the gateway declined the charge, nothing was taken.
    pub fn decline_payment(&mut self, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.transition(OrderStatus::Paying, OrderStatus::Pending, "decline the payment of", now)
    }

    /// Pending → cancelled. Refused while a payment is in progress: the charge may already
    /// have been taken.
    pub fn cancel(&mut self, now: DateTime<Utc>) -> Result<(), DomainError> {
        if self.state.status == OrderStatus::Paying {
            return Err(DomainError::RuleViolated(
                "cannot cancel an order while its payment is in progress; pay it again to \
                 finish the payment, then cancel it if it was declined"
                    .into(),
            ));
        }
        self.transition(OrderStatus::Pending, OrderStatus::Cancelled, "cancel", now)
    }

    fn transition(
        &mut self,
        from: OrderStatus,
        to: OrderStatus,
        action: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        if self.state.status != from {
            return Err(DomainError::RuleViolated(format!(
                "cannot {action} an order that is {}",
                self.state.status.as_str()
            )));
        }
        self.state.status = to;
        self.state.version += 1;
        self.state.updated_at = now;
        Ok(())
    }

    pub fn id(&self) -> OrderId {
        self.state.id
    }

    pub fn owner(&self) -> &Owner {
        &self.state.owner
    }

    pub fn customer_email(&self) -> &Email {
        &self.state.customer_email
    }

    pub fn amount(&self) -> Money {
        self.state.amount
    }

    pub fn note(&self) -> Option<&Note> {
        self.state.note.as_ref()
    }

    pub fn status(&self) -> OrderStatus {
        self.state.status
    }

    pub fn version(&self) -> i64 {
        self.state.version
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        self.state.created_at
    }

    pub fn updated_at(&self) -> DateTime<Utc> {
        self.state.updated_at
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::values::{Currency, MAX_AMOUNT_MINOR};

    fn new_order() -> NewOrder {
        NewOrder {
            customer_email: Email::parse("ada@example.com").unwrap(),
            amount: Money::new(1250, Currency::parse("EUR").unwrap()).unwrap(),
            note: None,
        }
    }

    fn placed() -> Order {
        Order::place(OrderId::from_uuid(Uuid::nil()), Owner::anonymous(), new_order(), Utc::now())
    }

    #[test]
    fn a_placed_order_is_pending_at_version_one() {
        let order = placed();
        assert_eq!(order.status(), OrderStatus::Pending);
        assert_eq!(order.version(), 1);
        assert_eq!(order.created_at(), order.updated_at());
    }

    #[test]
    fn paying_raises_the_version_and_is_final() {
        let mut order = placed();
        order.begin_payment(Utc::now()).unwrap();
        assert_eq!((order.status(), order.version()), (OrderStatus::Paying, 2));
        let err = order.cancel(Utc::now()).unwrap_err();
        assert!(matches!(err, DomainError::RuleViolated(_)), "no cancel while paying");
        order.complete_payment(Utc::now()).unwrap();
        assert_eq!((order.status(), order.version()), (OrderStatus::Paid, 3));
        let err = order.cancel(Utc::now()).unwrap_err();
        assert!(matches!(err, DomainError::RuleViolated(_)));
        assert_eq!(order.status(), OrderStatus::Paid, "a refused transition changes nothing");
        assert_eq!(order.version(), 3);
    }

    #[test]
    fn a_declined_payment_returns_the_order_to_pending() {
        let mut order = placed();
        order.begin_payment(Utc::now()).unwrap();
        order.decline_payment(Utc::now()).unwrap();
        assert_eq!((order.status(), order.version()), (OrderStatus::Pending, 3));
        order.cancel(Utc::now()).unwrap();
        assert_eq!(order.status(), OrderStatus::Cancelled);
    }

    #[test]
    fn a_cancelled_order_cannot_be_paid() {
        let mut order = placed();
        order.cancel(Utc::now()).unwrap();
        assert!(order.begin_payment(Utc::now()).is_err());
        assert_eq!(order.status(), OrderStatus::Cancelled);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn money_is_positive_and_exact_in_json(amount in any::<i64>()) {
                let eur = Currency::parse("EUR").unwrap();
                match Money::new(amount, eur) {
                    Ok(money) => prop_assert!((1..=MAX_AMOUNT_MINOR).contains(&money.amount_minor())),
                    Err(_) => prop_assert!(amount <= 0 || amount > MAX_AMOUNT_MINOR),
                }
            }

            #[test]
            fn transitions_raise_the_version_and_never_leave_a_final_state(
                actions in proptest::collection::vec(any::<bool>(), 0..12)
            ) {
                let mut order = placed();
                for pay in actions {
                    let before = order.clone();
                    let result = if pay {
                        order.begin_payment(Utc::now()).and_then(|()| order.complete_payment(Utc::now()))
                    } else {
                        order.cancel(Utc::now())
                    };
                    if before.status().is_final() {
                        prop_assert!(result.is_err());
                        prop_assert_eq!(&order, &before, "a refused transition changes nothing");
                    } else {
                        prop_assert!(result.is_ok());
                        let steps = if pay { 2 } else { 1 };
                        prop_assert_eq!(order.version(), before.version() + steps);
                    }
                }
            }
        }
    }
}
