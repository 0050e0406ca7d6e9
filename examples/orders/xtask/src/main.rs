//! The project's automation, as a plain Rust program: `cargo xtask <command>`.
//!
//! The tasks live in the `service-automation` crate, versioned with the template (see
//! `xtask/Cargo.toml`); this file holds what is the project's own: its commands, its
//! dependency rules and the steps of `cargo xtask ci`.
//!
//! `cargo xtask ci` is the one command CI runs. Every step runs even when an earlier one
//! fails, and a summary table closes the run; the exit code is non-zero if any step failed.
//! `cargo xtask load-test` exits with 2 when an SLO is breached and 130 when interrupted.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use service_automation::{
    Project, api_fuzz, ci, deploy, generate, lint, load_test, migrations, openapi, openapi_lint,
    security,
};

/// The template's `auth` answer: the binary mints bearer tokens (`dev-token`), and `api-fuzz`
/// sends one.
const BEARER_AUTH: bool = true;

/// Crates the domain must never depend on, directly or through another crate.
const DOMAIN_FORBIDDEN: &[&str] = &[
    "poem",
    "poem-openapi",
    "sea-orm",
    "sqlx",
    "figment",
    "opentelemetry",
    "tokio",
    "hyper",
    "reqwest",
];

/// The dependency rule: the domain stays pure, the API never reaches an adapter (persistence,
/// payments), and adapters never reach the API or each other.
const RULES: lint::Rules = &[
    ("domain", DOMAIN_FORBIDDEN),
    (
        "api",
        &["persistence", "migration", "sea-orm", "sqlx", "payments"],
    ),
    ("persistence", &["api", "poem", "poem-openapi", "payments"]),
    (
        "payments",
        &[
            "api",
            "persistence",
            "migration",
            "sea-orm",
            "poem",
            "poem-openapi",
        ],
    ),
];

/// The steps of `cargo xtask ci`, in order.
const STEPS: &[ci::Step] = &[
    ("fmt", |p| lint::fmt(&p.root)),
    ("clippy", |p| lint::clippy(&p.root)),
    ("architecture", |p| lint::architecture(&p.root, RULES)),
    ("test", ci::test),
    ("migrations", |p| migrations::round_trip(&p.root)),
    ("openapi", |p| openapi::check(&p.root)),
    ("openapi-lint", |p| openapi_lint::lint(&p.root)),
    ("security-scan", security::ci_step),
    ("api-fuzz", api_fuzz::run),
    ("deploy", |p| deploy::check(&p.root)),
    // Loads the debug build for a few seconds (`[smoke]` in loadtest.toml): it proves the load
    // test works; `cargo xtask load-test` measures the release build.
    ("load-test", |p| load_test::smoke(&p.root)),
];

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Project automation")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Everything CI checks: format, lints, architecture rules, tests, migrations, OpenAPI drift,
    /// the security scan, API fuzzing, the Dockerfile and the Kubernetes manifests, and a short
    /// load test (`load-test --smoke`).
    Ci {
        /// Skip a step (repeatable).
        #[arg(long)]
        skip: Vec<String>,
        /// Run only these steps (repeatable).
        #[arg(long)]
        only: Vec<String>,
        #[command(flatten)]
        options: ci::Options,
    },
    /// `cargo fmt --check`, clippy with `-D warnings`, and the architecture rules.
    Lint,
    /// Database migrations: `up`, `down [N] | --all`, `status`, `fresh [--force]` (run by the
    /// service binary with the project's configuration), or `new <name>` to add one.
    Migrate {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Mint a local bearer token with the development secret (`--scope`, `--subject`,
    /// `--ttl-minutes` as for the service's `dev-token` command).
    DevToken {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Generate code in this project's layout: `generate resource <name> <field>...` writes a
    /// resource through every layer, with its tests, and wires it in (docs/architecture.md,
    /// "Adding a resource").
    Generate {
        #[command(subcommand)]
        what: generate::Generate,
    },
    /// Fuzz the running service from its OpenAPI document with Schemathesis
    /// (`schemathesis.toml`).
    ApiFuzz,
    /// Load-test the release build: start it on 127.0.0.1 over a fresh SQLite database, seed
    /// data, run the scenarios of `loadtest.toml` and check their SLOs. Writes
    /// `target/load-test/report.json` and `report.html`; `--baseline <report.json>` compares
    /// with an earlier run. Exit code 2 when an SLO is breached, 130 on Ctrl-C.
    LoadTest(load_test::Options),
    /// Export, check or diff the OpenAPI document at `docs/openapi.yaml`.
    Openapi {
        #[command(subcommand)]
        action: OpenapiAction,
    },
    /// `cargo deny check` on `deny.toml` (known vulnerabilities, banned crates, licenses,
    /// sources; accepted advisories are its `[advisories] ignore` entries), secrets in tracked
    /// files (allowed by path and fingerprint in `[workspace.metadata.secrets]` of `Cargo.toml`)
    /// and crates that do not forbid unsafe code. Needs cargo-deny (`cargo install cargo-deny
    /// --locked --version 0.20.2`).
    SecurityScan(security::ScanArgs),
}

#[derive(Debug, Subcommand)]
enum OpenapiAction {
    /// Write the document generated from the code to `docs/openapi.yaml`.
    Export,
    /// Lint `docs/openapi.yaml` with Spectral (OAS and OWASP API Security rulesets).
    Lint,
    /// Fail when `docs/openapi.yaml` differs from the code.
    Check,
    /// Classify each change between two documents as breaking or compatible; fails on
    /// breaking ones unless the major version was raised.
    Diff {
        /// The older document (default: the committed `docs/openapi.yaml`).
        old: Option<PathBuf>,
        /// The newer document (default: generated from the code).
        new: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut project = Project::from_xtask_dir(env!("CARGO_MANIFEST_DIR"), BEARER_AUTH);
    let root = project.root.clone();
    service_automation::exit_code(match cli.command {
        Task::Ci {
            skip,
            only,
            options,
        } => {
            project.advisory_db = options.advisory_db;
            ci::run(&project, STEPS, &skip, &only)
        }
        Task::Lint => lint::all(&root, RULES),
        Task::Migrate { args } => migrations::command(&root, &args),
        Task::DevToken { args } => service_automation::dev_token(&root, &args),
        Task::Generate { what } => generate::run(&root, BEARER_AUTH, &what),
        Task::ApiFuzz => api_fuzz::run(&project),
        Task::LoadTest(options) => load_test::run(&root, &options),
        Task::Openapi {
            action: OpenapiAction::Export,
        } => openapi::export(&root),
        Task::Openapi {
            action: OpenapiAction::Check,
        } => openapi::check(&root),
        Task::Openapi {
            action: OpenapiAction::Lint,
        } => openapi_lint::lint(&root),
        Task::Openapi {
            action: OpenapiAction::Diff { old, new },
        } => openapi::diff(&root, old, new),
        Task::SecurityScan(args) => security::run(&root, &args),
    })
}
