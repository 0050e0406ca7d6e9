//! The dependency checks (advisories, bans, licenses, sources) are cargo-deny's, reading the
//! project's `deny.toml` as `cargo deny check` does: one policy, one verdict. Accepted
//! advisories are `[advisories] ignore = [{ id, reason }]` entries there.
//!
//! With `--advisory-db DIR` (or `ADVISORY_DB`) the RustSec database is read offline from a
//! copy of `DIR` (a checkout, or a snapshot of its `crates/` directory): cargo-deny wants a git
//! repository in `<db-path>/advisory-db-<hash of the URL>`, so the copy is committed into one in
//! a temporary directory, and cargo-deny runs `--offline` on a copy of `deny.toml` whose
//! `db-path` points there. Without it, cargo-deny fetches the database itself; when that
//! fails, the scan fails and says how to give it one.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::Value;

use super::{Check, Finding, Location, Severity, lockfile_line};
use crate::ci::Skipped;

/// The cargo-deny release the project pins (`.ci/run` and the CI workflow install it).
pub const VERSION: &str = "0.20.2";
/// How to install it.
pub const INSTALL: &str = "cargo install cargo-deny --locked --version 0.20.2";
/// The variable CI sets to a copy of the advisory database.
pub const DATABASE_VARIABLE: &str = "ADVISORY_DB";
/// The folder cargo-deny reads the default database (github.com/rustsec/advisory-db) from,
/// under `db-path`.
const DATABASE_FOLDER: &str = "advisory-db-3157b0e258782691";

/// The checks cargo-deny runs, with its names for them.
pub const CHECKS: &[(Check, &str)] = &[
    (Check::Advisories, "advisories"),
    (Check::Bans, "bans"),
    (Check::Licenses, "licenses"),
    (Check::Sources, "sources"),
];

/// What the scan gives cargo-deny: the project's `deny.toml`, or a copy of it that reads a
/// local database offline.
pub struct Policy {
    config: PathBuf,
    offline: bool,
    /// Holds the local database and the copied configuration while cargo-deny runs.
    _workspace: Option<tempfile::TempDir>,
}

impl Policy {
    /// The project's policy, with the database at `database` when one is given.
    pub fn new(root: &Path, database: Option<&Path>, offline: bool) -> anyhow::Result<Self> {
        let config = root.join("deny.toml");
        if !config.is_file() {
            bail!(
                "{} is missing: it holds the dependency policy",
                config.display()
            );
        }
        // cargo-deny reads every platform's crates: fetch those the builds did not need
        // (unless offline), so that its own `cargo metadata` can run offline.
        let mut metadata = crate::cargo_command();
        metadata.args(["metadata", "--format-version", "1"]);
        if offline {
            metadata.arg("--offline");
        }
        let fetched = metadata
            .current_dir(root)
            .stdout(std::process::Stdio::null())
            .output()
            .context("cannot run cargo metadata")?;
        if !fetched.status.success() {
            bail!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&fetched.stderr).trim()
            );
        }
        let Some(database) = database else {
            return Ok(Policy {
                config,
                offline,
                _workspace: None,
            });
        };
        let workspace = tempfile::tempdir().context("cannot create a temporary directory")?;
        local_database(database, workspace.path())?;
        let text = std::fs::read_to_string(&config)
            .with_context(|| format!("cannot read {}", config.display()))?;
        let copy = workspace.path().join("deny.toml");
        std::fs::write(&copy, with_database(&text, workspace.path())?)
            .with_context(|| format!("cannot write {}", copy.display()))?;
        Ok(Policy {
            config: copy,
            offline: true,
            _workspace: Some(workspace),
        })
    }

    /// The `db-path` of the local database, when there is one.
    #[cfg(test)]
    pub fn db_path(&self) -> Option<&Path> {
        self._workspace.as_ref().map(tempfile::TempDir::path)
    }
}

/// The installed cargo-deny's version, or [`Skipped`] saying how to install it.
pub fn installed_version() -> anyhow::Result<String> {
    let output = crate::cargo_command().args(["deny", "--version"]).output();
    match output {
        Ok(output) if output.status.success() => {
            let text = String::from_utf8_lossy(&output.stdout);
            Ok(text
                .trim()
                .trim_start_matches("cargo-deny")
                .trim()
                .to_owned())
        }
        _ => Err(Skipped(format!("cargo-deny not installed: `{INSTALL}`")).into()),
    }
}

/// Runs `cargo deny check <check>` at `root`: its findings, and whether it passed.
pub fn check(root: &Path, policy: &Policy, check: Check) -> anyhow::Result<(Vec<Finding>, bool)> {
    let name = CHECKS
        .iter()
        .find(|(known, _)| *known == check)
        .map(|(_, name)| *name)
        .context("not a cargo-deny check")?;
    let mut command = crate::cargo_command();
    command.arg("deny");
    if policy.offline {
        command.arg("--offline");
    }
    let output = command
        .args(["--format", "json", "--color", "never", "--config"])
        .arg(&policy.config)
        .args(["check", name])
        .current_dir(root)
        .output()
        .context("cannot run cargo deny")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lockfile = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let mut findings: Vec<Finding> = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|record| finding(check, &record, &lockfile))
        .collect();
    let passed = output.status.success();
    if !passed && !findings.iter().any(|f| f.severity == Severity::Error) {
        // cargo-deny could not check: no database, an invalid deny.toml, ...
        let reason = failure_reason(&stderr);
        if check == Check::Advisories && !policy.offline && reason.contains("advisory") {
            bail!(
                "no advisory database: {reason}. Pass --advisory-db DIR (a copy of \
                 github.com/rustsec/advisory-db) or set {DATABASE_VARIABLE}"
            );
        }
        bail!("`cargo deny check {name}` failed: {reason}");
    }
    if passed {
        // cargo-deny's verdict is the scan's: what it reports as an error but passes on is
        // not one (cannot happen today; kept so the verdicts never differ).
        for finding in &mut findings {
            finding.severity = Severity::Warning;
        }
    }
    Ok((findings, passed))
}

/// A finding from one of cargo-deny's JSON records; `None` for notes and summaries.
fn finding(check: Check, record: &Value, lockfile: &str) -> Option<Finding> {
    if record["type"] != "diagnostic" {
        return None;
    }
    let fields = &record["fields"];
    let severity = match fields["severity"].as_str()? {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        _ => return None,
    };
    let code = fields["code"].as_str().unwrap_or("cargo-deny");
    let rule = fields["advisory"]["id"].as_str().unwrap_or(code);
    let krate = fields["graphs"]
        .as_array()
        .and_then(|graphs| graphs.first())
        .map(|graph| &graph["Krate"]);
    let name = krate.and_then(|k| k["name"].as_str());
    let version = krate.and_then(|k| k["version"].as_str());
    let mut message = fields["message"].as_str().unwrap_or_default().to_owned();
    if let Some(title) = fields["advisory"]["title"].as_str()
        && title != message
    {
        message = format!("{message}: {title}");
    }
    let location = match (name, version) {
        (Some(name), Some(version)) => {
            message = format!("{name} {version}: {message}");
            Location::file("Cargo.lock", lockfile_line(lockfile, name, version))
        }
        _ => Location::file("deny.toml", None),
    };
    let mut finding = Finding::new(check, rule, severity, location, message);
    finding.fingerprint = name.zip(version).map(|(n, v)| format!("{n}@{v}"));
    Some(finding)
}

/// The last error cargo-deny logged, or the tail of its output.
fn failure_reason(stderr: &str) -> String {
    let logged = stderr
        .lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|record| record["type"] == "log" || record["fields"]["level"].is_string())
        .find_map(|record| record["fields"]["message"].as_str().map(str::to_owned));
    logged.unwrap_or_else(|| {
        let lines: Vec<&str> = stderr.lines().rev().take(3).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join(" ")
    })
}

/// Copies the database at `source` into `<db_path>/advisory-db-<hash>` as a git repository.
fn local_database(source: &Path, db_path: &Path) -> anyhow::Result<()> {
    if !source.join("crates").is_dir() {
        bail!(
            "{} is not an advisory database (it has no crates/ directory)",
            source.display()
        );
    }
    let target = db_path.join(DATABASE_FOLDER);
    copy_dir(source, &target)?;
    if target.join(".git").exists() {
        return Ok(());
    }
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=security-scan",
            "-c",
            "user.email=security-scan@localhost",
        ],
    ] {
        let mut command = Command::new("git");
        command.arg("-C").arg(&target).args(args);
        if args[0] == "-c" {
            command.args([
                "-c",
                "commit.gpgsign=false",
                "commit",
                "-q",
                "-m",
                "snapshot",
            ]);
        }
        let status = command
            .status()
            .context("cannot run git (needed to read a database snapshot)")?;
        if !status.success() {
            bail!("`git {}` failed in {}", args.join(" "), target.display());
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// `deny.toml` with `[advisories] db-path` set to `db_path` (and the default database URL).
fn with_database(deny_toml: &str, db_path: &Path) -> anyhow::Result<String> {
    let mut config: toml::Table = toml::from_str(deny_toml).context("invalid deny.toml")?;
    let advisories = config
        .entry("advisories")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .context("deny.toml: [advisories] is not a table")?;
    advisories.remove("db-urls");
    advisories.insert(
        "db-path".to_owned(),
        toml::Value::String(db_path.to_string_lossy().into_owned()),
    );
    Ok(toml::to_string(&config)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copied_policy_reads_the_local_database_and_keeps_the_rest() -> anyhow::Result<()> {
        let text = "[advisories]\ndb-urls = [\"https://example.org/db\"]\nignore = [{ id = \"RUSTSEC-2020-0001\", reason = \"r\" }]\n[bans]\nmultiple-versions = \"allow\"\n";
        let copy: toml::Table = toml::from_str(&with_database(text, Path::new("/tmp/db"))?)?;
        assert_eq!(copy["advisories"]["db-path"].as_str(), Some("/tmp/db"));
        assert!(copy["advisories"].get("db-urls").is_none());
        assert_eq!(
            copy["advisories"]["ignore"][0]["id"].as_str(),
            Some("RUSTSEC-2020-0001")
        );
        assert_eq!(copy["bans"]["multiple-versions"].as_str(), Some("allow"));
        Ok(())
    }

    #[test]
    fn a_diagnostic_becomes_a_finding_at_its_lockfile_line() {
        let record = serde_json::json!({
            "type": "diagnostic",
            "fields": {
                "severity": "error",
                "code": "vulnerability",
                "message": "Uncontrolled recursion",
                "advisory": { "id": "RUSTSEC-2018-0006", "title": "Uncontrolled recursion leads to abort" },
                "graphs": [{ "Krate": { "name": "yaml-rust", "version": "0.4.0" } }],
            },
        });
        let lockfile = "[[package]]\nname = \"yaml-rust\"\nversion = \"0.4.0\"\n";
        let found = finding(Check::Advisories, &record, lockfile);
        let found = found.as_ref();
        assert_eq!(
            found.map(Finding::rule_id).as_deref(),
            Some("advisories/RUSTSEC-2018-0006")
        );
        assert_eq!(
            found.map(|f| f.location.to_string()).as_deref(),
            Some("Cargo.lock:2")
        );
        assert_eq!(
            found.and_then(|f| f.fingerprint.as_deref()),
            Some("yaml-rust@0.4.0")
        );
        let note = serde_json::json!({ "type": "diagnostic", "fields": { "severity": "note" } });
        assert!(finding(Check::Bans, &note, lockfile).is_none());
    }

    #[test]
    fn a_directory_without_crates_is_refused() {
        let empty = tempfile::tempdir();
        let refused = empty.map(|dir| local_database(dir.path(), dir.path()));
        assert!(refused.is_ok_and(|result| result.is_err_and(|err| err.to_string().contains("no crates/"))));
    }
}
