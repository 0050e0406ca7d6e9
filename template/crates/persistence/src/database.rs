//! Opening the connection pool, the same way for SQLite and PostgreSQL.

use std::path::PathBuf;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
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
    /// How many times to try connecting at start (at least 1), with exponential backoff
    /// between tries, so a service started before its database waits for it.
    pub connect_attempts: u32,
}

/// Opens a pool. SQLite files are created if missing and run in WAL mode (readers never wait
/// for the writer) with `synchronous = NORMAL` (a power loss may undo the last commits but never
/// corrupts the file; a crash of the process loses nothing), foreign keys on and a busy timeout, so concurrent writes wait for the writer
/// instead of failing.
///
/// An unreachable database is retried with bounded exponential backoff (with jitter) up to
/// `connect_attempts` times; any other error (a malformed URL, bad credentials) fails at once.
pub async fn connect(options: &DatabaseOptions) -> Result<DatabaseConnection, PersistenceError> {
    let attempts = options.connect_attempts.max(1);
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(5))
        .with_max_times(attempts as usize - 1)
        .with_jitter();
    (|| connect_once(options))
        .retry(backoff)
        .when(|err| matches!(err, PersistenceError::Unavailable(_)))
        .notify(|err, delay| {
            tracing::warn!(error = %err, retry_in = ?delay, "database not reachable yet, retrying");
        })
        .await
        .map_err(|err| match err {
            PersistenceError::Unavailable(reason) => PersistenceError::Unavailable(format!(
                "gave up after {attempts} attempt(s): {reason}"
            )),
            other => other,
        })
}

async fn connect_once(options: &DatabaseOptions) -> Result<DatabaseConnection, PersistenceError> {
    let mut connect = ConnectOptions::new(options.url.clone());
    connect
        .max_connections(options.max_connections)
        .min_connections(options.min_connections)
        .connect_timeout(options.connect_timeout)
        .acquire_timeout(options.acquire_timeout)
        .sqlx_logging(false);
    if let Some(file) = sqlite_file(&options.url)
        && let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|err| {
            PersistenceError::Unavailable(format!("cannot create {}: {err}", dir.display()))
        })?;
    }
    if options.url.starts_with("sqlite:") {
        // A SQLite connection is a file handle on a thread of its own, it cannot drop like a
        // network connection: no ping (one more round trip to that thread) before each use.
        // The pool still pings every connection it takes back.
        connect.test_before_acquire(false);
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

/// The file behind a `sqlite:` URL, if it names one (not `:memory:`).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

/// A cheap round trip, for readiness checks.
#[tracing::instrument(
    name = "db.ping",
    skip_all,
    err(Display),
    fields(db.system.name = db_system(db))
)]
pub async fn ping(db: &DatabaseConnection) -> Result<(), PersistenceError> {
    db.execute_unprepared("SELECT 1").await?;
    Ok(())
}

/// How many connections the pool holds, how many of them are idle, and its ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

impl PoolUsage {
    /// Connections checked out by requests right now.
    pub fn in_use(&self) -> u32 {
        self.open.saturating_sub(self.idle)
    }
}

/// The pool's current usage; cheap (atomic reads), for metrics.
pub fn pool_usage(db: &DatabaseConnection) -> Option<PoolUsage> {
    fn usage<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> PoolUsage {
        PoolUsage {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
    }
    // Each getter panics for another backend, hence the match on the backend first.
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => Some(usage(db.get_postgres_connection_pool())),
        sea_orm::DbBackend::Sqlite => Some(usage(db.get_sqlite_connection_pool())),
        _ => None,
    }
}

/// The OpenTelemetry `db.system.name` of the connection, recorded on every database span.
pub(crate) fn db_system(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "postgresql",
        sea_orm::DbBackend::Sqlite => "sqlite",
        sea_orm::DbBackend::MySql => "mysql",
        // The enum is non-exhaustive.
        #[allow(unreachable_patterns)]
        _ => "other_sql",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        let file = |url| sqlite_file(url).map(|path| path.display().to_string());
        assert_eq!(file("sqlite://data/app.db?mode=rwc").as_deref(), Some("data/app.db"));
        assert_eq!(file("sqlite:///tmp/app.db").as_deref(), Some("/tmp/app.db"));
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("postgres://localhost/app"), None);
    }
}
