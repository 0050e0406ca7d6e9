//! The middleware stack, outermost first:
//!
//! 1. in one layer, the request's identity and record: its id (a short, safe incoming
//!    `x-request-id` is reused, else one is generated; echoed back, see `request_id`); its
//!    span, continuing the caller's W3C trace and parent of all the handler does; one access
//!    log line with method, route, operation, status, latency and trace id; its duration in a
//!    histogram by method, route and status (see `request_span` and `metrics`); then the
//!    security headers (and HSTS when configured), and `Cache-Control: no-store` on every
//!    response that does not set its own caching: API responses carry personal data;
//! 2. CORS, only for the configured origins (none by default);
//! 3. rate limiting per caller, with the `RateLimit` fields on every response and 429 over the
//!    quota (see `rate_limit`);
//! 4. the request body: read, decoded and bounded here, whatever way it arrives (see
//!    `request_body`); its refusals (408, 413, 415, 400) are problems too;
//! 5. response compression;
//! 6. closest to the handlers, in one layer: declared header parameters that are not visible
//!    ASCII (and so could not be read) are a 400, never silently absent; the handler runs
//!    under the request timeout (504), and a panic is caught (500); then problem details: any
//!    error response not already `application/problem+json` (unknown route, wrong method,
//!    unparsable body, timeout, panic) is rewritten into one, and every problem gets the
//!    request id; a 405 gets its `Allow` header, a 401 its `WWW-Authenticate` challenge.
//!
//! Each layer costs every request (its future wraps all the layers inside it, and is moved
//! into place on every call), so related work shares a layer: the security headers are one,
//! not one per header; the request's id, span, log line and metrics are one; and the rate
//! limit, the request body and compression are one endpoint around the handlers' layer.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;
use poem::http::{HeaderMap, HeaderValue, StatusCode, header};
use poem::middleware::{Compression, CompressionEndpoint, Cors};
use poem::{Body, Endpoint, EndpointExt as _, IntoResponse, Middleware as _, Request, Response};

use crate::Problem;
use crate::allow::{AllowedMethods, DeclaredHeaders};
use crate::rate_limit::{CallerRateLimiter, IdentifyCaller, RateLimits};
use crate::request_body::{BodyLimits, has_body, read_bounded};
use crate::request_id::RequestId;
use crate::request_span::{RequestTelemetry, traced};

/// HTTP behaviour the binary configures.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Requests taking longer are answered with 504; reading a request body taking longer
    /// is answered with 408.
    pub request_timeout: Duration,
    /// Larger request bodies (after decoding) are answered with 413.
    pub body_limit_bytes: usize,
    /// Request bodies held in memory at once, all requests together; beyond, 503.
    pub body_memory_bytes: usize,
    /// Origins allowed to call the API from a browser; empty allows none.
    pub cors_allowed_origins: Vec<String>,
    /// Send `Strict-Transport-Security` (only behind TLS).
    pub hsts: bool,
    /// Requests per minute per caller.
    pub rate_limits: RateLimits,
}

/// Longest error body kept as a problem's `detail` (framework messages are short).
const MAX_DETAIL_LEN: usize = 300;

/// Wraps the routes in the stack described in the module documentation.
pub fn stack(
    routes: impl Endpoint + 'static,
    options: HttpOptions,
    allowed_methods: AllowedMethods,
    declared_headers: DeclaredHeaders,
    identify: IdentifyCaller,
) -> impl Endpoint<Output = Response> + 'static {
    let handlers = Arc::new(Handlers {
        routes,
        allowed_methods,
        declared_headers,
        timeout: options.request_timeout,
    });
    let guarded = Guarded {
        // Only compresses responses: the body layer has already decoded the request. Built
        // once: poem's `transform` copies the set of algorithms into each endpoint it makes.
        compressed: Compression::new().transform(handlers.clone()),
        handlers,
        limiter: CallerRateLimiter::new(options.rate_limits, identify),
        limits: BodyLimits::new(
            options.body_limit_bytes,
            options.request_timeout,
            options.body_memory_bytes,
        ),
    };
    let cors = Cors::new()
        .allow_origins(options.cors_allowed_origins.iter().map(String::as_str))
        .allow_credentials(false);
    Recorded {
        next: guarded.with_if(!options.cors_allowed_origins.is_empty(), cors),
        telemetry: RequestTelemetry::new(),
        hsts: options.hsts,
    }
}

// The layers are endpoints that hold their settings and the next layer, and borrow them for
// each request: as `around` closures, each layer cloned its `Arc`s on every request, atomic
// operations on counters that both worker threads share (the hottest instructions of a layer
// under load, `docs/profiles.md`, stop 28).

/// Layer 6, closest to the handlers: declared headers first (a refusal is a 400 without
/// calling the handler), then the handler under the timeout, panics caught; then whatever
/// went wrong becomes a problem.
struct Handlers<E> {
    routes: E,
    allowed_methods: AllowedMethods,
    declared_headers: DeclaredHeaders,
    timeout: Duration,
}

impl<E: Endpoint> Endpoint for Handlers<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        let request_id = request.data::<RequestId>().cloned();
        // A shared handle on the request's URI, not a copy of its path.
        let uri = request.uri().clone();
        let outcome = match self.declared_headers.undecodable(&request) {
            Some(name) => Err(poem::Error::from_string(
                format!("the {name} header must be visible ASCII"),
                StatusCode::BAD_REQUEST,
            )),
            None => handle_in_time(&self.routes, request, self.timeout).await,
        };
        let mut response = match outcome {
            Ok(response) => response,
            Err(err) => err.into_response(),
        };
        if response.status() == StatusCode::METHOD_NOT_ALLOWED
            && let Some(allow) = self.allowed_methods.for_path(uri.path())
            && let Ok(allow) = HeaderValue::from_str(allow)
        {
            response.headers_mut().insert(header::ALLOW, allow);
        }
        Ok(as_problem(response, request_id).await)
    }
}

/// Layers 3 to 5 in one endpoint, around the handlers' layer: the rate limit per caller
/// (`rate_limit`), then the request body, read, decoded and bounded (`request_body`), then
/// response compression when the client asks for it; the refusals of the first two are
/// problems too. One endpoint, because each layer's future would hold the request again and
/// copy it on every call; the request stays here, and the rare paths (a body to read, a
/// response to compress) are boxed, so that a request without them does not carry their
/// futures.
struct Guarded<E: Endpoint> {
    handlers: Arc<Handlers<E>>,
    /// The same handlers' layer behind poem's response compression.
    compressed: CompressionEndpoint<Arc<Handlers<E>>>,
    limiter: CallerRateLimiter,
    limits: BodyLimits,
}

impl<E: Endpoint> Endpoint for Guarded<E> {
    type Output = Response;

    async fn call(&self, mut request: Request) -> poem::Result<Response> {
        let admission = match self.limiter.admit(&mut request) {
            Ok(admission) => admission,
            Err(refusal) => return Ok(refused(refusal, &request).await),
        };
        // The body's share of the memory for all bodies, held until the answer is ready.
        let _body_memory = if has_body(&mut request) {
            match Box::pin(read_bounded(&mut request, &self.limits)).await {
                Ok(memory) => memory,
                Err(refusal) => {
                    let mut response = refused(refusal, &request).await;
                    admission.stamp(&mut response);
                    return Ok(response);
                }
            }
        } else {
            None
        };
        // Without `Accept-Encoding` poem's compression would leave the response as it is.
        let mut response = if request.headers().contains_key(header::ACCEPT_ENCODING) {
            Box::pin(self.compressed.call(request)).await?
        } else {
            self.handlers.call(request).await?
        };
        admission.stamp(&mut response);
        Ok(response)
    }
}

/// A refusal of the layers outside the handlers' layer, as a problem.
async fn refused(refusal: poem::Error, request: &Request) -> Response {
    as_problem(
        refusal.into_response(),
        request.data::<RequestId>().cloned(),
    )
    .await
}

/// Layer 1, outermost: the request id, the request span (continuing the caller's trace), the
/// access log line and the request metrics (`request_span`); then the security headers on
/// whatever the answer is.
struct Recorded<E> {
    next: E,
    telemetry: RequestTelemetry,
    hsts: bool,
}

impl<E: Endpoint> Endpoint for Recorded<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        let mut response = traced(&self.next, request, &self.telemetry).await;
        add_security_headers(response.headers_mut(), self.hsts);
        Ok(response)
    }
}

/// Calls the next layer, its future on the heap: a layer's future then holds a pointer to the
/// layers inside it, not all of them, which it would copy (kilobytes: each holds the request)
/// each time it is created, wrapped or moved into place, on every request (measured,
/// the template repository's `docs/profiles.md`).
pub(crate) fn call_next<'a, E: Endpoint + 'a>(
    endpoint: &'a E,
    request: Request,
) -> impl Future<Output = poem::Result<Response>> + Send + 'a {
    let next = Box::pin(endpoint.call(request));
    async move { next.await.map(IntoResponse::into_response) }
}

/// Calls the handler under the request timeout (504), a panic answered as a 500.
async fn handle_in_time<E: Endpoint>(
    endpoint: &E,
    request: Request,
    timeout: Duration,
) -> poem::Result<Response> {
    // Boxed first: the panic guard, the timeout and the layers outside then hold and move a
    // pointer, not the whole routing and handler future, which each of them would copy.
    let handled = AssertUnwindSafe(Box::pin(endpoint.call(request))).catch_unwind();
    match tokio::time::timeout(timeout, handled).await {
        Ok(Ok(result)) => result.map(IntoResponse::into_response),
        // The panic hook has already logged the panic; its message is not for the client.
        Ok(Err(_panic)) => Err(poem::Error::from_string(
            "the handler panicked",
            StatusCode::INTERNAL_SERVER_ERROR,
        )),
        Err(_elapsed) => Err(poem::Error::from_string(
            "the request took too long to process",
            StatusCode::GATEWAY_TIMEOUT,
        )),
    }
}

/// The security headers every response gets (replacing any a handler set), `Cache-Control:
/// no-store` unless the operation chose its own caching (responses carry personal data: no
/// shared or browser cache keeps them), and HSTS when the service is served over TLS. The
/// content security policy is an API's, the strictest (OWASP's REST Security Cheat Sheet):
/// nothing loads, nothing frames. It is the one header a response keeps when it has its own:
/// the one page the service serves, Swagger UI at `/docs`, sets one (`entry`).
fn add_security_headers(headers: &mut HeaderMap, hsts: bool) {
    // Room for all of them at once, instead of growing the map as they are added.
    headers.reserve(7);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CONTENT_SECURITY_POLICY),
        );
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// The content security policy of every API response: a JSON answer loads nothing and is
/// never framed.
const API_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// An error response as a problem (see [`into_problem`]); any other response as it is. The
/// rewrite is boxed: it is rare, and its future would otherwise make every request's larger.
async fn as_problem(response: Response, request_id: Option<RequestId>) -> Response {
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        Box::pin(into_problem(response, request_id)).await
    } else {
        response
    }
}

/// Turns any error response into a problem details response carrying the request id.
async fn into_problem(response: Response, request_id: Option<RequestId>) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .content_type()
        .is_some_and(|ct| ct.starts_with("application/problem+json"));
    let (mut parts, body) = response.into_parts();
    if status == StatusCode::UNAUTHORIZED && !parts.headers.contains_key(header::WWW_AUTHENTICATE) {
        // No token at all (a refused token carries its own challenge): RFC 6750, section 3.
        parts
            .headers
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    let text = body.into_string().await.unwrap_or_default();
    let mut problem = if is_problem {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(mut object)) => {
                if let Some(id) = request_id {
                    object.insert("request_id".to_owned(), id.as_str().into());
                }
                return problem_response(parts, serde_json::Value::Object(object).to_string());
            }
            _ => Problem::new(status, Problem::kind_for_status(status), ""),
        }
    } else {
        Problem::new(status, Problem::kind_for_status(status), "")
    };
    problem.detail = if status.is_server_error() {
        // Never echo internals (panic messages, paths) to clients.
        match status {
            StatusCode::SERVICE_UNAVAILABLE => "the service is temporarily unavailable".to_owned(),
            StatusCode::GATEWAY_TIMEOUT => "the request took too long to process".to_owned(),
            _ => "an unexpected error occurred".to_owned(),
        }
    } else if status == StatusCode::UNAUTHORIZED {
        // The framework's own text ("authorization error") says less than this.
        "a valid bearer token is required (Authorization: Bearer <token>)".to_owned()
    } else if text.trim().is_empty() {
        problem.title.clone()
    } else {
        text.trim().chars().take(MAX_DETAIL_LEN).collect()
    };
    problem.request_id = request_id.map(|id| id.as_str().to_owned());
    let body =
        serde_json::to_string(&poem_openapi::types::ToJSON::to_json(&problem)).unwrap_or_default();
    problem_response(parts, body)
}

fn problem_response(mut parts: poem::ResponseParts, body: String) -> Response {
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from_string(body))
}

#[cfg(test)]
mod body_tests;
#[cfg(test)]
mod rate_limit_tests;
#[cfg(test)]
mod tests;
