//! The dependency policy of `deny.toml`, checked against `cargo metadata`: every crate's
//! license expression must be satisfied by `[licenses] allow` (evaluated with the `spdx`
//! crate), no crate may be in `[bans] deny`, and crates come only from allowed sources.

use std::path::Path;

use rustsec::Version;

use super::deny_config::{CRATES_IO, DenyConfig, Level};
use super::metadata::{Metadata, Package};
use super::{Check, Finding, Location, Severity, lockfile_line};

/// Checks every package of the dependency graph against `deny.toml`.
pub fn scan(root: &Path, metadata: &Metadata) -> anyhow::Result<Vec<Finding>> {
    let config = DenyConfig::load(root)?;
    let lockfile = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let has_cargo_deny = crate::cargo_command()
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if has_cargo_deny {
        eprintln!(
            "security-scan: cargo-deny is installed: `cargo deny check` also checks the parts of \
             deny.toml this scan does not read (duplicates, wildcards, clarify, ...)"
        );
    }
    check(&config, metadata, &lockfile)
}

/// The policy applied to `metadata`; `lockfile` only places the findings.
pub fn check(
    config: &DenyConfig,
    metadata: &Metadata,
    lockfile: &str,
) -> anyhow::Result<Vec<Finding>> {
    let bans = config.bans()?;
    let mut findings = Vec::new();
    for package in &metadata.packages {
        let location = if metadata.is_member(package) {
            Location::file(metadata.relative(&package.manifest_path), None)
        } else {
            Location::file(
                "Cargo.lock",
                lockfile_line(lockfile, &package.name, &package.version),
            )
        };
        let mut found = |check, rule: &str, severity, message: String| {
            let mut finding = Finding::new(check, rule, severity, location.clone(), message);
            finding.fingerprint = Some(format!("{}@{}", package.name, package.version));
            findings.push(finding);
        };
        let private_member = metadata.is_member(package) && package.is_private();
        if !(config.licenses.private.ignore && private_member)
            && let Err(message) = license_problem(config, package)
        {
            found(
                Check::Licenses,
                "license-not-allowed",
                Severity::Error,
                message,
            );
        }
        let version = Version::parse(&package.version).ok();
        for ban in bans.iter().filter(|ban| ban.name == package.name) {
            let matches = match (&ban.versions, &version) {
                (None, _) => true,
                (Some(req), Some(version)) => req.matches(version),
                (Some(_), None) => false,
            };
            if matches {
                let why = ban
                    .reason
                    .as_deref()
                    .map(|reason| format!(": {reason}"))
                    .unwrap_or_default();
                found(
                    Check::Bans,
                    "banned-crate",
                    Severity::Error,
                    format!("{} {} is banned{why}", package.name, package.version),
                );
            }
        }
        if let Some((rule, level, message)) = source_problem(config, package) {
            let severity = match level {
                Level::Deny => Severity::Error,
                Level::Warn => Severity::Warning,
                Level::Allow => continue,
            };
            found(Check::Sources, rule, severity, message);
        }
    }
    Ok(findings)
}

/// Why `package`'s license is not acceptable, if it is not.
fn license_problem(config: &DenyConfig, package: &Package) -> Result<(), String> {
    let who = format!("{} {}", package.name, package.version);
    let Some(expression) = &package.license else {
        let file = package
            .license_file
            .as_deref()
            .map(|f| format!(" (only a license file, {f})"))
            .unwrap_or_default();
        return Err(format!("{who} declares no SPDX license expression{file}"));
    };
    let parsed = spdx::Expression::parse_mode(expression, spdx::ParseMode::LAX).map_err(|err| {
        format!("{who}: cannot read the license expression `{expression}`: {err}")
    })?;
    let exceptions = config
        .licenses
        .exceptions
        .iter()
        .filter(|exception| exception.krate == package.name);
    let allowed: Vec<spdx::Licensee> = config
        .licenses
        .allow
        .iter()
        .chain(exceptions.flat_map(|exception| &exception.allow))
        .filter_map(|license| spdx::Licensee::parse(license).ok())
        .collect();
    if parsed.evaluate(|req| allowed.iter().any(|licensee| licensee.satisfies(req))) {
        Ok(())
    } else {
        Err(format!(
            "{who} is licensed `{expression}`, which [licenses] allow in deny.toml does not satisfy"
        ))
    }
}

/// A source that `[sources]` does not allow: the rule, its level and a message.
fn source_problem(config: &DenyConfig, package: &Package) -> Option<(&'static str, Level, String)> {
    let source = package.source.as_deref()?;
    let who = format!("{} {}", package.name, package.version);
    if let Some(url) = source
        .strip_prefix("registry+")
        .or_else(|| source.strip_prefix("sparse+"))
    {
        let allowed =
            config.sources.allow_registry.iter().any(|allowed| {
                same_url(allowed, url) || (is_crates_io(allowed) && is_crates_io(url))
            });
        return (!allowed).then(|| {
            (
                "unknown-registry",
                config.sources.unknown_registry,
                format!("{who} comes from the registry {url}, not in [sources] allow-registry"),
            )
        });
    }
    if let Some(url) = source.strip_prefix("git+") {
        let repository = url.split(['?', '#']).next().unwrap_or(url);
        let allowed = config
            .sources
            .allow_git
            .iter()
            .any(|allowed| same_url(allowed, repository));
        return (!allowed).then(|| {
            (
                "unknown-git",
                config.sources.unknown_git,
                format!(
                    "{who} comes from the git repository {repository}, not in [sources] allow-git"
                ),
            )
        });
    }
    Some((
        "unknown-source",
        config.sources.unknown_registry,
        format!("{who} comes from an unrecognised source {source}"),
    ))
}

/// crates.io's index, by its git or its sparse address.
fn is_crates_io(url: &str) -> bool {
    same_url(url, CRATES_IO) || same_url(url, "https://index.crates.io/")
}

/// Two URLs equal but for a trailing slash or `.git`.
fn same_url(a: &str, b: &str) -> bool {
    let normal = |url: &str| {
        url.trim_end_matches('/')
            .trim_end_matches(".git")
            .to_ascii_lowercase()
    };
    normal(a) == normal(b)
}

#[cfg(test)]
mod tests;
