//! `cargo xtask load-test`: builds the service, starts it on 127.0.0.1 over a fresh SQLite
//! database, seeds data, runs the scenarios of `loadtest.toml` one after another on
//! [goose](https://book.goose.rs), checks each against its SLOs and writes `report.json`,
//! `report.html` and goose's own report of each scenario (`goose-<scenario>.html`) under
//! `target/load-test/` (`target/load-test/smoke/` with `--smoke`, the short run `cargo xtask
//! ci` makes). The service is always stopped, on success, failure or Ctrl-C.
//!
//! Two ways to load:
//! - **closed loop** (the default): `concurrency` users each send their next request when the
//!   previous one is answered. It finds the throughput; under overload latency shows up as
//!   fewer requests per second, not as slow requests (coordinated omission).
//! - **open loop** (`--rate <req/s>`, or `rate` in `[run]`/`[smoke]`): requests start at that
//!   fixed arrival rate whatever the answers take (goose's throttle), and the requests a
//!   stalled user could not send are backfilled (goose's coordinated-omission mitigation), so
//!   the percentiles are those of clients arriving at the stated rate. `report.json` keeps
//!   the measured percentiles beside the corrected ones. Give it enough users to hold the
//!   rate (about the rate times the slowest latency you expect); the summary says when the
//!   rate was not reached.
//!
//! The full run loads the release build of the service; `--smoke` loads the debug build the
//! tests compiled already (it proves that the load test works, not the service's speed), so
//! `cargo xtask ci` compiles nothing in release. The load generator runs in the xtask
//! process, in its (debug) profile: goose built optimised measured no faster on the default
//! rendering, so nothing of the xtask is rebuilt in release.
//!
//! ```no_run
//! use service_automation::load_test::{Options, run, smoke};
//!
//! let root = std::path::Path::new(".");
//! smoke(root)?; // the CI step
//! let options = Options { config: "loadtest.toml".into(), ..Options::default() };
//! run(root, &options)?; // the full run, closed loop, on the release build
//! let open = Options { rate: Some(500), ..options };
//! run(root, &open)?; // latency at 500 requests/s, without coordinated omission
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use humantime_serde::re::humantime;
use tokio_util::sync::CancellationToken;

use self::config::{Config, Limits};

mod attack;
#[cfg(test)]
mod attack_tests;
mod baseline;
mod chart;
mod config;
#[cfg(test)]
mod config_tests;
mod html;
mod loopback;
mod progress;
mod report;
#[cfg(test)]
mod report_tests;
mod server;
mod session;
mod slo;
mod target;
mod template;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Options {
    /// The short run: `[smoke]` limits and each scenario's `smoke_slo`.
    #[arg(long)]
    pub smoke: bool,
    /// Run only this scenario (repeatable).
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,
    /// Compare with an earlier run's `report.json`.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Use this database instead of a fresh SQLite file (loopback hosts only).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Load an already running service at this loopback URL instead of starting one.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Users, each sending its next request when the previous one is answered (overrides
    /// the file).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// How long each scenario runs, in whole seconds, like `30s` (overrides the file).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,
    /// Open loop: start requests at this fixed rate, in requests per second, whatever the
    /// answers take, and correct the latencies for coordinated omission (overrides the file).
    #[arg(long, value_name = "REQ/S")]
    pub rate: Option<u32>,
    /// The scenarios file, relative to the project root.
    #[arg(long, default_value = "loadtest.toml")]
    pub config: PathBuf,
}

/// Failures with their own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// At least one SLO was breached (exit code 2).
    SloBreached,
    /// Ctrl-C (exit code 130).
    Interrupted,
}

impl Failure {
    pub fn exit_code(self) -> u8 {
        match self {
            Self::SloBreached => 2,
            Self::Interrupted => 130,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SloBreached => f.write_str("SLO breached: see the summary above"),
            Self::Interrupted => f.write_str("interrupted by Ctrl-C"),
        }
    }
}

impl std::error::Error for Failure {}

/// The `load-test` step of `cargo xtask ci`.
pub fn smoke(root: &Path) -> anyhow::Result<()> {
    run(
        root,
        &Options {
            smoke: true,
            config: PathBuf::from("loadtest.toml"),
            ..Options::default()
        },
    )
}

pub fn run(root: &Path, options: &Options) -> anyhow::Result<()> {
    let mut config = config::load(&root.join(&options.config))?;
    let limits = limits(&config, options)?;
    if !options.scenarios.is_empty() {
        if let Some(unknown) = options
            .scenarios
            .iter()
            .find(|name| !config.scenarios.iter().any(|s| &s.name == *name))
        {
            let known: Vec<_> = config.scenarios.iter().map(|s| s.name.as_str()).collect();
            bail!(
                "no scenario `{unknown}` in {}; there are: {}",
                options.config.display(),
                known.join(", ")
            );
        }
        config
            .scenarios
            .retain(|scenario| options.scenarios.contains(&scenario.name));
    }
    if let Some(target) = &options.target {
        loopback::check_url(target)?;
    }
    if let Some(url) = &options.database_url {
        loopback::check_database_url(url)?;
    }
    let previous = options
        .baseline
        .as_deref()
        .map(baseline::load)
        .transpose()?;
    let mut out_dir = server::target_dir(root)?.join("load-test");
    if options.smoke {
        out_dir.push("smoke");
    }
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    // The binary serves, and mints tokens: needed unless an unauthenticated service runs already.
    let binary = if options.target.is_none() || config.auth.is_some() {
        let release = !options.smoke;
        println!(
            "==> building the {} binary",
            if release { "release" } else { "debug" }
        );
        Some(crate::service::build(root, release)?)
    } else {
        None
    };
    let project = binary
        .as_deref()
        .and_then(Path::file_name)
        .or_else(|| root.file_name())
        .map_or_else(
            || "service".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let cancel = CancellationToken::new();
    let run = session::Run {
        root,
        options,
        config: &config,
        limits,
        binary: binary.as_deref(),
        out_dir: &out_dir,
        cancel: &cancel,
    };
    let mut report = runtime.block_on(run.drive(project)).map_err(|err| {
        if cancel.is_cancelled() {
            err.context(Failure::Interrupted)
        } else {
            err
        }
    })?;
    if let (Some(previous), Some(file)) = (previous, &options.baseline) {
        if previous.mode != report.mode {
            println!(
                "note: the baseline is a {} run, this is a {} run",
                previous.mode, report.mode
            );
        }
        let comparisons = baseline::compare(&report, &previous);
        print!(
            "{}",
            baseline::table(&comparisons, &file.display().to_string())
        );
        report.baseline = Some(report::Baseline {
            file: file.display().to_string(),
            started_at: previous.started_at,
            comparisons,
        });
    }
    let json_path = out_dir.join("report.json");
    let html_path = out_dir.join("report.html");
    std::fs::write(&json_path, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    std::fs::write(&html_path, html::render(&report))
        .with_context(|| format!("cannot write {}", html_path.display()))?;
    print!("{}", report.summary());
    println!(
        "report: {} and {}",
        json_path.display(),
        html_path.display()
    );
    if report.interrupted {
        return Err(
            anyhow::Error::new(Failure::Interrupted).context("the report covers the part that ran")
        );
    }
    if report.breaches() > 0 {
        return Err(Failure::SloBreached.into());
    }
    println!("every scenario met its SLOs");
    Ok(())
}

/// The limits for this run: `[run]` or `[smoke]`, with the command line's overrides.
fn limits(config: &Config, options: &Options) -> anyhow::Result<Limits> {
    let mut limits = if options.smoke {
        config.smoke
    } else {
        config.run
    };
    limits.concurrency = options.concurrency.unwrap_or(limits.concurrency);
    limits.duration = options.duration.unwrap_or(limits.duration);
    limits.rate = options.rate.or(limits.rate);
    let section = if options.smoke { "smoke" } else { "run" };
    let overridden =
        options.concurrency.is_some() || options.duration.is_some() || options.rate.is_some();
    let key = if overridden {
        format!("{section} (with the command line's values)")
    } else {
        section.to_owned()
    };
    config::validate_limits(&key, &limits)?;
    Ok(limits)
}
