//! What types alone cannot check: ranges, URLs, origins, and the development defaults that
//! production refuses. Every problem is reported at once, each naming its key.

use super::PaymentsMode;
use super::{Profile, Settings};
use anyhow::bail;
use secrecy::ExposeSecret;

/// The secret shipped in `config/development.toml`, refused in production.
pub const DEVELOPMENT_JWT_SECRET: &str = "development-only-secret-change-me-0123456789";

impl Settings {
    /// Checks what types alone cannot: every problem is reported, each naming its key.
    pub fn validate(&self, profile: Profile) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        let db = &self.database;
        let url = db.url.expose();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            problems.push(format!(
                "database.url `{}` must start with sqlite:, postgres:// or postgresql://",
                db.url.redacted()
            ));
        }
        if db.max_connections == 0 || db.min_connections > db.max_connections {
            problems.push(format!(
                "database.max_connections ({}) must be at least 1 and at least database.min_connections ({})",
                db.max_connections, db.min_connections
            ));
        }
        if db.connect_attempts == 0 {
            problems.push("database.connect_attempts must be at least 1".to_owned());
        }
        for origin in &self.http.cors_allowed_origins {
            if !is_origin(origin) {
                problems.push(format!(
                    "http.cors_allowed_origins: `{origin}` is not an origin like https://app.example.com"
                ));
            }
        }
        if self.http.body_limit_bytes == 0 {
            problems.push("http.body_limit_bytes must be greater than zero".to_owned());
        }
        if self.http.request_timeout.is_zero() {
            problems.push("http.request_timeout must be greater than zero".to_owned());
        }
        self.http.check_connection_limits(&mut problems);
        let telemetry = &self.telemetry;
        if !(0.0..=1.0).contains(&telemetry.trace_sample_ratio) {
            problems.push(format!(
                "telemetry.trace_sample_ratio ({}) must be between 0.0 and 1.0",
                telemetry.trace_sample_ratio
            ));
        }
        if let Some(endpoint) = &telemetry.otlp_endpoint
            && !is_http_url(endpoint)
        {
            problems.push(format!(
                "telemetry.otlp_endpoint `{endpoint}` is not an http:// or https:// URL, like http://otel-collector:4317"
            ));
        }
        if telemetry.flush_timeout.is_zero() {
            problems.push("telemetry.flush_timeout must be greater than zero".to_owned());
        }
        let secret = self.auth.jwt_secret.expose_secret();
        if secret.len() < 32 {
            problems.push(
                "auth.jwt_secret must be at least 32 bytes (set APP_AUTH__JWT_SECRET)".to_owned(),
            );
        }
        if profile == Profile::Production && secret == DEVELOPMENT_JWT_SECRET {
            problems.push(
                "auth.jwt_secret is the development secret, refused in production".to_owned(),
            );
        }
        self.payments
            .check(self.http.request_timeout, &mut problems);
        if profile == Profile::Production && self.payments.mode == PaymentsMode::InProcess {
            tracing::warn!(
                "payments.mode is in-process in production: every payment is accepted without charging"
            );
        }
        if profile == Profile::Production && db.migrate_on_start {
            tracing::warn!("database.migrate_on_start is on in production: prefer a migration job");
        }
        if problems.is_empty() {
            Ok(())
        } else {
            bail!("invalid configuration:\n  - {}", problems.join("\n  - "))
        }
    }
}

/// `scheme://host[:port]` and nothing more; `*` is refused: list the origins.
fn is_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', '*', '?', '#', '@', ' '])
}

/// `http(s)://host...`, with a host.
pub(super) fn is_http_url(url: &str) -> bool {
    url.split_once("://").is_some_and(|(scheme, rest)| {
        matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.starts_with('/')
    })
}
