//! Persistence adapters: sea-orm entities and the implementations of the domain's ports, for
//! SQLite (the embedded default) and PostgreSQL through the same code. Shared pieces have their
//! own modules (`database`, `error`, `fetch`: reads on the pool, `purge`: expired idempotency
//! keys of every resource); each resource has its own folder (`order/`: `entity.rs`,
//! `repository.rs`).
//!
//! May depend on: `domain` and sea-orm (with sea-query-sqlx, which binds sea-orm's parameters).
//! Never on `api`: nothing here knows about HTTP.
//! Database errors are mapped to [`PersistenceError`] and from there to `DomainError` at the
//! port boundary, so callers never see SQL.
#![forbid(unsafe_code)]

mod database;
mod error;
mod fetch;
mod order;
mod purge;
// xtask-generate: modules

pub use database::{DatabaseOptions, PoolUsage, connect, ping, pool_usage};
pub use error::PersistenceError;
pub use fetch::fetch_all;
pub use order::{SeaOrmIdempotencyStore, SeaOrmOrderRepository};
pub use purge::{PurgedKeys, idempotency_key_tables, purge_expired_idempotency_keys};
// xtask-generate: exports

pub use sea_orm::DatabaseConnection;
