//! Orders on sea-orm: the `orders` table (`entity.rs`) behind the `OrderRepository` port
//! (`repository.rs`), and, beyond what every resource has, the `idempotency_keys` table
//! (`idempotency_key.rs`) behind the `IdempotencyStore` port (`idempotency.rs`).

mod entity;
mod idempotency;
mod idempotency_key;
mod repository;

pub use idempotency::SeaOrmIdempotencyStore;
pub use repository::SeaOrmOrderRepository;
