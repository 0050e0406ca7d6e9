//! What types alone cannot check: ranges, URLs, origins, and the development defaults that
//! production refuses. Every problem is reported at once, each naming its key.

use super::PaymentsMode;
use super::jwt_secret;
use super::{Profile, Settings};
use anyhow::bail;
use secrecy::ExposeSecret;

impl Settings {
    /// Checks what types alone cannot: every problem is reported, each naming its key. Returns
    /// the warnings (allowed but doubtful values), for the log once it is up.
    pub fn validate(&self, profile: Profile) -> anyhow::Result<Vec<String>> {
        self.validate_with_sources(profile, &|_| None)
    }

    /// As [`Settings::validate`], naming where a refused secret came from: `source(key)` is
    /// the layer that set `key`, when known.
    pub fn validate_with_sources(
        &self,
        profile: Profile,
        source: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let production = profile == Profile::Production;
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
        if self.auth.max_token_lifetime.is_zero() {
            problems.push("auth.max_token_lifetime must be greater than zero".to_owned());
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
        if telemetry.log_buffer_lines == 0 {
            problems.push("telemetry.log_buffer_lines must be at least 1".to_owned());
        }
        if telemetry.flush_timeout.is_zero() {
            problems.push("telemetry.flush_timeout must be greater than zero".to_owned());
        }
        if let Some(weakness) =
            jwt_secret::weakness(self.auth.jwt_secret.expose_secret(), production)
        {
            let from = source("auth.jwt_secret")
                .map_or_else(String::new, |source| format!(" (from {source})"));
            problems.push(format!(
                "auth.jwt_secret{from} {weakness} (set APP_AUTH__JWT_SECRET)"
            ));
        }
        self.payments
            .check(self.http.request_timeout, &mut problems);
        if production && self.payments.mode == PaymentsMode::InProcess {
            if self.payments.allow_in_process {
                warnings.push(
                    "payments.mode is \"in-process\" in production (payments.allow_in_process is \
                     on): every payment is accepted without charging anyone"
                        .to_owned(),
                );
            } else {
                problems.push(
                    "payments.mode is \"in-process\" in production, which accepts every payment \
                     without charging anyone: set payments.mode = \"http\" and payments.url \
                     (APP_PAYMENTS__MODE, APP_PAYMENTS__URL), or, for a demo only, \
                     payments.allow_in_process = true (APP_PAYMENTS__ALLOW_IN_PROCESS)"
                        .to_owned(),
                );
            }
        }
        if production && db.migrate_on_start {
            warnings.push(
                "database.migrate_on_start is on in production: prefer a migration job".to_owned(),
            );
        }
        if problems.is_empty() {
            Ok(warnings)
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
