//! The field syntax of `cargo xtask generate resource`: `name:type`, a `?` suffix for an
//! optional field, constraints in brackets. Every mistake is an error that names the field
//! and says what would be accepted; nothing is written until every field parses.

use std::fmt;

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

const TYPES: &str = "string[MIN..MAX], text, email, url, int[MIN..MAX], money, bool, date, \
                     timestamp, uuid, enum[a,b,...]";

/// Names a field cannot have: Rust keywords (they cannot be identifiers everywhere the name
/// is used), the columns every resource has, and names that would collide with generated
/// ones.
const RESERVED: &[&str] = &[
    // Columns and members every resource has.
    "id",
    "owner",
    "version",
    "created_at",
    "updated_at",
    // Rust keywords, strict and reserved (2024 edition).
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "macro",
    "override",
    "priv",
    "try",
    "typeof",
    "unsized",
    "virtual",
    "yield",
    // Query parameters and members of the list operation, and names the generated code uses.
    "limit",
    "cursor",
    "after",
    "state",
    "items",
    "next_cursor",
    "key",
    "fingerprint",
    "expires_at",
    "table",
];

/// A name fit for a Rust identifier, a column, a JSON member and a query parameter: lower
/// snake case, starting with a letter, at most 48 characters.
pub fn check_identifier(what: &str, name: &str) -> Result<(), SpecError> {
    let mut chars = name.chars();
    let starts_well = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !starts_well || !rest_ok || name.ends_with('_') || name.contains("__") || name.len() > 48 {
        return Err(SpecError(format!(
            "{what} `{name}` must be lower snake case (a-z, 0-9, single `_`), start with a \
             letter and be at most 48 characters, like `credit_limit`"
        )));
    }
    Ok(())
}

/// Refuses a name the generated code cannot use.
pub fn check_not_reserved(what: &str, name: &str) -> Result<(), SpecError> {
    if RESERVED.contains(&name) {
        return Err(SpecError(format!(
            "{what} `{name}` is reserved (a Rust keyword or a name every resource already \
             has: id, owner, version, created_at, updated_at); choose another name"
        )));
    }
    Ok(())
}

/// Parses every field; refuses duplicates (a money field `price` also takes the names
/// `price_minor` and `price_currency`).
pub fn parse_fields(raw: &[String]) -> Result<Vec<FieldSpec>, SpecError> {
    if raw.is_empty() {
        return Err(SpecError(format!(
            "give at least one field as name:type, with type one of {TYPES}"
        )));
    }
    let mut fields: Vec<FieldSpec> = Vec::new();
    let mut taken: Vec<(String, String)> = Vec::new();
    for spec in raw {
        let field = parse_field(spec)?;
        let mut names = vec![field.name.clone()];
        if field.kind == FieldKind::Money {
            names.push(format!("{}_minor", field.name));
            names.push(format!("{}_currency", field.name));
        }
        for name in names {
            if let Some((_, by)) = taken.iter().find(|(taken, _)| *taken == name) {
                return Err(SpecError(format!(
                    "field `{}` is given twice (the name `{name}` is already taken by `{by}`)",
                    field.name
                )));
            }
            taken.push((name, field.name.clone()));
        }
        fields.push(field);
    }
    Ok(fields)
}

/// Parses one `name:type[constraints]?`.
pub fn parse_field(spec: &str) -> Result<FieldSpec, SpecError> {
    let Some((name, ty)) = spec.split_once(':') else {
        return Err(SpecError(format!(
            "`{spec}` is not a field: write name:type, with type one of {TYPES}"
        )));
    };
    check_identifier("field", name)?;
    check_not_reserved("field", name)?;
    let (ty, optional) = match ty.strip_suffix('?') {
        Some(ty) => (ty, true),
        None => (ty, false),
    };
    let (keyword, constraint) = match ty.split_once('[') {
        Some((keyword, rest)) => {
            let Some(inside) = rest.strip_suffix(']') else {
                return Err(SpecError(format!(
                    "field `{name}`: `{ty}` has an unclosed `[`; write e.g. string[1..100]"
                )));
            };
            (keyword, Some(inside))
        }
        None => (ty, None),
    };
    let kind = match (keyword, constraint) {
        ("string", Some(range)) => {
            let (min, max) = parse_range(name, keyword, range)?;
            let (Ok(min), Ok(max)) = (u32::try_from(min), u32::try_from(max)) else {
                return Err(SpecError(format!(
                    "field `{name}`: string lengths cannot be negative"
                )));
            };
            if max == 0 || max > MAX_STRING_CHARS {
                return Err(SpecError(format!(
                    "field `{name}`: the longest string must be 1 to {MAX_STRING_CHARS} \
                     characters (use `text` for longer text)"
                )));
            }
            FieldKind::String { min, max }
        }
        ("string", None) => {
            return Err(SpecError(format!(
                "field `{name}`: a string needs its length bounds, like string[1..100] \
                 (or use `text`)"
            )));
        }
        ("int", Some(range)) => {
            let (min, max) = parse_range(name, keyword, range)?;
            if min < -MAX_INT_BOUND || max > MAX_INT_BOUND {
                return Err(SpecError(format!(
                    "field `{name}`: int bounds must lie within ±{MAX_INT_BOUND} (2^53 - 1, \
                     exact in every JSON client)"
                )));
            }
            FieldKind::Int { min, max }
        }
        ("int", None) => {
            return Err(SpecError(format!(
                "field `{name}`: an int needs its range, like int[0..1000]"
            )));
        }
        ("enum", Some(list)) => FieldKind::Enum {
            values: parse_enum_values(name, list)?,
        },
        ("enum", None) => {
            return Err(SpecError(format!(
                "field `{name}`: an enum needs its values, like enum[free,pro]"
            )));
        }
        (simple, None) => match simple {
            "text" => FieldKind::Text,
            "email" => FieldKind::Email,
            "url" => FieldKind::Url,
            "money" => FieldKind::Money,
            "bool" => FieldKind::Bool,
            "date" => FieldKind::Date,
            "timestamp" => FieldKind::Timestamp,
            "uuid" => FieldKind::Uuid,
            unknown => {
                return Err(SpecError(format!(
                    "field `{name}`: unknown type `{unknown}`; use one of {TYPES}"
                )));
            }
        },
        (other, Some(_)) => {
            let known = [
                "text",
                "email",
                "url",
                "money",
                "bool",
                "date",
                "timestamp",
                "uuid",
            ];
            return Err(SpecError(if known.contains(&other) {
                format!("field `{name}`: `{other}` takes no constraint in brackets")
            } else {
                format!("field `{name}`: unknown type `{other}`; use one of {TYPES}")
            }));
        }
    };
    Ok(FieldSpec {
        name: name.to_owned(),
        kind,
        optional,
    })
}

/// `MIN..MAX`, both inclusive, `MIN <= MAX`.
fn parse_range(name: &str, keyword: &str, range: &str) -> Result<(i64, i64), SpecError> {
    let bad = || {
        SpecError(format!(
            "field `{name}`: `{keyword}[{range}]` is not a range; write {keyword}[MIN..MAX] \
             with whole numbers, MIN <= MAX (both inclusive), like {keyword}[0..100]"
        ))
    };
    let (min, max) = range.split_once("..").ok_or_else(bad)?;
    let min: i64 = min.trim().parse().map_err(|_| bad())?;
    let max: i64 = max.trim().parse().map_err(|_| bad())?;
    if min > max {
        return Err(bad());
    }
    Ok((min, max))
}

fn parse_enum_values(name: &str, list: &str) -> Result<Vec<String>, SpecError> {
    let mut values: Vec<String> = Vec::new();
    for value in list.split(',').map(str::trim) {
        let valid = value.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !value.ends_with('_')
            && !value.contains("__")
            && value.len() <= 48;
        if !valid {
            return Err(SpecError(format!(
                "field `{name}`: enum value `{value}` must be lower snake case, start with a \
                 letter and be at most 48 characters, like `gold_plus`"
            )));
        }
        if values.iter().any(|seen| seen == value) {
            return Err(SpecError(format!(
                "field `{name}`: enum value `{value}` is given twice"
            )));
        }
        values.push(value.to_owned());
    }
    if values.is_empty() || values.len() > MAX_ENUM_VALUES {
        return Err(SpecError(format!(
            "field `{name}`: an enum needs 1 to {MAX_ENUM_VALUES} values"
        )));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(spec: &str) -> Result<FieldSpec, String> {
        parse_field(spec).map_err(|err| err.0)
    }

    #[test]
    fn every_type_parses_with_its_constraints() {
        let cases = [
            (
                "name:string[1..100]",
                FieldKind::String { min: 1, max: 100 },
            ),
            ("bio:text", FieldKind::Text),
            ("email:email", FieldKind::Email),
            ("site:url", FieldKind::Url),
            ("score:int[-5..1000]", FieldKind::Int { min: -5, max: 1000 }),
            ("limit_eur:money", FieldKind::Money),
            ("active:bool", FieldKind::Bool),
            ("born_on:date", FieldKind::Date),
            ("seen_at:timestamp", FieldKind::Timestamp),
            ("external_ref:uuid", FieldKind::Uuid),
            (
                "tier:enum[free,pro,gold_plus]",
                FieldKind::Enum {
                    values: vec!["free".into(), "pro".into(), "gold_plus".into()],
                },
            ),
        ];
        for (spec, kind) in cases {
            let field = parse(spec).unwrap();
            assert_eq!(field.kind, kind, "{spec}");
            assert!(!field.optional, "{spec}");
        }
        let optional = parse("born_on:date?").unwrap();
        assert!(optional.optional);
        assert_eq!(optional.kind, FieldKind::Date);
        let bounded = parse("code:string[3..3]?").unwrap();
        assert_eq!(bounded.kind, FieldKind::String { min: 3, max: 3 });
        assert!(bounded.optional);
    }

    #[test]
    fn mistakes_are_explained() {
        let cases = [
            ("name", "is not a field"),
            ("name:strin[1..3]", "unknown type `strin`"),
            ("name:blob", "unknown type `blob`"),
            ("name:string", "needs its length bounds"),
            ("name:string[5..1]", "is not a range"),
            ("name:string[a..b]", "is not a range"),
            ("name:string[1..100", "unclosed"),
            ("name:string[0..0]", "1 to 10000"),
            ("name:string[-1..4]", "cannot be negative"),
            ("score:int", "needs its range"),
            ("score:int[0..9007199254740992]", "2^53 - 1"),
            ("active:bool[1..2]", "takes no constraint"),
            ("tier:enum", "needs its values"),
            ("tier:enum[]", "enum value ``"),
            ("tier:enum[Free,pro]", "lower snake case"),
            ("tier:enum[free,free]", "given twice"),
            ("Name:text", "lower snake case"),
            ("2fa:bool", "lower snake case"),
            ("a__b:bool", "lower snake case"),
            ("id:uuid", "reserved"),
            ("owner:text", "reserved"),
            ("version:int[0..1]", "reserved"),
            ("created_at:timestamp", "reserved"),
            ("type:text", "reserved"),
            ("match:bool", "reserved"),
        ];
        for (spec, expected) in cases {
            let err = parse(spec).unwrap_err();
            assert!(err.contains(expected), "{spec}: {err}");
        }
    }

    #[test]
    fn duplicates_are_refused_including_the_columns_of_money() {
        let fields = |specs: &[&str]| {
            parse_fields(&specs.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
                .map_err(|err| err.0)
        };
        assert!(fields(&["a:bool", "b:text"]).is_ok());
        assert!(fields(&["a:bool", "a:text"]).unwrap_err().contains("twice"));
        let err = fields(&["price:money", "price_minor:int[0..1]"]).unwrap_err();
        assert!(err.contains("already taken by `price`"), "{err}");
        assert!(fields(&[]).unwrap_err().contains("at least one field"));
    }
}
