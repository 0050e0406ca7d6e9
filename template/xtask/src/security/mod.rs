//! `cargo xtask security-scan`: known vulnerabilities (RustSec), the dependency policy of
//! `deny.toml` (licenses, banned crates, sources), secrets in tracked files, and crates that do
//! not forbid unsafe code, gathered into one report.
//!
//! Errors fail the scan unless `security-allowlist.toml` allows them with a reason; warnings
//! (unmaintained crates, notices, unused allowlist entries) are reported and fail only with
//! `--strict`.

mod advisories;
mod advisory_db;
mod allowlist;
mod deny_config;
mod finding;
mod licenses;
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
    /// A checkout of the RustSec advisory database to read instead of fetching one (also
    /// `ADVISORY_DB`).
    #[arg(long, value_name = "DIR")]
    pub advisory_db: Option<PathBuf>,
    /// Do not fetch or update the cached advisory database (also when `CARGO_NET_OFFLINE=true`).
    #[arg(long)]
    pub no_fetch: bool,
    /// Carry on without an advisory database when none can be had (the gap is reported).
    #[arg(long)]
    pub allow_offline: bool,
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

    // `cargo metadata` first: it brings Cargo.lock up to date with the manifests.
    let dependency_checks = [Check::Licenses, Check::Bans, Check::Sources];
    let wants_metadata = selected(Check::UnsafeCode) || dependency_checks.into_iter().any(selected);
    let metadata = if wants_metadata {
        scan.step("cargo metadata", || metadata::load(root))
    } else {
        None
    };
    if selected(Check::Advisories) {
        scan.check(&[Check::Advisories], "advisories", || {
            advisories::scan(root, args)
        });
        // Without a database (`--allow-offline`) the allowlist's advisory entries are not stale.
        if scan
            .findings
            .iter()
            .any(|f| f.rule == advisories::DATABASE_UNAVAILABLE)
        {
            scan.ran.retain(|check| *check != Check::Advisories);
        }
    }
    if let Some(metadata) = &metadata {
        let checks: Vec<Check> = dependency_checks
            .into_iter()
            .filter(|check| selected(*check))
            .collect();
        if !checks.is_empty() {
            scan.check(&checks, "deny.toml", || licenses::scan(root, metadata));
        }
        if selected(Check::UnsafeCode) {
            scan.check(&[Check::UnsafeCode], "unsafe code", || {
                unsafe_code::scan(metadata)
            });
        }
    }
    if selected(Check::Secrets) {
        scan.check(&[Check::Secrets], "secrets", || secrets::scan(root));
    }

    let Scan {
        mut findings,
        ran,
        not_run,
    } = scan;
    findings.retain(|finding| selected(finding.check));
    allowlist.apply(&mut findings, &ran);
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
        bail!("{} finding(s) not in the allowlist", summary.failing);
    }
    Ok(())
}

/// The CI step: the scan with its defaults (the database from `ADVISORY_DB` or the cache).
pub fn ci_step(root: &Path) -> anyhow::Result<()> {
    run(root, &ScanArgs::default())
}

/// What the checks produced, which of them ran, and why the others could not.
#[derive(Debug, Default)]
struct Scan {
    findings: Vec<Finding>,
    ran: Vec<Check>,
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

    /// Runs a check that covers `checks`, keeping its findings.
    fn check(
        &mut self,
        checks: &[Check],
        name: &str,
        check: impl FnOnce() -> anyhow::Result<Vec<Finding>>,
    ) {
        if let Some(findings) = self.step(name, check) {
            self.findings.extend(findings);
            self.ran.extend_from_slice(checks);
        }
    }
}

#[cfg(test)]
mod tests;
