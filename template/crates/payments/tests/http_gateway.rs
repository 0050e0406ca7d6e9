//! The HTTP adapter against a fake gateway on 127.0.0.1: what is retried and what is not,
//! the idempotency key on every attempt, timeouts, and the circuit breaker.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::Utc;
use domain::DomainError;
use domain::order::{Charge, ChargeOutcome, NewOrder, Order, OrderId, PaymentGateway};
use domain::owner::Owner;
use domain::values::{Currency, Email, Money};
use payments::{BreakerOptions, HttpGateway, HttpGatewayOptions};
use test_support::fake_gateway::{Answer, FakeGateway};
use uuid::Uuid;

const TIMEOUT: Duration = Duration::from_millis(300);
const BACKOFF: Duration = Duration::from_millis(20);
const COOL_DOWN: Duration = Duration::from_millis(300);

fn options(url: &str, max_retries: u32, failure_threshold: u32) -> HttpGatewayOptions {
    HttpGatewayOptions {
        url: url.to_owned(),
        timeout: TIMEOUT,
        max_retries,
        backoff_min: BACKOFF,
        backoff_max: BACKOFF * 4,
        breaker: BreakerOptions {
            failure_threshold,
            cool_down: COOL_DOWN,
        },
    }
}

fn gateway(fake: &FakeGateway, max_retries: u32, failure_threshold: u32) -> HttpGateway {
    HttpGateway::new(&options(&fake.url, max_retries, failure_threshold)).unwrap()
}

fn charge() -> Charge {
    let order = Order::place(
        OrderId::from_uuid(Uuid::now_v7()),
        Owner::anonymous(),
        NewOrder {
            customer_email: Email::parse("ada@example.com").unwrap(),
            amount: Money::new(1250, Currency::parse("EUR").unwrap()).unwrap(),
            note: None,
        },
        Utc::now(),
    );
    Charge::for_order(&order)
}

fn keys(fake: &FakeGateway) -> Vec<String> {
    fake.received()
        .into_iter()
        .map(|request| {
            request
                .idempotency_key
                .expect("an Idempotency-Key on every attempt")
        })
        .collect()
}

#[tokio::test]
async fn an_accepted_charge_sends_the_amount_and_the_key_once() {
    let fake = FakeGateway::start().await;
    let charge = charge();
    let outcome = gateway(&fake, 2, 5).charge(&charge).await.unwrap();
    assert_eq!(outcome, ChargeOutcome::Accepted);
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].idempotency_key.as_deref(),
        Some(charge.idempotency_key.as_str())
    );
    assert_eq!(received[0].body["order_id"], charge.order_id.to_string());
    assert_eq!(received[0].body["amount_minor"], 1250);
    assert_eq!(received[0].body["currency"], "EUR");
}

#[tokio::test]
async fn a_decline_is_an_answer_never_retried_nor_held_against_the_gateway() {
    let fake = FakeGateway::start().await;
    fake.answer(Answer::Decline("insufficient funds".into()));
    let gateway = gateway(&fake, 3, 2);
    for _ in 0..3 {
        let outcome = gateway.charge(&charge()).await.unwrap();
        let reason = "insufficient funds".to_owned();
        assert_eq!(outcome, ChargeOutcome::Declined { reason });
    }
    assert_eq!(
        fake.request_count(),
        3,
        "one request per charge, and the breaker stays closed"
    );
}

#[tokio::test]
async fn unavailable_answers_are_retried_with_backoff_and_the_same_key() {
    let fake = FakeGateway::start().await;
    fake.script([
        Answer::Status(503),
        Answer::Status(502),
        Answer::Status(504),
    ]);
    let charge = charge();
    let started = Instant::now();
    let outcome = gateway(&fake, 3, 10).charge(&charge).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(outcome, ChargeOutcome::Accepted);
    assert_eq!(
        keys(&fake),
        vec![charge.idempotency_key.as_str().to_owned(); 4]
    );
    // Waits of at least 20, 40 and 80 ms: exponential, jitter only adds.
    assert!(elapsed >= BACKOFF * 7, "retried after {elapsed:?}");
}

#[tokio::test]
async fn a_stalled_attempt_times_out_and_is_retried() {
    let fake = FakeGateway::start().await;
    fake.script([Answer::Stall(TIMEOUT * 10)]);
    let charge = charge();
    let started = Instant::now();
    let outcome = gateway(&fake, 1, 10).charge(&charge).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(outcome, ChargeOutcome::Accepted);
    assert_eq!(fake.request_count(), 2);
    assert!(
        elapsed >= TIMEOUT && elapsed < TIMEOUT * 5,
        "took {elapsed:?}"
    );
}

#[tokio::test]
async fn when_retries_run_out_the_gateway_is_unavailable() {
    let fake = FakeGateway::start().await;
    fake.answer(Answer::Status(503));
    let err = gateway(&fake, 2, 10).charge(&charge()).await.unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::Unavailable {
                retry_after: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.request_count(), 3, "the first attempt and two retries");
}

#[tokio::test]
async fn a_redirect_is_a_failure_and_the_charge_never_goes_where_it_points() {
    let fake = FakeGateway::start().await;
    let elsewhere = FakeGateway::start().await;
    fake.answer(Answer::Redirect(elsewhere.url.clone()));
    let err = gateway(&fake, 3, 5).charge(&charge()).await.unwrap_err();
    assert!(matches!(err, DomainError::Internal(_)), "{err:?}");
    assert_eq!(fake.request_count(), 1, "not retried");
    assert_eq!(elsewhere.request_count(), 0, "the charge was re-sent to the redirect's target");
}

#[tokio::test]
async fn a_decline_with_an_endless_body_is_read_only_up_to_a_limit() {
    let fake = FakeGateway::start().await;
    fake.answer(Answer::DeclineEndlessly);
    // Reading the whole body would never end: the attempt would time out and be retried.
    let outcome = gateway(&fake, 0, 5).charge(&charge()).await.unwrap();
    let ChargeOutcome::Declined { reason } = outcome else {
        panic!("a decline: {outcome:?}");
    };
    assert!(reason.chars().all(|c| c == 'x') && !reason.is_empty(), "{reason}");
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn other_client_errors_are_ours_and_not_retried() {
    let fake = FakeGateway::start().await;
    fake.answer(Answer::Status(400));
    let err = gateway(&fake, 3, 1).charge(&charge()).await.unwrap_err();
    assert!(matches!(err, DomainError::Internal(_)), "{err:?}");
    assert_eq!(fake.request_count(), 1);
    fake.answer(Answer::Accept);
    let outcome = gateway(&fake, 3, 1).charge(&charge()).await.unwrap();
    assert_eq!(
        outcome,
        ChargeOutcome::Accepted,
        "not counted against the gateway"
    );
}

#[tokio::test]
async fn the_breaker_opens_fails_fast_then_half_opens_and_closes() {
    let fake = FakeGateway::start().await;
    fake.answer(Answer::Status(503));
    let gateway = gateway(&fake, 0, 3);
    for _ in 0..3 {
        let err = gateway.charge(&charge()).await.unwrap_err();
        assert!(matches!(err, DomainError::Unavailable { .. }), "{err:?}");
    }
    assert_eq!(fake.request_count(), 3);

    // Open: refused at once, without a request, saying when to come back.
    let started = Instant::now();
    let err = gateway.charge(&charge()).await.unwrap_err();
    // Well under one attempt's timeout: nothing was waited for.
    assert!(started.elapsed() < TIMEOUT, "took {:?}", started.elapsed());
    let DomainError::Unavailable {
        retry_after: Some(wait),
        ..
    } = err
    else {
        panic!("expected Unavailable with a retry hint, got {err:?}");
    };
    assert!(wait <= COOL_DOWN, "{wait:?}");
    assert_eq!(
        fake.request_count(),
        3,
        "an open breaker does not call the gateway"
    );

    // Half-open after the cool-down: a failed probe opens it again.
    tokio::time::sleep(COOL_DOWN + Duration::from_millis(20)).await;
    assert!(gateway.charge(&charge()).await.is_err());
    assert_eq!(fake.request_count(), 4, "one probe");
    assert!(gateway.charge(&charge()).await.is_err());
    assert_eq!(fake.request_count(), 4, "open again");

    // The gateway recovers: the next probe succeeds and closes the breaker.
    fake.answer(Answer::Accept);
    tokio::time::sleep(COOL_DOWN + Duration::from_millis(20)).await;
    assert_eq!(
        gateway.charge(&charge()).await.unwrap(),
        ChargeOutcome::Accepted
    );
    assert_eq!(
        gateway.charge(&charge()).await.unwrap(),
        ChargeOutcome::Accepted
    );
    assert_eq!(
        fake.request_count(),
        6,
        "closed: every call reaches the gateway"
    );
}

#[tokio::test]
async fn an_unreachable_gateway_is_retried_then_trips_the_breaker() {
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/charges");
    let gateway = HttpGateway::new(&options(&url, 2, 3)).unwrap();
    let started = Instant::now();
    let err = gateway.charge(&charge()).await.unwrap_err();
    assert!(
        started.elapsed() >= BACKOFF * 3,
        "two waits before giving up"
    );
    // Three failed attempts (one call and its two retries) opened the breaker.
    assert!(
        matches!(
            err,
            DomainError::Unavailable {
                retry_after: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
}
