//! The HTTP API: poem-openapi handlers and DTOs, RFC 9457 problem responses, authentication and
//! the middleware stack. The OpenAPI document is generated from these typed handlers.
//!
//! May depend on: `domain`, the web stack (poem, poem-openapi, validator, async-compression
//! for request bodies, serde_yaml for the document), the edge's own tools (governor for rate
//! limiting, jsonwebtoken for tokens) and the telemetry API (tracing, opentelemetry). Never on
//! `persistence` or `migration`: handlers reach storage only through the domain's ports, which
//! the binary hands in through [`ApiState`]. Handlers stay thin: parse and validate the DTO, call
//! a use case, map the result.
//!
//! Shared pieces have their own modules (`problem`, `fields`, `caller`, `paging`,
//! `preconditions`, `routes`); each resource has its own folder (`order/`: the handlers, `dto.rs`).
#![forbid(unsafe_code)]

mod allow;
{%- if auth %}
pub mod auth;
{%- endif %}
pub mod caller;
mod contract;
mod entry;
pub mod fields;
mod health;
pub mod json_body;
mod lenient;
mod metrics;
mod middleware;
pub mod paging;
pub mod preconditions;
pub mod problem;
mod rate_limit;
mod request_body;
mod request_id;
mod request_span;
pub mod routes;
{%- if example %}
mod order;
{%- endif %}
// xtask-generate: modules

pub use health::{ReadinessProbe, SharedChecks};
pub use middleware::HttpOptions;
pub use json_body::JsonBody;
pub use lenient::Lenient;
pub use problem::{ApiError, FieldError, Problem, Problems, status};
pub use rate_limit::{IdentifyCaller, RATE_LIMIT, RATE_LIMIT_POLICY, RateLimits};
pub use request_id::{MAX_REQUEST_ID_LEN, REQUEST_ID_HEADER, RequestId};
pub use request_span::{
    LoggedRequest, REQUEST_SPAN_NAME, trace_is_sampled, with_logged_request, with_trace_sampled,
};
pub use contract::to_yaml as openapi_yaml;
pub use routes::{ApiState, ServiceInfo, app, openapi_document, openapi_service};
