//! The orders resource through every layer: HTTP, domain, sea-orm, the real database.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::json;
use support::{TestDatabase, TestServer, authorized, on_every_database, problem};

fn new_order() -> serde_json::Value {
    json!({
        "customer_email": "ada@example.com",
        "amount_minor": 1250,
        "currency": "EUR",
        "note": "leave at the door"
    })
}

/// A request builder with the credentials every orders operation needs.
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

async fn control_characters_in_the_note_are_a_422_not_a_500(db: TestDatabase) {
    let server = TestServer::start(db).await;
    for note in ["nul \u{0} inside", "escape \u{1b}[2J", "bell \u{7}"] {
        let mut order = new_order();
        order["note"] = json!(note);
        let response = authorized(server.client.post(server.url("/api/v1/orders")))
            .json(&order)
            .send()
            .await
            .unwrap();
        let body = problem(response, 422).await;
        assert_eq!(body["errors"][0]["field"], "note", "{body}");
    }
    let mut order = new_order();
    order["note"] = json!("two lines\n\tand a tab");
    let kept = authorized(server.client.post(server.url("/api/v1/orders")))
        .json(&order)
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), 201, "line breaks and tabs stay allowed");
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

    let wrong_type = authorized(server.client.post(server.url("/api/v1/orders")))
        .header("content-type", "text/plain")
        .body("customer_email=a@b.co")
        .send()
        .await
        .unwrap();
    problem(wrong_type, 415).await;

    let bad_id = authorized(server.client.get(server.url("/api/v1/orders/not-a-uuid")))
        .send()
        .await
        .unwrap();
    problem(bad_id, 400).await;

    let wrong_method = authorized(server.client.put(server.url("/api/v1/orders")))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.headers()["allow"], "GET, POST");
    problem(wrong_method, 405).await;

    let bad_if_match = authorized(
        server
            .client
            .post(server.url("/api/v1/orders/00000000-0000-7000-8000-000000000000/pay")),
    )
    .header("if-match", "3")
    .send()
    .await
    .unwrap();
    problem(bad_if_match, 400).await;

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

/// Creates an order and returns its JSON.
async fn create(server: &TestServer) -> serde_json::Value {
    let response = authorized(server.client.post(server.url("/api/v1/orders")))
        .json(&new_order())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn transitions_follow_the_rules_and_the_version(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let order = create(&server).await;
    let id = order["id"].as_str().unwrap();

    let stale = authorized(
        server
            .client
            .post(server.url(&format!("/api/v1/orders/{id}/pay"))),
    )
    .header("if-match", "\"9\"")
    .send()
    .await
    .unwrap();
    problem(stale, 412).await;

    for action in ["pay", "cancel"] {
        let url = server.url(&format!("/api/v1/orders/{id}/{action}"));
        let unconditional = authorized(server.client.post(url)).send().await.unwrap();
        let refused = problem(unconditional, 428).await;
        assert_eq!(
            refused["type"],
            "https://problems.example.com/precondition-required"
        );
        assert_eq!(refused["title"], "Precondition Required");
        assert!(
            refused["detail"].as_str().unwrap().contains("If-Match: *"),
            "{refused}"
        );
    }
    let unchanged = authorized(
        server
            .client
            .get(server.url(&format!("/api/v1/orders/{id}"))),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        unchanged.headers()["etag"],
        "\"1\"",
        "a refused change changes nothing"
    );

    let paid = authorized(
        server
            .client
            .post(server.url(&format!("/api/v1/orders/{id}/pay"))),
    )
    .header("if-match", "\"1\"")
    .send()
    .await
    .unwrap();
    assert_eq!(paid.status(), 200);
    assert_eq!(
        paid.headers()["etag"],
        "\"3\"",
        "pending 1, paying 2, paid 3"
    );
    let paid: serde_json::Value = paid.json().await.unwrap();
    assert_eq!(paid["status"], "paid");

    let cancel = authorized(
        server
            .client
            .post(server.url(&format!("/api/v1/orders/{id}/cancel"))),
    )
    .header("if-match", "*")
    .send()
    .await
    .unwrap();
    let body = problem(cancel, 409).await;
    assert_eq!(body["type"], "https://problems.example.com/rule-violated");

    let unknown = "00000000-0000-7000-8000-000000000000";
    let missing = authorized(
        server
            .client
            .post(server.url(&format!("/api/v1/orders/{unknown}/pay"))),
    )
    .header("if-match", "*")
    .send()
    .await
    .unwrap();
    problem(missing, 404).await;
    server.stop().await;
}

async fn if_match_star_changes_whatever_version_is_current(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let order = create(&server).await;
    let id = order["id"].as_str().unwrap();
    let cancelled = authorized(
        server
            .client
            .post(server.url(&format!("/api/v1/orders/{id}/cancel"))),
    )
    .header("if-match", "*")
    .send()
    .await
    .unwrap();
    assert_eq!(cancelled.status(), 200);
    assert_eq!(cancelled.headers()["etag"], "\"2\"");
    let cancelled: serde_json::Value = cancelled.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    server.stop().await;
}

async fn listing_pages_with_a_cursor_and_filters_by_status(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(create(&server).await["id"].as_str().unwrap().to_owned());
    }
    let mut seen = Vec::new();
    let mut url = server.url("/api/v1/orders?limit=2");
    loop {
        let page: serde_json::Value = authorized(server.client.get(&url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => url = server.url(&format!("/api/v1/orders?limit=2&cursor={cursor}")),
            None => break,
        }
    }
    created.reverse();
    assert_eq!(seen, created, "every order once, newest first");

    let paid: serde_json::Value =
        authorized(server.client.get(server.url("/api/v1/orders?status=paid")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(paid["items"], serde_json::json!([]));

    for bad in ["limit=0", "limit=101", "cursor=garbage", "status=shipped"] {
        let response = authorized(
            server
                .client
                .get(server.url(&format!("/api/v1/orders?{bad}"))),
        )
        .send()
        .await
        .unwrap();
        problem(response, 400).await;
    }
    server.stop().await;
}

async fn an_idempotency_key_makes_create_safe_to_retry(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let post = |body: serde_json::Value| {
        authorized(server.client.post(server.url("/api/v1/orders")))
            .header("idempotency-key", "order-2026-0001")
            .json(&body)
            .send()
    };
    let first = post(new_order()).await.unwrap();
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let first: serde_json::Value = first.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/orders/{}", first["id"].as_str().unwrap())
    );
    let again = post(new_order()).await.unwrap();
    assert_eq!(
        again.status(),
        200,
        "a replay creates nothing: 200, not 201"
    );
    assert_eq!(again.headers()["etag"], "\"1\"");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again, first, "the retry returns the same order");

    let mut different = new_order();
    different["amount_minor"] = json!(999);
    let refused = post(different).await.unwrap();
    let body = problem(refused, 422).await;
    assert_eq!(body["errors"][0]["field"], "Idempotency-Key", "{body}");

    let page: serde_json::Value = authorized(server.client.get(server.url("/api/v1/orders")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        1,
        "one order, not two"
    );
    server.stop().await;
}

on_every_database!(
    an_idempotency_key_makes_create_safe_to_retry,
    an_order_is_created_then_read_back,
    transitions_follow_the_rules_and_the_version,
    if_match_star_changes_whatever_version_is_current,
    listing_pages_with_a_cursor_and_filters_by_status,
    invalid_fields_are_all_reported_at_once,
    control_characters_in_the_note_are_a_422_not_a_500,
    malformed_requests_are_problems_not_crashes,
);
