//! The contenders, one table: what to build, how to start it, and the paths it is loaded on.

use std::path::{Path, PathBuf};

/// One app under test.
#[derive(Debug, Clone)]
pub struct Contender {
    pub name: &'static str,
    /// What it is, in the report.
    pub about: &'static str,
    /// The Cargo project to build (its own workspace).
    pub dir: PathBuf,
    /// Where cargo builds it: `None` is the project's own `target/`.
    pub target_dir: Option<PathBuf>,
    /// `cargo build --release` arguments after `--release`.
    pub build_args: &'static [&'static str],
    /// The binary, under the target directory's `release/`.
    pub binary: &'static str,
    /// Arguments; `{port}` is replaced by the port.
    pub args: &'static [&'static str],
    /// Environment; `{port}`, `{db}` (a fresh SQLite URL) and `{otlp}` (the loopback OTLP
    /// sink's base URL) are replaced.
    pub env: Vec<(&'static str, &'static str)>,
    /// Answers 200 once the app can take traffic.
    pub ready: &'static str,
    /// Where its bearer token comes from, when its API wants one (sent with every request).
    pub token: Option<Token>,
    /// `POST` this JSON body here `SEED_ROWS` times; `{n}` is replaced by the row number. The
    /// answers' `id` fields fill `{id}` in the paths.
    pub seed: Option<(&'static str, &'static str)>,
    /// The paths loaded, by scenario ([`SCENARIOS`]); a scenario it has no path for is skipped.
    pub paths: Vec<(&'static str, &'static str)>,
    /// When it cannot start (a setting this build does not know yet), the run goes on without
    /// it and the report says this.
    pub optional: Option<&'static str>,
}

/// How the harness gets a bearer token for a contender.
#[derive(Debug, Clone, Copy)]
pub enum Token {
    /// The binary prints one: these arguments (the service's `dev-token`).
    Printed(&'static [&'static str]),
    /// Register a user, then log in: `(path, JSON body)` each; the login answer's `token`.
    Login {
        register: (&'static str, &'static str),
        login: (&'static str, &'static str),
    },
}

impl Contender {
    pub fn path(&self, scenario: &str) -> Option<&'static str> {
        self.paths
            .iter()
            .find(|(s, _)| *s == scenario)
            .map(|(_, p)| *p)
    }

    /// Whether it exports telemetry to the harness's OTLP sink.
    pub fn exports(&self) -> bool {
        self.env.iter().any(|(_, v)| v.contains("{otlp}"))
    }
}

/// The scenarios, in the order they run and are reported.
pub const SCENARIOS: &[(&str, &str)] = &[
    ("static", "the liveness probe: no database"),
    ("readiness", "the readiness probe: one database round trip"),
    (
        "by-id",
        "one order by id from the database (the service: with a bearer JWT)",
    ),
    (
        "list",
        "a list of the 20 seeded orders (the service: `?limit=20`, with a bearer JWT)",
    ),
];

/// The ratios reported, `(numerator, denominator)`: the service against the peer and the
/// ceiling, and the cost of the rate limiter and of OTLP export within one run.
pub const RATIOS: &[(&str, &str)] = &[
    (SERVICE, LOCO),
    (SERVICE, BARE_POEM),
    (SERVICE, SERVICE_LIMITER_OFF),
    (SERVICE_OTLP, SERVICE),
    (SERVICE, SERVICE_NO_ACCESS_LOG),
    (SERVICE_NO_ACCESS_LOG, LOCO),
];

pub const SERVICE: &str = "service";
pub const SERVICE_LIMITER_OFF: &str = "service-limiter-off";
pub const SERVICE_OTLP: &str = "service-otlp";
pub const SERVICE_NO_ACCESS_LOG: &str = "service-no-access-log";
pub const LOCO: &str = "loco";
pub const BARE_POEM: &str = "bare-poem";

/// The secret both apps sign tokens with (a fake; long enough for the service's check).
const JWT_SECRET: &str = "compare-fake-secret-0123456789abcdef-0123456789";

/// The same secret for Loco, which reads its `auth.jwt.secret` as base64
/// (`EncodingKey::from_base64_secret`): a secret that is not valid base64 makes every login
/// answer 401 "unauthorized!".
const LOCO_JWT_SECRET: &str = "Y29tcGFyZS1mYWtlLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVmLTAxMjM0NTY3ODk=";

/// The service's profile variable: `dev-token` is refused in production, so the token is
/// minted without it (same secret, issuer and audience).
pub const PROFILE_VARIABLE: &str = "APP_PROFILE";

/// `loco new --name lorders` names its binary after the app.
const LOCO_BINARY: &str = "lorders-cli";

/// Where the service is built: `examples/orders` into its own `target/`, unless CI points it
/// at the first rendering in the renderings' shared target directory.
#[derive(Debug, Clone)]
pub struct ServiceBuild {
    pub dir: PathBuf,
    pub target_dir: Option<PathBuf>,
}

impl ServiceBuild {
    pub fn example(root: &Path) -> Self {
        Self {
            dir: root.join("examples").join(crate::EXAMPLE_NAME),
            target_dir: None,
        }
    }
}

/// The production profile (JSON access log at info, HSTS), on loopback, creating its schema at
/// start instead of in a migration job; the rate limiter on, with quotas above the load.
fn service_env() -> Vec<(&'static str, &'static str)> {
    vec![
        (PROFILE_VARIABLE, "production"),
        ("APP_HTTP__HOST", "127.0.0.1"),
        ("APP_HTTP__PORT", "{port}"),
        ("DATABASE_URL", "{db}"),
        ("APP_DATABASE__MIGRATE_ON_START", "true"),
        // Loco's app charges nothing either: no payment gateway on either side.
        ("APP_PAYMENTS__ALLOW_IN_PROCESS", "true"),
        // wrk is one caller: the limiter runs every request, and never refuses one.
        ("APP_RATE_LIMIT__READS_PER_MINUTE", "1000000000"),
        ("APP_RATE_LIMIT__WRITES_PER_MINUTE", "1000000000"),
        ("APP_AUTH__JWT_SECRET", JWT_SECRET),
    ]
}

fn service(build: &ServiceBuild, name: &'static str, about: &'static str) -> Contender {
    Contender {
        name,
        about,
        dir: build.dir.clone(),
        target_dir: build.target_dir.clone(),
        build_args: &["--package", "server"],
        binary: crate::EXAMPLE_NAME,
        args: &["serve"],
        env: service_env(),
        ready: "/health/ready",
        token: Some(Token::Printed(&[
            "dev-token",
            "--scope",
            "orders:read",
            "--scope",
            "orders:write",
        ])),
        seed: Some((
            "/api/v1/orders",
            r#"{"customer_email":"seed-{n}@example.com","amount_minor":1250,"currency":"EUR"}"#,
        )),
        paths: vec![
            ("static", "/health/live"),
            ("readiness", "/health/ready"),
            ("by-id", "/api/v1/orders/{id}"),
            ("list", "/api/v1/orders?limit=20"),
        ],
        optional: None,
    }
}

/// The contenders, in the order they run within a round and appear in the report.
pub fn contenders(root: &Path, build: &ServiceBuild, loco: Option<&Path>) -> Vec<Contender> {
    let mut all = vec![service(
        build,
        SERVICE,
        "the template's default rendering, production profile: full middleware stack, JSON access log, rate limiter (quotas above the load), bearer JWT",
    )];

    let mut limiter_off = service(
        build,
        SERVICE_LIMITER_OFF,
        "the same binary with `rate_limit.enabled = false`: the limiter's cost is the difference",
    );
    // The health probes are never limited: only the API paths tell the difference.
    limiter_off
        .paths
        .retain(|(s, _)| matches!(*s, "by-id" | "list"));
    limiter_off.env.push(("APP_RATE_LIMIT__ENABLED", "false"));
    limiter_off.optional = Some(
        "this build cannot switch its rate limiter off (`rate_limit.enabled` is not a setting)",
    );
    all.push(limiter_off);

    let mut otlp = service(
        build,
        SERVICE_OTLP,
        "the same binary exporting traces and metrics over OTLP/HTTP to a sink on loopback, at the configured (production) sampling",
    );
    otlp.env.extend([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "{otlp}"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    ]);
    all.push(otlp);

    // Loco's production app writes no access line: this variant does the same work as Loco's
    // on that count (`RUST_LOG=warn`), so that the stack's own cost can be read against it.
    let mut no_access_log = service(
        build,
        SERVICE_NO_ACCESS_LOG,
        "the same binary with `RUST_LOG=warn`: no access line, as Loco's production app writes none; the access line's cost is the difference",
    );
    no_access_log.env.push(("RUST_LOG", "warn"));
    all.push(no_access_log);

    if let Some(dir) = loco {
        all.push(Contender {
            name: LOCO,
            about: "`loco new --db sqlite --bg async --assets none` plus `generate scaffold order … --api` (JWT-checked routes), production environment, migrations at start",
            dir: dir.to_path_buf(),
            target_dir: None,
            build_args: &[],
            binary: LOCO_BINARY,
            args: &["start", "--environment", "production", "--no-banner"],
            // What its config/production.yaml asks for; mail goes nowhere (nothing sends any).
            env: vec![
                ("BINDING", "127.0.0.1"),
                ("PORT", "{port}"),
                ("HOST", "http://127.0.0.1:{port}"),
                ("DATABASE_URL", "{db}"),
                ("JWT_SECRET", LOCO_JWT_SECRET),
                ("MAILER_HOST", "127.0.0.1"),
                ("MAILER_USER", "compare"),
                ("MAILER_PASSWORD", "compare-fake-password"),
            ],
            ready: "/_readiness",
            // Its scaffold's routes check a JWT (`auth::JWT`: signature and expiry, no database
            // look-up), as the service's do; its starter's login mints one.
            token: Some(Token::Login {
                register: (
                    "/api/auth/register",
                    r#"{"name":"compare","email":"compare@example.com","password":"compare-fake-password"}"#,
                ),
                login: (
                    "/api/auth/login",
                    r#"{"email":"compare@example.com","password":"compare-fake-password"}"#,
                ),
            }),
            seed: Some((
                "/api/orders",
                r#"{"customer_email":"seed-{n}@example.com","amount_minor":1250,"currency":"EUR","status":"pending","version":1}"#,
            )),
            // Its scaffold's list pages (and counts the table): a page of 20, the whole table.
            paths: vec![
                ("static", "/_ping"),
                ("readiness", "/_readiness"),
                ("by-id", "/api/orders/{id}"),
                ("list", "/api/orders?page_size=20"),
            ],
            optional: None,
        });
    }

    all.push(Contender {
        name: BARE_POEM,
        about: "one poem handler, no middleware, no database: the ceiling",
        dir: root.join("xtask").join("bench").join("bare-poem"),
        target_dir: None,
        build_args: &[],
        binary: "bare-poem",
        args: &["127.0.0.1:{port}"],
        env: Vec::new(),
        ready: "/health/live",
        token: None,
        seed: None,
        paths: vec![("static", "/health/live")],
        optional: None,
    });
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ratio_names_contenders_and_every_path_a_scenario() {
        let root = Path::new("/repo");
        let all = contenders(root, &ServiceBuild::example(root), Some(Path::new("/loco")));
        let names: Vec<&str> = all.iter().map(|c| c.name).collect();
        for (top, bottom) in RATIOS {
            assert!(
                names.contains(top) && names.contains(bottom),
                "{top}/{bottom}"
            );
        }
        for contender in &all {
            for (scenario, _) in &contender.paths {
                assert!(SCENARIOS.iter().any(|(s, _)| s == scenario), "{scenario}");
            }
            let needs_id = contender.paths.iter().any(|(_, p)| p.contains("{id}"));
            assert!(
                !needs_id || contender.seed.is_some(),
                "{}: {{id}} without seeding",
                contender.name
            );
        }
        let exporting: Vec<&str> = all.iter().filter(|c| c.exports()).map(|c| c.name).collect();
        assert_eq!(exporting, [SERVICE_OTLP]);
        assert_eq!(all[0].path("by-id"), Some("/api/v1/orders/{id}"));
        assert_eq!(all.last().map(|c| c.path("list")), Some(None));
    }
}
