//! The composition of the HTTP surface: which APIs exist, where the OpenAPI document and its UI
//! are served, and the state handlers receive.

use std::sync::Arc;

{%- if example %}
use domain::order_service::OrderService;
{%- endif %}
use poem::http::Method;
use poem::{Endpoint, EndpointExt, Response, Route};
use poem_openapi::{OpenApi, OpenApiService, Tags};

{%- if auth %}
use crate::auth::{JwtVerifier, WhoAmIApi};
{%- endif %}
use crate::allow::{AllowedMethods, DeclaredHeaders};
use crate::health::{HealthApi, ReadinessProbe};
use crate::middleware::{HttpOptions, stack};
{%- if example %}
use crate::orders::OrdersApi;
{%- endif %}

/// Tags group operations in the OpenAPI document and its UI.
#[derive(Tags)]
pub enum ApiTags {
    /// Liveness and readiness probes.
    Health,
{%- if example %}
    /// Orders: the example resource.
    Orders,
{%- endif %}
{%- if auth %}
    /// The caller's identity.
    Identity,
{%- endif %}
}

/// What the handlers need, handed in by the binary (the composition root).
#[derive(Clone)]
pub struct ApiState {
    pub readiness: Arc<dyn ReadinessProbe>,
{%- if example %}
    pub orders: OrderService,
{%- endif %}
{%- if auth %}
    pub jwt: JwtVerifier,
{%- endif %}
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState").finish_non_exhaustive()
    }
}

/// Every API of the service, as one OpenAPI document. Needs no state and no server, so the
/// document can be exported by a build step (`<binary> openapi`).
pub fn openapi_service(info: ServiceInfo) -> OpenApiService<impl OpenApi, ()> {
    OpenApiService::new(
        {% if example or auth %}(HealthApi{% if example %}, OrdersApi{% endif %}{% if auth %}, WhoAmIApi{% endif %}){% else %}HealthApi{% endif %},
        info.name,
        info.version,
    )
    .description(info.description)
}

/// How the service names itself in its OpenAPI document.
#[derive(Debug, Clone, Copy)]
pub struct ServiceInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub version: &'static str,
}

/// The whole HTTP application: routes, documentation, state and middleware.
pub fn app(info: ServiceInfo, state: ApiState, options: HttpOptions) -> impl Endpoint<Output = Response> + 'static {
    let api = openapi_service(info);
    let spec = api.spec();
    let allowed_methods = AllowedMethods::from_spec(
        &spec,
        &[("/openapi.json", &[Method::GET]), ("/openapi.yaml", &[Method::GET])],
    );
    let declared_headers = DeclaredHeaders::from_spec(&spec);
    let routes = Route::new()
        .at("/openapi.json", api.spec_endpoint())
        .at("/openapi.yaml", api.spec_endpoint_yaml())
        .nest("/docs", api.swagger_ui())
        .nest("/", api)
        .data(state.readiness)
{%- if example %}
        .data(state.orders)
{%- endif %}
{%- if auth %}
        .data(state.jwt)
{%- endif %};
    stack(routes, options, allowed_methods, declared_headers)
}
