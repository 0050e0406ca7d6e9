//! Persistence adapters: sea-orm entities and the implementations of the domain's ports, for
//! SQLite (the embedded default) and PostgreSQL through the same code.
//!
//! May depend on: `domain` and sea-orm. Never on `api`: nothing here knows about HTTP.
//! Database errors are mapped to [`PersistenceError`] and from there to `DomainError` at the
//! port boundary, so callers never see SQL.
#![forbid(unsafe_code)]

mod database;
{%- if example %}
mod entity;
{%- endif %}
mod error;
{%- if example %}
mod idempotency_store;
mod order_repository;
{%- endif %}

pub use database::{DatabaseOptions, PoolUsage, connect, ping, pool_usage};
pub use error::PersistenceError;
{%- if example %}
pub use idempotency_store::SeaOrmIdempotencyStore;
pub use order_repository::SeaOrmOrderRepository;
{%- endif %}
pub use sea_orm::DatabaseConnection;
