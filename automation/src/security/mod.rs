//! `cargo xtask security-scan`: cargo-deny's dependency checks on the project's `deny.toml`
//! (known vulnerabilities from the RustSec database, banned crates, licenses, sources), secrets
//! in tracked files, and crates that do not forbid unsafe code, gathered into one report.
//!
//! The dependency verdict is `cargo deny check`'s on the same tree (see `deny.rs`). Secrets are
//! allowed by path and fingerprint in `Cargo.toml` (`allowlist.rs`). Warnings (unmaintained
//! crates, unused allowlist entries) are reported and fail only with `--strict`. A check that
//! cannot run fails the scan; without cargo-deny the scan ends `skipped`, never passed.
//!
//! ```no_run
//! use service_automation::security::{Format, ScanArgs, run};
//!
//! let args = ScanArgs {
//!     advisory_db: Some("../advisory-db".into()),
//!     format: Format::Sarif,
//!     output: Some("scan.sarif".into()),
//!     ..ScanArgs::default()
//! };
//! run(std::path::Path::new("."), &args)?;
//! # Ok::<(), anyhow::Error>(())
//! ```

mod allowlist;
mod deny;
mod finding;
mod metadata;
mod report;
mod secrets;
mod unsafe_code;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};

pub use finding::{Check, Finding, Location, Severity, lockfile_line};
pub use report::Format;

/// Options of `cargo xtask security-scan`.
#[derive(Debug, Default, clap::Args)]
pub struct ScanArgs {
    /// A copy of the RustSec advisory database (a checkout, or its `crates/` directory), read
    /// offline instead of letting cargo-deny fetch one (also `ADVISORY_DB`).
    #[arg(long, value_name = "DIR")]
    pub advisory_db: Option<PathBuf>,
    /// Do not fetch the advisory database (also when `CARGO_NET_OFFLINE=true`): cargo-deny
    /// reads the copy it fetched before, and fails when there is none.
    #[arg(long)]
    pub no_fetch: bool,
    /// Report format: a table for people, JSON, or SARIF 2.1.0 for code scanning.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Skip a check (repeatable).
    #[arg(long, value_enum)]
    pub skip: Vec<Check>,
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
}

/// `cargo xtask security-scan` with the given options.
pub fn run(root: &Path, args: &ScanArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let allowlist = allowlist::Allowlist::load(root)?;
    let selected = |check: Check| !args.skip.contains(&check);
    let mut scan = Scan::default();

    let dependency_checks: Vec<Check> = deny::CHECKS
        .iter()
        .map(|(check, _)| *check)
        .filter(|check| selected(*check))
        .collect();
    let mut cargo_deny_missing = None;
    if !dependency_checks.is_empty() {
        match deny::installed_version() {
            Ok(version) => {
                if version != deny::VERSION {
                    eprintln!(
                        "security-scan: note: cargo-deny {version} is installed, the project pins {} (`{}`)",
                        deny::VERSION,
                        deny::INSTALL
                    );
                }
                let database = args
                    .advisory_db
                    .clone()
                    .or_else(|| std::env::var_os(deny::DATABASE_VARIABLE).map(PathBuf::from));
                let offline = args.no_fetch
                    || std::env::var("CARGO_NET_OFFLINE").is_ok_and(|value| value == "true");
                if let Some(policy) = scan.step("advisory database and deny.toml", || {
                    deny::Policy::new(root, database.as_deref(), offline)
                }) {
                    for check in dependency_checks {
                        scan.check(check, || deny::check(root, &policy, check));
                    }
                }
            }
            Err(err) => cargo_deny_missing = Some(err),
        }
    }
    if selected(Check::UnsafeCode)
        && let Some(metadata) = scan.step("cargo metadata", || metadata::load(root))
    {
        scan.check(Check::UnsafeCode, || {
            unsafe_code::scan(&metadata).map(|findings| (findings, true))
        });
    }
    if selected(Check::Secrets) {
        scan.check(Check::Secrets, || secrets::scan(root).map(|f| (f, true)));
    }

    let Scan {
        mut findings,
        not_run,
    } = scan;
    if selected(Check::Secrets) {
        allowlist.apply(&mut findings);
    }
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            (
                f.allowed.is_some(),
                f.severity,
                f.check,
                f.location.path.clone(),
                f.location.line,
            )
        };
        key(a).cmp(&key(b))
    });

    let summary = report::Summary::of(&findings, args.strict);
    let rendered = report::render(
        args.format,
        &findings,
        &summary,
        report::use_colour(args.output.is_none()),
    )?;
    match &args.output {
        Some(path) => std::fs::write(path, rendered)
            .with_context(|| format!("cannot write the report to {}", path.display()))?,
        None => print!("{rendered}"),
    }
    let mut closing = vec![summary.line(not_run.len(), started.elapsed())];
    closing.extend(not_run.iter().map(|failure| format!("not run: {failure}")));
    if let Some(path) = &args.output {
        closing.push(format!("report written to {}", path.display()));
    }
    for line in closing {
        // With a machine format on stdout, the summary goes to stderr so stdout stays parseable.
        if args.format == Format::Table || args.output.is_some() {
            println!("{line}");
        } else {
            eprintln!("{line}");
        }
    }
    if !not_run.is_empty() {
        bail!("{} check(s) could not run", not_run.len());
    }
    if summary.failing > 0 {
        bail!("{} finding(s) to fix or allow", summary.failing);
    }
    if let Some(missing) = cargo_deny_missing {
        // Secrets and unsafe code passed; the dependency checks did not run.
        return Err(missing.context("advisories, bans, licenses and sources were not checked"));
    }
    Ok(())
}

/// The CI step: the scan with its defaults, the database from `--advisory-db`, `ADVISORY_DB`
/// or cargo-deny's own fetch.
pub fn ci_step(project: &crate::Project) -> anyhow::Result<()> {
    run(
        &project.root,
        &ScanArgs {
            advisory_db: project.advisory_db.clone(),
            ..ScanArgs::default()
        },
    )
}

/// What the checks produced, and why those that could not run did not.
#[derive(Debug, Default)]
struct Scan {
    findings: Vec<Finding>,
    not_run: Vec<String>,
}

impl Scan {
    /// Runs one step, telling on stderr how long it took; a failure is kept for the summary.
    fn step<T>(&mut self, name: &str, step: impl FnOnce() -> anyhow::Result<T>) -> Option<T> {
        let started = Instant::now();
        eprintln!("security-scan: {name} ...");
        let result = step();
        let outcome = if result.is_ok() { "done" } else { "FAILED" };
        eprintln!(
            "security-scan: {name} {outcome} in {:.1}s",
            started.elapsed().as_secs_f64()
        );
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                eprintln!("security-scan: {name}: {err:#}");
                self.not_run.push(format!("{name}: {err:#}"));
                None
            }
        }
    }

    /// Runs a check, keeping its findings (and whether it passed, for cargo-deny's verdict).
    fn check(&mut self, check: Check, run: impl FnOnce() -> anyhow::Result<(Vec<Finding>, bool)>) {
        if let Some((findings, passed)) = self.step(check.name(), run) {
            let failed_silently =
                !passed && !findings.iter().any(|f| f.severity == Severity::Error);
            self.findings.extend(findings);
            if failed_silently {
                self.not_run
                    .push(format!("{check}: failed without a finding"));
            }
        }
    }
}

#[cfg(test)]
mod tests;
