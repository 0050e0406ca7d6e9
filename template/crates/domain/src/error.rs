use std::time::Duration;

use thiserror::Error;

/// Everything that can go wrong in the domain, as seen by its callers.
///
/// Each variant is one kind of outcome the API maps to one HTTP status; adapters convert their
/// own errors into these at the port boundary, so no database or HTTP detail leaks upwards.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    /// A value broke an invariant (bad e-mail, non-positive amount, ...).
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The entity does not exist.
    #[error("{entity} {id} was not found")]
    NotFound { entity: &'static str, id: String },
    /// A business rule forbids the operation in the entity's current state.
    #[error("{0}")]
    RuleViolated(String),
    /// The caller acted on a version of the entity that is no longer current.
    #[error("the {entity} is at version {actual}, not {expected}")]
    StaleVersion {
        entity: &'static str,
        expected: i64,
        actual: i64,
    },
    /// Somebody else changed or created the same thing first.
    #[error("{0}")]
    Conflict(String),
    /// A dependency (the database, a remote service) cannot be reached right now. Trying again
    /// later is safe; `retry_after` says when, if the dependency's adapter knows.
    #[error("{detail}")]
    Unavailable {
        detail: String,
        retry_after: Option<Duration>,
    },
{%- if example %}
    /// The payment gateway refused to charge (insufficient funds, blocked card, ...). A
    /// business outcome, not a fault: nothing changed, and the same request will be refused
    /// again until something changes on the payer's side.
    #[error("the payment was declined: {0}")]
    PaymentDeclined(String),
{%- endif %}
    /// A fault that is nobody's input: details go to the log, never to a client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    /// A dependency is unavailable, with no hint of when it will be back.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::Unavailable {
            detail: detail.into(),
            retry_after: None,
        }
    }
}
