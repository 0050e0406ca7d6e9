//! Configuration: one typed [`Settings`], built once at start from layers (later wins):
//!
//! 1. defaults in code (each section's `Default`);
//! 2. `config/default.toml`;
//! 3. `config/<profile>.toml`, the profile coming from `APP_PROFILE` (default `development`);
//! 4. `APP_*` environment variables, `__` separating sections (`APP_HTTP__PORT=9000`);
//! 5. the standard `DATABASE_URL`.
//!
//! Unknown keys are errors, and every error names the key and where its value came from
//! (`for key "APP_HTTP__PORT" in environment`). Secrets are held in types that never print
//! them. The rest of the code receives plain values from here and never reads the
//! environment, except for the standard `OTEL_*` and `RUST_LOG` variables that the
//! telemetry libraries read themselves.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use figment::providers::{Env, Format, Toml};
use figment::{Figment, Metadata, Profile as FigmentProfile, Provider};
{%- if auth %}
use secrecy::SecretString;
{%- endif %}
use serde::{Deserialize, Serialize};

{%- if example %}

mod payments;
{%- endif %}
mod http;
{%- if auth %}
mod jwt_secret;
{%- endif %}
mod report;
mod secret;
mod validation;

{%- if example %}

pub use payments::{PaymentsMode, PaymentsSettings};
{%- endif %}
pub use http::HttpSettings;
pub use report::ConfigReport;
pub use secret::DatabaseUrl;
{%- if auth %}
pub use jwt_secret::{DEVELOPMENT_JWT_SECRET, TEST_PROFILE_JWT_SECRET};
{%- endif %}

/// The profiles the service knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Development,
    Test,
    Production,
}

impl Profile {
    fn from_env_value(value: Option<&str>) -> anyhow::Result<Self> {
        match value.unwrap_or("development") {
            "development" => Ok(Self::Development),
            "test" => Ok(Self::Test),
            "production" => Ok(Self::Production),
            other => bail!(
                "APP_PROFILE (from the environment) is `{other}`: expected development, test or production"
            ),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub http: HttpSettings,
    pub rate_limit: RateLimitSettings,
    pub database: DatabaseSettings,
    pub telemetry: TelemetrySettings,
{%- if auth %}
    pub auth: AuthSettings,
{%- endif %}
{%- if example %}
    pub payments: PaymentsSettings,
{%- endif %}
}

/// Requests per minute per caller (the token's subject, else the client address), in this
/// replica; over it, 429 with `Retry-After`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Off only where a gateway in front of every replica limits each caller (see
    /// `docs/security.md`); the service then warns at start.
    pub enabled: bool,
    /// `GET`, `HEAD` and `OPTIONS` requests (at least 1).
    pub reads_per_minute: NonZeroU32,
    /// Every other method (at least 1).
    pub writes_per_minute: NonZeroU32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            reads_per_minute: NonZeroU32::new(1200).unwrap_or(NonZeroU32::MIN),
            writes_per_minute: NonZeroU32::new(300).unwrap_or(NonZeroU32::MIN),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://data/app.db?mode=rwc` (embedded default) or `postgres://user@host/db`.
    /// Its password is never printed.
    pub url: DatabaseUrl,
    pub max_connections: u32,
    pub min_connections: u32,
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Tries to connect at start before giving up (exponential backoff between tries).
    pub connect_attempts: u32,
    /// How long a request waits for a pooled connection (and SQLite for its write lock).
    #[serde(with = "humantime_serde")]
    pub acquire_timeout: Duration,
    /// Apply pending migrations when `serve` starts.
    pub migrate_on_start: bool,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: DatabaseUrl::new("sqlite://data/app.db?mode=rwc"),
            max_connections: 10,
            min_connections: 1,
            connect_timeout: Duration::from_secs(5),
            connect_attempts: 5,
            // Short: during a database outage requests fail fast with 503 instead of hanging
            // (the pool retries connecting until this runs out).
            acquire_timeout: Duration::from_secs(2),
            migrate_on_start: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, for terminals.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// How traces and metrics travel to the collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OtlpProtocol {
    /// OTLP over gRPC, usually port 4317.
    #[serde(rename = "grpc")]
    Grpc,
    /// OTLP over HTTP with protobuf bodies, usually port 4318.
    #[serde(rename = "http/protobuf")]
    HttpProtobuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetrySettings {
    /// `service.name` of traces and metrics (`OTEL_SERVICE_NAME` wins when set).
    pub service_name: String,
    pub log_format: LogFormat,
    /// Default log filter when `RUST_LOG` is not set.
    pub log_filter: String,
    /// Log lines queued for the writer thread; when full, the thread that logs waits for
    /// room, so no line is ever dropped.
    pub log_buffer_lines: usize,
    /// The OTLP collector, e.g. `http://otel-collector:4317`. Traces and metrics are
    /// exported only when this or `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
    pub otlp_endpoint: Option<String>,
    /// `grpc` or `http/protobuf`; unset, `OTEL_EXPORTER_OTLP_PROTOCOL` decides, else gRPC.
    pub otlp_protocol: Option<OtlpProtocol>,
    /// Share of traces recorded, 0.0 to 1.0, decided from the trace id. `OTEL_TRACES_SAMPLER`,
    /// when set, wins.
    pub trace_sample_ratio: f64,
    /// Follow the caller's sampling decision (the sampled flag of its `traceparent`) instead
    /// of `trace_sample_ratio`. Off, a caller cannot force (or prevent) export; its trace id
    /// is continued either way. Turn on only behind a gateway that sets `traceparent` itself.
    pub trust_inbound_sampling: bool,
    /// At exit, how long to wait for the last traces and metrics to reach the collector.
    #[serde(with = "humantime_serde")]
    pub flush_timeout: Duration,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            service_name: env!("CARGO_PKG_NAME").to_owned(),
            log_format: LogFormat::Pretty,
            log_filter: "info".to_owned(),
            log_buffer_lines: 16_384,
            otlp_endpoint: None,
            otlp_protocol: None,
            trace_sample_ratio: 1.0,
            trust_inbound_sampling: false,
            flush_timeout: Duration::from_secs(5),
        }
    }
}
{%- if auth %}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// HS256 signing secret, at least 32 bytes. Never printed.
    #[serde(serialize_with = "secret::redacted")]
    pub jwt_secret: SecretString,
    /// Expected `iss` claim.
    pub issuer: String,
    /// Expected `aud` claim.
    pub audience: String,
    /// The longest a token may be valid (RFC 8725): longer-lived tokens are refused.
    #[serde(with = "humantime_serde")]
    pub max_token_lifetime: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            // No usable default: validation asks for APP_AUTH__JWT_SECRET.
            jwt_secret: SecretString::from(""),
            issuer: env!("CARGO_PKG_NAME").to_owned(),
            audience: env!("CARGO_PKG_NAME").to_owned(),
            max_token_lifetime: api::auth::DEFAULT_MAX_TOKEN_LIFETIME,
        }
    }
}
{%- endif %}

/// Settings, the profile they were loaded for, and the layers they came from.
#[derive(Debug, Clone)]
pub struct LoadedSettings {
    pub profile: Profile,
    pub settings: Settings,
    /// Allowed but doubtful values, found before logging is up: see
    /// [`LoadedSettings::log_warnings`].
    pub warnings: Vec<String>,
    figment: Figment,
}

impl LoadedSettings {
    /// Logs the validation warnings; call it once telemetry is initialised, so that they
    /// reach the log instead of vanishing before it exists.
    pub fn log_warnings(&self) {
        for warning in &self.warnings {
            tracing::warn!(profile = self.profile.as_str(), "configuration: {warning}");
        }
    }

    /// Every effective value with its source, secrets redacted (the `config` command).
    pub fn report(&self) -> anyhow::Result<ConfigReport> {
        ConfigReport::new(&self.settings, &self.figment)
    }
}

/// `config` in the current directory when it exists, or else the `config` directory of the
/// nearest enclosing directory that holds `config/default.toml` beside a `Cargo.toml` (the
/// workspace root, for `cargo run` from `crates/server`); `config` when there is neither.
fn default_config_dir() -> PathBuf {
    let here = PathBuf::from("config");
    if here.is_dir() {
        return here;
    }
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            cwd.ancestors()
                .find(|dir| {
                    dir.join("Cargo.toml").is_file() && dir.join("config/default.toml").is_file()
                })
                .map(|root| root.join("config"))
        })
        .unwrap_or(here)
}

impl Settings {
    /// Loads the layers described in the module documentation from `config_dir`
    /// (`APP_CONFIG_DIR`, default `config`) and the process environment, then validates.
    pub fn load() -> anyhow::Result<LoadedSettings> {
        let profile = Profile::from_env_value(std::env::var("APP_PROFILE").ok().as_deref())?;
        let config_dir = match std::env::var_os("APP_CONFIG_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => default_config_dir(),
        };
        let figment = Self::figment(&config_dir, profile);
        let settings: Settings = figment.extract().with_context(|| {
            format!(
                "configuration in {}{} (run from the workspace root, or set APP_CONFIG_DIR to \
                 the configuration directory)",
                config_dir.display(),
                if config_dir.is_dir() { "" } else { ", which does not exist" }
            )
        })?;
        let warnings = settings.validate_with_sources(profile, &|key| {
            figment.find_metadata(key).map(|_| report::source_of(&figment, key))
        })?;
        Ok(LoadedSettings {
            profile,
            settings,
            warnings,
            figment,
        })
    }

    /// The layered configuration, before extraction. Defaults come from `Default` at
    /// extraction, so a key no layer sets has no source: it is a default.
    pub fn figment(config_dir: &Path, profile: Profile) -> Figment {
        Figment::new()
            .merge(Toml::file_exact(config_dir.join("default.toml")))
            .merge(Toml::file_exact(
                config_dir.join(format!("{}.toml", profile.as_str())),
            ))
            .merge(Named::environment(
                Env::prefixed("APP_")
                    .split("__")
                    .ignore(&["profile", "config_dir"]),
                |keys| format!("APP_{}", keys.join("__").to_ascii_uppercase()),
            ))
            .merge(Named::environment(
                Env::raw().only(&["DATABASE_URL"]).map(|_| "database.url".into()),
                |_| "DATABASE_URL".to_owned(),
            ))
    }
}

/// An environment layer whose errors and report name the exact variable
/// (`APP_HTTP__PORT`), where figment's own would say `HTTP.PORT`.
struct Named {
    env: Env,
    variable: fn(&[&str]) -> String,
}

impl Named {
    fn environment(env: Env, variable: fn(&[&str]) -> String) -> Self {
        Self { env, variable }
    }
}

impl Provider for Named {
    fn metadata(&self) -> Metadata {
        let variable = self.variable;
        Metadata::named("environment")
            .interpolater(move |_: &FigmentProfile, keys: &[&str]| variable(keys))
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<FigmentProfile, figment::value::Dict>, figment::Error> {
        self.env.data()
    }
}

#[cfg(test)]
mod tests;
