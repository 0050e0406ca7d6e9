//! Orders get an owner, and idempotency keys are scoped to it (ADR 0008).
//!
//! Orders that existed before get the owner `anonymous`: the fixed owner of a service without
//! authentication (so such a service keeps seeing all of them), and in a service with
//! authentication an owner no caller has unless a token is issued with that subject: only
//! `orders:admin` callers see them. The `idempotency_keys` table is rebuilt with the primary
//! key `(owner, key)` (SQLite cannot change a primary key in place); existing keys keep
//! working for the owner of the order they created.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The owner existing orders get. Not imported from the domain: a migration never changes.
const EXISTING_OWNER: &str = "anonymous";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every database (SQLite too): the table rebuild is all or nothing,
    /// and every statement sees the previous one (it runs on one connection).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(string_len(Orders::Owner, 255).default(EXISTING_OWNER))
                    .to_owned(),
            )
            .await?;
        // One owner's newest-first listing and its keyset pagination walk this index.
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_owner_created_at_id")
                    .table(Orders::Table)
                    .col(Orders::Owner)
                    .col(Orders::CreatedAt)
                    .col(Orders::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(keys_table(ScopedKeys::Table, true))
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO idempotency_keys_scoped \
               (owner, \"key\", fingerprint, order_id, created_at, expires_at) \
             SELECT o.owner, k.\"key\", k.fingerprint, k.order_id, k.created_at, k.expires_at \
             FROM idempotency_keys k JOIN orders o ON o.id = k.order_id",
        )
        .await?;
        replace_keys_table(manager, ScopedKeys::Table).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(keys_table(UnscopedKeys::Table, false))
            .await?;
        // Two owners' equal keys cannot both stay: the first one copied does.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO idempotency_keys_unscoped \
                   (\"key\", fingerprint, order_id, created_at, expires_at) \
                 SELECT \"key\", fingerprint, order_id, created_at, expires_at \
                 FROM idempotency_keys WHERE true ON CONFLICT DO NOTHING",
            )
            .await?;
        replace_keys_table(manager, UnscopedKeys::Table).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_orders_owner_created_at_id")
                    .table(Orders::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .drop_column(Orders::Owner)
                    .to_owned(),
            )
            .await
    }
}

/// The shape of `idempotency_keys`, with or without the owner in the primary key.
fn keys_table(name: impl IntoIden, scoped: bool) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(name);
    if scoped {
        table
            .col(string_len(IdempotencyKeys::Owner, 255))
            .col(string_len(IdempotencyKeys::Key, 255))
            .primary_key(
                Index::create()
                    .col(IdempotencyKeys::Owner)
                    .col(IdempotencyKeys::Key),
            );
    } else {
        table.col(string_len(IdempotencyKeys::Key, 255).primary_key());
    }
    table
        .col(string_len(IdempotencyKeys::Fingerprint, 64))
        .col(uuid(IdempotencyKeys::OrderId))
        .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
        .col(timestamp_with_time_zone(IdempotencyKeys::ExpiresAt))
        .foreign_key(
            ForeignKey::create()
                .name("fk_idempotency_keys_order")
                .from_col(IdempotencyKeys::OrderId)
                .to(Orders::Table, Orders::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// Drops `idempotency_keys`, renames `replacement` to it, and recreates the purge index.
async fn replace_keys_table(
    manager: &SchemaManager<'_>,
    replacement: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
        .await?;
    manager
        .rename_table(
            Table::rename()
                .table(replacement, IdempotencyKeys::Table)
                .to_owned(),
        )
        .await?;
    // Purging expired keys walks this index.
    manager
        .create_index(
            Index::create()
                .name("idx_idempotency_keys_expires_at")
                .table(IdempotencyKeys::Table)
                .col(IdempotencyKeys::ExpiresAt)
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Owner,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Owner,
    Key,
    Fingerprint,
    OrderId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ScopedKeys {
    #[sea_orm(iden = "idempotency_keys_scoped")]
    Table,
}

#[derive(DeriveIden)]
enum UnscopedKeys {
    #[sea_orm(iden = "idempotency_keys_unscoped")]
    Table,
}
