//! Bearer JWT authentication through a real server: 401 without or with a bad token, 403
//! without the scope.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use support::{TEST_JWT_SECRET, TestDatabase, TestServer, on_every_database, problem, token};

/// A token signed with `secret` whose claims are otherwise valid.
fn token_signed_with(secret: &str) -> String {
    let defaults = server::settings::Settings::default();
    api::auth::JwtVerifier::new(
        secret.as_bytes(),
        &defaults.auth.issuer,
        &defaults.auth.audience,
    )
    .mint("mallory", &["orders:read"], Duration::from_secs(300))
    .unwrap()
}

/// A token with the test secret that expires `seconds` from now (negative: in the past).
fn token_with_ttl(seconds: i64) -> String {
    let defaults = server::settings::Settings::default();
    let now = chrono::Utc::now().timestamp();
    let claims = api::auth::Claims {
        sub: "test-user".to_owned(),
        scope: "orders:read".to_owned(),
        iss: defaults.auth.issuer,
        aud: defaults.auth.audience,
        exp: now + seconds,
        nbf: None,
        iat: None,
    };
    let key = jsonwebtoken::EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
}

/// An unsigned token (`alg: none`) carrying otherwise valid claims.
fn unsigned_token() -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let signed = token(&["orders:read"]);
    let claims = signed.split('.').nth(1).unwrap();
    format!("{header}.{claims}.")
}

async fn requests_without_a_valid_token_are_unauthorized(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let url = server.url("/api/v1/whoami");
    let missing = server.client.get(&url).send().await.unwrap();
    // RFC 6750: no token, a bare challenge; a refused one, `invalid_token` and why.
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    problem(missing, 401).await;
    for bad in [
        "garbage".to_owned(),
        token_signed_with("another-secret-that-is-long-enough-000"),
        unsigned_token(),
    ] {
        let response = server
            .client
            .get(&url)
            .bearer_auth(bad)
            .send()
            .await
            .unwrap();
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{challenge}"
        );
        assert!(challenge.contains("the token is invalid"), "{challenge}");
        problem(response, 401).await;
    }
    let expired = token_with_ttl(-3600);
    let response = server
        .client
        .get(&url)
        .bearer_auth(expired)
        .send()
        .await
        .unwrap();
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("the token has expired"), "{challenge}");
    let body = problem(response, 401).await;
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    server.stop().await;
}

async fn a_valid_token_identifies_the_caller(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let response = server
        .client
        .get(server.url("/api/v1/whoami"))
        .bearer_auth(token(&["orders:read"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["subject"], "test-user");
    assert_eq!(body["scopes"], serde_json::json!(["orders:read"]));
    assert!(!TEST_JWT_SECRET.is_empty());
    server.stop().await;
}

async fn a_token_without_the_scope_is_forbidden(db: TestDatabase) {
    let server = TestServer::start(db).await;
    let response = server
        .client
        .post(server.url("/api/v1/orders"))
        .bearer_auth(token(&["orders:read"]))
        .json(
            &serde_json::json!({"customer_email": "a@b.co", "amount_minor": 1, "currency": "EUR"}),
        )
        .send()
        .await
        .unwrap();
    let body = problem(response, 403).await;
    assert!(
        body["detail"].as_str().unwrap().contains("orders:write"),
        "{body}"
    );
    server.stop().await;
}

on_every_database!(
    requests_without_a_valid_token_are_unauthorized,
    a_valid_token_identifies_the_caller,
    a_token_without_the_scope_is_forbidden,
);
