//! Numbered schema migrations, applied in order by [`Migrator`]. The service binary runs them
//! (`migrate up|down|status`, or on start when configured); every migration has a real `down`.
//!
//! May depend on: sea-orm-migration only. Migrations describe tables in their own terms and do
//! not import the entities, so that old migrations never change when the code moves on.
#![forbid(unsafe_code)]

pub use sea_orm_migration::prelude::*;

{% if example -%}
mod m20260101_000001_create_orders;
mod m20260101_000002_create_idempotency_keys;
mod m20261130_000003_scope_orders_to_owners;
{% endif -%}
// xtask-generate: modules

/// Every migration of this service, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
{%- if example %}
            Box::new(m20260101_000001_create_orders::Migration),
            Box::new(m20260101_000002_create_idempotency_keys::Migration),
            Box::new(m20261130_000003_scope_orders_to_owners::Migration),
{%- endif %}
            // xtask-generate: migrations
        ]
    }
}
