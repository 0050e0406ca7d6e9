//! Payment gateway adapters: implementations of the domain's `PaymentGateway` port.
//!
//! - [`InProcessGateway`] accepts every charge without leaving the process: the default, for
//!   development and tests.
//! - [`HttpGateway`] calls a payment service over HTTP, with a timeout per attempt, retries
//!   with exponential backoff and jitter for failures that are safe to retry, an
//!   `Idempotency-Key` on every attempt, and a circuit breaker that answers at once while the
//!   gateway is known to be down.
//!
//! May depend on: `domain` and an HTTP client. Never on `api`, `persistence` or a web
//! framework. Failures are [`GatewayError`]s inside this crate and become `DomainError`s at
//! the port boundary.
#![forbid(unsafe_code)]

mod breaker;
mod error;
mod http;
mod in_process;

pub use breaker::BreakerOptions;
pub use error::GatewayError;
pub use http::{HttpGateway, HttpGatewayOptions};
pub use in_process::InProcessGateway;
