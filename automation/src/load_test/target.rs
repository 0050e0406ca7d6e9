//! The service under load as the requests see it: its URL, the token every request carries,
//! the run's placeholder values; and the `[[seed]]` requests, sent before the scenarios.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use reqwest::{Client, RequestBuilder};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::config::{Limits, RequestSpec, Seed};
use super::template::Values;

/// Where requests go and what every request carries.
#[derive(Debug)]
pub struct Target {
    pub client: Client,
    /// `http://127.0.0.1:<port>`, checked to be a loopback address.
    pub base_url: String,
    pub token: Option<String>,
    pub run_id: String,
    /// `{n}`: shared by the seeds and every scenario, so numbers stay unique within the run.
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

    /// The placeholders' values; `rng` picks among the seeds' values.
    pub fn values<'a>(&'a self, seeds: &'a [Vec<String>], rng: fastrand::Rng) -> Values<'a> {
        Values {
            run_id: &self.run_id,
            sequence: &self.sequence,
            seeds,
            rng,
        }
    }

    /// The next request of kind `spec`, and the path it goes to.
    fn request(&self, spec: &RequestSpec, values: &mut Values<'_>) -> (String, RequestBuilder) {
        let path = spec.path.render(values);
        let builder = self
            .client
            .request(spec.method.clone(), format!("{}{path}", self.base_url));
        (path, self.complete(builder, spec, values))
    }

    /// `builder` with what `spec` adds to its method and URL: the token, headers and body.
    pub fn complete(
        &self,
        mut builder: RequestBuilder,
        spec: &RequestSpec,
        values: &mut Values<'_>,
    ) -> RequestBuilder {
        if let Some(token) = &self.token {
            builder = builder.bearer_auth(token);
        }
        for (name, value) in &spec.headers {
            builder = builder.header(name, value.render(values));
        }
        if let Some(body) = &spec.body {
            builder = builder.json(&body.render(values));
        }
        builder
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
pub struct ResponseBody(pub Vec<u8>);

impl ResponseBody {
    pub fn snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.0);
        let mut snippet: String = text.chars().take(160).collect();
        if text.chars().count() > 160 {
            snippet.push('…');
        }
        snippet
    }
}

/// The request's `expect_status`, or any 2xx when it names none.
pub fn is_expected(spec: &RequestSpec, status: u16) -> bool {
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
                let rng = fastrand::Rng::with_seed(0x5eed + worker as u64);
                let mut values = target.values(&earlier, rng);
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
