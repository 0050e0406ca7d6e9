//! Reads: a statement built by sea-orm's query builder, run on the backend's sqlx pool, its
//! rows read into sea-orm models. The query, its parameters and the mapping of columns to
//! fields stay sea-orm's; only the step in between is shorter.
//!
//! Why not `Select::all`: sea-orm runs every statement through one future that can hold the
//! query of any backend it was built with (here SQLite and PostgreSQL) and its own span. That
//! future is about 15 KB, and putting it on the heap copies it twice per query: 30 000
//! instructions, a sixth of a whole request for one order by id (measured with callgrind, the
//! template repository's `docs/profiles.md`). Here each backend's query is sqlx's own, small.

use std::sync::Arc;

use sea_orm::sqlx;
use sea_orm::{
    DatabaseConnection, DbBackend, DbErr, FromQueryResult, QueryResult, RuntimeErr, Statement,
    Values,
};
use sea_query_sqlx::SqlxValues;

/// The rows `statement` selects, as `M`. Errors are sea-orm's `DbErr`: a pool timeout or a
/// broken connection is a `DbErr::Query` holding sqlx's error (where `Select::all` says
/// `ConnectionAcquire`), which `PersistenceError` classifies as unavailable all the same.
pub async fn fetch_all<M: FromQueryResult>(
    db: &DatabaseConnection,
    statement: Statement,
) -> Result<Vec<M>, DbErr> {
    let Statement { sql, values, .. } = statement;
    let sql = sqlx::AssertSqlSafe(sql.as_str());
    let values = SqlxValues(values.unwrap_or_else(|| Values(Vec::new())));
    let rows: Vec<QueryResult> = match db.get_database_backend() {
        DbBackend::Sqlite => sqlx::query_with(sql, values)
            .fetch_all(db.get_sqlite_connection_pool())
            .await
            .map_err(query_error)?
            .into_iter()
            .map(QueryResult::from)
            .collect(),
        DbBackend::Postgres => sqlx::query_with(sql, values)
            .fetch_all(db.get_postgres_connection_pool())
            .await
            .map_err(query_error)?
            .into_iter()
            .map(QueryResult::from)
            .collect(),
        other => {
            return Err(DbErr::BackendNotSupported {
                db: other.as_str(),
                ctx: "persistence::fetch_all",
            });
        }
    };
    rows.iter()
        .map(|row| M::from_query_result(row, ""))
        .collect()
}

/// sqlx's error as sea-orm reports a failed query.
fn query_error(err: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)))
}
