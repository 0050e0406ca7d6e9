//! Request fields into domain values: each field is parsed once, by its domain constructor, and
//! every invalid field is reported together (one 422); and domain field names into wire names.
//!
//! ```text
//! let mut errors = FieldErrors::default();
//! let email = errors.check("customer_email", "email", Email::parse(&request.customer_email));
//! let note = errors.check("note", "length", Note::parse(&request.note));
//! match (email, note) {
//!     (Some(email), Some(note)) if errors.is_empty() => Ok(NewThing { email, note }),
//!     _ => Err(errors.into_problem()),
//! }
//! ```

use domain::DomainError;

use crate::{ApiError, FieldError};

/// The invalid fields of one request, collected while its fields become domain values.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// `parsed`'s value, or `None` after recording why it is invalid: under the wire name
    /// `field`, with the stable `code` and the domain's message.
    pub fn check<T>(
        &mut self,
        field: &str,
        code: &str,
        parsed: Result<T, DomainError>,
    ) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(err) => {
                let message = match err {
                    DomainError::Invalid { message, .. } => message,
                    other => other.to_string(),
                };
                self.0.push(FieldError {
                    field: field.to_owned(),
                    code: code.to_owned(),
                    message,
                });
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The 422 listing every invalid field, by field name.
    pub fn into_problem(mut self) -> ApiError {
        self.0
            .sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
        ApiError::validation(self.0)
    }
}

/// `err` with the wire's name for a field the domain names differently: `names` pairs the
/// domain's name with the wire's (`("idempotency_key", "Idempotency-Key")`).
pub fn on_the_wire(err: DomainError, names: &[(&str, &'static str)]) -> DomainError {
    match err {
        DomainError::Invalid { field, message } => DomainError::Invalid {
            field: names
                .iter()
                .find(|(domain, _)| *domain == field)
                .map_or(field, |&(_, wire)| wire),
            message,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_invalid_field_is_listed_by_name() {
        let mut errors = FieldErrors::default();
        assert_eq!(errors.check("b", "range", Ok::<_, DomainError>(1)), Some(1));
        assert!(errors.is_empty());
        let bad: Result<(), _> = Err(DomainError::invalid("domain_name", "is wrong"));
        assert_eq!(errors.check("z", "length", bad.clone()), None);
        assert_eq!(errors.check("a", "email", bad), None);
        let ApiError::ValidationFailed(problem) = errors.into_problem() else {
            panic!("expected a 422");
        };
        let fields: Vec<_> = problem
            .0
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(fields, [("a", "is wrong"), ("z", "is wrong")]);
    }

    #[test]
    fn domain_field_names_become_wire_names() {
        let names = [("idempotency_key", "Idempotency-Key")];
        let renamed = on_the_wire(DomainError::invalid("idempotency_key", "x"), &names);
        assert_eq!(renamed, DomainError::invalid("Idempotency-Key", "x"));
        let kept = on_the_wire(DomainError::invalid("limit", "x"), &names);
        assert_eq!(kept, DomainError::invalid("limit", "x"));
        assert_eq!(
            on_the_wire(DomainError::Internal("x".into()), &names),
            DomainError::Internal("x".into())
        );
    }
}
