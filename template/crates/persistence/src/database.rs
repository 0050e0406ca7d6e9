//! Opening the connection pool, the same way for SQLite and PostgreSQL.

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

use crate::PersistenceError;

/// How to reach the database; filled from the service's configuration.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// `sqlite://path/to/file.db?mode=rwc` or `postgres://user@host/db`.
    pub url: String,
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout: Duration,
    pub acquire_timeout: Duration,
}

/// Opens a pool. SQLite files are created if missing and run in WAL mode with foreign keys on
/// and a busy timeout, so concurrent requests wait for the writer instead of failing.
pub async fn connect(options: &DatabaseOptions) -> Result<DatabaseConnection, PersistenceError> {
    let mut connect = ConnectOptions::new(options.url.clone());
    connect
        .max_connections(options.max_connections)
        .min_connections(options.min_connections)
        .connect_timeout(options.connect_timeout)
        .acquire_timeout(options.acquire_timeout)
        .sqlx_logging(false);
    if options.url.starts_with("sqlite:") {
        let busy_timeout = options.acquire_timeout;
        connect.map_sqlx_sqlite_opts(move |sqlite| {
            sqlite
                .create_if_missing(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(busy_timeout)
        });
    }
    Ok(Database::connect(connect).await?)
}

/// A cheap round trip, for readiness checks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), PersistenceError> {
    db.execute_unprepared("SELECT 1").await?;
    Ok(())
}
