//! The order aggregate and its value objects. Every type here can only hold valid state:
//! constructors check, fields are private, and the status changes only through transitions.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::DomainError;

/// Longest e-mail address accepted (RFC 5321 path limit).
pub const EMAIL_MAX_LEN: usize = 254;
/// Longest free-text note on an order, in characters.
pub const NOTE_MAX_CHARS: usize = 500;

/// Identifies an order. Time-ordered (UUID v7) when produced by the default generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(Uuid);

impl OrderId {
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A customer's e-mail address, trimmed, with one `@` between a local part and a dotted domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let email = raw.trim();
        let invalid = |message: &str| Err(DomainError::invalid("customer_email", message));
        if email.len() > EMAIL_MAX_LEN {
            return invalid("must be at most 254 characters");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return invalid("must contain '@'");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        if local.is_empty() || !domain_ok || email.chars().any(char::is_whitespace) {
            return invalid("must be an e-mail address like name@example.com");
        }
        Ok(Self(email.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO 4217 currency code: three ASCII capital letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(DomainError::invalid(
                "currency",
                "must be an ISO 4217 code of three capital letters, like EUR",
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII capitals are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

/// A strictly positive amount in the currency's minor unit (cents for EUR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    amount_minor: i64,
    currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Result<Self, DomainError> {
        if amount_minor <= 0 {
            return Err(DomainError::invalid(
                "amount_minor",
                "must be greater than zero",
            ));
        }
        Ok(Self {
            amount_minor,
            currency,
        })
    }

    pub fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }
}

/// A bounded free-text note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note(String);

impl Note {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.chars().count() > NOTE_MAX_CHARS {
            return Err(DomainError::invalid(
                "note",
                "must be at most 500 characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an order is in its life. `Paid` and `Cancelled` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Pending,
    Paid,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending)
    }
}

impl FromStr for OrderStatus {
    type Err = DomainError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "pending" => Ok(Self::Pending),
            "paid" => Ok(Self::Paid),
            "cancelled" => Ok(Self::Cancelled),
            _ => Err(DomainError::invalid(
                "status",
                "must be one of pending, paid, cancelled",
            )),
        }
    }
}

/// A client-chosen key that makes a create request safe to retry: 1 to 255 visible ASCII
/// characters (the `Idempotency-Key` header).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let valid = (1..=Self::MAX_LEN).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_graphic());
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::invalid(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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
    pub customer_email: Email,
    pub amount: Money,
    pub note: Option<Note>,
    pub status: OrderStatus,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The order aggregate. Its status changes only through [`Order::pay`] and [`Order::cancel`],
/// and every change raises `version` by one (the optimistic-concurrency token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    state: OrderState,
}

impl Order {
    /// A new pending order at version 1.
    pub fn place(id: OrderId, new: NewOrder, now: DateTime<Utc>) -> Self {
        Self {
            state: OrderState {
                id,
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

    /// Rebuilds an order read back from storage.
    pub fn restore(state: OrderState) -> Self {
        Self { state }
    }

    pub fn pay(&mut self, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.transition(OrderStatus::Paid, "pay", now)
    }

    pub fn cancel(&mut self, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.transition(OrderStatus::Cancelled, "cancel", now)
    }

    fn transition(
        &mut self,
        to: OrderStatus,
        action: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        if self.state.status.is_final() {
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
    use super::*;

    fn new_order() -> NewOrder {
        NewOrder {
            customer_email: Email::parse("ada@example.com").unwrap(),
            amount: Money::new(1250, Currency::parse("EUR").unwrap()).unwrap(),
            note: None,
        }
    }

    fn placed() -> Order {
        Order::place(OrderId::from_uuid(Uuid::nil()), new_order(), Utc::now())
    }

    #[test]
    fn email_accepts_plain_addresses_and_trims() {
        assert_eq!(Email::parse(" a.b@x.io ").unwrap().as_str(), "a.b@x.io");
    }

    #[test]
    fn email_rejects_malformed_addresses() {
        for bad in ["", "plain", "@x.io", "a@", "a@x", "a@.io", "a@x.", "a b@x.io", "a@b@x.io"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Email::parse(&format!("{}@x.io", "a".repeat(250))).is_err());
    }

    #[test]
    fn currency_is_three_capitals() {
        assert_eq!(Currency::parse("EUR").unwrap().as_str(), "EUR");
        for bad in ["eur", "EU", "EURO", "E1R", "ÉUR", ""] {
            assert!(Currency::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn money_is_strictly_positive() {
        let eur = Currency::parse("EUR").unwrap();
        assert!(Money::new(1, eur).is_ok());
        assert!(Money::new(0, eur).is_err());
        assert!(Money::new(-5, eur).is_err());
    }

    #[test]
    fn note_is_bounded_in_characters_not_bytes() {
        assert!(Note::parse(&"é".repeat(NOTE_MAX_CHARS)).is_ok());
        assert!(Note::parse(&"a".repeat(NOTE_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn status_round_trips_through_text() {
        for status in [OrderStatus::Pending, OrderStatus::Paid, OrderStatus::Cancelled] {
            assert_eq!(status.as_str().parse::<OrderStatus>().unwrap(), status);
        }
        assert!("shipped".parse::<OrderStatus>().is_err());
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
        order.pay(Utc::now()).unwrap();
        assert_eq!(order.status(), OrderStatus::Paid);
        assert_eq!(order.version(), 2);
        let err = order.cancel(Utc::now()).unwrap_err();
        assert!(matches!(err, DomainError::RuleViolated(_)));
        assert_eq!(order.status(), OrderStatus::Paid, "a refused transition changes nothing");
        assert_eq!(order.version(), 2);
    }

    #[test]
    fn a_cancelled_order_cannot_be_paid() {
        let mut order = placed();
        order.cancel(Utc::now()).unwrap();
        assert!(order.pay(Utc::now()).is_err());
        assert_eq!(order.status(), OrderStatus::Cancelled);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn money_is_never_zero_or_negative(amount in any::<i64>()) {
                let eur = Currency::parse("EUR").unwrap();
                match Money::new(amount, eur) {
                    Ok(money) => prop_assert!(money.amount_minor() > 0),
                    Err(_) => prop_assert!(amount <= 0),
                }
            }

            #[test]
            fn transitions_raise_the_version_and_never_leave_a_final_state(
                actions in proptest::collection::vec(any::<bool>(), 0..12)
            ) {
                let mut order = placed();
                for pay in actions {
                    let before = order.clone();
                    let result = if pay { order.pay(Utc::now()) } else { order.cancel(Utc::now()) };
                    if before.status().is_final() {
                        prop_assert!(result.is_err());
                        prop_assert_eq!(&order, &before, "a refused transition changes nothing");
                    } else {
                        prop_assert!(result.is_ok());
                        prop_assert_eq!(order.version(), before.version() + 1);
                    }
                }
            }
        }
    }
}
