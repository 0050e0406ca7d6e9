//! `cargo xtask api-fuzz`: property-based fuzzing of the running service from its own OpenAPI
//! document with Schemathesis (PyPI), configured by `schemathesis.toml` at the project root.
//! Every check runs: no 5xx, only documented statuses, content types and headers, responses
//! that match their schemas, invalid input refused and valid input accepted.

use std::process::Command;

use anyhow::{Context, bail};

use crate::Project;
use crate::ci::Skipped;
use crate::service::RunningService;

/// The pinned release `.ci/run` and the CI workflow install.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// Fixed, so that a CI run is reproducible; fuzz further locally with another seed.
const SEED: &str = "20260101";

/// Builds the service, starts it ([`RunningService`]) and fuzzes it; with
/// [`Project::bearer_auth`], every request carries a token from the binary's `dev-token`.
///
/// ```no_run
/// let project = service_automation::Project::new(".", true);
/// service_automation::api_fuzz::run(&project)?;
/// # Ok::<(), anyhow::Error>(())
/// ```
pub fn run(project: &Project) -> anyhow::Result<()> {
    let root = &project.root;
    if Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_err()
    {
        // Nothing was fuzzed: never a pass (`cargo xtask api-fuzz` alone exits non-zero).
        return Err(Skipped(format!(
            "schemathesis not installed: `pip install {SCHEMATHESIS}`"
        ))
        .into());
    }
    let binary = crate::service::build(root, false)?;
    let service = RunningService::start(root, &binary)?;
    println!(
        "fuzzing {} from {}/openapi.json",
        service.base_url, service.base_url
    );
    let mut command = Command::new("schemathesis");
    command
        .arg("--config-file")
        .arg(root.join("schemathesis.toml"));
    if std::env::var_os("CI").is_some() || std::env::var_os("NO_COLOR").is_some() {
        command.arg("--no-color");
    }
    command
        .args(["run", &format!("{}/openapi.json", service.base_url)])
        .args(["--checks", "all", "--seed", SEED, "--workers", "2"])
        .current_dir(root);
    if project.bearer_auth {
        let token = RunningService::run_command(root, &binary, &["dev-token"])?;
        command.args(["--header", &format!("Authorization: Bearer {token}")]);
    }
    let status = command.status().context("cannot run schemathesis")?;
    drop(service);
    if !status.success() {
        bail!(
            "schemathesis found problems ({status}); each one above has a `curl` to reproduce it"
        );
    }
    Ok(())
}
