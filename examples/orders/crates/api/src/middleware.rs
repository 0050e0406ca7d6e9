//! The middleware stack, outermost first:
//!
//! 1. request id: reuse a valid incoming `x-request-id`, else generate one; echo it back;
//! 2. access log: one line per request with method, operation, status and latency;
//! 3. security headers;
//! 4. compression;
//! 5. problem details: any error response not already `application/problem+json` (unknown
//!    route, wrong method, unparsable body, timeout, panic) is rewritten into one, and every
//!    problem gets the request id;
//! 6. panic capture (500) and 7. request timeout (504), closest to the handlers.

use std::time::{Duration, Instant};

use poem::http::{HeaderValue, StatusCode, header};
use poem::middleware::{CatchPanic, Compression, ReqId, RequestId, ReuseId, SetHeader};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Response};
use poem_openapi::OperationId;

use crate::Problem;

/// HTTP behaviour the binary configures.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Requests taking longer are answered with 504.
    pub request_timeout: Duration,
}

/// Longest error body kept as a problem's `detail` (framework messages are short).
const MAX_DETAIL_LEN: usize = 300;

/// Wraps the routes in the stack described in the module documentation.
pub fn stack(
    routes: impl Endpoint + 'static,
    options: HttpOptions,
) -> impl Endpoint<Output = Response> + 'static {
    let timeout = options.request_timeout;
    routes
        .around(move |endpoint, request| async move {
            match tokio::time::timeout(timeout, endpoint.call(request)).await {
                Ok(result) => result.map(IntoResponse::into_response),
                Err(_elapsed) => Err(poem::Error::from_string(
                    "the request took too long to process",
                    StatusCode::GATEWAY_TIMEOUT,
                )),
            }
        })
        .with(CatchPanic::new())
        .around(|endpoint, request| async move {
            let request_id = request.data::<ReqId>().map(ToString::to_string);
            let response = match endpoint.call(request).await {
                Ok(response) => response.into_response(),
                Err(err) => err.into_response(),
            };
            Ok(into_problem(response, request_id).await)
        })
        .with(Compression::new())
        .with(
            SetHeader::new()
                .overriding(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
                .overriding(header::X_FRAME_OPTIONS, "DENY")
                .overriding(header::REFERRER_POLICY, "no-referrer")
                .overriding(
                    header::CONTENT_SECURITY_POLICY,
                    // Swagger UI at /docs needs its inline script and styles.
                    "default-src 'self'; script-src 'self' 'unsafe-inline'; \
                     style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                     frame-ancestors 'none'",
                ),
        )
        .around(|endpoint, request| async move {
            let started = Instant::now();
            let method = request.method().clone();
            let request_id = request.data::<ReqId>().map(ToString::to_string);
            let response = endpoint.call(request).await?.into_response();
            let operation = response
                .data::<OperationId>()
                .map_or("-", |operation| operation.0);
            tracing::info!(
                http.method = %method,
                operation,
                http.status = response.status().as_u16(),
                latency_ms = started.elapsed().as_secs_f64() * 1000.0,
                request_id = request_id.as_deref().unwrap_or("-"),
                "request"
            );
            Ok(response)
        })
        .with(RequestId::default().reuse_id(ReuseId::Use))
}

/// Turns any error response into a problem details response carrying the request id.
async fn into_problem(response: Response, request_id: Option<String>) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .content_type()
        .is_some_and(|ct| ct.starts_with("application/problem+json"));
    let (parts, body) = response.into_parts();
    let text = body.into_string().await.unwrap_or_default();
    let mut problem = if is_problem {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(mut object)) => {
                if let Some(id) = request_id {
                    object.insert("request_id".to_owned(), id.into());
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
    problem.request_id = request_id;
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
