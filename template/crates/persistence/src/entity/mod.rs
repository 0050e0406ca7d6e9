//! sea-orm entities: the shape of the tables, nothing more. Mapping to domain types lives with
//! the adapters.

pub mod idempotency_key;
pub mod order;
