//! A resource's fields: the types a field can have ([`FieldKind`]) and their limits, as
//! `cargo xtask generate resource` accepts them ([`parse`] reads the command line).

mod parse;
#[cfg(test)]
mod tests;

use std::fmt;

pub use parse::{check_identifier, check_not_reserved, parse_field, parse_fields};

/// The largest bound an `int` field may name: 2^53 - 1, the largest integer every JSON client
/// represents exactly (the bound `Money` uses too).
pub const MAX_INT_BOUND: i64 = (1 << 53) - 1;
/// The longest `string[..N]` accepted; longer text is a `text` field.
pub const MAX_STRING_CHARS: u32 = 10_000;
/// The most values an `enum` may have.
pub const MAX_ENUM_VALUES: usize = 64;

/// One field of a resource, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: String,
    pub kind: FieldKind,
    pub optional: bool,
}

/// The types a field can have, with their constraints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text, `min..=max` characters.
    String {
        min: u32,
        max: u32,
    },
    /// Free text over several lines, at most [`TEXT_MAX_CHARS`] characters.
    Text,
    Email,
    Url,
    /// An integer in `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    /// A strictly positive amount in minor units and its ISO 4217 currency.
    Money,
    Bool,
    Date,
    Timestamp,
    Uuid,
    /// One of these values (lower snake case, in the given order).
    Enum {
        values: Vec<String>,
    },
}

/// The longest `text` field, in characters.
pub const TEXT_MAX_CHARS: u32 = 10_000;

/// The longest `url` field (what browsers and servers reliably accept).
pub const URL_MAX_CHARS: u32 = 2_048;

impl FieldKind {
    /// The type as written on the command line (without constraints).
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::String { .. } => "string",
            Self::Text => "text",
            Self::Email => "email",
            Self::Url => "url",
            Self::Int { .. } => "int",
            Self::Money => "money",
            Self::Bool => "bool",
            Self::Date => "date",
            Self::Timestamp => "timestamp",
            Self::Uuid => "uuid",
            Self::Enum { .. } => "enum",
        }
    }
}

/// Why a field (or the resource name) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(pub String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}
