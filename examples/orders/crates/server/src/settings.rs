//! Configuration: one typed [`Settings`], built once at start from layers (later wins):
//!
//! 1. defaults in code ([`Settings::default`]);
//! 2. `config/default.toml`;
//! 3. `config/<profile>.toml`, the profile coming from `APP_PROFILE` (default `development`);
//! 4. `APP_*` environment variables, `__` separating sections (`APP_HTTP__PORT=9000`);
//! 5. the standard `DATABASE_URL`.
//!
//! Unknown keys are errors, and every error names the key and where its value came from.
//! The rest of the code receives plain values from here and never reads the environment.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub telemetry: TelemetrySettings,
    pub auth: AuthSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// The address to listen on (`0.0.0.0` in containers).
    pub host: IpAddr,
    /// The port to listen on; 0 picks a free one.
    pub port: u16,
    /// Longer requests are answered with 504.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// How long in-flight requests may take to finish after a shutdown signal.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Larger request bodies are answered with 413.
    pub body_limit_bytes: usize,
    /// Origins (`https://app.example.com`) allowed to call the API from a browser; empty
    /// allows none.
    pub cors_allowed_origins: Vec<String>,
    /// Send `Strict-Transport-Security`; turn on when clients reach the service over TLS.
    pub hsts: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://data/app.db?mode=rwc` (embedded default) or `postgres://user@host/db`.
    pub url: String,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, for terminals.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// `service.name` of traces and logs.
    pub service_name: String,
    pub log_format: LogFormat,
    /// Default log filter when `RUST_LOG` is not set.
    pub log_filter: String,
    /// OTLP/gRPC collector, e.g. `http://otel-collector:4317`. Traces are exported only when
    /// this or `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
    pub otlp_endpoint: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// HS256 signing secret, at least 32 bytes. Never printed.
    #[serde(serialize_with = "redacted")]
    pub jwt_secret: SecretString,
    /// Expected `iss` claim.
    pub issuer: String,
    /// Expected `aud` claim.
    pub audience: String,
}

/// The secret shipped in `config/development.toml`, refused in production.
pub const DEVELOPMENT_JWT_SECRET: &str = "development-only-secret-change-me-0123456789";

fn redacted<S: serde::Serializer>(_: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str("[redacted]")
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            http: HttpSettings {
                host: IpAddr::from([127, 0, 0, 1]),
                port: 8080,
                request_timeout: Duration::from_secs(30),
                shutdown_grace: Duration::from_secs(20),
                body_limit_bytes: 64 * 1024,
                cors_allowed_origins: Vec::new(),
                hsts: false,
            },
            database: DatabaseSettings {
                url: "sqlite://data/app.db?mode=rwc".to_owned(),
                max_connections: 10,
                min_connections: 1,
                connect_timeout: Duration::from_secs(5),
                connect_attempts: 5,
                acquire_timeout: Duration::from_secs(5),
                migrate_on_start: true,
            },
            telemetry: TelemetrySettings {
                service_name: env!("CARGO_PKG_NAME").to_owned(),
                log_format: LogFormat::Pretty,
                log_filter: "info".to_owned(),
                otlp_endpoint: None,
            },
            auth: AuthSettings {
                jwt_secret: SecretString::from(""),
                issuer: env!("CARGO_PKG_NAME").to_owned(),
                audience: env!("CARGO_PKG_NAME").to_owned(),
            },
        }
    }
}

/// Settings and the profile they were loaded for.
#[derive(Debug, Clone)]
pub struct LoadedSettings {
    pub profile: Profile,
    pub settings: Settings,
}

impl Settings {
    /// Loads the layers described in the module documentation from `config_dir`
    /// (`APP_CONFIG_DIR`, default `config`) and the process environment, then validates.
    pub fn load() -> anyhow::Result<LoadedSettings> {
        let profile = Profile::from_env_value(std::env::var("APP_PROFILE").ok().as_deref())?;
        let config_dir =
            PathBuf::from(std::env::var("APP_CONFIG_DIR").unwrap_or_else(|_| "config".to_owned()));
        let settings: Settings =
            Self::figment(&config_dir, profile)
                .extract()
                .with_context(|| {
                    format!(
                        "configuration in {} (set APP_CONFIG_DIR to read another directory)",
                        config_dir.display()
                    )
                })?;
        settings.validate(profile)?;
        Ok(LoadedSettings { profile, settings })
    }

    /// The layered configuration, before extraction.
    pub fn figment(config_dir: &Path, profile: Profile) -> Figment {
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file_exact(config_dir.join("default.toml")))
            .merge(Toml::file_exact(
                config_dir.join(format!("{}.toml", profile.as_str())),
            ))
            .merge(
                Env::prefixed("APP_")
                    .split("__")
                    .ignore(&["profile", "config_dir"]),
            )
            .merge(
                Env::raw()
                    .only(&["DATABASE_URL"])
                    .map(|_| "database.url".into()),
            )
    }

    /// Checks what types alone cannot: every problem is reported, each naming its key.
    pub fn validate(&self, profile: Profile) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        let db = &self.database;
        if !(db.url.starts_with("sqlite:")
            || db.url.starts_with("postgres://")
            || db.url.starts_with("postgresql://"))
        {
            problems.push(
                "database.url must start with sqlite:, postgres:// or postgresql://".to_owned(),
            );
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

#[cfg(test)]
// figment's error type is large, and `Jail` closures return it.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    fn extract(jail: &figment::Jail, profile: Profile) -> Result<Settings, figment::Error> {
        Settings::figment(&jail.directory().join("config"), profile).extract()
    }

    #[test]
    fn files_then_environment_win_over_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_dir("config")?;
            jail.create_file("config/default.toml", "[http]\nport = 7000\n")?;
            jail.create_file("config/test.toml", "[database]\nmax_connections = 3\n")?;
            jail.set_env("APP_HTTP__PORT", "9000");
            jail.set_env("DATABASE_URL", "postgres://db/app");
            let settings = extract(jail, Profile::Test)?;
            assert_eq!(settings.http.port, 9000);
            assert_eq!(settings.database.max_connections, 3);
            assert_eq!(settings.database.url, "postgres://db/app");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key_and_the_source() {
        figment::Jail::expect_with(|jail| {
            jail.create_dir("config")?;
            jail.create_file("config/development.toml", "")?;
            jail.create_file("config/default.toml", "[http]\nprot = 1\n")?;
            let err = extract(jail, Profile::Development).unwrap_err().to_string();
            assert!(
                err.contains("prot") && err.contains("default.toml"),
                "{err}"
            );

            jail.create_file("config/default.toml", "")?;
            jail.set_env("APP_HTTP__PORT", "70000");
            let err = extract(jail, Profile::Development).unwrap_err().to_string();
            assert!(
                err.to_lowercase().contains("http.port") && err.contains("APP_"),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn validation_lists_every_problem() {
        let mut settings = Settings::default();
        settings.database.url = "mysql://nope".to_owned();
        settings.database.max_connections = 0;
        let err = settings
            .validate(Profile::Development)
            .unwrap_err()
            .to_string();
        assert!(err.contains("database.url"), "{err}");
        assert!(err.contains("database.max_connections"), "{err}");
    }

    #[test]
    fn production_refuses_the_development_secret() {
        let mut settings = Settings::default();
        settings.auth.jwt_secret = SecretString::from(DEVELOPMENT_JWT_SECRET);
        assert!(settings.validate(Profile::Development).is_ok());
        let err = settings
            .validate(Profile::Production)
            .unwrap_err()
            .to_string();
        assert!(err.contains("auth.jwt_secret"), "{err}");
    }

    /// The defaults plus what has no usable default.
    fn valid() -> Settings {
        let mut settings = Settings::default();
        settings.auth.jwt_secret = SecretString::from("a-test-secret-that-is-long-enough-0123");
        settings
    }

    #[test]
    fn cors_origins_must_be_origins() {
        let mut settings = valid();
        settings.http.cors_allowed_origins = vec![
            "https://app.example.com".to_owned(),
            "http://localhost:3000".to_owned(),
        ];
        assert!(settings.validate(Profile::Development).is_ok());
        for bad in [
            "*",
            "app.example.com",
            "https://app.example.com/path",
            "ftp://x",
        ] {
            settings.http.cors_allowed_origins = vec![bad.to_owned()];
            let err = settings
                .validate(Profile::Development)
                .unwrap_err()
                .to_string();
            assert!(err.contains("http.cors_allowed_origins"), "{bad}: {err}");
        }
    }

    #[test]
    fn an_unknown_profile_is_refused_with_its_variable() {
        let err = Profile::from_env_value(Some("prod"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("APP_PROFILE"), "{err}");
    }
}
