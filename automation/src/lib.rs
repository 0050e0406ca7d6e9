//! `service-automation`: the automation a service rendered from this template runs as
//! `cargo xtask`, versioned with the template. A rendering's `xtask/` is only a `main.rs` (its
//! command line, its own dependency rules and its CI step list) over this crate, which it
//! depends on by the template repository's tag `v<template version>`; a fix here reaches every
//! service by a version bump.
//!
//! May depend on: general-purpose crates (clap, tokio, reqwest, serde, ...), the goose
//! load-testing library (the load generator of [`load_test`]), and on external
//! tools run as child processes (cargo, cargo-deny, Schemathesis, Spectral, hadolint, kubectl,
//! checkov). Never on the service's own crates: it drives the service as a binary, the
//! `server` package of the project's workspace.
//!
//! One module per task; each task takes the [`Project`] (or its root) and returns an error
//! when it fails. A task that could not run because a tool is missing returns
//! [`ci::Skipped`], which the [`ci`] runner reports as `skipped (...)`, never `ok`.
//!
//! | task | module |
//! |---|---|
//! | the `ci` step runner, its summary table and `--skip/--only` | [`ci`] |
//! | fmt, clippy, the architecture (dependency) rules | [`lint`] |
//! | migrations: `up/down/status/fresh`, the round trip, `new` | [`migrations`] |
//! | OpenAPI export, drift check, diff with its classifier, Spectral lint | [`openapi`], [`openapi_lint`] |
//! | start the service, wait until it is ready, stop it cleanly | [`service`] |
//! | security-scan: cargo-deny, secrets, unsafe code; table, JSON, SARIF | [`security`] |
//! | load-test and its smoke run | [`load_test`] |
//! | api-fuzz with Schemathesis | [`api_fuzz`] |
//! | deploy checks: image contents, hadolint, kustomize, schemas, checkov | [`deploy`] |
//! | `generate resource`: a new resource through every layer | [`generate`] |
//!
//! ```no_run
//! use service_automation::{Project, ci, lint};
//!
//! let project = Project::new("/path/to/service", true);
//! let steps: &[ci::Step] = &[
//!     ("fmt", |p| lint::fmt(&p.root)),
//!     ("test", ci::test),
//! ];
//! ci::run(&project, steps, &[], &[])?;
//! # Ok::<(), anyhow::Error>(())
//! ```
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

pub mod api_fuzz;
pub mod ci;
pub mod deploy;
pub mod generate;
mod image_contents;
pub mod lint;
pub mod load_test;
pub mod migrations;
pub mod openapi;
mod openapi_diff;
pub mod openapi_lint;
pub mod security;
pub mod service;

/// What the tasks need to know about the project they run in: the values a rendering's
/// `main.rs` passes in (the template's answers the automation depends on).
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// The workspace root (the directory of `Cargo.toml`, `config/`, `docs/openapi.yaml`).
    pub root: PathBuf,
    /// The service has JWT bearer authentication (the template's `auth` answer): its binary
    /// has a `dev-token` command, and `api-fuzz` sends the token it mints.
    pub bearer_auth: bool,
    /// A copy of the RustSec advisory database for the `security-scan` step (`ci
    /// --advisory-db`, else `ADVISORY_DB`, else cargo-deny's own fetch).
    pub advisory_db: Option<PathBuf>,
}

impl Project {
    /// The project at `root`.
    pub fn new(root: impl Into<PathBuf>, bearer_auth: bool) -> Self {
        Self {
            root: root.into(),
            bearer_auth,
            advisory_db: None,
        }
    }

    /// The project whose xtask package lives in `manifest_dir` (pass
    /// `env!("CARGO_MANIFEST_DIR")`): its parent. `cargo run` (and so `cargo xtask`) sets
    /// `CARGO_MANIFEST_DIR` when it starts the program, which wins over the value baked in
    /// at compile time, because a binary may be reused from a build of another checkout.
    pub fn from_xtask_dir(manifest_dir: &str, bearer_auth: bool) -> Self {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map_or_else(|| PathBuf::from(manifest_dir), PathBuf::from);
        let root = manifest_dir
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Self::new(root, bearer_auth)
    }
}

/// The exit code for a task's result, having printed its error: 0 on success, 2 when a load
/// test breached an SLO, 130 when it was interrupted, 1 otherwise. A task that was skipped
/// (a tool is missing) prints `skipped (<reason>)` and is never a success.
pub fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    let Err(err) = result else {
        return ExitCode::SUCCESS;
    };
    let failure = err.downcast_ref::<load_test::Failure>().copied();
    if let Some(ci::Skipped(reason)) = err.downcast_ref::<ci::Skipped>() {
        eprintln!("xtask: skipped ({reason})");
    } else {
        eprintln!("xtask: {err:#}");
    }
    ExitCode::from(failure.map_or(1, load_test::Failure::exit_code))
}

/// A `cargo` command without the package variables `cargo run` gave this process
/// (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`, ...): build scripts such as ring's watch them, so
/// inheriting them would rebuild those crates, and again at the next plain `cargo build`.
pub fn cargo_command() -> Command {
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

/// Runs `cargo <args>` at `root`; an error when it fails.
///
/// ```no_run
/// service_automation::cargo(std::path::Path::new("."), &["build", "--workspace"])?;
/// # Ok::<(), anyhow::Error>(())
/// ```
pub fn cargo(root: &Path, args: &[&str]) -> anyhow::Result<()> {
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

/// The service binary's `dev-token <args>` (built as the tests build it, see
/// [`service::build`]): the token goes to stdout, ready for `$(...)`.
///
/// ```no_run
/// let project = service_automation::Project::new(".", true);
/// service_automation::dev_token(&project.root, &["--scope".to_owned(), "orders:write".to_owned()])?;
/// # Ok::<(), anyhow::Error>(())
/// ```
pub fn dev_token(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let args: Vec<&str> = std::iter::once("dev-token")
        .chain(args.iter().map(String::as_str))
        .collect();
    service::run(root, &args, &[])
}
