//! The purge of expired idempotency keys, for every resource that keeps them: one list of the
//! key tables ([`KEY_TABLES`]), one rule (a key that expired at `now` or before can no longer
//! replay anything), one `DELETE` per table that walks its `expires_at` index.
//! `<binary> purge-idempotency-keys` runs it; `cargo xtask generate resource` adds each new
//! resource's table to the list.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Iden, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::PersistenceError;
use crate::database::db_system;

/// Every table of idempotency keys, by its sea-orm entity; each has an `expires_at` column.
const KEY_TABLES: &[&dyn Iden] = &[
    &crate::order::IdempotencyKeys,
    // xtask-generate: purges
];

/// The column every key table records its expiry in.
const EXPIRES_AT: &str = "expires_at";

/// How many expired keys one table lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgedKeys {
    /// The key table, e.g. `idempotency_keys`.
    pub table: &'static str,
    /// How many rows were deleted.
    pub purged: u64,
}

/// The names of the tables the purge walks, in order.
pub fn idempotency_key_tables() -> Vec<&'static str> {
    KEY_TABLES.iter().map(|table| table.unquoted()).collect()
}

/// Deletes every idempotency key of every resource that expired at `now` or before, and
/// answers how many went from each table (in [`idempotency_key_tables`] order; empty when the
/// service has no key tables). Live keys stay. Safe at any time: a replay of an expired key is
/// refused whether or not its row is still there.
pub async fn purge_expired_idempotency_keys(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Vec<PurgedKeys>, PersistenceError> {
    let mut purged = Vec::with_capacity(KEY_TABLES.len());
    for table in idempotency_key_tables() {
        purged.push(PurgedKeys {
            table,
            purged: purge_table(db, table, now).await?,
        });
    }
    Ok(purged)
}

/// `DELETE FROM <table> WHERE expires_at <= now`: how many rows went.
#[tracing::instrument(
    name = "db.idempotency_keys.purge_expired",
    skip(db, now),
    fields(db.system.name = db_system(db)),
)]
async fn purge_table(
    db: &DatabaseConnection,
    table: &'static str,
    now: DateTime<Utc>,
) -> Result<u64, PersistenceError> {
    let delete = Query::delete()
        .from_table(table)
        .and_where(Expr::col(EXPIRES_AT).lte(now))
        .to_owned();
    Ok(db.execute(&delete).await?.rows_affected())
}
