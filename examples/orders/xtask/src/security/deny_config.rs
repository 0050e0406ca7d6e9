//! The parts of `deny.toml` (cargo-deny's format) that the scan implements: `[licenses]`
//! `allow`, `exceptions` and `private.ignore`; `[bans] deny`; `[sources]` `unknown-registry`,
//! `unknown-git`, `allow-registry` and `allow-git`. Other keys are left to `cargo deny`.

use std::path::Path;

use anyhow::{Context, bail};
use rustsec::VersionReq;
use serde::Deserialize;

/// The registry cargo-deny allows when `allow-registry` is not set.
pub const CRATES_IO: &str = "https://github.com/rust-lang/crates.io-index";

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct DenyConfig {
    pub licenses: Licenses,
    pub bans: Bans,
    pub sources: Sources,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Licenses {
    /// SPDX license identifiers (with an optional `WITH` exception).
    pub allow: Vec<String>,
    pub exceptions: Vec<LicenseException>,
    pub private: Private,
}

/// More licenses for one crate.
#[derive(Debug, Deserialize)]
pub struct LicenseException {
    #[serde(rename = "crate", alias = "name")]
    pub krate: String,
    pub allow: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Private {
    /// Skip workspace crates that are not published (`publish = false`).
    pub ignore: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Bans {
    pub deny: Vec<BanEntry>,
}

/// `"name"`, `"name@1.2.3"`, `"name:<1.2"` or a table with `crate` (or `name` and `version`)
/// and a `reason`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum BanEntry {
    Spec(String),
    Table {
        #[serde(rename = "crate", alias = "name")]
        krate: String,
        version: Option<String>,
        reason: Option<String>,
    },
}

/// A banned crate, optionally only some of its versions.
#[derive(Debug)]
pub struct Ban {
    pub name: String,
    pub versions: Option<VersionReq>,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Sources {
    pub unknown_registry: Level,
    pub unknown_git: Level,
    pub allow_registry: Vec<String>,
    pub allow_git: Vec<String>,
}

impl Default for Sources {
    fn default() -> Self {
        Sources {
            unknown_registry: Level::Warn,
            unknown_git: Level::Warn,
            allow_registry: vec![CRATES_IO.to_owned()],
            allow_git: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Deny,
    Warn,
    Allow,
}

impl DenyConfig {
    /// Reads `deny.toml` at the project root; a project without one gets an error, not a pass.
    pub fn load(root: &Path) -> anyhow::Result<Self> {
        let path = root.join("deny.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {} (the dependency policy)", path.display()))?;
        Self::parse(&text).with_context(|| format!("invalid {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let config: DenyConfig = toml::from_str(text)?;
        for license in config
            .licenses
            .allow
            .iter()
            .chain(config.licenses.exceptions.iter().flat_map(|e| &e.allow))
        {
            spdx::Licensee::parse(license)
                .with_context(|| format!("`{license}` is not an SPDX license identifier"))?;
        }
        config.bans()?;
        Ok(config)
    }

    /// The `[bans] deny` entries, parsed.
    pub fn bans(&self) -> anyhow::Result<Vec<Ban>> {
        self.bans.deny.iter().map(BanEntry::parse).collect()
    }
}

impl BanEntry {
    fn parse(&self) -> anyhow::Result<Ban> {
        let (spec, version, reason) = match self {
            BanEntry::Spec(spec) => (spec.as_str(), None, None),
            BanEntry::Table {
                krate,
                version,
                reason,
            } => (krate.as_str(), version.as_deref(), reason.clone()),
        };
        let (name, requirement) = if let Some((name, exact)) = spec.split_once('@') {
            (name, Some(format!("={exact}")))
        } else if let Some((name, range)) = spec.split_once(':') {
            (name, Some(range.to_owned()))
        } else {
            (spec, version.map(str::to_owned))
        };
        if name.is_empty() {
            bail!("a [bans] deny entry has no crate name");
        }
        let versions = requirement
            .map(|req| {
                VersionReq::parse(&req)
                    .with_context(|| format!("bad version requirement `{req}` for {name}"))
            })
            .transpose()?;
        Ok(Ban {
            name: name.to_owned(),
            versions,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_implemented_keys_and_ignores_the_others() -> anyhow::Result<()> {
        let config = DenyConfig::parse(
            r#"
            [graph]
            all-features = false
            [licenses]
            allow = ["MIT", "Apache-2.0 WITH LLVM-exception"]
            exceptions = [{ crate = "ring", allow = ["ISC"] }]
            private = { ignore = true }
            [bans]
            multiple-versions = "warn"
            deny = ["openssl", "old@0.1.2", "ranged:<2", { crate = "native-tls", reason = "rustls only" }]
            [sources]
            unknown-git = "deny"
            "#,
        )?;
        assert_eq!(config.licenses.allow.len(), 2);
        assert_eq!(config.licenses.exceptions[0].krate, "ring");
        assert!(config.licenses.private.ignore);
        let bans = config.bans()?;
        let names: Vec<&str> = bans.iter().map(|ban| ban.name.as_str()).collect();
        assert_eq!(names, ["openssl", "old", "ranged", "native-tls"]);
        let (exact, two) = ("0.1.2".parse()?, "2.0.0".parse()?);
        assert!(bans[0].versions.is_none());
        assert!(
            bans[1]
                .versions
                .as_ref()
                .is_some_and(|req| req.matches(&exact))
        );
        assert!(
            bans[2]
                .versions
                .as_ref()
                .is_some_and(|req| !req.matches(&two))
        );
        assert_eq!(bans[3].reason.as_deref(), Some("rustls only"));
        assert_eq!(config.sources.unknown_git, Level::Deny);
        assert_eq!(config.sources.unknown_registry, Level::Warn);
        assert_eq!(config.sources.allow_registry, [CRATES_IO]);
        Ok(())
    }

    #[test]
    fn rejects_a_license_that_is_not_spdx() {
        assert!(DenyConfig::parse("[licenses]\nallow = [\"Not A License\"]\n").is_err());
    }
}
