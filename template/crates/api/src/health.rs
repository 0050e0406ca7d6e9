//! Liveness and readiness, for load balancers and Kubernetes probes.

use std::sync::Arc;

use async_trait::async_trait;
use poem::web::Data;
use poem_openapi::{Object, OpenApi};
use serde::Serialize;

use crate::ApiError;
use crate::json_body::JsonBody;
use crate::problem::Problems;
use crate::problem::status::UNAVAILABLE;
use crate::routes::ApiTags;

mod shared_checks;
pub use shared_checks::SharedChecks;

/// Something the service needs before it can take traffic (the database, ...). The binary
/// implements it over the real adapters, and wraps it in [`SharedChecks`] so that probes
/// arriving together share one check instead of each loading the dependency.
#[async_trait]
pub trait ReadinessProbe: Send + Sync {
    /// `Err` carries a short, client-safe reason.
    async fn check(&self) -> Result<(), String>;
}

/// The health answer.
#[derive(Debug, Object, Serialize)]
pub struct HealthStatus {
    /// `ok` when healthy.
    #[oai(validator(max_length = 2, pattern = "^ok$"))]
    pub status: String,
}

#[derive(Debug)]
pub struct HealthApi;

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// Liveness: the process is up and serving HTTP
    ///
    /// For the orchestrator's liveness probe: answers 200 while the process serves HTTP,
    /// without touching any dependency. Public, like every probe.
    #[oai(path = "/health/live", method = "get", operation_id = "health_live")]
    async fn live(&self) -> Result<JsonBody<HealthStatus>, Problems<0>> {
        Ok(JsonBody(HealthStatus {
            status: "ok".to_owned(),
        }))
    }

    /// Readiness: every dependency answers, so traffic may be routed here
    ///
    /// For the orchestrator's readiness probe: 200 when the database answers, else 503 so
    /// that the load balancer routes no traffic here. Public, like every probe.
    #[oai(path = "/health/ready", method = "get", operation_id = "health_ready")]
    async fn ready(
        &self,
        probe: Data<&Arc<dyn ReadinessProbe>>,
    ) -> Result<JsonBody<HealthStatus>, Problems<UNAVAILABLE>> {
        probe.check().await.map_err(ApiError::unavailable)?;
        Ok(JsonBody(HealthStatus {
            status: "ok".to_owned(),
        }))
    }
}
