//! `security-allowlist.toml`: findings the project accepts, each with a reason.
//!
//! ```toml
//! [[allow]]
//! rule = "advisories/RUSTSEC-2023-0071"  # check/rule, as the report prints it
//! path = "Cargo.lock"                     # optional: a file, or a directory ending in `/`
//! fingerprint = "rsa@0.9.8"               # optional: as the report prints it
//! reason = "Why this is acceptable, and until when."
//! ```
//!
//! An entry without a reason is an error; an entry that matches nothing (in a check that ran)
//! is reported as a warning so the list does not rot.

use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use super::{Check, Finding, Location, Severity};

pub const FILE_NAME: &str = "security-allowlist.toml";

#[derive(Debug, Default)]
pub struct Allowlist {
    entries: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    allow: Vec<RawEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    rule: Option<String>,
    path: Option<String>,
    fingerprint: Option<String>,
    reason: Option<String>,
}

#[derive(Debug)]
struct Entry {
    rule: String,
    path: Option<String>,
    fingerprint: Option<String>,
    reason: String,
}

impl Allowlist {
    /// Reads the allowlist at the project root; no file is an empty allowlist.
    pub fn load(root: &Path) -> anyhow::Result<Self> {
        let path = root.join(FILE_NAME);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text).with_context(|| format!("invalid {FILE_NAME}")),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(err) => Err(err).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: File = toml::from_str(text)?;
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        for (index, raw) in file.allow.into_iter().enumerate() {
            let number = index + 1;
            let reason = raw
                .reason
                .map(|reason| reason.trim().to_owned())
                .unwrap_or_default();
            match raw.rule {
                None => problems.push(format!("entry {number} has no `rule`")),
                Some(rule) if !rule.contains('/') => {
                    problems.push(format!(
                        "entry {number}: `rule = \"{rule}\"` must be check/rule, as reported"
                    ));
                }
                Some(rule) if reason.is_empty() => {
                    problems.push(format!(
                        "entry {number} (`{rule}`) has no `reason`: say why it is acceptable"
                    ));
                }
                Some(rule) => entries.push(Entry {
                    rule,
                    path: raw.path,
                    fingerprint: raw.fingerprint,
                    reason,
                }),
            }
        }
        if !problems.is_empty() {
            bail!("{}", problems.join("; "));
        }
        Ok(Allowlist { entries })
    }

    /// Marks the findings an entry allows, and adds a warning for each entry that allowed
    /// nothing although its check ran.
    pub fn apply(&self, findings: &mut Vec<Finding>, ran: &[Check]) {
        let mut used = vec![false; self.entries.len()];
        for finding in findings.iter_mut() {
            if let Some(index) = self.entries.iter().position(|entry| entry.allows(finding)) {
                used[index] = true;
                finding.allowed = Some(self.entries[index].reason.clone());
            }
        }
        for (entry, _) in self.entries.iter().zip(used).filter(|(_, used)| !used) {
            let check = entry.rule.split('/').next().unwrap_or_default();
            if ran.iter().any(|ran| ran.name() == check) {
                let mut unused = Finding::new(
                    Check::Allowlist,
                    "unused-entry",
                    Severity::Warning,
                    Location::file(FILE_NAME, None),
                    format!(
                        "the entry for `{}` allows nothing any more: remove it",
                        entry.rule
                    ),
                );
                unused.fingerprint = Some(entry.rule.clone());
                findings.push(unused);
            }
        }
    }
}

impl Entry {
    fn allows(&self, finding: &Finding) -> bool {
        let path_matches = self.path.as_deref().is_none_or(|path| {
            finding.location.path == path
                || (path.ends_with('/') && finding.location.path.starts_with(path))
        });
        let fingerprint_matches = self
            .fingerprint
            .as_deref()
            .is_none_or(|fingerprint| finding.fingerprint.as_deref() == Some(fingerprint));
        self.rule == finding.rule_id() && path_matches && fingerprint_matches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret_in(path: &str, fingerprint: &str) -> Finding {
        let mut finding = Finding::new(
            Check::Secrets,
            "high-entropy",
            Severity::Error,
            Location::file(path, Some(3)),
            "a high-entropy string".to_owned(),
        );
        finding.fingerprint = Some(fingerprint.to_owned());
        finding
    }

    #[test]
    fn entries_match_by_rule_path_and_fingerprint() -> anyhow::Result<()> {
        let allowlist = Allowlist::parse(
            r#"
            [[allow]]
            rule = "secrets/high-entropy"
            path = "tests/fixtures/"
            reason = "Test data, not a credential."

            [[allow]]
            rule = "secrets/high-entropy"
            path = "config/app.toml"
            fingerprint = "abc"
            reason = "A public key, not a secret."
            "#,
        )?;
        let mut findings = vec![
            secret_in("tests/fixtures/key.txt", "x"),
            secret_in("config/app.toml", "abc"),
            secret_in("config/app.toml", "other"),
            secret_in("src/main.rs", "abc"),
        ];
        allowlist.apply(&mut findings, &[Check::Secrets]);
        let allowed: Vec<bool> = findings
            .iter()
            .map(|finding| finding.allowed.is_some())
            .collect();
        assert_eq!(allowed, [true, true, false, false]);
        assert_eq!(
            findings[1].allowed.as_deref(),
            Some("A public key, not a secret.")
        );
        Ok(())
    }

    #[test]
    fn an_entry_without_a_reason_is_an_error() {
        let err = Allowlist::parse("[[allow]]\nrule = \"secrets/high-entropy\"\nreason = \"  \"\n");
        assert!(err.is_err_and(|err| err.to_string().contains("no `reason`")));
        assert!(Allowlist::parse("[[allow]]\nrule = \"secrets/x\"\n").is_err());
        assert!(
            Allowlist::parse("[[allow]]\nrule = \"secrets/x\"\nreason = \"r\"\ntypo = 1\n")
                .is_err()
        );
    }

    #[test]
    fn unused_entries_are_reported_only_for_checks_that_ran() -> anyhow::Result<()> {
        let allowlist = Allowlist::parse(
            "[[allow]]\nrule = \"advisories/RUSTSEC-2020-0001\"\nreason = \"Not reachable.\"\n",
        )?;
        let mut findings = Vec::new();
        allowlist.apply(&mut findings, &[Check::Secrets]);
        assert!(findings.is_empty());
        allowlist.apply(&mut findings, &[Check::Advisories]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule_id(), "allowlist/unused-entry");
        Ok(())
    }
}
