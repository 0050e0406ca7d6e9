//! Rate limiting through the real service: a burst over the configured quota gets 429 with
//! `Retry-After` and the `RateLimit` fields, and other callers keep their own quota.
{%- if auth %} Callers
//! are told apart by their verified token's subject; an invalid token counts for its address.
{%- else %} Without
//! authentication, callers are told apart by their address.
{%- endif %}
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used)]

mod support;

use std::num::NonZeroU32;

use support::{TestDatabase, TestServer, problem};
{%- if auth %}
use support::{TEST_JWT_SECRET, token};

/// A valid token for another subject than [`token`]'s.
fn token_for(subject: &str) -> String {
    let defaults = server::settings::Settings::default();
    api::auth::JwtVerifier::new(TEST_JWT_SECRET.as_bytes(), &defaults.auth.issuer, &defaults.auth.audience)
        .mint(subject, &[], std::time::Duration::from_secs(300))
        .unwrap()
}
{%- endif %}

async fn server_with_small_quotas() -> TestServer {
    TestServer::start_with(TestDatabase::sqlite(), |settings| {
        settings.rate_limit.reads_per_minute = NonZeroU32::new(2).unwrap();
        settings.rate_limit.writes_per_minute = NonZeroU32::new(5).unwrap();
    })
    .await
}

#[tokio::test]
async fn a_burst_over_the_quota_is_refused_with_retry_after_but_probes_are_not_limited() {
    let server = server_with_small_quotas().await;
    let url = server.url("/openapi.json");
    for remaining in [1, 0] {
        let response = server.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["ratelimit-policy"], r#""reads";q=2;w=60"#);
        let field = response.headers()["ratelimit"].to_str().unwrap().to_owned();
        assert!(field.starts_with(&format!(r#""reads";r={remaining};"#)), "{field}");
    }
    let refused = server.client.get(&url).send().await.unwrap();
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    problem(refused, 429).await;
    // The probes answer whatever the caller's quota: a refused liveness probe restarts the pod.
    for _ in 0..3 {
        let probe = server.client.get(server.url("/health/live")).send().await.unwrap();
        assert_eq!(probe.status(), 200);
        assert!(probe.headers().get("ratelimit").is_none());
    }
    // Writes have a quota of their own.
    let write = server.client.post(&url).send().await.unwrap();
    assert_eq!(write.status(), 405);
    assert_eq!(write.headers()["ratelimit-policy"], r#""writes";q=5;w=60"#);
    server.stop().await;
}
{%- if auth %}

#[tokio::test]
async fn each_subject_has_its_own_quota_and_bad_tokens_count_for_their_address() {
    let server = server_with_small_quotas().await;
    let url = server.url("/api/v1/whoami");
    let alice = token_for("alice");
    for _ in 0..2 {
        let response = server.client.get(&url).bearer_auth(&alice).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let refused = server.client.get(&url).bearer_auth(&alice).send().await.unwrap();
    problem(refused, 429).await;
    // Another subject, from the same address, is not affected.
    let bob = server.client.get(&url).bearer_auth(token(&[])).send().await.unwrap();
    assert_eq!(bob.status(), 200);
    // Invalid tokens are counted by address: two 401s, then 429.
    for _ in 0..2 {
        let response = server.client.get(&url).bearer_auth("garbage").send().await.unwrap();
        problem(response, 401).await;
    }
    let response = server.client.get(&url).bearer_auth("other-garbage").send().await.unwrap();
    problem(response, 429).await;
    server.stop().await;
}
{%- endif %}
