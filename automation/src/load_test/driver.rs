//! Load generation: `concurrency` workers on one keep-alive connection pool, each sending the
//! next request as soon as the previous one is answered (a closed loop), until the duration
//! or the request budget runs out or the run is cancelled. Also the seed requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use reqwest::{Client, RequestBuilder};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::{Limits, RequestSpec, Scenario, Seed};
use super::progress::Progress;
use super::recorder::{Outcome, Recorder};
use super::template::Values;

/// Where requests go and what every request carries.
#[derive(Debug)]
pub struct Target {
    pub client: Client,
    /// `http://127.0.0.1:<port>`, checked to be a loopback address.
    pub base_url: String,
    pub token: Option<String>,
    pub run_id: String,
    pub sequence: AtomicU64,
}

impl Target {
    pub fn new(base_url: String, token: Option<String>, limits: &Limits) -> anyhow::Result<Self> {
        let client = Client::builder()
            .no_proxy()
            .timeout(limits.timeout)
            .pool_max_idle_per_host(limits.concurrency)
            .tcp_nodelay(true)
            .build()
            .context("cannot build the HTTP client")?;
        let run_id = format!("{:x}", chrono::Utc::now().timestamp_millis());
        Ok(Self {
            client,
            base_url,
            token,
            run_id,
            sequence: AtomicU64::new(1),
        })
    }

    fn values<'a>(&'a self, seeds: &'a [Vec<String>], worker: usize) -> Values<'a> {
        Values {
            run_id: &self.run_id,
            sequence: &self.sequence,
            seeds,
            rng: fastrand::Rng::with_seed(0x5eed + worker as u64),
        }
    }

    /// The next request of kind `spec`, and the path it goes to.
    fn request(&self, spec: &RequestSpec, values: &mut Values<'_>) -> (String, RequestBuilder) {
        let path = spec.path.render(values);
        let mut builder = self
            .client
            .request(spec.method.clone(), format!("{}{path}", self.base_url));
        if let Some(token) = &self.token {
            builder = builder.bearer_auth(token);
        }
        for (name, value) in &spec.headers {
            builder = builder.header(name, value.render(values));
        }
        if let Some(body) = &spec.body {
            builder = builder.json(&body.render(values));
        }
        (path, builder)
    }
}

/// Sends a request and reads the whole answer: its status and body.
async fn send(builder: RequestBuilder) -> Result<(u16, ResponseBody), reqwest::Error> {
    let response = builder.send().await?;
    let status = response.status().as_u16();
    let body = response.bytes().await?;
    Ok((status, ResponseBody(body.to_vec())))
}

/// A response body, shown shortened in error samples.
#[derive(Debug)]
struct ResponseBody(Vec<u8>);

impl ResponseBody {
    fn snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.0);
        let mut snippet: String = text.chars().take(160).collect();
        if text.chars().count() > 160 {
            snippet.push('…');
        }
        snippet
    }
}

fn is_expected(spec: &RequestSpec, status: u16) -> bool {
    if spec.expect_status.is_empty() {
        (200..300).contains(&status)
    } else {
        spec.expect_status.contains(&status)
    }
}

/// Sends each seed's requests and returns the values captured, one list per seed.
pub async fn seed(
    target: &Arc<Target>,
    seeds: &[Seed],
    concurrency: usize,
    cancel: &CancellationToken,
) -> anyhow::Result<Vec<Vec<String>>> {
    let mut captured: Vec<Vec<String>> = Vec::new();
    for seed in seeds {
        let earlier = Arc::new(captured.clone());
        let seed = Arc::new(seed.clone());
        let issued = Arc::new(AtomicU64::new(0));
        let mut workers = JoinSet::new();
        for worker in 0..concurrency.min(usize::try_from(seed.count).unwrap_or(usize::MAX)) {
            let (target, earlier, seed, issued) = (
                target.clone(),
                earlier.clone(),
                seed.clone(),
                issued.clone(),
            );
            workers.spawn(async move {
                let mut values = target.values(&earlier, worker);
                let mut kept = Vec::new();
                while issued.fetch_add(1, Ordering::Relaxed) < seed.count {
                    let (path, builder) = target.request(&seed.request, &mut values);
                    let result = send(builder).await;
                    let label = format!("{} {path}", seed.request.method);
                    let (status, body) =
                        result.with_context(|| format!("seed `{}`: {label} failed", seed.name))?;
                    if !is_expected(&seed.request, status) {
                        anyhow::bail!(
                            "seed `{}`: {label} answered {status}: {}",
                            seed.name,
                            body.snippet()
                        );
                    }
                    let json: serde_json::Value =
                        serde_json::from_slice(&body.0).with_context(|| {
                            format!("seed `{}`: {label} did not answer JSON", seed.name)
                        })?;
                    let value = json.pointer(&seed.capture).with_context(|| {
                        format!(
                            "seed `{}`: the response has nothing at capture `{}`",
                            seed.name, seed.capture
                        )
                    })?;
                    kept.push(
                        value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned),
                    );
                }
                Ok(kept)
            });
        }
        let mut values = Vec::new();
        loop {
            tokio::select! {
                () = cancel.cancelled() => anyhow::bail!("interrupted while seeding"),
                joined = workers.join_next() => match joined {
                    None => break,
                    Some(result) => values.extend(result.context("a seed worker panicked")??),
                },
            }
        }
        captured.push(values);
    }
    Ok(captured)
}

/// The width of the time slots of the latency-over-time chart: about 60 points per run.
pub fn slot_width(duration: Duration) -> Duration {
    [100, 250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000]
        .into_iter()
        .map(Duration::from_millis)
        .find(|width| duration.as_millis() / width.as_millis() <= 60)
        .unwrap_or(Duration::from_secs(60))
}

/// Runs one scenario; the merged measurements and how long it ran.
pub async fn run_scenario(
    target: &Arc<Target>,
    seeds: &Arc<Vec<Vec<String>>>,
    scenario: &Scenario,
    limits: Limits,
    cancel: &CancellationToken,
) -> anyhow::Result<(Recorder, Duration)> {
    let requests = Arc::new(scenario.requests.clone());
    let cumulative: Arc<Vec<u32>> = Arc::new(
        requests
            .iter()
            .scan(0_u32, |total, request| {
                *total = total.saturating_add(request.weight);
                Some(*total)
            })
            .collect(),
    );
    let width = slot_width(limits.duration);
    let started = Instant::now();
    let deadline = started + limits.duration;
    let issued = Arc::new(AtomicU64::new(0));
    let progress = Progress::start(&scenario.name, limits.duration, cancel);
    let mut workers = JoinSet::new();
    for worker in 0..limits.concurrency {
        let (target, seeds, requests, cumulative, issued, counters, cancel) = (
            target.clone(),
            seeds.clone(),
            requests.clone(),
            cumulative.clone(),
            issued.clone(),
            progress.counters(),
            cancel.clone(),
        );
        let mut recorder = Recorder::new(requests.len(), width)?;
        workers.spawn(async move {
            let mut values = target.values(&seeds, worker);
            let total = cumulative.last().copied().unwrap_or(1);
            while Instant::now() < deadline
                && !cancel.is_cancelled()
                && issued.fetch_add(1, Ordering::Relaxed) < limits.requests
            {
                let pick = values.rng.u32(..total);
                let kind = cumulative.partition_point(|&bound| bound <= pick);
                let Some(spec) = requests.get(kind) else {
                    break;
                };
                let (path, builder) = target.request(spec, &mut values);
                let sent = Instant::now();
                let result = tokio::select! {
                    () = cancel.cancelled() => break,
                    answer = send(builder) => answer,
                };
                let latency = sent.elapsed();
                let outcome = match &result {
                    Ok((status, _)) => Outcome::Answered {
                        status: *status,
                        ok: is_expected(spec, *status),
                    },
                    Err(_) => Outcome::Failed,
                };
                recorder.record(kind, sent - started, latency, &outcome);
                let failed = !matches!(outcome, Outcome::Answered { ok: true, .. });
                counters.add(failed);
                if !failed || !recorder.wants_samples() {
                    continue;
                }
                recorder.sample(|| match result {
                    Ok((status, body)) => {
                        format!(
                            "{} {path} answered {status}: {}",
                            spec.method,
                            body.snippet()
                        )
                    }
                    Err(err) => format!("{} {path} failed: {err}", spec.method),
                });
            }
            recorder
        });
    }
    let mut merged = Recorder::new(requests.len(), width)?;
    while let Some(joined) = workers.join_next().await {
        merged.merge(joined.context("a load worker panicked")?)?;
    }
    let elapsed = started.elapsed();
    drop(progress);
    Ok((merged, elapsed))
}
