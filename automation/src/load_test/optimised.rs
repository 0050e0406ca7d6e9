//! The load generator must not be the bottleneck: built for debugging (as `cargo xtask` is),
//! it sends about half the requests an optimised build does, at twice the latency. So a debug
//! `cargo xtask load-test` builds the xtask in release and hands the run over to that build.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};

use super::{Failure, Options};
use crate::cargo_command;

/// Set for the optimised build, so that it runs the load test itself.
const HANDED_OVER: &str = "XTASK_LOAD_TEST_OPTIMISED";

/// True when this process should hand the run over to an optimised build.
pub fn should_hand_over() -> bool {
    cfg!(debug_assertions) && std::env::var_os(HANDED_OVER).is_none()
}

/// The command line that asks for `options`.
pub fn arguments(options: &Options) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["load-test".into()];
    let mut push = |flag: &str, value: OsString| {
        args.push(flag.into());
        args.push(value);
    };
    for scenario in &options.scenarios {
        push("--scenario", scenario.into());
    }
    if let Some(baseline) = &options.baseline {
        push("--baseline", baseline.into());
    }
    if let Some(url) = &options.database_url {
        push("--database-url", url.into());
    }
    if let Some(target) = &options.target {
        push("--target", target.into());
    }
    if let Some(concurrency) = options.concurrency {
        push("--concurrency", concurrency.to_string().into());
    }
    if let Some(duration) = options.duration {
        push("--duration", format!("{}ms", duration.as_millis()).into());
    }
    if let Some(requests) = options.requests {
        push("--requests", requests.to_string().into());
    }
    push("--config", options.config.clone().into());
    if options.smoke {
        args.push("--smoke".into());
    }
    args
}

/// `cargo build --release -p xtask`; the path of the binary.
fn build(root: &Path) -> anyhow::Result<PathBuf> {
    let output = cargo_command()
        .args(["build", "--release", "--package", "xtask"])
        .args(["--message-format", "json-render-diagnostics"])
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo build")?;
    if !output.status.success() {
        bail!(
            "`cargo build --release --package xtask` failed ({})",
            output.status
        );
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .context("cargo build reported no xtask binary")
}

/// Builds the optimised xtask and runs the load test with it; its exit code becomes ours.
pub fn hand_over(root: &Path, options: &Options) -> anyhow::Result<()> {
    println!("==> building the load generator (optimised)");
    let binary = build(root)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let status = runtime.block_on(async {
        let mut child = tokio::process::Command::new(&binary)
            .args(arguments(options))
            .env(HANDED_OVER, "1")
            .env("CARGO_MANIFEST_DIR", root.join("xtask"))
            .current_dir(root)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot run {}", binary.display()))?;
        loop {
            tokio::select! {
                status = child.wait() => return status.context("waiting for the load test failed"),
                // The terminal sends Ctrl-C to the child too: it stops the run and the service
                // itself. Only wait for it.
                _ = tokio::signal::ctrl_c() => {}
            }
        }
    })?;
    match status.code().map(u8::try_from) {
        Some(Ok(0)) => Ok(()),
        Some(Ok(code)) => Err(Failure::HandedOver(code).into()),
        _ => bail!("the load test failed ({status})"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(subcommand)]
        task: Task,
    }

    #[derive(Debug, clap::Subcommand)]
    enum Task {
        LoadTest(Options),
    }

    #[test]
    fn the_arguments_ask_for_the_same_options() {
        let options = Options {
            smoke: true,
            scenarios: vec!["read".to_owned(), "write".to_owned()],
            baseline: Some(PathBuf::from("old.json")),
            database_url: Some("sqlite://x.db".to_owned()),
            target: None,
            concurrency: Some(3),
            duration: Some(Duration::from_millis(2500)),
            requests: Some(900),
            config: PathBuf::from("other.toml"),
        };
        let mut argv: Vec<OsString> = vec!["xtask".into()];
        argv.extend(arguments(&options));
        let Task::LoadTest(parsed) = Command::try_parse_from(argv).unwrap().task;
        assert_eq!(format!("{parsed:?}"), format!("{options:?}"));
    }
}
