//! Value objects shared by every resource: each constructor checks, so a value that exists is
//! valid.

use crate::DomainError;

/// Longest e-mail address accepted (RFC 5321 path limit).
pub const EMAIL_MAX_LEN: usize = 254;

/// An e-mail address: printable ASCII, one `@` between a local part and a dotted
/// domain that neither starts nor ends with a dot, at most 254 characters. (Internationalised
/// addresses are refused: the rule is exact and stays expressible as a schema pattern.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let invalid = |message: &str| Err(DomainError::invalid("email", message));
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
                "amount",
                "must be greater than zero",
            ));
        }
        if amount_minor > MAX_AMOUNT_MINOR {
            return Err(DomainError::invalid(
                "amount",
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
}
