//! The business core of the service: entities, value objects, rules, use cases and the ports
//! (traits) through which they reach the outside world.
//!
//! May depend on: plain-data and facade crates only (`chrono`, `uuid`, `thiserror`,
//! `async-trait`, `tracing`). Never on a web framework, a database driver, an async runtime,
//! configuration or telemetry exporters: adapters in other crates implement the ports, and the
//! binary wires them together. `cargo xtask ci` checks this rule.
#![forbid(unsafe_code)]

mod error;
pub mod order;
pub mod order_service;
pub mod ports;

pub use error::DomainError;
