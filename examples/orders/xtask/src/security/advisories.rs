//! Known vulnerabilities: `Cargo.lock` against the RustSec advisory database, with the
//! `rustsec` crate as a library.
//!
//! Vulnerabilities and `unsound` advisories (memory safety, which this project otherwise
//! forbids itself from breaking) are errors; `unmaintained` advisories and notices are
//! warnings, failing only with `--strict`. Withdrawn advisories are ignored, and so are yanked
//! releases (that needs the crates.io index). [`advisory_db`] says where the database is.

use std::path::Path;

use anyhow::Context;
use rustsec::advisory::Informational;
use rustsec::report::{Report, Settings};
use rustsec::{Database, Lockfile, Vulnerability, WarningKind};

use super::{Check, Finding, Location, ScanArgs, Severity, advisory_db, lockfile_line};

/// The rule of the warning that the advisories were not checked (`--allow-offline`).
pub const DATABASE_UNAVAILABLE: &str = "database-unavailable";

/// Checks the project's `Cargo.lock`.
pub fn scan(root: &Path, args: &ScanArgs) -> anyhow::Result<Vec<Finding>> {
    let mut findings = Vec::new();
    match advisory_db::locate(args, &mut findings)? {
        Some(database) => findings.extend(check(&database, &root.join("Cargo.lock"))?),
        None => findings.push(Finding::new(
            Check::Advisories,
            DATABASE_UNAVAILABLE,
            Severity::Warning,
            Location::file("Cargo.lock", None),
            "no advisory database could be had, so known vulnerabilities were NOT checked \
             (--allow-offline)"
                .to_owned(),
        )),
    }
    Ok(findings)
}

/// Every advisory that applies to the packages of `lockfile`.
pub fn check(database: &Path, lockfile: &Path) -> anyhow::Result<Vec<Finding>> {
    let db = Database::open(database).with_context(|| {
        format!(
            "cannot read the advisory database at {}",
            database.display()
        )
    })?;
    let packages =
        Lockfile::load(lockfile).with_context(|| format!("cannot read {}", lockfile.display()))?;
    let text = std::fs::read_to_string(lockfile)?;
    eprintln!(
        "security-scan: {} advisories from {}{}, {} locked packages",
        db.iter().count(),
        database.display(),
        advisory_db::last_update(database)
            .map(|date| format!(" (last updated {date})"))
            .unwrap_or_default(),
        packages.packages.len()
    );
    let settings = Settings {
        informational_warnings: vec![
            Informational::Unsound,
            Informational::Unmaintained,
            Informational::Notice,
        ],
        ..Settings::default()
    };
    let report = Report::generate(&db, &packages, &settings);
    let mut findings: Vec<Finding> = report
        .vulnerabilities
        .list
        .iter()
        .map(|vulnerability| finding(vulnerability, Severity::Error, &text))
        .collect();
    for (kind, warnings) in &report.warnings {
        let severity = if *kind == WarningKind::Unsound {
            Severity::Error
        } else {
            Severity::Warning
        };
        for warning in warnings {
            let Some(advisory) = &warning.advisory else {
                continue;
            };
            let vulnerability = Vulnerability {
                advisory: advisory.clone(),
                versions: warning.versions.clone().unwrap_or_default(),
                affected: warning.affected.clone(),
                package: warning.package.clone(),
            };
            let mut found = finding(&vulnerability, severity, &text);
            found.message = format!("{} ({})", found.message, kind.as_str());
            findings.push(found);
        }
    }
    Ok(findings)
}

fn finding(vulnerability: &Vulnerability, severity: Severity, lockfile: &str) -> Finding {
    let advisory = &vulnerability.advisory;
    let package = &vulnerability.package;
    let version = package.version.to_string();
    let patched: Vec<String> = vulnerability
        .versions
        .patched()
        .iter()
        .map(ToString::to_string)
        .collect();
    let fix = if patched.is_empty() {
        "no fixed release".to_owned()
    } else {
        format!("fixed in {}", patched.join(", "))
    };
    let url = format!("https://rustsec.org/advisories/{}", advisory.id);
    let message = format!(
        "{} {version}: {} ({fix}; {url})",
        package.name, advisory.title
    );
    let location = Location::file(
        "Cargo.lock",
        lockfile_line(lockfile, package.name.as_str(), &version),
    );
    let mut found = Finding::new(
        Check::Advisories,
        advisory.id.as_str(),
        severity,
        location,
        message,
    );
    found.fingerprint = Some(format!("{}@{version}", package.name));
    found
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn fixture(path: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/security")
            .join(path)
    }

    #[test]
    fn reports_a_vulnerable_unsound_and_unmaintained_crate() -> anyhow::Result<()> {
        let findings = check(&fixture("advisory-db"), &fixture("vulnerable/Cargo.lock"))?;
        let mut found: Vec<(String, Severity, Option<usize>)> = findings
            .iter()
            .map(|f| (f.rule.clone(), f.severity, f.location.line))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                ("RUSTSEC-2020-0155".to_owned(), Severity::Error, Some(4)),
                ("RUSTSEC-2021-0003".to_owned(), Severity::Error, Some(14)),
                ("RUSTSEC-2021-0139".to_owned(), Severity::Warning, Some(9)),
            ]
        );
        let smallvec = findings.iter().find(|f| f.rule == "RUSTSEC-2021-0003");
        assert!(
            smallvec.is_some_and(
                |f| f.message.contains("smallvec 1.6.0") && f.message.contains(">=1.6.1")
            )
        );
        Ok(())
    }

    #[test]
    fn a_patched_lockfile_is_clean() -> anyhow::Result<()> {
        assert!(check(&fixture("advisory-db"), &fixture("patched/Cargo.lock"))?.is_empty());
        Ok(())
    }

    #[test]
    fn a_directory_without_advisories_is_refused() {
        let args = ScanArgs {
            advisory_db: Some(fixture("vulnerable")),
            ..ScanArgs::default()
        };
        assert!(scan(&fixture("vulnerable"), &args).is_err());
    }
}
