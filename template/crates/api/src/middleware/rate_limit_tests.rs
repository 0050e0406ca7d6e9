//! Rate limiting through a real server on 127.0.0.1: quotas per caller and per operation
//! class, 429 with `Retry-After`, and the `RateLimit` fields on every response.

use std::num::NonZeroU32;
use std::sync::Arc;

use super::tests::{options, problem, serve_identifying};
use super::*;

/// Callers name themselves in `x-test-caller` (standing in for a verified token's subject);
/// without it they are counted by address.
fn identify_by_test_header() -> IdentifyCaller {
    Arc::new(|request| {
        request
            .headers()
            .get("x-test-caller")
            .and_then(|value| value.to_str().ok())
            .map(Arc::from)
    })
}

fn field(response: &reqwest::Response, name: &str) -> String {
    response.headers()[name].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_burst_over_the_quota_is_429_and_other_callers_and_classes_are_unaffected() {
    let mut options = options();
    options.rate_limits = RateLimits {
        enabled: true,
        reads_per_minute: NonZeroU32::new(3).unwrap(),
        writes_per_minute: NonZeroU32::new(2).unwrap(),
    };
    let base = serve_identifying(options, identify_by_test_header()).await;
    let client = reqwest::Client::new();
    let read = |caller: &'static str| {
        client
            .get(format!("{base}/panic"))
            .header("x-test-caller", caller)
            .send()
    };
    // Within the quota: answered, with the policy and what is left of it.
    for remaining in [2, 1, 0] {
        let response = read("alice").await.unwrap();
        assert_eq!(response.status(), 500, "the handler answered");
        assert_eq!(field(&response, "ratelimit-policy"), r#""reads";q=3;w=60"#);
        let rate_limit = field(&response, "ratelimit");
        assert!(
            rate_limit.starts_with(&format!(r#""reads";r={remaining};t="#)),
            "{rate_limit}"
        );
    }
    let refused = read("alice").await.unwrap();
    let retry_after: u64 = field(&refused, "retry-after").parse().unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(
        field(&refused, "ratelimit"),
        format!(r#""reads";r=0;t={retry_after}"#)
    );
    let body = problem(refused, 429).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("at most 3 a minute"),
        "{body}"
    );
    assert!(body["request_id"].is_string(), "{body}");

    // Another caller has a quota of its own; writes have theirs.
    assert_eq!(read("bob").await.unwrap().status(), 500);
    let write = client
        .post(format!("{base}/echo"))
        .header("x-test-caller", "alice")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 200);
    assert_eq!(field(&write, "ratelimit-policy"), r#""writes";q=2;w=60"#);
}

#[tokio::test]
async fn anonymous_callers_are_counted_by_address() {
    let mut options = options();
    options.rate_limits.reads_per_minute = NonZeroU32::new(1).unwrap();
    let base = serve_identifying(options, Arc::new(|_| None)).await;
    let client = reqwest::Client::new();
    let first = client.get(format!("{base}/panic")).send().await.unwrap();
    assert_eq!(first.status(), 500);
    // A different name in the test header changes nothing without an identity function.
    let second = client
        .get(format!("{base}/panic"))
        .header("x-test-caller", "someone-else")
        .send()
        .await
        .unwrap();
    problem(second, 429).await;
}

#[tokio::test]
async fn switched_off_nothing_is_counted_or_refused_and_no_fields_are_sent() {
    let mut options = options();
    options.rate_limits.enabled = false;
    options.rate_limits.reads_per_minute = NonZeroU32::new(1).unwrap();
    let base = serve_identifying(options, identify_by_test_header()).await;
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let response = client
            .get(format!("{base}/panic"))
            .header("x-test-caller", "alice")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 500, "the handler answered, never 429");
        assert!(response.headers().get("ratelimit").is_none());
        assert!(response.headers().get("ratelimit-policy").is_none());
    }
}

#[tokio::test]
async fn a_refused_body_still_counts_and_carries_the_fields() {
    let base = serve_identifying(options(), identify_by_test_header()).await;
    let response = reqwest::Client::new()
        .post(format!("{base}/echo"))
        .header("x-test-caller", "alice")
        .body("x".repeat(4096))
        .send()
        .await
        .unwrap();
    assert!(field(&response, "ratelimit-policy").starts_with(r#""writes";"#));
    assert!(field(&response, "ratelimit").starts_with(r#""writes";r="#));
    problem(response, 413).await;
}
