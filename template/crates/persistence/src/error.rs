use domain::DomainError;
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use thiserror::Error;

/// What can go wrong talking to the database, classified so that callers can react.
#[derive(Debug, Error)]
pub enum PersistenceError {
    /// The pool could not hand out a connection, or the connection broke.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint refused the write.
    #[error("unique constraint violated: {0}")]
    UniqueViolation(String),
    /// A stored row does not hold a valid domain value.
    #[error("corrupt row in {table}: {message}")]
    CorruptRow { table: &'static str, message: String },
    /// Any other database error.
    #[error("database error: {0}")]
    Database(DbErr),
}

impl From<DbErr> for PersistenceError {
    fn from(err: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(detail)) = err.sql_err() {
            return Self::UniqueViolation(detail);
        }
        match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Self::Unavailable(err.to_string()),
            DbErr::Query(RuntimeErr::SqlxError(sqlx)) | DbErr::Exec(RuntimeErr::SqlxError(sqlx))
                if is_connection_error(sqlx) =>
            {
                Self::Unavailable(err.to_string())
            }
            _ => Self::Database(err),
        }
    }
}

fn is_connection_error(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    matches!(
        err,
        Error::Io(_) | Error::Tls(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed
    )
}

/// The port boundary: the domain learns what happened, never how.
impl From<PersistenceError> for DomainError {
    fn from(err: PersistenceError) -> Self {
        match err {
            PersistenceError::Unavailable(_) => {
                tracing::warn!(error = %err, "database unavailable");
                DomainError::unavailable("the database is unavailable")
            }
            PersistenceError::UniqueViolation(_) => {
                DomainError::Conflict("a record with the same key already exists".into())
            }
            PersistenceError::CorruptRow { .. } | PersistenceError::Database(_) => {
                DomainError::Internal(err.to_string())
            }
        }
    }
}
