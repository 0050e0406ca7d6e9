//! The field syntax of `cargo xtask generate resource`: `name:type`, a `?` suffix for an
//! optional field, constraints in brackets. Every mistake is an error that names the field
//! and says what would be accepted; nothing is written until every field parses.

use super::{FieldKind, FieldSpec, MAX_ENUM_VALUES, MAX_INT_BOUND, MAX_STRING_CHARS, SpecError};

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
