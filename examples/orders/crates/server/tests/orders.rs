//! The orders resource through every layer: HTTP, domain, sea-orm, the real database.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use support::token;
use support::{TestDatabase, TestServer, problem};

fn new_order() -> serde_json::Value {
    json!({
        "customer_email": "ada@example.com",
        "amount_minor": 1250,
        "currency": "EUR",
        "note": "leave at the door"
    })
}

/// A request builder with the credentials every orders operation needs.
fn authorized(builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    builder.bearer_auth(token(&["orders:read", "orders:write"]))
}

async fn an_order_is_created_then_read_back(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let created = authorized(server.client.post(server.url("/api/v1/orders")))
        .json(&new_order())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(created.headers()["etag"], "\"1\"");
    let order: serde_json::Value = created.json().await.unwrap();
    assert_eq!(order["status"], "pending");
    assert_eq!(order["version"], 1);
    assert_eq!(order["amount_minor"], 1250);
    assert_eq!(
        location,
        format!("/api/v1/orders/{}", order["id"].as_str().unwrap())
    );

    let read = authorized(server.client.get(server.url(&location)))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["etag"], "\"1\"");
    let read: serde_json::Value = read.json().await.unwrap();
    assert_eq!(read, order, "what was stored is what was returned");
    server.stop().await;
}

async fn invalid_fields_are_all_reported_at_once(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let response = authorized(server.client.post(server.url("/api/v1/orders")))
        .json(&json!({
            "customer_email": "not-an-email",
            "amount_minor": 0,
            "currency": "euro",
            "note": "x".repeat(501)
        }))
        .send()
        .await
        .unwrap();
    let body = problem(response, 422).await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["amount_minor", "currency", "customer_email", "note"]
    );
    server.stop().await;
}

async fn malformed_requests_are_problems_not_crashes(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let bad_json = authorized(server.client.post(server.url("/api/v1/orders")))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    problem(bad_json, 400).await;

    let bad_id = authorized(server.client.get(server.url("/api/v1/orders/not-a-uuid")))
        .send()
        .await
        .unwrap();
    problem(bad_id, 400).await;

    let missing = authorized(
        server
            .client
            .get(server.url("/api/v1/orders/00000000-0000-7000-8000-000000000000")),
    )
    .send()
    .await
    .unwrap();
    let body = problem(missing, 404).await;
    assert_eq!(body["type"], "https://problems.example.com/not-found");
    server.stop().await;
}

on_every_database!(
    an_order_is_created_then_read_back,
    invalid_fields_are_all_reported_at_once,
    malformed_requests_are_problems_not_crashes,
);
