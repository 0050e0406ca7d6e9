//! One run against the service: start it (unless `--target`), mint its token, wait until it
//! is ready, seed, and run the scenarios on goose, with Ctrl-C stopping the run early. The started
//! service is stopped when the run ends, however it ends.

use std::path::Path;
use std::sync::Arc;

use anyhow::bail;
use tokio_util::sync::CancellationToken;

use super::Options;
use super::attack;
use super::config::{Config, Limits};
use super::report::{Report, SCHEMA, ScenarioReport};
use super::server::{self, ServerEnv};
use super::target::{self, Target};

/// Everything one run needs.
pub struct Run<'a> {
    pub root: &'a Path,
    pub options: &'a Options,
    pub config: &'a Config,
    pub limits: Limits,
    pub binary: Option<&'a Path>,
    pub out_dir: &'a Path,
    pub cancel: &'a CancellationToken,
}

impl Run<'_> {
    /// Starts the service (unless `--target`), seeds, runs the scenarios; the service is
    /// stopped when this returns, however it returns.
    pub async fn drive(&self, project: String) -> anyhow::Result<Report> {
        let cancel = self.cancel.clone();
        let ctrl_c = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\ninterrupted: finishing the report, then stopping the service");
                cancel.cancel();
            }
        });
        let result = self.drive_service(project).await;
        ctrl_c.abort();
        result
    }

    async fn drive_service(&self, project: String) -> anyhow::Result<Report> {
        let env = ServerEnv::new(self.options.database_url.as_deref())?;
        // Owns the started process: dropping it (at the end, or on any early return) kills it.
        let service = match (&self.options.target, self.binary) {
            (Some(_), _) => None,
            (None, Some(binary)) => {
                let log = self.out_dir.join("server.log");
                println!("==> starting {} (log: {})", binary.display(), log.display());
                Some(server::start(binary, self.root, &env, &log, self.cancel).await?)
            }
            (None, None) => bail!("no binary to start"),
        };
        let base_url = match (&service, &self.options.target) {
            (Some(service), _) => format!("http://{}", service.address),
            (None, Some(target)) => target.trim_end_matches('/').to_owned(),
            (None, None) => bail!("no service to load"),
        };
        let token = match (&self.config.auth, self.binary) {
            (Some(auth), Some(binary)) => {
                Some(server::mint_token(binary, self.root, &env, &auth.scopes)?)
            }
            _ => None,
        };
        let target = Arc::new(Target::new(base_url, token, &self.limits)?);
        server::wait_ready(&target.client, &target.base_url, self.cancel).await?;
        println!("==> {} is ready", target.base_url);
        let mut seeds = Vec::new();
        if !self.config.seeds.is_empty() {
            let total: u64 = self.config.seeds.iter().map(|seed| seed.count).sum();
            println!("==> seeding {total} request(s)");
            seeds = target::seed(
                &target,
                &self.config.seeds,
                self.limits.concurrency,
                self.cancel,
            )
            .await?;
        }
        let seeds = Arc::new(seeds);
        let mode = if self.options.smoke { "smoke" } else { "full" };
        let limits = self.limits;
        let load = match limits.rate {
            Some(rate) => format!(
                "open loop at {rate} requests/s, {} users",
                limits.concurrency
            ),
            None => format!("closed loop, {} users", limits.concurrency),
        };
        println!(
            "==> {mode} run: {} scenario(s), {load}, {:?} each",
            self.config.scenarios.len(),
            limits.duration,
        );
        let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut scenarios = Vec::new();
        for scenario in &self.config.scenarios {
            // Once goose ran, Ctrl-C reaches goose's handler (its killswitch), not ours.
            if goose::is_killswitch_triggered() {
                self.cancel.cancel();
            }
            if self.cancel.is_cancelled() {
                break;
            }
            println!("--> {}", scenario.name);
            let goose_report = format!("goose-{}.html", scenario.name);
            let measured = attack::run(
                &target,
                &seeds,
                scenario,
                limits,
                &self.out_dir.join(&goose_report),
                self.cancel,
            )
            .await?;
            if measured.interrupted {
                self.cancel.cancel();
            }
            let slo = if self.options.smoke {
                scenario.smoke_slo
            } else {
                scenario.slo
            };
            scenarios.push(ScenarioReport::new(scenario, &measured, slo, goose_report));
        }
        drop(service);
        Ok(Report {
            schema: SCHEMA,
            project,
            mode: mode.to_owned(),
            started_at,
            interrupted: self.cancel.is_cancelled(),
            concurrency: limits.concurrency,
            duration_s: limits.duration.as_secs_f64(),
            rate: limits.rate,
            scenarios,
            baseline: None,
        })
    }
}
