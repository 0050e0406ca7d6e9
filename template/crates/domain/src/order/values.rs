//! The order's own value objects: each constructor checks, so a value that exists is valid.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::DomainError;
use crate::values::check_free_text;

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

#[cfg(test)]
mod tests {
    use super::*;

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
