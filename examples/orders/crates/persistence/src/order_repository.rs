//! The `OrderRepository` port on sea-orm. Rows and domain orders are converted in exactly one
//! place each way: [`to_row`] and [`to_order`].

use async_trait::async_trait;
use domain::DomainError;
use domain::order::{Currency, Email, Money, Note, Order, OrderId, OrderState};
use domain::ports::OrderRepository;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

use crate::PersistenceError;
use crate::entity::order::{ActiveModel, Entity as Orders, Model};

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
    #[tracing::instrument(name = "db.orders.insert", skip_all)]
    async fn insert(&self, order: &Order) -> Result<(), DomainError> {
        Orders::insert(to_row(order))
            .exec_without_returning(&self.db)
            .await
            .map_err(PersistenceError::from)?;
        Ok(())
    }

    #[tracing::instrument(name = "db.orders.find", skip(self))]
    async fn find(&self, id: OrderId) -> Result<Option<Order>, DomainError> {
        let row = Orders::find_by_id(id.as_uuid())
            .one(&self.db)
            .await
            .map_err(PersistenceError::from)?;
        Ok(row.map(to_order).transpose()?)
    }
}

fn to_row(order: &Order) -> ActiveModel {
    ActiveModel {
        id: Set(order.id().as_uuid()),
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
        customer_email: Email::parse(&row.customer_email).map_err(corrupt)?,
        amount: Money::new(row.amount_minor, currency).map_err(corrupt)?,
        note: row
            .note
            .as_deref()
            .map(Note::parse)
            .transpose()
            .map_err(corrupt)?,
        status: row.status.parse().map_err(corrupt)?,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }))
}
