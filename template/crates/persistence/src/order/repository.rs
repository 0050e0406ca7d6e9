//! The `OrderRepository` port on sea-orm. Rows and domain orders are converted in exactly one
//! place each way: [`to_row`] and [`to_order`].
//!
//! No read binds its `LIMIT` as a parameter: SQLite (3.47 and later) re-prepares a statement
//! whose `LIMIT ?` binding is set again, that is on every execution, which costs more than the
//! query itself. A read by primary key needs no limit; a page writes its size into the SQL as
//! an integer literal (one cached statement per page size). Reads run through
//! [`fetch_all`] (see `fetch`).

use async_trait::async_trait;
use domain::DomainError;
use domain::order::{Note, Order, OrderId, OrderQuery, OrderRepository, OrderState};
use domain::owner::Owner;
use domain::values::{Currency, Email, Money};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QueryTrait,
};

use crate::PersistenceError;
use crate::fetch::fetch_all;
use crate::database::db_system;
use super::entity::{ActiveModel, Column, Entity as Orders, Model};

/// Orders stored in the `orders` table.
#[derive(Debug, Clone)]
pub struct SeaOrmOrderRepository {
    db: DatabaseConnection,
}

impl SeaOrmOrderRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl OrderRepository for SeaOrmOrderRepository {
    #[tracing::instrument(
        name = "db.orders.insert",
        skip_all,
        fields(db.system.name = db_system(&self.db))
    )]
    async fn insert(&self, order: &Order) -> Result<(), DomainError> {
        Orders::insert(to_row(order))
            .exec_without_returning(&self.db)
            .await
            .map_err(PersistenceError::from)?;
        Ok(())
    }

    #[tracing::instrument(
        name = "db.orders.find",
        skip(self),
        fields(db.system.name = db_system(&self.db))
    )]
    async fn find(&self, id: OrderId) -> Result<Option<Order>, DomainError> {
        // The primary key matches at most one row: no `LIMIT 1` (see the module documentation).
        let statement = Orders::find_by_id(id.as_uuid()).build(self.db.get_database_backend());
        let rows: Vec<Model> = fetch_all(&self.db, statement)
            .await
            .map_err(PersistenceError::from)?;
        Ok(rows.into_iter().next().map(to_order).transpose()?)
    }

    /// One conditional `UPDATE ... WHERE id = ? AND version = ?`: the check and the write are
    /// atomic, so of two concurrent updates from the same version exactly one succeeds.
    #[tracing::instrument(
        name = "db.orders.update",
        skip_all,
        fields(db.system.name = db_system(&self.db), order.id = %order.id())
    )]
    async fn update(&self, order: &Order, expected_version: i64) -> Result<(), DomainError> {
        let updated = Orders::update_many()
            .col_expr(Column::Status, Expr::value(order.status().as_str()))
            .col_expr(Column::Version, Expr::value(order.version()))
            .col_expr(Column::UpdatedAt, Expr::value(order.updated_at()))
            .filter(Column::Id.eq(order.id().as_uuid()))
            .filter(Column::Version.eq(expected_version))
            .exec(&self.db)
            .await
            .map_err(PersistenceError::from)?;
        if updated.rows_affected == 1 {
            return Ok(());
        }
        match self.find(order.id()).await? {
            Some(_) => Err(DomainError::Conflict(
                "the order was changed concurrently; read it again and retry".into(),
            )),
            None => Err(DomainError::NotFound {
                entity: "order",
                id: order.id().to_string(),
            }),
        }
    }

    /// Keyset pagination over the `(created_at, id)` index, newest first; over the
    /// `(owner, created_at, id)` index for one owner's orders.
    #[tracing::instrument(
        name = "db.orders.list",
        skip_all,
        fields(db.system.name = db_system(&self.db))
    )]
    async fn list(&self, query: &OrderQuery) -> Result<Vec<Order>, DomainError> {
        let mut select = Orders::find();
        if let Some(owner) = &query.owner {
            select = select.filter(Column::Owner.eq(owner.as_str()));
        }
        if let Some(status) = query.status {
            select = select.filter(Column::Status.eq(status.as_str()));
        }
        if let Some(after) = query.after {
            select = select.filter(
                Condition::any()
                    .add(Column::CreatedAt.lt(after.created_at))
                    .add(
                        Condition::all()
                            .add(Column::CreatedAt.eq(after.created_at))
                            .add(Column::Id.lt(after.id)),
                    ),
            );
        }
        let mut statement = select
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .build(self.db.get_database_backend());
        // The page size as a literal, not a bound `LIMIT ?` (see the module documentation).
        statement.sql = format!("{} LIMIT {}", statement.sql, query.limit);
        let rows: Vec<Model> = fetch_all(&self.db, statement)
            .await
            .map_err(PersistenceError::from)?;
        Ok(rows
            .into_iter()
            .map(to_order)
            .collect::<Result<Vec<_>, _>>()?)
    }
}

pub(crate) fn to_row(order: &Order) -> ActiveModel {
    ActiveModel {
        id: Set(order.id().as_uuid()),
        owner: Set(order.owner().as_str().to_owned()),
        customer_email: Set(order.customer_email().as_str().to_owned()),
        amount_minor: Set(order.amount().amount_minor()),
        currency: Set(order.amount().currency().as_str().to_owned()),
        note: Set(order.note().map(|note| note.as_str().to_owned())),
        status: Set(order.status().as_str().to_owned()),
        version: Set(order.version()),
        created_at: Set(order.created_at()),
        updated_at: Set(order.updated_at()),
    }
}

/// A row that no longer satisfies the domain's rules is reported, not silently fixed.
fn to_order(row: Model) -> Result<Order, PersistenceError> {
    let corrupt = |err: DomainError| PersistenceError::CorruptRow {
        table: "orders",
        message: format!("order {}: {err}", row.id),
    };
    let currency = Currency::parse(&row.currency).map_err(corrupt)?;
    Ok(Order::restore(OrderState {
        id: OrderId::from_uuid(row.id),
        owner: Owner::parse(&row.owner).map_err(corrupt)?,
        customer_email: Email::parse(&row.customer_email).map_err(corrupt)?,
        amount: Money::new(row.amount_minor, currency).map_err(corrupt)?,
        note: row.note.as_deref().map(Note::parse).transpose().map_err(corrupt)?,
        status: row.status.parse().map_err(corrupt)?,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }))
}
