//! The composition root: configuration, telemetry, and the wiring of adapters into the API.
//! The binary (`src/main.rs`) is a thin command-line shell over this library, which the
//! integration tests drive too.
//!
//! May depend on: every crate of the workspace. This is the only crate that knows which
//! adapter implements which port; swapping SQLite for PostgreSQL or one adapter for another
//! touches configuration and this crate only.
#![forbid(unsafe_code)]

pub mod healthcheck;
pub mod http_server;
pub mod settings;
pub mod startup;
pub mod telemetry;
