//! `cargo xtask openapi`: the committed OpenAPI document at `docs/openapi.yaml`, exported from
//! the code (through the service binary, without starting a server) and checked for drift.
//! The differ classifies each change as breaking or compatible (`openapi_diff`).
//!
//! ```no_run
//! use service_automation::openapi;
//!
//! let root = std::path::Path::new(".");
//! openapi::check(root)?; // fails when docs/openapi.yaml differs from the code
//! openapi::diff(root, None, None)?; // committed document against the code's
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::openapi_diff::{self, Severity};

const OPENAPI_FILE: &str = "docs/openapi.yaml";

fn generated_openapi(root: &Path) -> anyhow::Result<String> {
    let binary = crate::service::build(root, false)?;
    let output = Command::new(&binary)
        .arg("openapi")
        .current_dir(root)
        .output()
        .context("cannot run the service's `openapi` command")?;
    if !output.status.success() {
        bail!(
            "generating the OpenAPI document failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout).context("the OpenAPI document is not UTF-8")
}

pub fn export(root: &Path) -> anyhow::Result<()> {
    let spec = generated_openapi(root)?;
    std::fs::write(root.join(OPENAPI_FILE), spec)
        .with_context(|| format!("cannot write {OPENAPI_FILE}"))?;
    println!("wrote {OPENAPI_FILE}");
    Ok(())
}

pub fn check(root: &Path) -> anyhow::Result<()> {
    let spec = generated_openapi(root)?;
    let committed = std::fs::read_to_string(root.join(OPENAPI_FILE))
        .with_context(|| format!("cannot read {OPENAPI_FILE}; run `cargo xtask openapi export`"))?;
    if committed != spec {
        bail!(
            "{OPENAPI_FILE} is out of date with the code; run `cargo xtask openapi export` and commit it"
        );
    }
    println!("{OPENAPI_FILE} matches the code");
    validate_openapi(root)
}

/// Checks the document against the OpenAPI 3 schema with `openapi-spec-validator` (PyPI),
/// when it is installed; says how to install it when it is not.
fn validate_openapi(root: &Path) -> anyhow::Result<()> {
    let validator = Command::new("openapi-spec-validator")
        .arg(OPENAPI_FILE)
        .current_dir(root)
        .status();
    match validator {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => bail!("{OPENAPI_FILE} is not a valid OpenAPI document ({status})"),
        // The drift check passed, the schema check could not run: never an `ok`.
        Err(_) => Err(crate::ci::Skipped(
            "partly: openapi-spec-validator not installed, the document was not checked against \
             the OpenAPI schema: `pip install openapi-spec-validator==0.9.0`"
                .to_owned(),
        )
        .into()),
    }
}

/// `openapi diff [OLD] [NEW]`: OLD defaults to the committed `docs/openapi.yaml`, NEW to the
/// document generated from the code. Fails on breaking changes unless NEW raised the major
/// version.
pub fn diff(root: &Path, old: Option<PathBuf>, new: Option<PathBuf>) -> anyhow::Result<()> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let old_path = old.unwrap_or_else(|| root.join(OPENAPI_FILE));
    let (new_name, new_text) = match new {
        Some(path) => (path.display().to_string(), read(&path)?),
        None => ("the code".to_owned(), generated_openapi(root)?),
    };
    let old_doc = openapi_diff::parse(&read(&old_path)?)
        .with_context(|| format!("cannot parse {}", old_path.display()))?;
    let new_doc =
        openapi_diff::parse(&new_text).with_context(|| format!("cannot parse {new_name}"))?;
    let changes = openapi_diff::diff(&old_doc, &new_doc);
    println!("OpenAPI changes from {} to {new_name}:", old_path.display());
    for change in &changes {
        println!("  {change}");
    }
    let breaking = changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .count();
    println!(
        "{} change(s): {breaking} breaking, {} compatible",
        changes.len(),
        changes.len() - breaking
    );
    let (old_major, new_major) = (
        openapi_diff::major_version(&old_doc),
        openapi_diff::major_version(&new_doc),
    );
    if breaking == 0 {
        return Ok(());
    }
    match (old_major, new_major) {
        (Some(old_major), Some(new_major)) if new_major > old_major => {
            println!(
                "breaking changes accepted: the major version went from {old_major} to {new_major}"
            );
            Ok(())
        }
        _ => bail!(
            "{breaking} breaking change(s) without a new major version; raise the workspace \
             `version` in Cargo.toml (the document's info.version) or keep the API compatible"
        ),
    }
}
