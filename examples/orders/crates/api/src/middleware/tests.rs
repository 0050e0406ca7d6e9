//! The middleware stack through a real server on 127.0.0.1.

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Route, Server, get, handler};

use std::sync::Arc;

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
pub(super) async fn serve(options: HttpOptions) -> String {
    serve_identifying(options, Arc::new(|_| None)).await
}

/// As [`serve`], telling callers apart with `identify`.
pub(super) async fn serve_identifying(options: HttpOptions, identify: IdentifyCaller) -> String {
    let routes = Route::new()
        .at("/panic", get(panics))
        .at("/slow", get(slow))
        .at("/echo", poem::post(echo));
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let address = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
    tokio::spawn(Server::new_with_acceptor(acceptor).run(stack(
        routes,
        options,
        AllowedMethods::default(),
        declared_headers(),
        identify,
    )));
    format!("http://{address}")
}

/// The test routes declare one header parameter, as an OpenAPI operation would.
fn declared_headers() -> DeclaredHeaders {
    DeclaredHeaders::from_spec(
        r#"{ "paths": { "/echo": { "post": { "parameters": [ { "name": "If-Match", "in": "header" } ] } } } }"#,
    )
}

pub(super) fn options() -> HttpOptions {
    HttpOptions {
        request_timeout: Duration::from_millis(200),
        body_limit_bytes: 1024,
        body_memory_bytes: 64 * 1024 * 1024,
        cors_allowed_origins: vec!["https://app.example.com".to_owned()],
        hsts: true,
        rate_limits: RateLimits {
            enabled: true,
            reads_per_minute: std::num::NonZeroU32::MAX,
            writes_per_minute: std::num::NonZeroU32::MAX,
        },
    }
}

pub(super) async fn problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
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
    let declared = client
        .post(format!("{base}/echo"))
        .body("x".repeat(2048))
        .send();
    problem(declared.await.unwrap(), 413).await;

    let chunks = futures_chunks(vec![vec![b'x'; 800], vec![b'x'; 800]]);
    let chunked = client.post(format!("{base}/echo")).body(chunks).send();
    problem(chunked.await.unwrap(), 413).await;

    let small = client
        .post(format!("{base}/echo"))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 200);
    assert_eq!(small.text().await.unwrap(), "hello");
    let chunks = futures_chunks(vec![b"hel".to_vec(), b"lo".to_vec()]);
    let small_chunked = client
        .post(format!("{base}/echo"))
        .body(chunks)
        .send()
        .await
        .unwrap();
    assert_eq!(small_chunked.text().await.unwrap(), "hello");
}

/// A body sent with `Transfer-Encoding: chunked` (no `Content-Length`).
pub(super) fn futures_chunks(chunks: Vec<Vec<u8>>) -> reqwest::Body {
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
    assert!(
        allowed.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let refused = preflight("https://evil.example.com").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn declared_headers_that_are_not_ascii_are_a_400_not_absent() {
    let base = serve(options()).await;
    let client = reqwest::Client::new();
    let value = reqwest::header::HeaderValue::from_bytes("\"3\"é".as_bytes()).unwrap();
    let response = client
        .post(format!("{base}/echo"))
        .header("if-match", value)
        .body("hello")
        .send()
        .await
        .unwrap();
    let body = problem(response, 400).await;
    assert!(
        body["detail"].as_str().unwrap().contains("if-match"),
        "{body}"
    );
}

#[tokio::test]
async fn only_short_safe_request_ids_are_reused_and_responses_are_not_cached() {
    let base = serve(options()).await;
    let client = reqwest::Client::new();
    let reused = client
        .post(format!("{base}/echo"))
        .header("x-request-id", "req-0042")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(reused.headers()["x-request-id"], "req-0042");
    assert_eq!(reused.headers()["cache-control"], "no-store");

    let forged = "x".repeat(300);
    for unsafe_id in [forged.as_str(), "a b", "id\" level=\"ERROR"] {
        let response = client
            .get(format!("{base}/panic"))
            .header("x-request-id", unsafe_id)
            .send()
            .await
            .unwrap();
        let echoed = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_ne!(echoed, unsafe_id);
        assert!(uuid::Uuid::parse_str(&echoed).is_ok(), "{echoed}");
        let body = problem(response, 500).await;
        assert_eq!(body["request_id"], echoed.as_str());
    }
}

#[tokio::test]
async fn responses_are_compressed_only_for_clients_that_ask_problems_too() {
    use async_compression::tokio::bufread::GzipDecoder;
    use tokio::io::AsyncReadExt;

    async fn gunzip(response: reqwest::Response) -> String {
        assert_eq!(response.headers()["content-encoding"], "gzip");
        let compressed = response.bytes().await.unwrap();
        let mut text = String::new();
        GzipDecoder::new(&compressed[..])
            .read_to_string(&mut text)
            .await
            .unwrap();
        text
    }

    let base = serve(options()).await;
    let client = reqwest::Client::new();
    let text = "compressible ".repeat(60);
    let plain = client
        .post(format!("{base}/echo"))
        .body(text.clone())
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.text().await.unwrap(), text);

    let asked = client
        .post(format!("{base}/echo"))
        .header("accept-encoding", "br;q=0.5, gzip")
        .body(text.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(asked.headers()["x-content-type-options"], "nosniff");
    assert!(asked.headers().contains_key("ratelimit-policy"));
    assert_eq!(gunzip(asked).await, text);

    let missing = client
        .get(format!("{base}/nowhere"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    let problem: serde_json::Value = serde_json::from_str(&gunzip(missing).await).unwrap();
    assert_eq!(problem["status"], 404);
}
