//! The order's value objects: each constructor checks, so a value that exists is valid.

use std::fmt;
use std::str::FromStr;

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

/// A customer's e-mail address: printable ASCII, one `@` between a local part and a dotted
/// domain that neither starts nor ends with a dot, at most 254 characters. (Internationalised
/// addresses are refused: the rule is exact and stays expressible as a schema pattern.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let invalid = |message: &str| Err(DomainError::invalid("customer_email", message));
        if raw.chars().count() > EMAIL_MAX_LEN {
            return invalid("must be at most 254 characters");
        }
        let Some((local, domain)) = raw.split_once('@') else {
            return invalid("must contain '@'");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        if local.is_empty() || !domain_ok || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return invalid("must be an e-mail address like name@example.com");
        }
        Ok(Self(raw.to_owned()))
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

/// The largest amount accepted: 2^53 - 1, the largest integer every JSON client (JavaScript's
/// numbers among them) represents exactly.
pub const MAX_AMOUNT_MINOR: i64 = (1 << 53) - 1;

/// A strictly positive amount in the currency's minor unit (cents for EUR), at most
/// [`MAX_AMOUNT_MINOR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    amount_minor: i64,
    currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Result<Self, DomainError> {
        Self::validate_amount(amount_minor)?;
        Ok(Self {
            amount_minor,
            currency,
        })
    }

    /// The rule for an amount on its own: greater than zero, at most [`MAX_AMOUNT_MINOR`].
    pub fn validate_amount(amount_minor: i64) -> Result<(), DomainError> {
        if amount_minor <= 0 {
            return Err(DomainError::invalid(
                "amount_minor",
                "must be greater than zero",
            ));
        }
        if amount_minor > MAX_AMOUNT_MINOR {
            return Err(DomainError::invalid(
                "amount_minor",
                "must be at most 9007199254740991 (2^53 - 1, exact in every JSON client)",
            ));
        }
        Ok(())
    }

    pub fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }
}

/// The rule for every free-text field: no control characters (NUL cannot be stored by
/// PostgreSQL, and the others corrupt logs and terminals), except tab and line breaks where
/// `multi_line` allows them.
pub fn check_free_text(field: &'static str, raw: &str, multi_line: bool) -> Result<(), DomainError> {
    let allowed = |c: char| multi_line && matches!(c, '\t' | '\n' | '\r');
    if raw.chars().any(|c| c.is_control() && !allowed(c)) {
        let message = if multi_line {
            "must not contain control characters other than tab and line breaks"
        } else {
            "must not contain control characters"
        };
        return Err(DomainError::invalid(field, message));
    }
    Ok(())
}

/// A bounded free-text note: at most 500 characters, no control characters but tab and line
/// breaks.
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
        check_free_text("note", raw, true)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an order is in its life. `Paying` means a charge was (or is being) sent to the
/// payment gateway and its outcome is not recorded yet. `Paid` and `Cancelled` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Pending,
    Paying,
    Paid,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paying => "paying",
            Self::Paid => "paid",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Paid | Self::Cancelled)
    }
}

impl FromStr for OrderStatus {
    type Err = DomainError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "pending" => Ok(Self::Pending),
            "paying" => Ok(Self::Paying),
            "paid" => Ok(Self::Paid),
            "cancelled" => Ok(Self::Cancelled),
            _ => Err(DomainError::invalid(
                "status",
                "must be one of pending, paying, paid, cancelled",
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

    /// The key of the charge that pays `order` at `version`: `<order id>-v<version>`. Every
    /// attempt to pay the same version sends the same key, so a gateway charges it at most
    /// once; a new version (after a change) is a new charge. Always valid (at most 58
    /// characters).
    pub fn for_payment(order: OrderId, version: i64) -> Self {
        Self(format!("{order}-v{version}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_accepts_plain_addresses_as_given() {
        assert_eq!(Email::parse("a.b@x.io").unwrap().as_str(), "a.b@x.io");
        assert!(Email::parse(" a.b@x.io").is_err(), "surrounding whitespace is not trimmed away");
        let longest = format!("{}@x.io", "a".repeat(EMAIL_MAX_LEN - 5));
        assert!(Email::parse(&longest).is_ok());
        assert!(Email::parse("ü@ü.de").is_err(), "ASCII only");
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
        assert!(Money::new(MAX_AMOUNT_MINOR, eur).is_ok());
        assert!(Money::new(MAX_AMOUNT_MINOR + 1, eur).is_err());
        assert!(Money::new(i64::MAX, eur).is_err());
    }

    #[test]
    fn note_is_bounded_in_characters_not_bytes() {
        assert!(Note::parse(&"é".repeat(NOTE_MAX_CHARS)).is_ok());
        assert!(Note::parse(&"a".repeat(NOTE_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn notes_refuse_control_characters_but_keep_line_breaks() {
        assert!(Note::parse("two\nlines\twith a tab\r\n").is_ok());
        for bad in ["nul\0here", "bell\u{7}", "escape\u{1b}[31m", "del\u{7f}", "c1\u{85}"] {
            assert!(Note::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn payment_keys_name_the_order_and_version_and_are_valid_keys() {
        let id = OrderId::from_uuid(Uuid::from_u128(0xabc));
        let key = IdempotencyKey::for_payment(id, i64::MAX);
        assert_eq!(key.as_str(), format!("{id}-v{}", i64::MAX));
        assert_eq!(IdempotencyKey::parse(key.as_str()).unwrap(), key);
        assert_ne!(IdempotencyKey::for_payment(id, 1), IdempotencyKey::for_payment(id, 2));
    }

    #[test]
    fn status_round_trips_through_text() {
        for status in [
            OrderStatus::Pending,
            OrderStatus::Paying,
            OrderStatus::Paid,
            OrderStatus::Cancelled,
        ] {
            assert_eq!(status.as_str().parse::<OrderStatus>().unwrap(), status);
        }
        assert!("shipped".parse::<OrderStatus>().is_err());
    }
}
