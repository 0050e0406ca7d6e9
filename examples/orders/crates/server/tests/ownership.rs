//! Ownership through the real service: an order belongs to the subject of the token that
//! placed it; another subject's order is a 404 for every operation and absent from its list;
//! `orders:admin` sees and acts on all; idempotency keys are the caller's own.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use serde_json::json;
use server::settings::Settings;
use support::{TEST_JWT_SECRET, TestDatabase, TestServer, on_every_database, problem};

const READ_WRITE: &[&str] = &["orders:read", "orders:write"];

fn token_for(subject: &str, scopes: &[&str]) -> String {
    let defaults = Settings::default();
    api::auth::JwtVerifier::new(
        TEST_JWT_SECRET.as_bytes(),
        &defaults.auth.issuer,
        &defaults.auth.audience,
    )
    .mint(subject, scopes, Duration::from_secs(300))
    .expect("mint a token")
}

fn new_order(note: &str) -> serde_json::Value {
    json!({"customer_email": "ada@example.com", "amount_minor": 990, "currency": "EUR", "note": note})
}

async fn create(
    server: &TestServer,
    subject: &str,
    key: Option<&str>,
    note: &str,
) -> reqwest::Response {
    let mut request = server
        .client
        .post(server.url("/api/v1/orders"))
        .bearer_auth(token_for(subject, READ_WRITE))
        .json(&new_order(note));
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.unwrap()
}

async fn ids_listed_by(server: &TestServer, token: &str) -> Vec<String> {
    let page: serde_json::Value = server
        .client
        .get(server.url("/api/v1/orders"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn another_subjects_order_is_not_found_and_not_listed(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let created: serde_json::Value = create(&server, "alice", None, "mine")
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let mallory = token_for("mallory", READ_WRITE);
    let read = server
        .client
        .get(server.url(&format!("/api/v1/orders/{id}")))
        .bearer_auth(&mallory);
    let missing = "00000000-0000-7000-8000-000000000000";
    let unknown = server
        .client
        .get(server.url(&format!("/api/v1/orders/{missing}")))
        .bearer_auth(&mallory);
    let (theirs, nobodys) = (
        problem(read.send().await.unwrap(), 404).await,
        problem(unknown.send().await.unwrap(), 404).await,
    );
    assert_eq!(
        theirs["title"], nobodys["title"],
        "the same answer as for a missing order"
    );
    for action in ["pay", "cancel"] {
        let response = server
            .client
            .post(server.url(&format!("/api/v1/orders/{id}/{action}")))
            .bearer_auth(&mallory)
            .header("if-match", "*")
            .send()
            .await
            .unwrap();
        problem(response, 404).await;
    }
    assert!(ids_listed_by(&server, &mallory).await.is_empty());
    assert_eq!(
        ids_listed_by(&server, &token_for("alice", READ_WRITE)).await,
        [id]
    );

    let admin = token_for("auditor", &["orders:read", "orders:write", "orders:admin"]);
    assert_eq!(
        ids_listed_by(&server, &admin).await,
        [id],
        "an administrator sees every order"
    );
    let cancelled = server
        .client
        .post(server.url(&format!("/api/v1/orders/{id}/cancel")))
        .bearer_auth(&admin)
        .header("if-match", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200, "and acts on it");
    server.stop().await;
}

async fn the_same_idempotency_key_from_two_subjects_is_two_keys(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let first = create(&server, "alice", Some("order-1"), "alice's").await;
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();
    let second = create(&server, "mallory", Some("order-1"), "alice's").await;
    assert_eq!(second.status(), 201);
    let second: serde_json::Value = second.json().await.unwrap();
    assert_ne!(second["id"], first["id"], "never the first caller's order");
    let different = create(&server, "eve", Some("order-1"), "another body").await;
    assert_eq!(
        different.status(),
        201,
        "the key's existence is not revealed"
    );
    let replay = create(&server, "alice", Some("order-1"), "alice's").await;
    assert_eq!(replay.status(), 200, "a replay");
    let replay: serde_json::Value = replay.json().await.unwrap();
    assert_eq!(replay["id"], first["id"], "alice's own retry still replays");
    server.stop().await;
}

on_every_database!(
    another_subjects_order_is_not_found_and_not_listed,
    the_same_idempotency_key_from_two_subjects_is_two_keys,
);
