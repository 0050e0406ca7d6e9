//! The business core of the service: entities, value objects, rules, use cases and the ports
//! (traits) through which they reach the outside world.
//!
//! Shared pieces have their own modules (`clock`, `id`, `owner`, `values`, `idempotency`,
//! `paging`); each resource has its own folder (`order/`: the aggregate, `values.rs`,
//! `port.rs`, `service.rs`).
//!
//! May depend on: plain-data and facade crates only (`chrono`, `uuid`, `thiserror`,
//! `async-trait`, `tracing`). Never on a web framework, a database driver, an async runtime,
//! configuration or telemetry exporters: adapters in other crates implement the ports, and the
//! binary wires them together. `cargo xtask ci` checks this rule.
#![forbid(unsafe_code)]

pub mod clock;
mod error;
pub mod id;
pub mod idempotency;
pub mod order;
pub mod owner;
pub mod paging;
pub mod ports;
pub mod values;
// xtask-generate: modules

pub use error::DomainError;
