//! The names a resource goes by in each place: `customer` (modules, scopes), `Customer`
//! (types), `customers` (tables, paths), `Customers` (the API, its tag).

use serde::Serialize;

use super::field::{SpecError, check_identifier, check_not_reserved};

/// A resource's names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Names {
    /// Singular snake case: `credit_note`.
    pub snake: String,
    /// Singular upper camel case: `CreditNote`.
    pub pascal: String,
    /// Plural snake case: `credit_notes` (table, URL path, `ApiState` field).
    pub plural: String,
    /// Plural upper camel case: `CreditNotes` (the API type, its tag).
    pub plural_pascal: String,
    /// Plural in words for documentation: `credit notes`.
    pub plural_words: String,
    /// Singular in words: `credit note`.
    pub words: String,
}

/// Resource names that would collide with the service's own modules or types.
const TAKEN: &[&str] = &[
    "api",
    "auth",
    "caller",
    "clock",
    "contract",
    "database",
    "domain",
    "entity",
    "error",
    "health",
    "id",
    "idempotency",
    "lenient",
    "metrics",
    "middleware",
    "migration",
    "owner",
    "paging",
    "persistence",
    "ports",
    "preconditions",
    "problem",
    "rate_limit",
    "routes",
    "server",
    "settings",
    "startup",
    "telemetry",
    "values",
    "order",
    "payment",
    "payments",
];

impl Names {
    /// The names of resource `snake`, with `plural` when English's regular plural is wrong
    /// (`--plural people`).
    pub fn new(snake: &str, plural: Option<&str>) -> Result<Self, SpecError> {
        check_identifier("resource", snake)?;
        check_not_reserved("resource", snake)?;
        if TAKEN.contains(&snake) {
            return Err(SpecError(format!(
                "resource `{snake}` would collide with a module the service already has; \
                 choose another name"
            )));
        }
        let plural = match plural {
            Some(plural) => {
                check_identifier("plural", plural)?;
                plural.to_owned()
            }
            None => pluralize(snake),
        };
        if plural == snake {
            return Err(SpecError(format!(
                "the plural of `{snake}` must differ from it; pass --plural"
            )));
        }
        Ok(Self {
            pascal: pascal(snake),
            plural_pascal: pascal(&plural),
            plural_words: plural.replace('_', " "),
            words: snake.replace('_', " "),
            snake: snake.to_owned(),
            plural,
        })
    }
}

/// `credit_limit` → `CreditLimit`.
pub fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// English's regular plural of the last word: `customer` → `customers`, `address` →
/// `addresses`, `category` → `categories`.
pub fn pluralize(snake: &str) -> String {
    let ends_in = |suffix: &str| snake.ends_with(suffix);
    if ends_in("s") || ends_in("x") || ends_in("z") || ends_in("ch") || ends_in("sh") {
        format!("{snake}es")
    } else if let Some(stem) = snake.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        format!("{stem}ies")
    } else {
        format!("{snake}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_every_case() {
        let names = Names::new("credit_note", None).unwrap();
        assert_eq!(names.pascal, "CreditNote");
        assert_eq!(names.plural, "credit_notes");
        assert_eq!(names.plural_pascal, "CreditNotes");
        assert_eq!(names.plural_words, "credit notes");
        assert_eq!(pluralize("address"), "addresses");
        assert_eq!(pluralize("category"), "categories");
        assert_eq!(pluralize("survey"), "surveys");
        assert_eq!(
            Names::new("person", Some("people")).unwrap().plural_pascal,
            "People"
        );
    }

    #[test]
    fn unusable_resource_names_are_refused() {
        for bad in ["Customer", "order", "type", "id", "sheep_"] {
            assert!(Names::new(bad, None).is_err(), "{bad}");
        }
        assert!(Names::new("sheep", Some("sheep")).is_err());
    }
}
