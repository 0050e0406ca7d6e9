//! The middleware stack, outermost first:
//!
//! 1. request id: reuse a valid incoming `x-request-id`, else generate one; echo it back;
//! 2. request span, access log and metrics: one span per request, continuing the caller's
//!    W3C trace and parent of all the handler does, one log line with method, route,
//!    operation, status, latency and trace id, and the request's duration in a histogram by
//!    method, route and status (see `request_span` and `metrics`);
//! 3. security headers (and HSTS when configured);
//! 4. CORS, only for the configured origins (none by default);
//! 5. compression;
//! 6. problem details: any error response not already `application/problem+json` (unknown
//!    route, wrong method, unparsable body, too large, timeout, panic) is rewritten into one,
//!    and every problem gets the request id; a 405 gets its `Allow` header;
//! 7. request body limit (413), 8. panic capture (500) and 9. request timeout (504), closest
//!    to the handlers.

use std::time::Duration;

use poem::http::{HeaderValue, StatusCode, header};
use poem::middleware::{CatchPanic, Compression, Cors, ReqId, RequestId, ReuseId, SetHeader};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Request, Response};

use crate::Problem;
use crate::allow::AllowedMethods;
use crate::metrics::HttpMetrics;
use crate::request_span::traced;

/// HTTP behaviour the binary configures.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Requests taking longer are answered with 504.
    pub request_timeout: Duration,
    /// Larger request bodies are answered with 413.
    pub body_limit_bytes: usize,
    /// Origins allowed to call the API from a browser; empty allows none.
    pub cors_allowed_origins: Vec<String>,
    /// Send `Strict-Transport-Security` (only behind TLS).
    pub hsts: bool,
}

/// Longest error body kept as a problem's `detail` (framework messages are short).
const MAX_DETAIL_LEN: usize = 300;

/// Wraps the routes in the stack described in the module documentation.
pub fn stack(
    routes: impl Endpoint + 'static,
    options: HttpOptions,
    allowed_methods: AllowedMethods,
) -> impl Endpoint<Output = Response> + 'static {
    let metrics = HttpMetrics::new();
    let timeout = options.request_timeout;
    let body_limit = options.body_limit_bytes;
    let allow_cors = !options.cors_allowed_origins.is_empty();
    let cors = Cors::new()
        .allow_origins(options.cors_allowed_origins.iter().map(String::as_str))
        .allow_credentials(false);
    let hsts = SetHeader::new().overriding(
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    );
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
        .around(move |endpoint, request| limit_body(endpoint, request, body_limit))
        .around(move |endpoint, request| {
            let allowed_methods = allowed_methods.clone();
            async move {
                let request_id = request.data::<ReqId>().map(ToString::to_string);
                let path = request.uri().path().to_owned();
                let mut response = match endpoint.call(request).await {
                    Ok(response) => response.into_response(),
                    Err(err) => err.into_response(),
                };
                if response.status() == StatusCode::METHOD_NOT_ALLOWED
                    && let Some(allow) = allowed_methods.for_path(&path)
                    && let Ok(allow) = HeaderValue::from_str(allow)
                {
                    response.headers_mut().insert(header::ALLOW, allow);
                }
                Ok(into_problem(response, request_id).await)
            }
        })
        .with(Compression::new())
        .with_if(allow_cors, cors)
        .with_if(options.hsts, hsts)
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
        // The request span (continuing the caller's trace), the access log line and the
        // request metrics.
        .around(move |endpoint, request| traced(endpoint, request, metrics.clone()))
        .with(RequestId::default().reuse_id(ReuseId::Use))
}

/// Answers 413 for a body over `limit`: at once from `Content-Length`, or while reading a
/// chunked body. Requests without a body (GET, DELETE, ...) pass untouched.
async fn limit_body<E: Endpoint>(
    endpoint: std::sync::Arc<E>,
    mut request: Request,
    limit: usize,
) -> poem::Result<Response> {
    let too_large = || {
        poem::Error::from_string(
            format!("the request body is larger than {limit} bytes"),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    match declared {
        Some(length) if length > limit => return Err(too_large()),
        Some(_) => {}
        None if request.headers().contains_key(header::TRANSFER_ENCODING) => {
            let body = request.take_body().into_bytes_limit(limit).await.map_err(|err| {
                match err {
                    poem::error::ReadBodyError::PayloadTooLarge => too_large(),
                    other => other.into(),
                }
            })?;
            request.set_body(body);
        }
        None => {}
    }
    endpoint.call(request).await.map(IntoResponse::into_response)
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
mod tests {
    use poem::listener::{Acceptor, Listener, TcpListener};
    use poem::{Route, Server, get, handler};

    use super::*;

    #[handler]
    fn panics() -> &'static str {
        panic!("a bug with a secret in its message: /etc/passwd")
    }

    #[handler]
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "too late"
    }

    #[handler]
    fn echo(body: String) -> String {
        body
    }

    /// The stack around three test routes, served on 127.0.0.1 port 0.
    async fn serve(options: HttpOptions) -> String {
        let routes = Route::new()
            .at("/panic", get(panics))
            .at("/slow", get(slow))
            .at("/echo", poem::post(echo));
        let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        let address = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        tokio::spawn(
            Server::new_with_acceptor(acceptor)
                .run(stack(routes, options, AllowedMethods::default())),
        );
        format!("http://{address}")
    }

    fn options() -> HttpOptions {
        HttpOptions {
            request_timeout: Duration::from_millis(200),
            body_limit_bytes: 1024,
            cors_allowed_origins: vec!["https://app.example.com".to_owned()],
            hsts: true,
        }
    }

    async fn problem(response: reqwest::Response, status: u16) -> serde_json::Value {
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        response.json().await.unwrap()
    }

    #[tokio::test]
    async fn a_panic_is_a_500_problem_without_internals() {
        let base = serve(options()).await;
        let response = reqwest::get(format!("{base}/panic")).await.unwrap();
        let body = problem(response, 500).await;
        assert_eq!(body["detail"], "an unexpected error occurred");
        assert!(!body.to_string().contains("passwd"), "{body}");
        assert!(body["request_id"].is_string());
    }

    #[tokio::test]
    async fn a_slow_request_is_a_504_problem() {
        let base = serve(options()).await;
        let response = reqwest::get(format!("{base}/slow")).await.unwrap();
        problem(response, 504).await;
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_413_whether_declared_or_chunked() {
        let base = serve(options()).await;
        let client = reqwest::Client::new();
        let declared = client.post(format!("{base}/echo")).body("x".repeat(2048)).send();
        problem(declared.await.unwrap(), 413).await;

        let chunks = futures_chunks(vec![vec![b'x'; 800], vec![b'x'; 800]]);
        let chunked = client.post(format!("{base}/echo")).body(chunks).send();
        problem(chunked.await.unwrap(), 413).await;

        let small = client.post(format!("{base}/echo")).body("hello").send().await.unwrap();
        assert_eq!(small.status(), 200);
        assert_eq!(small.text().await.unwrap(), "hello");
        let chunks = futures_chunks(vec![b"hel".to_vec(), b"lo".to_vec()]);
        let small_chunked = client.post(format!("{base}/echo")).body(chunks).send().await.unwrap();
        assert_eq!(small_chunked.text().await.unwrap(), "hello");
    }

    /// A body sent with `Transfer-Encoding: chunked` (no `Content-Length`).
    fn futures_chunks(chunks: Vec<Vec<u8>>) -> reqwest::Body {
        let stream = tokio_stream_from(chunks);
        reqwest::Body::wrap_stream(stream)
    }

    fn tokio_stream_from(
        chunks: Vec<Vec<u8>>,
    ) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
        futures_util::stream::iter(chunks.into_iter().map(Ok))
    }

    #[tokio::test]
    async fn cors_answers_only_the_configured_origins_and_hsts_is_sent() {
        let base = serve(options()).await;
        let client = reqwest::Client::new();
        let preflight = |origin: &'static str| {
            client
                .request(reqwest::Method::OPTIONS, format!("{base}/echo"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .send()
        };
        let allowed = preflight("https://app.example.com").await.unwrap();
        assert_eq!(
            allowed.headers()["access-control-allow-origin"],
            "https://app.example.com"
        );
        assert!(allowed.headers()["strict-transport-security"].to_str().unwrap().contains("max-age"));
        let refused = preflight("https://evil.example.com").await.unwrap();
        assert!(refused.headers().get("access-control-allow-origin").is_none());
    }
}
