//! The composition of the HTTP surface: which APIs exist, where the OpenAPI document and its UI
//! are served, and the state handlers receive.

use crate::allow::{AllowedMethods, DeclaredHeaders};
use crate::auth::{JwtVerifier, WhoAmIApi};
use crate::entry::{ApiEntry, DOCUMENT_METHODS, Document};
use crate::health::{HealthApi, ReadinessProbe};
use crate::middleware::{HttpOptions, stack};
use crate::order::OrdersApi;
use crate::rate_limit::IdentifyCaller;
use domain::order::OrderService;
use poem::http::Method;
use poem::{Endpoint, IntoEndpoint, Response};
use poem_openapi::{ContactObject, OpenApi, OpenApiService, ServerObject, Tags};
use std::sync::Arc;
// xtask-generate: imports

/// Tags group operations in the OpenAPI document and its UI.
#[derive(Debug, Tags)]
pub enum ApiTags {
    /// Liveness and readiness probes.
    Health,
    /// Orders: the example resource.
    Orders,
    /// The caller's identity.
    Identity,
    // xtask-generate: tags
}

/// What the handlers need, handed in by the binary (the composition root).
#[derive(Clone)]
pub struct ApiState {
    pub readiness: Arc<dyn ReadinessProbe>,
    pub orders: OrderService,
    pub jwt: JwtVerifier,
    // xtask-generate: state
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
        (
            HealthApi, OrdersApi, WhoAmIApi,
            // xtask-generate: apis
        ),
        info.name,
        info.version,
    )
    .description(info.description)
    // Relative: the document is served by the service itself, wherever it is deployed.
    .server(ServerObject::new("/").description(
        "this service, in whichever environment it runs: local, staging or production",
    ))
    .contact(ContactObject::new().name(format!("The {} team", info.name)))
}

/// The service's OpenAPI document as served and exported: the generated document completed
/// with what the middleware does to every operation (see `contract`).
pub fn openapi_document(info: ServiceInfo) -> serde_json::Value {
    crate::contract::complete(&openapi_service(info).spec())
}

/// Swagger UI's page: its inline script and styles, and the images of its stylesheet; still
/// never framed, and nothing from another origin.
const SWAGGER_UI_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

/// How the service names itself in its OpenAPI document.
#[derive(Debug, Clone, Copy)]
pub struct ServiceInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub version: &'static str,
}

/// The whole HTTP application: routes, documentation, state and middleware.
pub fn app(
    info: ServiceInfo,
    state: ApiState,
    options: HttpOptions,
) -> impl Endpoint<Output = Response> + 'static {
    let api = openapi_service(info);
    let spec = api.spec();
    let document = crate::contract::complete(&spec);
    let json = document.to_string();
    let yaml = crate::contract::to_yaml(&document);
    // Swagger UI embeds the document it shows: give it the completed one.
    let ui = api.swagger_ui_html().replacen(&spec, &json, 1);
    let documents = vec![
        Document::new("/openapi.json", "application/json; charset=utf-8", json),
        Document::new("/openapi.yaml", "application/yaml; charset=utf-8", yaml),
        Document::new("/docs", "text/html; charset=utf-8", ui)
            .with_content_security_policy(SWAGGER_UI_CONTENT_SECURITY_POLICY),
    ];
    let served_beside: Vec<(&str, &[Method])> = documents
        .iter()
        .map(|document| (document.path(), DOCUMENT_METHODS))
        .collect();
    let allowed_methods = AllowedMethods::from_spec(&spec, &served_beside);
    let declared_headers = DeclaredHeaders::from_spec(&spec);
    // The bearer token is verified once, by the rate limiter, to count the caller's requests;
    // the security scheme then reuses that outcome.
    let jwt = state.jwt.clone();
    let identify: IdentifyCaller =
        Arc::new(move |request| crate::auth::authenticate(request, &jwt));
    let routes = ApiEntry::new(
        api.into_endpoint(),
        documents,
        // The state the handlers read (`Data<&T>`): shared handles, cheap to clone.
        Box::new(move |request| {
            request.set_data(Arc::clone(&state.readiness));
            request.set_data(state.orders.clone());
            request.set_data(state.jwt.clone());
            // xtask-generate: data
        }),
    );
    stack(routes, options, allowed_methods, declared_headers, identify)
}
