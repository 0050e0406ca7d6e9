//! Unsafe code: every workspace crate must forbid it, either for all its targets through the
//! lints table (`[lints] workspace = true` with `unsafe_code = "forbid"` in
//! `[workspace.lints.rust]`, or `unsafe_code = "forbid"` in its own `[lints.rust]`), or with
//! `#![forbid(unsafe_code)]` at the top of each library and binary root file.

use std::path::Path;

use anyhow::Context;
use regex::Regex;

use super::metadata::{Metadata, Package};
use super::{Check, Finding, Location, Severity};

/// The crate kinds whose root file must carry the attribute when the lints table does not.
const ROOT_KINDS: &[&str] = &[
    "lib",
    "rlib",
    "dylib",
    "cdylib",
    "staticlib",
    "proc-macro",
    "bin",
];

/// Reports each workspace crate (or root file) that does not forbid unsafe code.
pub fn scan(metadata: &Metadata) -> anyhow::Result<Vec<Finding>> {
    let workspace = read_manifest(&metadata.workspace_root.join("Cargo.toml"))?;
    let workspace_forbids = forbids(workspace.get("workspace").and_then(|w| w.get("lints")));
    let attribute = Regex::new(r"^\s*#!\[\s*forbid\s*\([^)]*\bunsafe_code\b")?;
    let mut findings = Vec::new();
    for package in metadata.members() {
        let manifest = read_manifest(&package.manifest_path)?;
        if lints_forbid(&manifest, workspace_forbids) {
            continue;
        }
        for target in package
            .targets
            .iter()
            .filter(|t| t.kind.iter().any(|k| ROOT_KINDS.contains(&k.as_str())))
        {
            let source = std::fs::read_to_string(&target.src_path)
                .with_context(|| format!("cannot read {}", target.src_path.display()))?;
            if !source.lines().any(|line| attribute.is_match(line)) {
                findings.push(missing(metadata, package, &target.name, &target.src_path));
            }
        }
    }
    Ok(findings)
}

fn missing(metadata: &Metadata, package: &Package, target: &str, root_file: &Path) -> Finding {
    let mut finding = Finding::new(
        Check::UnsafeCode,
        "not-forbidden",
        Severity::Error,
        Location::file(metadata.relative(root_file), Some(1)),
        format!(
            "crate `{}` (target `{target}`) does not forbid unsafe code: add `#![forbid(unsafe_code)]` \
             here, or `[lints] workspace = true` to its Cargo.toml with `unsafe_code = \"forbid\"` in \
             [workspace.lints.rust]",
            package.name
        ),
    );
    finding.fingerprint = Some(format!("{}:{target}", package.name));
    finding
}

fn read_manifest(path: &Path) -> anyhow::Result<toml::Table> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))
}

/// Whether a package's lints table forbids unsafe code for all its targets.
fn lints_forbid(manifest: &toml::Table, workspace_forbids: bool) -> bool {
    let lints = manifest.get("lints");
    let inherits = lints
        .and_then(|lints| lints.get("workspace"))
        .and_then(toml::Value::as_bool)
        == Some(true);
    (inherits && workspace_forbids) || forbids(lints)
}

/// `rust.unsafe_code` is `"forbid"` (or `{ level = "forbid" }`) in a lints table.
fn forbids(lints: Option<&toml::Value>) -> bool {
    let Some(level) = lints
        .and_then(|lints| lints.get("rust"))
        .and_then(|rust| rust.get("unsafe_code"))
    else {
        return false;
    };
    let level = level
        .as_str()
        .or_else(|| level.get("level").and_then(toml::Value::as_str));
    level == Some("forbid")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::security::metadata::Target;

    /// A one-crate workspace in a temporary directory.
    fn workspace(
        workspace_lints: &str,
        crate_lints: &str,
        lib_rs: &str,
    ) -> anyhow::Result<(tempfile::TempDir, Metadata)> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("app/src"))?;
        let root = format!("[workspace]\nmembers = [\"app\"]\n{workspace_lints}");
        std::fs::write(dir.path().join("Cargo.toml"), root)?;
        std::fs::write(
            dir.path().join("app/Cargo.toml"),
            format!("[package]\nname = \"app\"\n{crate_lints}"),
        )?;
        std::fs::write(dir.path().join("app/src/lib.rs"), lib_rs)?;
        let package = Package {
            id: "app".to_owned(),
            name: "app".to_owned(),
            manifest_path: dir.path().join("app/Cargo.toml"),
            targets: vec![Target {
                name: "app".to_owned(),
                kind: vec!["lib".to_owned()],
                src_path: dir.path().join("app/src/lib.rs"),
            }],
        };
        let metadata = Metadata {
            packages: vec![package],
            workspace_members: vec!["app".to_owned()],
            workspace_root: PathBuf::from(dir.path()),
        };
        Ok((dir, metadata))
    }

    const FORBID_ALL: &str = "[workspace.lints.rust]\nunsafe_code = \"forbid\"\n";
    const INHERIT: &str = "[lints]\nworkspace = true\n";
    const ATTRIBUTE: &str = "//! A crate.\n#![forbid(unsafe_code)]\n\npub fn f() {}\n";
    const NO_ATTRIBUTE: &str = "//! A crate.\n// #![forbid(unsafe_code)] is only a comment here.\n";

    #[test]
    fn any_one_of_the_ways_to_forbid_is_enough() -> anyhow::Result<()> {
        for (workspace_lints, crate_lints, lib_rs) in [
            (FORBID_ALL, INHERIT, NO_ATTRIBUTE),
            (
                "",
                "[lints.rust]\nunsafe_code = { level = \"forbid\" }\n",
                NO_ATTRIBUTE,
            ),
            ("", "", ATTRIBUTE),
            ("", "", "#![forbid(missing_docs, unsafe_code)]\n"),
        ] {
            let (_dir, metadata) = workspace(workspace_lints, crate_lints, lib_rs)?;
            assert!(
                scan(&metadata)?.is_empty(),
                "{workspace_lints} {crate_lints} {lib_rs}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_crate_that_allows_unsafe_code_is_reported() -> anyhow::Result<()> {
        for (workspace_lints, crate_lints) in [
            ("", ""),
            (FORBID_ALL, ""),
            ("[workspace.lints.rust]\nunsafe_code = \"deny\"\n", INHERIT),
        ] {
            let (_dir, metadata) = workspace(workspace_lints, crate_lints, NO_ATTRIBUTE)?;
            let findings = scan(&metadata)?;
            assert_eq!(findings.len(), 1, "{workspace_lints} {crate_lints}");
            assert_eq!(findings[0].rule_id(), "unsafe-code/not-forbidden");
            assert_eq!(findings[0].location.path, "app/src/lib.rs");
        }
        Ok(())
    }
}
