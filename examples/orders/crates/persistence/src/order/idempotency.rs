//! The `IdempotencyStore` port on sea-orm: an order and the key that created it are written in
//! one transaction, and the `(owner, key)` primary key decides between concurrent duplicates.
//! Expired keys are purged with every resource's (`crate::purge`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::DomainError;
use domain::idempotency::{IdempotencyKey, KeyUse};
use domain::order::{IdempotencyStore, Order};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};
use sha2::{Digest, Sha256};

use super::entity::Entity as Orders;
use super::idempotency_key::{ActiveModel, Column, Entity as Keys};
use super::repository::to_row;
use crate::PersistenceError;
use crate::database::db_system;

/// Idempotency keys in the `idempotency_keys` table.
#[derive(Debug, Clone)]
pub struct SeaOrmIdempotencyStore {
    db: DatabaseConnection,
}

impl SeaOrmIdempotencyStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Inserts the order, then the key, in one transaction (the key refers to the order).
    async fn insert_both(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        order: &Order,
        expires_at: DateTime<Utc>,
    ) -> Result<(), PersistenceError> {
        let transaction = self.db.begin().await?;
        Orders::insert(to_row(order))
            .exec_without_returning(&transaction)
            .await?;
        Keys::insert(ActiveModel {
            owner: Set(order.owner().as_str().to_owned()),
            key: Set(key.as_str().to_owned()),
            fingerprint: Set(fingerprint.to_owned()),
            order_id: Set(order.id().as_uuid()),
            created_at: Set(order.created_at()),
            expires_at: Set(expires_at),
        })
        .exec_without_returning(&transaction)
        .await?;
        transaction.commit().await?;
        Ok(())
    }
}

/// Tries before answering `Conflict`: one for the insert, one more after clearing an
/// expired key that held the slot.
const ATTEMPTS: usize = 2;

#[async_trait]
impl IdempotencyStore for SeaOrmIdempotencyStore {
    #[tracing::instrument(
        name = "db.idempotency_keys.insert_order_once",
        skip_all,
        fields(db.system.name = db_system(&self.db)),
    )]
    async fn insert_order_once(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        order: &Order,
        expires_at: DateTime<Utc>,
    ) -> Result<KeyUse, DomainError> {
        let fingerprint = sha256_hex(fingerprint);
        let now = order.created_at();
        for _ in 0..ATTEMPTS {
            match self.insert_both(key, &fingerprint, order, expires_at).await {
                Ok(()) => return Ok(KeyUse::First),
                // The key is taken: the transaction rolled back, the order was not stored.
                Err(PersistenceError::UniqueViolation(_)) => {}
                Err(other) => return Err(other.into()),
            }
            let owner = order.owner().as_str().to_owned();
            let existing = Keys::find_by_id((owner, key.as_str().to_owned()))
                .one(&self.db)
                .await
                .map_err(PersistenceError::from)?;
            match existing {
                Some(row) if row.expires_at > now => {
                    return Ok(KeyUse::Repeated {
                        id: row.order_id,
                        same_request: row.fingerprint == fingerprint,
                    });
                }
                // Expired: free the key and try once more.
                Some(_) => {
                    Keys::delete_many()
                        .filter(Column::Owner.eq(order.owner().as_str()))
                        .filter(Column::Key.eq(key.as_str()))
                        .filter(Column::ExpiresAt.lte(now))
                        .exec(&self.db)
                        .await
                        .map_err(PersistenceError::from)?;
                }
                None => {}
            }
        }
        Err(DomainError::Conflict(
            "the idempotency key is being used by another request; retry".into(),
        ))
    }
}

/// Requests are compared by digest: bounded in size, and no request text kept at rest.
fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
