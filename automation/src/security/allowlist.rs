//! Secrets the project accepts: `[workspace.metadata.secrets]` in the root `Cargo.toml`, each
//! by path and, for one value, the fingerprint the report prints, with a reason. (Advisories
//! are accepted in `deny.toml`, where cargo-deny reads them.)
//!
//! ```toml
//! [[workspace.metadata.secrets.allow]]
//! path = "config/development.toml"   # a file, or a directory ending in `/`
//! fingerprint = "0123456789abcdef"   # optional: only this value
//! reason = "The development profile's signing secret, refused in production."
//! ```
//!
//! An entry without a reason is an error; an entry that allows nothing is a warning, so the
//! list does not rot.

use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use super::{Check, Finding, Location, Severity};

const WHERE: &str = "[workspace.metadata.secrets] in Cargo.toml";

#[derive(Debug, Default)]
pub struct Allowlist {
    entries: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    workspace: Option<Workspace>,
}

#[derive(Debug, Deserialize)]
struct Workspace {
    metadata: Option<Metadata>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    secrets: Option<Secrets>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Secrets {
    #[serde(default)]
    allow: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    path: String,
    fingerprint: Option<String>,
    #[serde(default)]
    reason: String,
}

impl Allowlist {
    /// Reads the entries of the root `Cargo.toml`; none is an empty allowlist.
    pub fn load(root: &Path) -> anyhow::Result<Self> {
        let path = root.join("Cargo.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("invalid {WHERE}"))
    }

    pub fn parse(manifest: &str) -> anyhow::Result<Self> {
        let manifest: Manifest = toml::from_str(manifest)?;
        let entries = manifest
            .workspace
            .and_then(|w| w.metadata)
            .and_then(|m| m.secrets)
            .map(|s| s.allow)
            .unwrap_or_default();
        if let Some(entry) = entries.iter().find(|entry| entry.reason.trim().is_empty()) {
            bail!(
                "the entry for `{}` has no `reason`: say why it is not a credential",
                entry.path
            );
        }
        Ok(Allowlist { entries })
    }

    /// Marks the secrets an entry allows, and warns about each entry that allowed nothing.
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        let mut used = vec![false; self.entries.len()];
        for finding in findings.iter_mut().filter(|f| f.check == Check::Secrets) {
            if let Some(index) = self.entries.iter().position(|entry| entry.allows(finding)) {
                used[index] = true;
                finding.allowed = Some(self.entries[index].reason.trim().to_owned());
            }
        }
        for (entry, _) in self.entries.iter().zip(used).filter(|(_, used)| !used) {
            let mut unused = Finding::new(
                Check::Allowlist,
                "unused-entry",
                Severity::Warning,
                Location::file("Cargo.toml", None),
                format!(
                    "the secrets allowlist entry for `{}` allows nothing any more: remove it",
                    entry.path
                ),
            );
            unused.fingerprint = entry.fingerprint.clone();
            findings.push(unused);
        }
    }
}

impl Entry {
    fn allows(&self, finding: &Finding) -> bool {
        let path = &finding.location.path;
        let path_matches =
            *path == self.path || (self.path.ends_with('/') && path.starts_with(&self.path));
        let fingerprint_matches = self
            .fingerprint
            .as_deref()
            .is_none_or(|fingerprint| finding.fingerprint.as_deref() == Some(fingerprint));
        path_matches && fingerprint_matches
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
    fn entries_match_by_path_and_fingerprint() -> anyhow::Result<()> {
        let allowlist = Allowlist::parse(
            r#"
            [workspace]
            members = []

            [[workspace.metadata.secrets.allow]]
            path = "tests/fixtures/"
            reason = "Test data, not a credential."

            [[workspace.metadata.secrets.allow]]
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
        allowlist.apply(&mut findings);
        let allowed: Vec<bool> = findings.iter().map(|f| f.allowed.is_some()).collect();
        assert_eq!(allowed, [true, true, false, false]);
        Ok(())
    }

    #[test]
    fn an_entry_without_a_reason_is_an_error_and_an_unused_one_a_warning() -> anyhow::Result<()> {
        let without = "[[workspace.metadata.secrets.allow]]\npath = \"a\"\n";
        assert!(
            Allowlist::parse(without).is_err_and(|err| err.to_string().contains("no `reason`"))
        );
        let unused = Allowlist::parse(
            "[[workspace.metadata.secrets.allow]]\npath = \"a\"\nreason = \"r\"\n",
        )?;
        let mut findings = Vec::new();
        unused.apply(&mut findings);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule_id(), "allowlist/unused-entry");
        assert!(
            Allowlist::parse("[package]\nname = \"x\"\n")?
                .entries
                .is_empty()
        );
        Ok(())
    }
}
