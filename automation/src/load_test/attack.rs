//! One scenario on goose: each `[[scenario.request]]` is a goose transaction of its weight,
//! run by `concurrency` goose users (one shared keep-alive connection pool) for `duration`
//! once every user has started.
//!
//! Closed loop by default: each user sends its next request when the previous one is
//! answered, so a slow service shows up as fewer requests per second. With a rate (`--rate`,
//! or `rate` in `loadtest.toml`), goose's throttle starts requests at that fixed arrival rate
//! whatever the answers take, and its coordinated-omission mitigation backfills the requests a
//! stalled user could not send: the latency reported is that of requests arriving at the
//! stated rate. Goose writes its own HTML report of the scenario beside ours.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;
use goose::client::GooseClientBuilder;
use goose::config::GooseConfiguration;
use goose::metrics::{GooseRequestMetricAggregate, GooseRequestMetricTimingData};
use goose::prelude::*;
use goose::test_plan::{TestPlanHistory, TestPlanStepAction};
use reqwest::Method;
use tokio_util::sync::CancellationToken;

use super::config::{Limits, RequestSpec, Scenario};
use super::progress::{Counters, Progress};
use super::target::{ResponseBody, Target, is_expected};

/// Error samples kept per scenario, to tell what went wrong.
const MAX_SAMPLES: usize = 5;

/// What goose measured of one scenario.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    /// How long every user ran (the metrics cover this time only).
    pub elapsed: Duration,
    /// One per `[[scenario.request]]`, in the file's order.
    pub per_request: Vec<RequestMeasure>,
    pub samples: Vec<String>,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
}

/// One `[[scenario.request]]` entry's measurements.
#[derive(Debug, Clone, Default)]
pub struct RequestMeasure {
    /// Times measured, from sending to the response's headers, in microseconds.
    pub times: GooseRequestMetricTimingData,
    /// The measured times with the requests coordinated-omission mitigation backfilled (open
    /// loop only, once a user stalled).
    pub corrected: Option<GooseRequestMetricTimingData>,
    pub statuses: BTreeMap<u16, u64>,
    /// Requests not answered as expected, or not answered at all.
    pub errors: u64,
}

impl RequestMeasure {
    fn of(aggregate: &GooseRequestMetricAggregate) -> Self {
        Self {
            times: aggregate.raw_data.clone(),
            corrected: aggregate.coordinated_omission_data.clone(),
            statuses: aggregate
                .status_code_counts
                .iter()
                .filter(|(status, _)| **status != 0)
                .map(|(status, count)| (*status, *count as u64))
                .collect(),
            errors: aggregate.fail_count as u64,
        }
    }
}

/// What every transaction of a scenario shares.
struct Load {
    target: Arc<Target>,
    seeds: Arc<Vec<Vec<String>>>,
    requests: Vec<RequestSpec>,
    samples: Mutex<Vec<String>>,
    counters: Arc<Counters>,
}

impl Load {
    /// Sends one request of kind `kind` as `user`; an unexpected answer fails the request.
    async fn send(&self, kind: usize, user: &mut GooseUser) -> TransactionResult {
        let Some(spec) = self.requests.get(kind) else {
            return Ok(());
        };
        let mut values = self.target.values(&self.seeds, fastrand::Rng::new());
        let path = spec.path.render(&mut values);
        let method = goose_method(&spec.method);
        let builder = user.get_request_builder(&method, &path)?;
        let builder = self.target.complete(builder, spec, &mut values);
        let request = GooseRequest::builder()
            .method(method)
            .path(path.as_str())
            // Goose names it `<method> <name>`: the label, as `metrics.requests` keys it.
            .name(spec.route.as_str())
            .set_request_builder(builder)
            .build();
        let mut answer = user.request(request).await?;
        let failure = match answer.response {
            // The body is read whole, so that its connection is reused.
            Ok(response) => {
                let status = response.status().as_u16();
                match response.bytes().await {
                    Ok(_) if is_expected(spec, status) => None,
                    Ok(body) => Some(format!(
                        "{} {path} answered {status}: {}",
                        spec.method,
                        ResponseBody(body.to_vec()).snippet()
                    )),
                    Err(err) => Some(format!(
                        "{} {path}: reading the body failed: {err}",
                        spec.method
                    )),
                }
            }
            Err(err) => Some(format!("{} {path} failed: {err}", spec.method)),
        };
        self.counters.add(failure.is_some());
        let Some(failure) = failure else {
            return user.set_success(&mut answer.request);
        };
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        if samples.len() < MAX_SAMPLES {
            samples.push(failure.clone());
        }
        drop(samples);
        user.set_failure(&failure, &mut answer.request, None, None)
    }
}

fn goose_method(method: &Method) -> GooseMethod {
    match *method {
        Method::POST => GooseMethod::Post,
        Method::PUT => GooseMethod::Put,
        Method::PATCH => GooseMethod::Patch,
        Method::DELETE => GooseMethod::Delete,
        Method::HEAD => GooseMethod::Head,
        _ => GooseMethod::Get,
    }
}

/// The goose scenario: one transaction per request kind, of its weight.
fn goose_scenario(scenario: &Scenario, load: &Arc<Load>) -> anyhow::Result<goose::goose::Scenario> {
    let mut goose_scenario = goose::goose::Scenario::new(&scenario.name);
    for (kind, spec) in scenario.requests.iter().enumerate() {
        let load = load.clone();
        let function: TransactionFunction = Arc::new(move |user| {
            let load = load.clone();
            Box::pin(async move { load.send(kind, user).await })
        });
        let transaction = Transaction::new(function)
            .set_name(&spec.label)
            .set_weight(usize::try_from(spec.weight)?)?;
        goose_scenario = goose_scenario.register_transaction(transaction);
    }
    Ok(goose_scenario)
}

/// Runs `scenario` under `limits`; goose's own HTML report goes to `goose_report`.
pub async fn run(
    target: &Arc<Target>,
    seeds: &Arc<Vec<Vec<String>>>,
    scenario: &Scenario,
    limits: Limits,
    goose_report: &Path,
    cancel: &CancellationToken,
) -> anyhow::Result<Measured> {
    let progress = Progress::start(&scenario.name, limits.duration, cancel);
    let load = Arc::new(Load {
        target: target.clone(),
        seeds: seeds.clone(),
        requests: scenario.requests.clone(),
        samples: Mutex::new(Vec::new()),
        counters: progress.counters(),
    });
    let report = goose_report.to_string_lossy();
    let mut attack = GooseAttack::initialize_with_config(GooseConfiguration::default())?
        .register_scenario(goose_scenario(scenario, &load)?)
        .set_client_builder_without_cookies(
            GooseClientBuilder::new()
                .without_cookies()
                .timeout(limits.timeout),
        )?
        .set_default(GooseDefault::Host, target.base_url.as_str())?
        .set_default(GooseDefault::Users, limits.concurrency)?
        // Every user starts within about a second; the metrics start once all have.
        .set_default(GooseDefault::IncreaseRate, "1024")?
        .set_default(
            GooseDefault::RunTime,
            usize::try_from(limits.duration.as_secs())?,
        )?
        .set_default(GooseDefault::Quiet, 1)?
        .set_default(GooseDefault::NoPrintMetrics, true)?
        .set_default(GooseDefault::NoTelnet, true)?
        .set_default(GooseDefault::NoGzip, true)?
        .set_default(GooseDefault::ReportFile, report.as_ref())?;
    if let Some(rate) = limits.rate {
        attack = attack
            .set_default(GooseDefault::ThrottleRequests, usize::try_from(rate)?)?
            .set_default(
                GooseDefault::CoordinatedOmissionMitigation,
                GooseCoordinatedOmissionMitigation::Average,
            )?;
    }
    // Ctrl-C before goose installed its own handler: stop goose the way its handler does.
    let stop = cancel.clone();
    let forward = tokio::spawn(async move {
        stop.cancelled().await;
        goose::trigger_killswitch("interrupted");
    });
    let executed = attack.execute().await;
    forward.abort();
    drop(progress);
    let metrics = executed.with_context(|| format!("goose failed to run `{}`", scenario.name))?;
    let interrupted = cancel.is_cancelled() || goose::is_killswitch_triggered();
    let per_request = scenario
        .requests
        .iter()
        .map(|spec| {
            metrics
                .requests
                .get(&spec.label)
                .map(RequestMeasure::of)
                .unwrap_or_default()
        })
        .collect();
    let samples = load
        .samples
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    Ok(Measured {
        elapsed: steady_time(&metrics.history).unwrap_or(limits.duration),
        per_request,
        samples,
        interrupted,
    })
}

/// How long every user ran: from the start of goose's `Maintaining` step to the next step.
fn steady_time(history: &[TestPlanHistory]) -> Option<Duration> {
    let start = history
        .iter()
        .position(|step| matches!(step.action, TestPlanStepAction::Maintaining))?;
    let end = history.get(start + 1)?;
    (end.timestamp - history[start].timestamp).to_std().ok()
}
