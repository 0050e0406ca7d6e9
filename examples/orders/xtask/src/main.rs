//! The project's automation, as a plain Rust program: `cargo xtask <command>`.
//!
//! `cargo xtask ci` is the one command CI runs. Every step runs even when an earlier one
//! fails, and a summary table closes the run; the exit code is non-zero if any step failed.
//! `cargo xtask load-test` exits with 2 when an SLO is breached and 130 when interrupted.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

mod api_fuzz;
mod ci;
mod deploy;
mod image_contents;
mod lint;
mod load_test;
mod migrations;
mod openapi;
mod openapi_diff;
mod openapi_lint;
mod security;
mod service;

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
    let root = project_root();
    let result = match cli.command {
        Task::Ci {
            skip,
            only,
            options,
        } => ci::run(&root, &skip, &only, &options),
        Task::Lint => lint::all(&root),
        Task::Migrate { args } => match args.as_slice() {
            [new, name] if new == "new" => migrations::new_migration(&root, name),
            _ => migrations::run_binary(&root, &args),
        },
        Task::DevToken { args } => dev_token(&root, &args),
        Task::ApiFuzz => api_fuzz::run(&root),
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let failure = err.downcast_ref::<load_test::Failure>().copied();
            // A handed-over load test has printed its own error.
            if let Some(ci::Skipped(reason)) = err.downcast_ref::<ci::Skipped>() {
                // Nothing (or not everything) ran: never a success.
                eprintln!("xtask: skipped ({reason})");
            } else if !matches!(failure, Some(load_test::Failure::HandedOver(_))) {
                eprintln!("xtask: {err:#}");
            }
            ExitCode::from(failure.map_or(1, load_test::Failure::exit_code))
        }
    }
}

/// The workspace root. `cargo run` (and so `cargo xtask`) sets `CARGO_MANIFEST_DIR` when it
/// starts the program; the value baked in at compile time is only the fallback, because a
/// binary may be reused from a build of another checkout.
fn project_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A `cargo` command without the package variables `cargo run` gave this process
/// (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`, ...): build scripts such as ring's watch them, so
/// inheriting them would rebuild those crates, and again at the next plain `cargo build`.
pub(crate) fn cargo_command() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let from_cargo_run = name.starts_with("CARGO_PKG_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
            ]
            .contains(&name.as_ref());
        if from_cargo_run {
            command.env_remove(name.as_ref());
        }
    }
    command
}

/// Runs `cargo <args>` at the project root; an error when it fails.
pub(crate) fn cargo(root: &Path, args: &[&str]) -> anyhow::Result<()> {
    let status = cargo_command()
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// `cargo run -p server -- dev-token <args>`: the token goes to stdout, ready for `$(...)`.
fn dev_token(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let status = crate::cargo_command()
        .args(["run", "--quiet", "--package", "server", "--", "dev-token"])
        .args(args)
        .current_dir(root)
        .status()
        .context("cannot run the service's `dev-token` command")?;
    if !status.success() {
        bail!("`dev-token` failed ({status})");
    }
    Ok(())
}
