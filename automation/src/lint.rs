//! `cargo xtask lint`: formatting, clippy with `-D warnings`, and the architecture rules (the
//! project's own [`Rules`], checked on the dependency graph of `cargo metadata`).
//!
//! ```no_run
//! use service_automation::lint;
//!
//! const RULES: lint::Rules = &[("domain", &["sea-orm", "tokio"]), ("api", &["persistence"])];
//! lint::all(std::path::Path::new("."), RULES)?;
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::collections::{HashSet, VecDeque};
use std::path::Path;

use anyhow::{Context, bail};
use cargo_metadata::{DependencyKind, Metadata, MetadataCommand, PackageId};

use crate::cargo;

/// Dependency rules: each crate of the workspace, with the crates it must never depend on,
/// directly or through another crate (normal dependencies; dev and build ones are free).
pub type Rules = &'static [(&'static str, &'static [&'static str])];

/// Format, lints and the dependency rules, stopping at the first failure.
pub fn all(root: &Path, rules: Rules) -> anyhow::Result<()> {
    fmt(root)?;
    clippy(root)?;
    architecture(root, rules)
}

/// `cargo fmt --all --check`.
pub fn fmt(root: &Path) -> anyhow::Result<()> {
    cargo(root, &["fmt", "--all", "--check"])
}

/// `cargo clippy --workspace --all-targets -- -D warnings`.
pub fn clippy(root: &Path) -> anyhow::Result<()> {
    cargo(
        root,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )
}

/// The dependency rules, checked on the graph `cargo metadata` reports (read with the
/// `cargo_metadata` crate); every violation is listed with the path that leads to it.
pub fn architecture(root: &Path, rules: Rules) -> anyhow::Result<()> {
    let output = crate::cargo_command()
        .args(["metadata", "--format-version", "1"])
        .current_dir(root)
        .output()
        .context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout =
        String::from_utf8(output.stdout).context("cargo metadata's output is not UTF-8")?;
    let metadata = MetadataCommand::parse(stdout).context("cannot read cargo metadata's output")?;
    let violations = violations(&metadata, rules)?;
    if violations.is_empty() {
        println!("architecture: every crate respects the dependency rule");
        Ok(())
    } else {
        bail!("dependency rule broken:\n  {}", violations.join("\n  "))
    }
}

/// Each forbidden dependency reached, as `<crate> must not depend on <dep>: <path>`.
fn violations(metadata: &Metadata, rules: Rules) -> anyhow::Result<Vec<String>> {
    let mut violations = Vec::new();
    for (krate, forbidden) in rules.iter() {
        for path in normal_dependency_paths(metadata, krate)? {
            if let Some(last) = path.last()
                && forbidden.contains(&last.as_str())
            {
                violations.push(format!(
                    "{krate} must not depend on {last}: {}",
                    path.join(" -> ")
                ));
            }
        }
    }
    Ok(violations)
}

/// Every normal (non-dev, non-build) dependency reachable from `krate`, with the path to it.
fn normal_dependency_paths(metadata: &Metadata, krate: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let nodes = &metadata.resolve.as_ref().context("no resolve graph")?.nodes;
    let name_of = |id: &PackageId| -> String {
        metadata
            .packages
            .iter()
            .find(|package| &package.id == id)
            .map_or_else(|| id.repr.clone(), |package| package.name.to_string())
    };
    let Some(start) = nodes.iter().find(|node| name_of(&node.id) == krate) else {
        return Ok(Vec::new());
    };
    let mut paths = Vec::new();
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([(start, vec![krate.to_owned()])]);
    while let Some((node, path)) = queue.pop_front() {
        for dep in &node.deps {
            let is_normal = dep
                .dep_kinds
                .iter()
                .any(|kind| kind.kind == DependencyKind::Normal);
            if !is_normal || !seen.insert(dep.pkg.clone()) {
                continue;
            }
            let mut next = path.clone();
            next.push(name_of(&dep.pkg));
            paths.push(next.clone());
            if let Some(child) = nodes.iter().find(|n| n.id == dep.pkg) {
                queue.push_back((child, next));
            }
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    /// A workspace of path crates: `domain -> middle -> forbidden`, and `api` with
    /// `forbidden` only as a dev-dependency.
    fn workspace() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let krate = |name: &str, deps: &str, dev_deps: &str| {
            let src = dir.path().join(name).join("src");
            fs::create_dir_all(&src).unwrap();
            fs::write(src.join("lib.rs"), "").unwrap();
            fs::write(
                dir.path().join(name).join("Cargo.toml"),
                format!(
                    "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
                     [dependencies]\n{deps}\n[dev-dependencies]\n{dev_deps}\n"
                ),
            )
            .unwrap();
        };
        krate("forbidden", "", "");
        krate("middle", "forbidden = { path = \"../forbidden\" }", "");
        krate("domain", "middle = { path = \"../middle\" }", "");
        krate("api", "", "forbidden = { path = \"../forbidden\" }");
        fs::write(
            dir.path().join("Cargo.toml"),
            "[workspace]\nresolver = \"3\"\nmembers = [\"api\", \"domain\", \"middle\", \"forbidden\"]\n",
        )
        .unwrap();
        dir
    }

    #[test]
    fn a_forbidden_crate_reached_through_another_is_reported_with_its_path() {
        let dir = workspace();
        let err = architecture(dir.path(), &[("domain", &["forbidden"])]).unwrap_err();
        assert!(
            err.to_string()
                .contains("domain must not depend on forbidden: domain -> middle -> forbidden"),
            "{err:#}"
        );
    }

    #[test]
    fn dev_dependencies_and_allowed_crates_pass() {
        let dir = workspace();
        architecture(
            dir.path(),
            &[
                ("api", &["forbidden"]),
                ("domain", &["api"]),
                ("absent", &["domain"]),
            ],
        )
        .unwrap();
    }
}
