//! `cargo xtask openapi lint`: `docs/openapi.yaml` against Spectral's `spectral:oas` ruleset and
//! the OWASP API Security ruleset (`@stoplight/spectral-owasp-ruleset`), as configured in
//! `.spectral.yaml`. Any error or warning fails: a rule is turned off only in `.spectral.yaml`,
//! with a comment saying why.
//!
//! Spectral is a Node.js tool; install it once with
//! `npm install --global @stoplight/spectral-cli@6.16.3 @stoplight/spectral-owasp-ruleset@2.0.1`.
//! Without it the step is skipped, and says so.
//!
//! ```no_run
//! service_automation::openapi_lint::lint(std::path::Path::new("."))?;
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::ci::Skipped;

const OPENAPI_FILE: &str = "docs/openapi.yaml";
const RULESET: &str = ".spectral.yaml";
const INSTALL: &str = "npm install --global @stoplight/spectral-cli@6.16.3 \
                       @stoplight/spectral-owasp-ruleset@2.0.1";

pub fn lint(root: &Path) -> anyhow::Result<()> {
    let Some(spectral) = find_on_path("spectral") else {
        if find_on_path("node").is_none() {
            return Err(Skipped(format!(
                "node not installed: install Node.js 20+, then `{INSTALL}`"
            ))
            .into());
        }
        return Err(Skipped(format!("spectral not installed: `{INSTALL}`")).into());
    };
    let mut command = Command::new(&spectral);
    command
        .args([
            "lint",
            OPENAPI_FILE,
            "--ruleset",
            RULESET,
            "--fail-severity",
            "warn",
        ])
        .current_dir(root);
    // The OWASP ruleset is an npm package that the ruleset names: Spectral finds it in the
    // node_modules folder it was installed into (never on the network).
    if std::env::var_os("NODE_PATH").is_none()
        && let Some(modules) = node_modules_of(&spectral)
    {
        command.env("NODE_PATH", modules);
    }
    let status = command
        .status()
        .with_context(|| format!("cannot run {}", spectral.display()))?;
    if !status.success() {
        bail!(
            "{OPENAPI_FILE} has Spectral findings (above); fix them, or turn a rule off in {RULESET} with the reason"
        );
    }
    println!(
        "{OPENAPI_FILE}: no Spectral errors or warnings (spectral:oas and OWASP API Security)"
    );
    Ok(())
}

/// `name` in a directory of `PATH`, if there.
fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The `node_modules` folder a Node.js executable was installed into.
fn node_modules_of(executable: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(executable).ok()?;
    real.ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "node_modules"))
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_modules_folder_is_found_above_the_executable() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("node_modules/@stoplight/spectral-cli/dist");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("index.js"), "").unwrap();
        let modules = node_modules_of(&bin.join("index.js")).unwrap();
        assert_eq!(
            modules,
            std::fs::canonicalize(dir.path().join("node_modules")).unwrap()
        );
        assert_eq!(node_modules_of(dir.path()), None);
    }
}
