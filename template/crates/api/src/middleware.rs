//! The middleware stack, outermost first:
//!
//! 1. request id: reuse a short, safe incoming `x-request-id`, else generate one; echo it back
//!    (see `request_id`);
//! 2. request span, access log and metrics: one span per request, continuing the caller's
//!    W3C trace and parent of all the handler does, one log line with method, route,
//!    operation, status, latency and trace id, and the request's duration in a histogram by
//!    method, route and status (see `request_span` and `metrics`);
//! 3. security headers (and HSTS when configured), and `Cache-Control: no-store` on every
//!    response that does not set its own caching: API responses carry personal data;
//! 4. CORS, only for the configured origins (none by default);
//! 5. rate limiting per caller, with the `RateLimit` fields on every response and 429 over the
//!    quota (see `rate_limit`);
//! 6. the request body: read, decoded and bounded here, whatever way it arrives (see
//!    `request_body`); its refusals (408, 413, 415, 400) are problems too;
//! 7. response compression;
//! 8. problem details: any error response not already `application/problem+json` (unknown
//!    route, wrong method, unparsable body, timeout, panic) is rewritten into one, and every
//!    problem gets the request id; a 405 gets its `Allow` header, a 401 its
//!    `WWW-Authenticate` challenge;
//! 9. panic capture (500);
//! 10. closest to the handlers, in one layer: declared header parameters that are not visible
//!     ASCII (and so could not be read) are a 400, never silently absent; then the request
//!     timeout (504).
//!
//! Each layer costs every request (its future wraps all the layers inside it), so related
//! work shares a layer: the security headers are one, not one per header.

use std::time::Duration;

use poem::http::{HeaderMap, HeaderValue, StatusCode, header};
use poem::middleware::{CatchPanic, Compression, Cors};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Response};

use crate::Problem;
use crate::allow::{AllowedMethods, DeclaredHeaders};
use crate::metrics::HttpMetrics;
use crate::rate_limit::{CallerRateLimiter, IdentifyCaller, RateLimits, limit_rate};
use crate::request_body::{BodyLimits, read_bounded};
use crate::request_id::{RequestId, with_request_id};
use crate::request_span::traced;

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
    let metrics = HttpMetrics::new();
    let rate_limiter = std::sync::Arc::new(CallerRateLimiter::new(options.rate_limits, identify));
    // Shared, not copied, by every request.
    let allowed_methods = std::sync::Arc::new(allowed_methods);
    let timeout = options.request_timeout;
    let body_limits = BodyLimits::new(
        options.body_limit_bytes,
        options.request_timeout,
        options.body_memory_bytes,
    );
    let allow_cors = !options.cors_allowed_origins.is_empty();
    let cors = Cors::new()
        .allow_origins(options.cors_allowed_origins.iter().map(String::as_str))
        .allow_credentials(false);
    let hsts = options.hsts;
    routes
        // Declared headers first (a refusal is a 400 without calling the handler), then the
        // handler under the timeout; one layer for both, since every layer costs each request.
        .around(move |endpoint, request| {
            let refusal = declared_headers.undecodable(&request).map(|name| {
                poem::Error::from_string(
                    format!("the {name} header must be visible ASCII"),
                    StatusCode::BAD_REQUEST,
                )
            });
            async move {
                if let Some(refusal) = refusal {
                    return Err(refusal);
                }
                match tokio::time::timeout(timeout, endpoint.call(request)).await {
                    Ok(result) => result.map(IntoResponse::into_response),
                    Err(_elapsed) => Err(poem::Error::from_string(
                        "the request took too long to process",
                        StatusCode::GATEWAY_TIMEOUT,
                    )),
                }
            }
        })
        .with(CatchPanic::new())
        .around(move |endpoint, request| {
            let allowed_methods = std::sync::Arc::clone(&allowed_methods);
            async move {
                let request_id = request.data::<RequestId>().cloned();
                // A shared handle on the request's URI, not a copy of its path.
                let uri = request.uri().clone();
                let mut response = match endpoint.call(request).await {
                    Ok(response) => response.into_response(),
                    Err(err) => err.into_response(),
                };
                if response.status() == StatusCode::METHOD_NOT_ALLOWED
                    && let Some(allow) = allowed_methods.for_path(uri.path())
                    && let Ok(allow) = HeaderValue::from_str(allow)
                {
                    response.headers_mut().insert(header::ALLOW, allow);
                }
                Ok(into_problem(response, request_id).await)
            }
        })
        // After the body layer below has decoded the request, this only compresses responses.
        .with(Compression::new())
        .around(move |endpoint, request| {
            let body_limits = body_limits.clone();
            async move {
                let request_id = request.data::<RequestId>().cloned();
                refusal_as_problem(read_bounded(endpoint, request, &body_limits).await, request_id).await
            }
        })
        // One boxed layer keeps the type of the whole stack within the compiler's limits.
        .boxed()
        .around(move |endpoint, request| {
            let rate_limiter = rate_limiter.clone();
            async move {
                let request_id = request.data::<RequestId>().cloned();
                refusal_as_problem(limit_rate(endpoint, request, &rate_limiter).await, request_id).await
            }
        })
        .with_if(allow_cors, cors)
        .after(move |result| async move {
            let mut response = result?;
            add_security_headers(response.headers_mut(), hsts);
            Ok(response)
        })
        // The request span (continuing the caller's trace), the access log line and the
        // request metrics.
        .around(move |endpoint, request| traced(endpoint, request, metrics.clone()))
        .around(with_request_id)
}

/// The security headers every response gets (replacing any a handler set), `Cache-Control:
/// no-store` unless the operation chose its own caching (responses carry personal data: no
/// shared or browser cache keeps them), and HSTS when the service is served over TLS.
fn add_security_headers(headers: &mut HeaderMap, hsts: bool) {
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        // Swagger UI at /docs needs its inline script and styles.
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self' 'unsafe-inline'; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
        ),
    );
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

/// For the layers outside the problem layer: their own refusals become problems too.
async fn refusal_as_problem(
    outcome: poem::Result<Response>,
    request_id: Option<RequestId>,
) -> poem::Result<Response> {
    match outcome {
        Ok(response) => Ok(response),
        Err(refusal) => Ok(into_problem(refusal.into_response(), request_id).await),
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
    let body = serde_json::to_string(&poem_openapi::types::ToJSON::to_json(&problem))
        .unwrap_or_default();
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
