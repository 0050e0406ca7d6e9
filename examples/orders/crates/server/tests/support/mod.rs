//! Test support: a real server on 127.0.0.1 port 0 over a fresh database from `test-support`
//! (a SQLite file, or a PostgreSQL database when `TEST_DATABASE_URL` is set).
// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports, clippy::expect_used, clippy::unwrap_used)]

pub mod process;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use server::settings::{DatabaseUrl, Settings};
use server::startup::App;
pub use test_support::{TestDatabase, on_every_database};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The signing secret the test server uses.
pub const TEST_JWT_SECRET: &str = "integration-test-secret-0123456789abcdef";

/// Settings for a test server over `db`, listening on a free port.
pub fn settings(db: &TestDatabase) -> Settings {
    let mut settings = Settings::default();
    settings.http.host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    settings.http.port = 0;
    settings.http.shutdown_grace = Duration::from_secs(5);
    settings.database.url = DatabaseUrl::new(db.url.clone());
    settings.database.migrate_on_start = true;
    // Suites send many requests as one caller; the rate-limit test sets its own quotas.
    settings.rate_limit.reads_per_minute = std::num::NonZeroU32::MAX;
    settings.rate_limit.writes_per_minute = std::num::NonZeroU32::MAX;
    settings.auth.jwt_secret = TEST_JWT_SECRET.into();
    settings
}

/// A running service and an HTTP client for it.
pub struct TestServer {
    pub base_url: String,
    pub client: reqwest::Client,
    db: TestDatabase,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

const TEST_SERVICE: api::ServiceInfo = api::ServiceInfo {
    name: "test-service",
    description: "integration tests",
    version: "0.0.0",
};

impl TestServer {
    pub async fn start(db: TestDatabase) -> Self {
        Self::start_with(db, |_| {}).await
    }

    pub async fn start_with(db: TestDatabase, adjust: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = settings(&db);
        adjust(&mut settings);
        let app = App::build(&settings, TEST_SERVICE)
            .await
            .expect("the service builds");
        let bound = app
            .bind(settings.http.host, settings.http.port)
            .await
            .expect("the service binds");
        let address = bound.local_addr().expect("a socket address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(bound.serve_until(async {
            stop.await.ok();
        }));
        Self {
            base_url: format!("http://{address}"),
            client: reqwest::Client::new(),
            db,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Stops the server gracefully, checks it stopped cleanly, and drops the database.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.send(()).ok();
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("clean shutdown");
        }
        self.db.drop_database().await;
    }
}

/// A token signed with the test server's secret.
pub fn token(scopes: &[&str]) -> String {
    let defaults = Settings::default();
    api::auth::JwtVerifier::new(
        TEST_JWT_SECRET.as_bytes(),
        &defaults.auth.issuer,
        &defaults.auth.audience,
    )
    .mint("test-user", scopes, Duration::from_secs(300))
    .expect("mint a token")
}

/// The request as a caller that may read and write orders: a bearer token with
/// both scopes.
pub fn authorized(builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    builder.bearer_auth(token(&["orders:read", "orders:write"]))
}

/// Reads a problem+json body, checking the content type and the RFC 9457 members.
pub async fn problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.expect("a JSON problem");
    assert_eq!(body["status"], status, "{body}");
    for member in ["type", "title", "detail", "request_id"] {
        assert!(body[member].is_string(), "missing `{member}` in {body}");
    }
    body
}
