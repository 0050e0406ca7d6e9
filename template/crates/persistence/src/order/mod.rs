//! Orders on sea-orm: the `orders` table (`entity.rs`) behind the `OrderRepository` port
//! (`repository.rs`), and, beyond what every resource has, the `idempotency_keys` table
//! (`idempotency_key.rs`) behind the `IdempotencyStore` port (`idempotency.rs`).

mod entity;
mod idempotency;
mod idempotency_key;
mod repository;

pub use idempotency::SeaOrmIdempotencyStore;
/// The key table, for the purge of expired keys (`crate::purge`).
pub(crate) use idempotency_key::Entity as IdempotencyKeys;
pub use repository::SeaOrmOrderRepository;
