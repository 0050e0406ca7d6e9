use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(uuid(Orders::Id).primary_key())
                    .col(string_len(Orders::CustomerEmail, 254))
                    .col(big_integer(Orders::AmountMinor))
                    .col(string_len(Orders::Currency, 3))
                    .col(string_len_null(Orders::Note, 2000))
                    .col(string_len(Orders::Status, 16))
                    .col(big_integer(Orders::Version))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Newest-first listing and keyset pagination walk this index.
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_created_at_id")
                    .table(Orders::Table)
                    .col(Orders::CreatedAt)
                    .col(Orders::Id)
                    .to_owned(),
            )
            .await?;
        // Listing by status walks this one.
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_status_created_at_id")
                    .table(Orders::Table)
                    .col(Orders::Status)
                    .col(Orders::CreatedAt)
                    .col(Orders::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Orders::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    CustomerEmail,
    AmountMinor,
    Currency,
    Note,
    Status,
    Version,
    CreatedAt,
    UpdatedAt,
}
