//! sea-orm entities: the shape of the tables, nothing more. Mapping to domain types lives with
//! the adapters.

pub mod order;
