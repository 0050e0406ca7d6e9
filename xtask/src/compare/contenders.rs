//! The contenders, one table: what to build, how to start it, and the paths it is loaded on.

use std::path::{Path, PathBuf};

/// One app under test.
#[derive(Debug)]
pub struct Contender {
    pub name: &'static str,
    /// What it is, in the report.
    pub about: &'static str,
    /// The Cargo project to build (its own workspace).
    pub dir: PathBuf,
    /// `cargo build --release` arguments after `--release`.
    pub build_args: &'static [&'static str],
    /// The binary, under the target directory's `release/`.
    pub binary: &'static str,
    /// Arguments; `{port}` is replaced by the port.
    pub args: &'static [&'static str],
    /// Environment; `{port}`, `{db}` (a fresh SQLite URL) are replaced.
    pub env: &'static [(&'static str, &'static str)],
    /// Answers 200 once the app can take traffic.
    pub ready: &'static str,
    /// A bearer token from the binary itself (`dev-token` arguments), sent with every request.
    pub token_args: Option<&'static [&'static str]>,
    /// `POST` this JSON body here `SEED_ROWS` times; `{n}` is replaced by the row number.
    pub seed: Option<(&'static str, &'static str)>,
    /// The paths loaded, by scenario ([`SCENARIOS`]); a scenario the app has no route for is
    /// left out.
    pub paths: &'static [(&'static str, &'static str)],
}

/// The scenarios, in the order they run and are reported.
pub const SCENARIOS: &[(&str, &str)] = &[
    ("static", "liveness: no database"),
    ("readiness", "readiness: one database round trip"),
    ("read", "an authenticated list of 20 rows from the database"),
];

/// The contenders, in the order they appear in the report.
pub fn contenders(root: &Path, loco: Option<&Path>) -> Vec<Contender> {
    let mut all = vec![
        Contender {
            name: "service",
            about: "examples/orders: the template's default rendering, full middleware stack, bearer auth",
            dir: root.join("examples").join(crate::EXAMPLE_NAME),
            build_args: &["--package", "server"],
            binary: crate::EXAMPLE_NAME,
            args: &["serve"],
            // The production profile (JSON access log at info, HSTS), on loopback, creating
            // its schema at start instead of in a migration job.
            env: &[
                (PROFILE_VARIABLE, "production"),
                ("APP_HTTP__HOST", "127.0.0.1"),
                ("APP_HTTP__PORT", "{port}"),
                ("DATABASE_URL", "{db}"),
                ("APP_DATABASE__MIGRATE_ON_START", "true"),
                // Loco's app charges nothing either: no payment gateway on either side.
                ("APP_PAYMENTS__ALLOW_IN_PROCESS", "true"),
                // wrk is one caller: the rate limiter runs, with quotas above the load.
                ("APP_RATE_LIMIT__READS_PER_MINUTE", "1000000000"),
                ("APP_RATE_LIMIT__WRITES_PER_MINUTE", "1000000000"),
                (
                    "APP_AUTH__JWT_SECRET",
                    "compare-fake-secret-0123456789abcdef-0123456789",
                ),
            ],
            ready: "/health/ready",
            token_args: Some(&[
                "dev-token",
                "--scope",
                "orders:read",
                "--scope",
                "orders:write",
            ]),
            seed: Some((
                "/api/v1/orders",
                r#"{"customer_email":"seed-{n}@example.com","amount_minor":1250,"currency":"EUR"}"#,
            )),
            paths: &[
                ("static", "/health/live"),
                ("readiness", "/health/ready"),
                ("read", "/api/v1/orders?limit=20"),
            ],
        },
        Contender {
            name: "bare-poem",
            about: "one poem handler, no middleware, no database: the ceiling",
            dir: root.join("xtask").join("bench").join("bare-poem"),
            build_args: &[],
            binary: "bare-poem",
            args: &["127.0.0.1:{port}"],
            env: &[],
            ready: "/health/live",
            token_args: None,
            seed: None,
            paths: &[("static", "/health/live")],
        },
    ];
    if let Some(dir) = loco {
        all.push(Contender {
            name: "loco",
            about: "`loco new --db sqlite --bg async --assets none`, as generated, production environment",
            dir: dir.to_path_buf(),
            build_args: &[],
            binary: LOCO_BINARY,
            args: &["start", "--environment", "production", "--no-banner"],
            // What its config/production.yaml asks for; mail goes nowhere (nothing sends any).
            env: &[
                ("BINDING", "127.0.0.1"),
                ("PORT", "{port}"),
                ("HOST", "http://127.0.0.1:{port}"),
                ("DATABASE_URL", "{db}"),
                ("JWT_SECRET", "compare-fake-secret-0123456789abcdef-0123456789"),
                ("MAILER_HOST", "127.0.0.1"),
                ("MAILER_USER", "compare"),
                ("MAILER_PASSWORD", "compare-fake-password"),
            ],
            ready: "/_readiness",
            token_args: None,
            seed: None,
            // Its authenticated routes need a verified e-mail address, so no `read`.
            paths: &[("static", "/_ping"), ("readiness", "/_readiness")],
        });
    }
    all
}

/// The service's profile variable: `dev-token` is refused in production, so the token is
/// minted without it (same secret, issuer and audience).
pub const PROFILE_VARIABLE: &str = "APP_PROFILE";

/// `loco new --name lorders` names its binary after the app.
const LOCO_BINARY: &str = "lorders-cli";
