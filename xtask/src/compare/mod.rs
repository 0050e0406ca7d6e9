//! `cargo xtask compare`: the template's service side by side with Loco's generated app (when
//! given), the bare poem handler (the ceiling), and variants of the service itself (rate
//! limiter off, OTLP export on), on this machine.
//!
//! Each contender is built in release mode with its own profile (what its users get). A run is
//! `--rounds` rounds; each round starts every contender once, over a fresh SQLite file on a
//! free loopback port, seeds it with the same 20 orders through its own API, then loads the
//! scenarios with `wrk`, alternating the contenders path by path (for each scenario: every
//! contender that has it, in table order), so that a noisy moment on a shared machine hits
//! one sample of each, not one contender. The report gives, per contender and scenario, the
//! median and range over the rounds of requests per second and p99, and the ratios between
//! contenders taken within each round, with their range: the table to stdout and
//! `target/compare/report.md`, every figure (per round too) to `target/compare/report.json`.
//!
//! `--guard` (the `compare` step of `cargo xtask ci`) is the short form: the service's
//! `/health/live` against the ceiling, failing only on a gross regression (`guard.rs`).

mod app;
mod contenders;
mod guard;
mod otlp_sink;
mod report;
mod stats;
mod wrk;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};

use contenders::{Contender, RATIOS, SCENARIOS, contenders};
use report::{Footprint, Outcome};
use stats::Sample;

pub use contenders::ServiceBuild;
pub use guard::guard;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A Loco app made by `loco new` with an `order` API scaffold (see docs/benchmarks.md,
    /// "Reproduce"); without it, Loco is left out.
    #[arg(long, value_name = "DIR")]
    loco: Option<PathBuf>,
    /// Only these contenders (repeatable): service, service-limiter-off, service-otlp,
    /// service-no-access-log, loco, bare-poem.
    #[arg(long, value_name = "NAME")]
    only: Vec<String>,
    /// Only these scenarios (repeatable): static, readiness, by-id, list.
    #[arg(long, value_name = "NAME")]
    scenario: Vec<String>,
    /// Rounds; each starts every contender afresh and loads every path once.
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// How long `wrk` loads each path, in seconds (after the warm-up).
    #[arg(long, default_value_t = 8)]
    seconds: u32,
    /// The warm-up before each measured load, in seconds.
    #[arg(long, default_value_t = 2)]
    warm_up: u32,
    /// Open connections `wrk` keeps busy.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// `wrk` threads (it shares the machine's cores with the contenders).
    #[arg(long, default_value_t = 1)]
    threads: u32,
    /// Run the CI guard instead: the service's liveness against the bare poem handler, 3 short
    /// rounds, failing only below the calibrated ratio (docs/benchmarks.md).
    #[arg(long, conflicts_with_all = ["loco", "only", "scenario"])]
    guard: bool,
}

/// What to run: the contenders, the scenarios, how many rounds, and how `wrk` loads.
#[derive(Debug)]
pub struct Plan {
    pub contenders: Vec<Contender>,
    pub scenarios: Vec<&'static str>,
    pub rounds: u32,
    pub wrk: wrk::Settings,
    /// The report's file name, without extension, in `target/compare/`.
    pub report_name: &'static str,
    /// How every contender is built: release for the comparison, the debug build CI already has
    /// for its guard.
    pub build: app::BuildProfile,
}

pub fn run(root: &Path, args: &Args) -> Result<()> {
    if args.guard {
        return guard(root, &ServiceBuild::example(root));
    }
    for name in &args.scenario {
        ensure!(
            SCENARIOS.iter().any(|(s, _)| s == name),
            "unknown scenario {name:?}; the scenarios are {:?}",
            SCENARIOS.iter().map(|(s, _)| *s).collect::<Vec<_>>()
        );
    }
    let plan = Plan {
        contenders: contenders(root, &ServiceBuild::example(root), args.loco.as_deref())
            .into_iter()
            .filter(|c| args.only.is_empty() || args.only.iter().any(|o| o == c.name))
            .collect(),
        scenarios: SCENARIOS
            .iter()
            .map(|(s, _)| *s)
            .filter(|s| args.scenario.is_empty() || args.scenario.iter().any(|o| o == s))
            .collect(),
        rounds: args.rounds,
        wrk: wrk::Settings {
            threads: args.threads,
            connections: args.connections,
            seconds: args.seconds,
            warm_up_seconds: args.warm_up,
        },
        report_name: "report",
        build: app::BuildProfile::Release,
    };
    ensure!(
        !plan.contenders.is_empty(),
        "no contender matches --only {:?}",
        args.only
    );
    measure(root, &plan).map(drop)
}

/// Builds, runs the rounds, writes and prints the report; fails when a load had errors.
pub fn measure(root: &Path, plan: &Plan) -> Result<Outcome> {
    ensure!(plan.rounds > 0, "--rounds must be at least 1");
    wrk::ensure_installed()?;
    let out = root.join("target").join("compare");
    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;

    let mut footprints = Vec::new();
    let mut binaries: Vec<(&Contender, PathBuf)> = Vec::new();
    for contender in &plan.contenders {
        let built = binaries
            .iter()
            .find(|(c, _)| {
                c.dir == contender.dir
                    && c.target_dir == contender.target_dir
                    && c.build_args == contender.build_args
            })
            .map(|(_, binary)| binary.clone());
        let binary = match built {
            Some(binary) => binary,
            None => app::build(contender, plan.build)
                .with_context(|| format!("building {}", contender.name))?,
        };
        footprints.push(Footprint {
            name: contender.name.to_owned(),
            about: contender.about.to_owned(),
            binary_bytes: fs::metadata(&binary)
                .with_context(|| format!("reading {}", binary.display()))?
                .len(),
            ..Footprint::default()
        });
        binaries.push((contender, binary));
    }
    let sink = if plan.contenders.iter().any(Contender::exports) {
        Some(otlp_sink::start()?)
    } else {
        None
    };
    let otlp_url = sink.as_ref().map_or(String::new(), |s| s.base_url.clone());

    let mut samples = Vec::new();
    for round in 1..=plan.rounds {
        println!("\n==> [compare] round {round} of {}", plan.rounds);
        let mut running = Vec::new();
        for ((contender, binary), footprint) in binaries.iter().zip(&mut footprints) {
            if footprint.skipped.is_some() {
                continue;
            }
            let log = out.join(format!("{}.log", contender.name));
            match app::start(contender, binary, &log, &otlp_url) {
                Ok(app) => {
                    footprint.ready_after.push(app.ready_after);
                    footprint.idle_rss_kib.push(app.idle_rss_kib);
                    running.push((*contender, app));
                }
                Err(e) if contender.optional.is_some() => {
                    let why = contender.optional.unwrap_or_default();
                    println!("{}: skipped, {why}:\n{e:#}", contender.name);
                    footprint.skipped = Some(why.to_owned());
                }
                Err(e) => return Err(e.context(format!("starting {}", contender.name))),
            }
        }
        for scenario in &plan.scenarios {
            for (contender, app) in &running {
                let Some(path) = contender.path(scenario) else {
                    continue;
                };
                let url = app.url(path);
                println!("{} {scenario}", contender.name);
                let load = wrk::load(&url, app.auth.as_deref(), plan.wrk)
                    .with_context(|| format!("loading {} {scenario}", contender.name))?;
                samples.push(Sample {
                    round,
                    contender: contender.name.to_owned(),
                    scenario,
                    path: path.to_owned(),
                    load,
                });
            }
        }
        for (contender, app) in &running {
            if let Some(footprint) = footprints.iter_mut().find(|f| f.name == contender.name) {
                footprint.peak_rss_kib = footprint.peak_rss_kib.max(app.peak_rss_kib()?);
            }
        }
    }

    let scenarios: Vec<&'static str> = SCENARIOS.iter().map(|(s, _)| *s).collect();
    let outcome = Outcome {
        rounds: plan.rounds,
        summaries: stats::summarise(&samples),
        ratios: stats::ratios(&samples, RATIOS, &scenarios),
        exported: sink.map_or_else(Vec::new, |sink| {
            let r = &sink.received;
            [
                ("traces", &r.traces),
                ("metrics", &r.metrics),
                ("logs", &r.logs),
            ]
            .into_iter()
            .map(|(signal, counter)| {
                let (requests, bytes) = counter.summary();
                (signal, requests, bytes)
            })
            .collect()
        }),
        footprints,
        samples,
    };
    let table = report::markdown(&outcome, plan.wrk);
    println!("\n{table}");
    let markdown_path = out.join(format!("{}.md", plan.report_name));
    fs::write(&markdown_path, &table).context("writing the Markdown report")?;
    fs::write(
        out.join(format!("{}.json", plan.report_name)),
        report::json(&outcome, plan.wrk),
    )
    .context("writing the JSON report")?;
    println!("wrote {} and its .json", markdown_path.display());

    let failing: Vec<String> = outcome
        .summaries
        .iter()
        .filter(|s| s.errors > 0)
        .map(|s| format!("{} {} ({} errors)", s.contender, s.scenario, s.errors))
        .collect();
    if !failing.is_empty() {
        bail!(
            "errors under load (the figures are not comparable): {}",
            failing.join(", ")
        );
    }
    Ok(outcome)
}
