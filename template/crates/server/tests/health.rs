//! Health, the OpenAPI document, and framework-level errors, through a real server.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used)]

mod support;

use support::{TestDatabase, TestServer, problem, on_every_database};

async fn liveness_and_readiness_answer_ok(db: TestDatabase) {
    let server = TestServer::start(db).await;
    for path in ["/health/live", "/health/ready"] {
        let response = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");
    }
    server.stop().await;
}

/// The container health check (`healthcheck` command) against the real service.
async fn the_healthcheck_command_sees_a_ready_service(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let port: u16 = server.base_url.rsplit(':').next().unwrap().parse().unwrap();
    server::healthcheck::check_ready(port, std::time::Duration::from_secs(2)).await.unwrap();
    server.stop().await;
}

async fn the_openapi_document_is_served(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let json: serde_json::Value = server
        .client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(json["openapi"].as_str().unwrap().starts_with("3."));
    assert!(json["paths"]["/health/ready"]["get"].is_object());
    for (path, content_type) in [
        ("/openapi.json", "application/json; charset=utf-8"),
        ("/openapi.yaml", "application/yaml; charset=utf-8"),
        ("/docs", "text/html; charset=utf-8"),
    ] {
        let document = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(document.status(), 200, "{path}");
        assert_eq!(document.headers()["content-type"], content_type, "{path}");
        assert_eq!(document.headers()["x-content-type-options"], "nosniff", "{path}");
        // The API's policy loads nothing; only Swagger UI's page may run its inline script.
        let policy = document.headers()["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("frame-ancestors 'none'"), "{path}: {policy}");
        assert_eq!(policy.contains("'unsafe-inline'"), path == "/docs", "{path}: {policy}");
        assert!(!document.bytes().await.unwrap().is_empty(), "{path}");
        let head = server.client.head(server.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert!(head.bytes().await.unwrap().is_empty(), "HEAD {path} has no body");
        let post = server.client.post(server.url(path)).send().await.unwrap();
        assert_eq!(post.headers()["allow"], "GET", "POST {path}");
        problem(post, 405).await;
        // Only the exact paths are documents; anything under them is the API's 404.
        let below = server.client.get(server.url(&format!("{path}/x"))).send().await.unwrap();
        problem(below, 404).await;
    }
    server.stop().await;
}

async fn unknown_routes_are_problems_with_the_request_id(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let response = server
        .client
        .get(server.url("/no/such/route"))
        .header("x-request-id", "req-0042")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-0042");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        response.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    let body = problem(response, 404).await;
    assert_eq!(body["request_id"], "req-0042");
    assert_eq!(body["type"], "https://problems.example.com/not-found");

    let wrong_method = server.client.delete(server.url("/health/live")).send().await.unwrap();
    assert_eq!(wrong_method.headers()["allow"], "GET", "a 405 names the allowed methods");
    problem(wrong_method, 405).await;
    server.stop().await;
}

on_every_database!(
    liveness_and_readiness_answer_ok,
    the_healthcheck_command_sees_a_ready_service,
    the_openapi_document_is_served,
    unknown_routes_are_problems_with_the_request_id,
);
