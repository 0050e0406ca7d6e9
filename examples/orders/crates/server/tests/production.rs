//! The production profile through the real binary: it refuses to start with settings that
//! would make it lie or leave it open (the in-process payment gateway, unless
//! `payments.allow_in_process`) (a guessable JWT secret), each refusal naming the key;
//! and what its settings validation only warns about reaches the log.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::TestDatabase;
use support::process::{BINARY, CONFIG_DIR, ServiceProcess};

/// Strong enough for production, and not one of the committed secrets.
fn strong_secret() -> String {
    test_support::random_looking_secret(48, test_support::BASE64_ALPHABET)
}

/// Runs `serve` in the production profile over `db` with `envs`, expecting it to refuse to
/// start within 30 s; returns what it wrote to stderr.
fn refusal(db: &TestDatabase, envs: &[(&str, &str)]) -> String {
    let mut command = Command::new(BINARY);
    command
        .arg("serve")
        .env("APP_PROFILE", "production")
        .env("APP_CONFIG_DIR", CONFIG_DIR)
        .env("APP_HTTP__HOST", "127.0.0.1")
        .env("APP_HTTP__PORT", "0")
        .env("APP_DATABASE__MIGRATE_ON_START", "true")
        .env("DATABASE_URL", &db.url)
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the service starts");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            child.kill().ok();
            panic!("the service started in production with {envs:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success(), "{:?}", output.status);
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn production_refuses_the_in_process_payment_gateway() {
    let db = TestDatabase::sqlite();
    let secret = strong_secret();
    let stderr = refusal(
        &db,
        &[
            ("APP_AUTH__JWT_SECRET", secret.as_str()),
            ("APP_PAYMENTS__MODE", "in-process"),
        ],
    );
    assert!(stderr.contains("payments.allow_in_process"), "{stderr}");
}

#[test]
fn production_refuses_a_guessable_jwt_secret() {
    let db = TestDatabase::sqlite();
    let weak = "a".repeat(32);
    let stderr = refusal(
        &db,
        &[
            ("APP_AUTH__JWT_SECRET", weak.as_str()),
            ("APP_PAYMENTS__ALLOW_IN_PROCESS", "true"),
        ],
    );
    assert!(
        stderr.contains("auth.jwt_secret (from APP_AUTH__JWT_SECRET (environment))"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&weak),
        "the secret is never printed: {stderr}"
    );
}

#[tokio::test]
async fn the_warnings_of_settings_validation_reach_the_log() {
    let db = TestDatabase::sqlite();
    let secret = strong_secret();
    let service = ServiceProcess::start(
        &db,
        &[
            ("APP_PROFILE", "production"),
            ("APP_DATABASE__MIGRATE_ON_START", "true"),
            ("APP_AUTH__JWT_SECRET", secret.as_str()),
            ("APP_PAYMENTS__ALLOW_IN_PROCESS", "true"),
        ],
    )
    .await;
    let (log, _) = service.stop_cleanly(Duration::from_secs(15)).await;
    assert!(
        log.contains("database.migrate_on_start is on in production"),
        "{log}"
    );
    assert!(log.contains("payments.allow_in_process is"), "{log}");
}
