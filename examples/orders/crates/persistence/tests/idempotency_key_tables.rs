//! The purge of expired idempotency keys knows every key table: after all migrations, the
//! tables whose names end in `idempotency_keys` are exactly `idempotency_key_tables()`, and
//! the purge walks each of them, on SQLite and PostgreSQL. A resource whose key table was left
//! out of the list in `src/purge.rs` (or a listed table no migration creates) fails here.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used)]

mod common;

use persistence::{idempotency_key_tables, purge_expired_idempotency_keys};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use test_support::{TestDatabase, on_every_database};

/// The names of the tables in `connection`'s database (its current schema on PostgreSQL).
async fn tables(connection: &persistence::DatabaseConnection) -> Vec<String> {
    let backend = connection.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => "SELECT name AS table_name FROM sqlite_master WHERE type = 'table'",
        _ => {
            "SELECT table_name::text AS table_name FROM information_schema.tables \
             WHERE table_schema = current_schema()"
        }
    };
    let rows = connection
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get("", "table_name").unwrap())
        .collect()
}

async fn every_key_table_is_purged(db: TestDatabase) {
    let connection = common::connect(&db).await;
    let mut found: Vec<String> = tables(&connection)
        .await
        .into_iter()
        .filter(|name| name.ends_with("idempotency_keys"))
        .collect();
    found.sort();
    let mut listed = idempotency_key_tables();
    listed.sort_unstable();
    assert_eq!(
        found, listed,
        "the key tables in the schema, and those the purge walks"
    );

    let purged = purge_expired_idempotency_keys(&connection, chrono::Utc::now())
        .await
        .unwrap();
    let walked: Vec<&str> = purged.iter().map(|table| table.table).collect();
    assert_eq!(
        walked,
        idempotency_key_tables(),
        "one count per table, in order"
    );
    assert!(
        purged.iter().all(|table| table.purged == 0),
        "a fresh database has no keys: {purged:?}"
    );
    connection.close().await.unwrap();
    db.drop_database().await;
}

on_every_database!(every_key_table_is_purged);
