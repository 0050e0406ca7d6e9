//! Client errors are the client's business: a 404, 409, 412 or 422 is logged once, by the
//! access line, and never at ERROR (a caller must not be able to flood the ERROR log). The
//! real binary, its JSON log at `debug`.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use serde_json::json;
use support::process::ServiceProcess;
use support::{TestDatabase, on_every_database};

fn authorized(builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    // Issuer and audience as `config/default.toml` sets them for the binary.
    let token =
        api::auth::JwtVerifier::new(support::TEST_JWT_SECRET.as_bytes(), "orders", "orders")
            .mint(
                "test-user",
                &["orders:read", "orders:write"],
                Duration::from_secs(300),
            )
            .expect("mint a token");
    builder.bearer_auth(token)
}

async fn client_errors_are_never_logged_at_error(db: TestDatabase) {
    let service = ServiceProcess::start(
        &db,
        &[
            ("APP_TELEMETRY__LOG_FORMAT", "json"),
            ("RUST_LOG", "debug"),
            ("APP_AUTH__JWT_SECRET", support::TEST_JWT_SECRET),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let order = json!({"customer_email": "ada@example.com", "amount_minor": 5, "currency": "EUR"});
    let post = |path: &str| authorized(client.post(service.url(path)));
    let created = post("/api/v1/orders").json(&order).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    let mut nul = order.clone();
    nul["note"] = json!("a \u{0} in the note");
    let unknown = "/api/v1/orders/00000000-0000-7000-8000-000000000000";
    let answers = [
        authorized(client.get(service.url(unknown)))
            .send()
            .await
            .unwrap(),
        post("/api/v1/orders")
            .json(&json!({"customer_email": "x", "amount_minor": 0, "currency": "EUR"}))
            .send()
            .await
            .unwrap(),
        post("/api/v1/orders").json(&nul).send().await.unwrap(),
        post(&format!("/api/v1/orders/{id}/pay"))
            .header("if-match", "\"9\"")
            .send()
            .await
            .unwrap(),
        post(&format!("/api/v1/orders/{id}/pay"))
            .send()
            .await
            .unwrap(),
        post(&format!("/api/v1/orders/{id}/pay"))
            .header("if-match", "*")
            .send()
            .await
            .unwrap(),
        post(&format!("/api/v1/orders/{id}/pay"))
            .header("if-match", "*")
            .send()
            .await
            .unwrap(),
        post(&format!("/api/v1/orders/{id}/cancel"))
            .header("if-match", "*")
            .send()
            .await
            .unwrap(),
    ];
    let statuses: Vec<u16> = answers
        .iter()
        .map(|answer| answer.status().as_u16())
        .collect();
    assert_eq!(statuses, [404, 422, 422, 412, 428, 200, 409, 409]);
    let (log, _) = service.stop_cleanly(Duration::from_secs(10)).await;

    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let access = lines
        .iter()
        .filter(|line| line["message"] == "request")
        .count();
    assert!(
        access >= statuses.len(),
        "one access line per request:\n{log}"
    );
    let errors: Vec<_> = lines
        .iter()
        .filter(|line| line["level"] == "ERROR")
        .collect();
    assert!(
        errors.is_empty(),
        "client errors were logged at ERROR: {errors:#?}"
    );
    db.drop_database().await;
}

on_every_database!(client_errors_are_never_logged_at_error);
