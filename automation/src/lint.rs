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

use std::path::Path;

use anyhow::{Context, bail};

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

/// The dependency rules, checked on the graph `cargo metadata` reports; every violation is
/// listed with the path that leads to it.
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
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let mut violations = Vec::new();
    for (krate, forbidden) in rules.iter() {
        for path in normal_dependency_paths(&metadata, krate)? {
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
    if violations.is_empty() {
        println!("architecture: every crate respects the dependency rule");
        Ok(())
    } else {
        bail!("dependency rule broken:\n  {}", violations.join("\n  "))
    }
}

/// Every normal (non-dev, non-build) dependency reachable from `krate`, with the path to it.
fn normal_dependency_paths(
    metadata: &serde_json::Value,
    krate: &str,
) -> anyhow::Result<Vec<Vec<String>>> {
    let nodes = metadata["resolve"]["nodes"]
        .as_array()
        .context("no resolve graph")?;
    let name_of = |id: &str| -> String {
        metadata["packages"]
            .as_array()
            .and_then(|packages| packages.iter().find(|p| p["id"] == id))
            .and_then(|p| p["name"].as_str())
            .unwrap_or(id)
            .to_owned()
    };
    let Some(start) = nodes
        .iter()
        .find(|node| node["id"].as_str().is_some_and(|id| name_of(id) == krate))
    else {
        return Ok(Vec::new());
    };
    let mut paths = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut queue = std::collections::VecDeque::from([(start, vec![krate.to_owned()])]);
    while let Some((node, path)) = queue.pop_front() {
        for dep in node["deps"].as_array().into_iter().flatten() {
            let is_normal = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|kind| kind["kind"].is_null());
            let Some(id) = dep["pkg"].as_str() else {
                continue;
            };
            if !is_normal || !seen.insert(id.to_owned()) {
                continue;
            }
            let mut next = path.clone();
            next.push(name_of(id));
            paths.push(next.clone());
            if let Some(child) = nodes.iter().find(|n| n["id"] == id) {
                queue.push_back((child, next));
            }
        }
    }
    Ok(paths)
}
