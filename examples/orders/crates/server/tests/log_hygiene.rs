//! The log as operators get it in production: one JSON object per line, one access line per
//! request with method, route template, status, latency, request id and trace id, and never
//! a credential, even at `debug` level.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use support::TestDatabase;
use support::process::ServiceProcess;

const BEARER_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.bearer-token-that-must-not-be-logged.c2ln";
const SESSION_COOKIE: &str = "session-cookie-that-must-not-be-logged";
const JWT_SECRET: &str = "jwt-secret-that-must-not-be-logged-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_lines_are_json_with_the_route_template_and_never_carry_credentials() {
    let db = TestDatabase::sqlite();
    let service = ServiceProcess::start(
        &db,
        &[
            ("APP_TELEMETRY__LOG_FORMAT", "json"),
            ("RUST_LOG", "debug"),
            ("APP_AUTH__JWT_SECRET", JWT_SECRET),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let paths = [
        "/health/ready?probe=1",
        "/api/v1/orders/0190e0a5-7a6b-7cc0-8000-000000000001",
    ];
    for path in paths {
        client
            .get(service.url(path))
            .header("authorization", format!("Bearer {BEARER_TOKEN}"))
            .header("cookie", format!("session={SESSION_COOKIE}"))
            .header("x-request-id", "log-hygiene-1")
            .send()
            .await
            .unwrap();
    }
    let (log, _) = service.stop_cleanly(Duration::from_secs(10)).await;

    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"))
        })
        .collect();
    let access = lines
        .iter()
        .find(|line| line["message"] == "request" && line["http.route"] == "/health/ready")
        .unwrap_or_else(|| panic!("no access line for /health/ready:\n{log}"));
    assert_eq!(access["http.method"], "GET", "{access}");
    assert_eq!(access["http.status"], 200, "{access}");
    assert_eq!(access["request_id"], "log-hygiene-1", "{access}");
    assert!(
        access["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{access}"
    );
    assert!(access["trace_id"].is_string(), "{access}");
    // A line logged inside the request (the refused token, at debug) names its request.
    let inside = lines
        .iter()
        .find(|line| line["message"] == "bearer token refused")
        .unwrap_or_else(|| panic!("no line from inside the request:\n{log}"));
    assert_eq!(
        inside["spans"],
        serde_json::json!([{
            "http.request.method": "GET",
            "request_id": "log-hygiene-1",
            "name": "HTTP request",
        }]),
        "{inside}"
    );
    assert!(
        !log.contains("probe=1"),
        "the raw path and query stay out of the log:\n{log}"
    );

    for secret in [BEARER_TOKEN, SESSION_COOKIE, JWT_SECRET] {
        assert!(
            !log.contains(secret),
            "`{secret}` leaked into the log:\n{log}"
        );
    }
}
