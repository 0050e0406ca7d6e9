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
    /// A dependency (the database, a remote service) cannot be reached right now.
    #[error("{0}")]
    Unavailable(String),
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
}
