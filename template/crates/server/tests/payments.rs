//! Paying through the HTTP payment gateway adapter, end to end: the service calls a fake
//! gateway on 127.0.0.1; an outage is a 503 problem and the order stays paying (it cannot be
//! cancelled); once the gateway is back, paying again succeeds and the gateway saw one charge
//! key throughout. Concurrent pay and cancel never end charged and cancelled.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use serde_json::json;
use server::settings::PaymentsMode;
use support::{TestDatabase, TestServer, authorized, on_every_database, problem};
use test_support::fake_gateway::{Answer, FakeGateway};

const COOL_DOWN: Duration = Duration::from_millis(500);

/// A service whose payments go to `gateway`, with short limits: 2 attempts per charge, and a
/// breaker that opens after 2 failed attempts for 500 ms.
async fn start(db: TestDatabase, gateway: &FakeGateway) -> TestServer {
    let url = gateway.url.clone();
    TestServer::start_with(db, move |settings| {
        let payments = &mut settings.payments;
        payments.mode = PaymentsMode::Http;
        payments.url = Some(url);
        payments.timeout = Duration::from_millis(500);
        payments.max_retries = 1;
        payments.backoff_min = Duration::from_millis(10);
        payments.backoff_max = Duration::from_millis(10);
        payments.breaker_failure_threshold = 2;
        payments.breaker_cool_down = COOL_DOWN;
    })
    .await
}

/// Places an order; returns its id.
async fn place(server: &TestServer) -> String {
    let created = authorized(server.client.post(server.url("/api/v1/orders")))
        .json(&json!({"customer_email": "ada@example.com", "amount_minor": 990, "currency": "EUR"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let order: serde_json::Value = created.json().await.unwrap();
    order["id"].as_str().unwrap().to_owned()
}

async fn pay(server: &TestServer, id: &str) -> reqwest::Response {
    // A retry cannot know the version its failed attempt left: it pays whatever is current.
    authorized(server.client.post(server.url(&format!("/api/v1/orders/{id}/pay"))))
        .header("if-match", "*")
        .send()
        .await
        .unwrap()
}

async fn status_of(server: &TestServer, id: &str) -> String {
    let order: serde_json::Value = authorized(server.client.get(server.url(&format!("/api/v1/orders/{id}"))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    order["status"].as_str().unwrap().to_owned()
}

async fn an_outage_is_a_503_and_paying_succeeds_once_the_gateway_is_back(db: TestDatabase) {
    let gateway = FakeGateway::start().await;
    gateway.answer(Answer::Status(503));
    let server = start(db, &gateway).await;
    let id = place(&server).await;

    let down = pay(&server, &id).await;
    let retry_after = down.headers().get("retry-after").cloned();
    let body = problem(down, 503).await;
    assert_eq!(body["type"], "https://problems.example.com/service-unavailable");
    assert_eq!(gateway.request_count(), 2, "the first attempt and one retry");
    // Those two failures opened the breaker: clients are told when to come back, and are
    // answered at once until then.
    let retry_after = retry_after.expect("a Retry-After header while the breaker is open");
    assert_eq!(retry_after, "1", "500 ms, rounded up to whole seconds");
    let fast = pay(&server, &id).await;
    problem(fast, 503).await;
    assert_eq!(gateway.request_count(), 2, "an open breaker answers without calling");
    assert_eq!(status_of(&server, &id).await, "paying", "the charge may have been taken");
    let cancel = authorized(server.client.post(server.url(&format!("/api/v1/orders/{id}/cancel"))))
        .header("if-match", "*")
        .send()
        .await
        .unwrap();
    problem(cancel, 409).await;

    gateway.answer(Answer::Accept);
    tokio::time::sleep(COOL_DOWN + Duration::from_millis(50)).await;
    let paid = pay(&server, &id).await;
    assert_eq!(paid.status(), 200);
    assert_eq!(paid.headers()["etag"], "\"3\"");
    assert_eq!(status_of(&server, &id).await, "paid");

    let keys: Vec<_> = gateway.received().into_iter().map(|r| r.idempotency_key).collect();
    let key = Some(format!("{id}-v2"));
    assert_eq!(keys, [key.clone(), key.clone(), key], "every attempt was the same charge");
    server.stop().await;
}

async fn a_declined_payment_is_a_422_and_the_order_stays_pending(db: TestDatabase) {
    let gateway = FakeGateway::start().await;
    gateway.answer(Answer::Decline("card expired".into()));
    let server = start(db, &gateway).await;
    let id = place(&server).await;

    let declined = pay(&server, &id).await;
    let body = problem(declined, 422).await;
    assert_eq!(body["type"], "https://problems.example.com/payment-declined");
    assert!(body["detail"].as_str().unwrap().contains("card expired"), "{body}");
    assert_eq!(gateway.request_count(), 1, "a decline is not retried");
    assert_eq!(status_of(&server, &id).await, "pending");
    server.stop().await;
}

/// 40 orders, each paid and cancelled at the same time while the gateway takes 50 ms to
/// answer: each ends either paid (and charged) or cancelled (and never charged).
async fn concurrent_pay_and_cancel_end_paid_or_cancelled_never_both(db: TestDatabase) {
    let gateway = FakeGateway::start().await;
    gateway.answer(Answer::Stall(Duration::from_millis(50)));
    let url = gateway.url.clone();
    let server = TestServer::start_with(db, move |settings| {
        settings.payments.mode = PaymentsMode::Http;
        settings.payments.url = Some(url);
        settings.payments.timeout = Duration::from_secs(5);
    })
    .await;
    let mut ids = Vec::new();
    for _ in 0..40 {
        ids.push(place(&server).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (n, id) in ids.iter().enumerate() {
        let (client, base) = (server.client.clone(), server.base_url.clone());
        let id = id.clone();
        tasks.spawn(async move {
            let pay = authorized(client.post(format!("{base}/api/v1/orders/{id}/pay")))
                .header("if-match", "*")
                .send();
            let cancel = async {
                // Every other cancel lands while the charge is in flight.
                tokio::time::sleep(Duration::from_millis(if n % 2 == 0 { 0 } else { 20 })).await;
                let cancel = client.post(format!("{base}/api/v1/orders/{id}/cancel"));
                authorized(cancel).header("if-match", "*").send().await
            };
            let (paid, cancelled) = tokio::join!(pay, cancel);
            for response in [paid.unwrap(), cancelled.unwrap()] {
                let status = response.status().as_u16();
                assert!(status == 200 || status == 409, "{status}: {}", response.text().await.unwrap());
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }

    let charged: Vec<String> = gateway
        .received()
        .into_iter()
        .filter_map(|r| r.idempotency_key)
        .collect();
    for id in &ids {
        let was_charged = charged.iter().any(|key| key.starts_with(id.as_str()));
        let status = status_of(&server, id).await;
        match status.as_str() {
            "paid" => assert!(was_charged, "{id} paid without a charge"),
            "cancelled" => assert!(!was_charged, "{id} was charged and cancelled"),
            other => panic!("{id} ended {other}"),
        }
    }
    server.stop().await;
}

on_every_database!(
    concurrent_pay_and_cancel_end_paid_or_cancelled_never_both,
    an_outage_is_a_503_and_paying_succeeds_once_the_gateway_is_back,
    a_declined_payment_is_a_422_and_the_order_stays_pending,
);
