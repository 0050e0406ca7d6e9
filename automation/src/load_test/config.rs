//! `loadtest.toml`: limits, seed requests, scenarios and their SLOs. Parsed and validated in
//! full before anything starts; every error names the key at fault.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;

use super::slo::{self, Slo};
use super::template::{JsonTemplate, Template};

/// How hard and how long each scenario runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Users (goose's), sharing one keep-alive connection pool: each sends its next request
    /// when the previous one is answered.
    pub concurrency: usize,
    /// How long each scenario runs once every user has started, in whole seconds.
    #[serde(with = "humantime_serde")]
    pub duration: Duration,
    /// A request taking longer counts as an error.
    #[serde(with = "humantime_serde", default = "default_timeout")]
    pub timeout: Duration,
    /// Requests per second for the whole scenario (open loop): requests start at this fixed
    /// rate whatever the answers take, and latency is corrected for coordinated omission.
    /// Unset: a closed loop, as fast as the users go.
    #[serde(default)]
    pub rate: Option<u32>,
}

fn default_timeout() -> Duration {
    Duration::from_secs(5)
}

/// The token the command mints with the service's `dev-token` subcommand.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// Scopes to grant; empty grants every scope.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// One HTTP request, ready to render.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// `METHOD /path/{placeholder}`, as written: names the request kind in reports.
    pub label: String,
    /// `/path/{placeholder}`, as written.
    pub route: String,
    pub weight: u32,
    pub method: Method,
    pub path: Template,
    pub headers: Vec<(HeaderName, Template)>,
    pub body: Option<JsonTemplate>,
    /// Statuses that count as success; empty means any 2xx.
    pub expect_status: Vec<u16>,
}

/// Requests sent once before the scenarios; `capture` keeps a value from each response.
#[derive(Debug, Clone)]
pub struct Seed {
    pub name: String,
    pub count: u64,
    pub capture: String,
    pub request: RequestSpec,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub slo: Slo,
    pub smoke_slo: Slo,
    pub requests: Vec<RequestSpec>,
}

/// The whole validated file.
#[derive(Debug, Clone)]
pub struct Config {
    pub run: Limits,
    pub smoke: Limits,
    pub auth: Option<Auth>,
    pub seeds: Vec<Seed>,
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    run: Limits,
    smoke: Limits,
    auth: Option<Auth>,
    #[serde(default)]
    seed: Vec<RawSeed>,
    #[serde(default)]
    scenario: Vec<RawScenario>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    #[serde(default = "one")]
    weight: u32,
    #[serde(default = "get")]
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<serde_json::Value>,
    #[serde(default)]
    expect_status: Vec<u16>,
}

fn one() -> u32 {
    1
}

fn get() -> String {
    "GET".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeed {
    name: String,
    count: u64,
    capture: String,
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<serde_json::Value>,
    #[serde(default)]
    expect_status: Vec<u16>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    slo: Slo,
    smoke_slo: Option<Slo>,
    #[serde(default)]
    request: Vec<RawRequest>,
}

/// Reads and validates `path`.
pub fn load(path: &Path) -> anyhow::Result<Config> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text).with_context(|| format!("{} is not valid", path.display()))
}

/// Parses and validates the text of a `loadtest.toml`.
pub fn parse(text: &str) -> anyhow::Result<Config> {
    let raw: RawConfig = toml::from_str(text)?;
    validate_limits("run", &raw.run)?;
    validate_limits("smoke", &raw.smoke)?;
    let seed_names: Vec<String> = raw.seed.iter().map(|seed| seed.name.clone()).collect();
    let mut seeds = Vec::new();
    for (index, seed) in raw.seed.into_iter().enumerate() {
        let key = format!("seed[{index}]");
        check_name(&key, &seed.name, &seed_names[..index])?;
        if ["n", "run"].contains(&seed.name.as_str()) {
            anyhow::bail!(
                "{key}.name `{}` is reserved for a built-in placeholder",
                seed.name
            );
        }
        let key = format!("{key} ({})", seed.name);
        if seed.count == 0 || seed.count > 100_000 {
            anyhow::bail!("{key}.count must be from 1 to 100000, not {}", seed.count);
        }
        if !seed.capture.starts_with('/') {
            anyhow::bail!(
                "{key}.capture `{}` must be a JSON pointer into the response, like \"/id\"",
                seed.capture
            );
        }
        let raw_request = RawRequest {
            weight: 1,
            method: seed.method,
            path: seed.path,
            headers: seed.headers,
            body: seed.body,
            expect_status: seed.expect_status,
        };
        // A seed may use the values of the seeds before it.
        let request = compile_request(&key, raw_request, &seed_names[..index])?;
        seeds.push(Seed {
            name: seed.name,
            count: seed.count,
            capture: seed.capture,
            request,
        });
    }
    if raw.scenario.is_empty() {
        anyhow::bail!("there is no [[scenario]]: add at least one");
    }
    let scenario_names: Vec<String> = raw.scenario.iter().map(|s| s.name.clone()).collect();
    let mut scenarios = Vec::new();
    for (index, scenario) in raw.scenario.into_iter().enumerate() {
        let key = format!("scenario[{index}]");
        check_name(&key, &scenario.name, &scenario_names[..index])?;
        let key = format!("{key} ({})", scenario.name);
        slo::validate(&format!("{key}.slo"), &scenario.slo)?;
        let smoke_slo = scenario.smoke_slo.unwrap_or(scenario.slo);
        slo::validate(&format!("{key}.smoke_slo"), &smoke_slo)?;
        if scenario.request.is_empty() {
            anyhow::bail!("{key} has no [[scenario.request]]");
        }
        let requests = scenario
            .request
            .into_iter()
            .enumerate()
            .map(|(i, request)| {
                compile_request(&format!("{key}.request[{i}]"), request, &seed_names)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        scenarios.push(Scenario {
            name: scenario.name,
            description: scenario.description,
            slo: scenario.slo,
            smoke_slo,
            requests,
        });
    }
    Ok(Config {
        run: raw.run,
        smoke: raw.smoke,
        auth: raw.auth,
        seeds,
        scenarios,
    })
}

pub(super) fn validate_limits(key: &str, limits: &Limits) -> anyhow::Result<()> {
    if !(1..=1024).contains(&limits.concurrency) {
        anyhow::bail!(
            "{key}.concurrency must be from 1 to 1024, not {}",
            limits.concurrency
        );
    }
    let whole_seconds = limits.duration.subsec_nanos() == 0;
    if !whole_seconds || limits.duration.is_zero() || limits.duration > Duration::from_secs(3600) {
        anyhow::bail!("{key}.duration must be whole seconds, from 1s to 1h");
    }
    if limits.timeout.is_zero() {
        anyhow::bail!("{key}.timeout must be more than 0");
    }
    if let Some(rate) = limits.rate
        && !(1..=100_000).contains(&rate)
    {
        anyhow::bail!("{key}.rate must be from 1 to 100000 requests per second, not {rate}");
    }
    Ok(())
}

/// Names go into file names and the HTML report: keep them plain.
fn check_name(key: &str, name: &str, earlier: &[String]) -> anyhow::Result<()> {
    let plain = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !plain {
        anyhow::bail!("{key}.name `{name}` must be 1 to 40 of a-z, 0-9, - and _");
    }
    if earlier.iter().any(|other| other == name) {
        anyhow::bail!("{key}.name `{name}` is used twice");
    }
    Ok(())
}

fn compile_request(key: &str, raw: RawRequest, seeds: &[String]) -> anyhow::Result<RequestSpec> {
    if raw.weight == 0 {
        anyhow::bail!("{key}.weight must be at least 1");
    }
    let method = match raw.method.to_ascii_uppercase().as_str() {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "PATCH" => Method::PATCH,
        "DELETE" => Method::DELETE,
        "HEAD" => Method::HEAD,
        other => anyhow::bail!(
            "{key}.method `{other}` is not one of GET, POST, PUT, PATCH, DELETE, HEAD"
        ),
    };
    if !raw.path.starts_with('/') {
        anyhow::bail!(
            "{key}.path `{}` must start with `/` (the host is the service's)",
            raw.path
        );
    }
    let path =
        Template::parse(&raw.path, seeds).map_err(|err| anyhow::anyhow!("{key}.path: {err}"))?;
    let mut headers = Vec::new();
    for (name, value) in raw.headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| anyhow::anyhow!("{key}.headers: `{name}` is not a valid header name"))?;
        if HeaderValue::from_str(&value).is_err() {
            anyhow::bail!("{key}.headers.{name}: `{value}` is not a valid header value");
        }
        let value = Template::parse(&value, seeds)
            .map_err(|err| anyhow::anyhow!("{key}.headers.{name}: {err}"))?;
        headers.push((header, value));
    }
    let body = raw
        .body
        .as_ref()
        .map(|body| JsonTemplate::parse(body, seeds))
        .transpose()
        .map_err(|err| anyhow::anyhow!("{key}.body: {err}"))?;
    if let Some(status) = raw
        .expect_status
        .iter()
        .find(|status| !(100..=599).contains(*status))
    {
        anyhow::bail!("{key}.expect_status: {status} is not an HTTP status");
    }
    Ok(RequestSpec {
        label: format!("{method} {}", raw.path),
        route: raw.path,
        weight: raw.weight,
        method,
        path,
        headers,
        body,
        expect_status: raw.expect_status,
    })
}
