//! The run's report: figures per scenario computed from goose's measurements (`report.json`,
//! read back as a baseline), and the summary table printed at the end.

use std::collections::BTreeMap;

use goose::metrics::GooseRequestMetricTimingData;
use serde::{Deserialize, Serialize};

use super::attack::Measured;
use super::baseline::Comparison;
use super::config::Scenario;
use super::progress::{Colour, paint};
use super::slo::{self, Slo};

/// Bumped when the shape changes in a way an older baseline cannot be read with.
pub const SCHEMA: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: u32,
    pub project: String,
    /// `full` or `smoke`.
    pub mode: String,
    pub started_at: String,
    /// Stopped by Ctrl-C before every scenario finished.
    pub interrupted: bool,
    pub concurrency: usize,
    pub duration_s: f64,
    /// The fixed arrival rate of an open-loop run, in requests per second; absent for a
    /// closed loop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<u32>,
    pub scenarios: Vec<ScenarioReport>,
    /// The comparison with `--baseline`, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub file: String,
    pub started_at: String,
    pub comparisons: Vec<Comparison>,
}

/// Latency figures in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Latency {
    pub fn of(times: &GooseRequestMetricTimingData) -> Self {
        if times.counter == 0 {
            return Self::default();
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        Self {
            p50: ms(times.percentile_us(0.50)),
            p90: ms(times.percentile_us(0.90)),
            p95: ms(times.percentile_us(0.95)),
            p99: ms(times.percentile_us(0.99)),
            max: ms(times.maximum_time_us),
            mean: times.total_time_us as f64 / times.counter as f64 / 1000.0,
        }
    }
}

/// One `[[scenario.request]]` entry's share of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestReport {
    pub label: String,
    pub requests: u64,
    pub errors: u64,
    pub rps: f64,
    /// Corrected for coordinated omission in an open-loop run.
    pub latency_ms: Latency,
}

/// One bar of the latency histogram: requests slower than the previous bar's bound and at
/// most `up_to_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub up_to_ms: f64,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioReport {
    pub name: String,
    pub description: String,
    pub requests: u64,
    pub errors: u64,
    /// Errors / requests, from 0 to 1.
    pub error_rate: f64,
    pub rps: f64,
    pub elapsed_s: f64,
    /// From sending a request to its response's headers. In an open-loop run, with the
    /// requests a stalled user could not send backfilled (coordinated-omission mitigation).
    pub latency_ms: Latency,
    /// Open loop, once a request was backfilled: the latencies as measured, without the
    /// backfilled requests (absent otherwise: `latency_ms` is then as measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured_latency_ms: Option<Latency>,
    /// Requests the coordinated-omission mitigation added to `latency_ms`.
    #[serde(default)]
    pub backfilled: u64,
    /// Answers by status; in an open loop goose counts the backfilled requests here too.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no answer (refused, reset, timed out).
    pub transport_errors: u64,
    pub per_request: Vec<RequestReport>,
    pub histogram: Vec<Bucket>,
    pub error_samples: Vec<String>,
    /// Goose's own HTML report of the scenario (charts over time), beside `report.json`.
    pub goose_report: String,
    pub slo: Slo,
    pub breaches: Vec<String>,
}

/// All of `times` in one.
pub fn merged<'a>(
    times: impl IntoIterator<Item = &'a GooseRequestMetricTimingData>,
) -> GooseRequestMetricTimingData {
    let mut total = GooseRequestMetricTimingData::default();
    for part in times.into_iter().filter(|part| part.counter > 0) {
        for (bucket, count) in &part.times_us {
            let sum = total.times_us.get(bucket).copied().unwrap_or(0) + count;
            total.times_us.insert(*bucket, sum);
        }
        if total.counter == 0 || part.minimum_time_us < total.minimum_time_us {
            total.minimum_time_us = part.minimum_time_us;
        }
        total.maximum_time_us = total.maximum_time_us.max(part.maximum_time_us);
        total.total_time_us += part.total_time_us;
        total.counter += part.counter;
    }
    total
}

/// Bars 1.25 times wider each, from 10 µs, leading empty ones left out.
fn histogram(times: &GooseRequestMetricTimingData) -> Vec<Bucket> {
    let mut counts: Vec<u64> = Vec::new();
    for (bucket, count) in &times.times_us {
        let bar = ((*bucket).max(10) as f64 / 10.0).log(1.25).ceil() as usize;
        if counts.len() <= bar {
            counts.resize(bar + 1, 0);
        }
        counts[bar] += *count as u64;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(bar, count)| Bucket {
            // To the microsecond.
            up_to_ms: (10.0 * 1.25_f64.powi(bar as i32)).round() / 1000.0,
            count,
        })
        .skip_while(|bucket| bucket.count == 0)
        .collect()
}

impl ScenarioReport {
    /// The figures of `measured`, checked against `slo`.
    pub fn new(scenario: &Scenario, measured: &Measured, slo: Slo, goose_report: String) -> Self {
        let seconds = measured.elapsed.as_secs_f64();
        let ratio = |part: u64, whole: f64| {
            if whole > 0.0 {
                part as f64 / whole
            } else {
                0.0
            }
        };
        let judged = |request: &super::attack::RequestMeasure| {
            request
                .corrected
                .clone()
                .unwrap_or_else(|| request.times.clone())
        };
        let per_request = scenario
            .requests
            .iter()
            .zip(&measured.per_request)
            .map(|(spec, request)| RequestReport {
                label: spec.label.clone(),
                requests: request.times.counter as u64,
                errors: request.errors,
                rps: ratio(request.times.counter as u64, seconds),
                latency_ms: Latency::of(&judged(request)),
            })
            .collect();
        let measured_times = merged(measured.per_request.iter().map(|request| &request.times));
        let corrected: Vec<_> = measured.per_request.iter().map(judged).collect();
        let judged_times = merged(&corrected);
        let open_loop = measured.per_request.iter().any(|r| r.corrected.is_some());
        let requests = measured_times.counter as u64;
        let errors = measured
            .per_request
            .iter()
            .map(|request| request.errors)
            .sum();
        let mut statuses = BTreeMap::new();
        for (status, count) in measured.per_request.iter().flat_map(|r| &r.statuses) {
            *statuses.entry(*status).or_default() += count;
        }
        let answered: u64 = statuses.values().sum();
        let mut report = Self {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
            requests,
            errors,
            error_rate: ratio(errors, requests as f64),
            rps: ratio(requests, seconds),
            elapsed_s: seconds,
            latency_ms: Latency::of(&judged_times),
            measured_latency_ms: open_loop.then(|| Latency::of(&measured_times)),
            backfilled: (judged_times.counter - measured_times.counter) as u64,
            statuses,
            transport_errors: requests.saturating_sub(answered),
            per_request,
            histogram: histogram(&judged_times),
            error_samples: measured.samples.clone(),
            goose_report,
            slo,
            breaches: Vec::new(),
        };
        report.breaches = slo::breaches(&slo, &report);
        report
    }
}

impl Report {
    pub fn breaches(&self) -> usize {
        self.scenarios
            .iter()
            .map(|scenario| scenario.breaches.len())
            .sum()
    }

    /// The table printed at the end of a run.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "\n{:<16} {:>9} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  SLO\n",
            "scenario",
            "requests",
            "req/s",
            "errors",
            "p50 ms",
            "p90 ms",
            "p95 ms",
            "p99 ms",
            "max ms"
        );
        for scenario in &self.scenarios {
            let latency = &scenario.latency_ms;
            let verdict = if scenario.breaches.is_empty() {
                paint("ok", Colour::Green)
            } else {
                paint(
                    &format!("FAILED: {}", scenario.breaches.join("; ")),
                    Colour::Red,
                )
            };
            out.push_str(&format!(
                "{:<16} {:>9} {:>10.1} {:>7.2}% {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {verdict}\n",
                scenario.name,
                scenario.requests,
                scenario.rps,
                scenario.error_rate * 100.0,
                latency.p50,
                latency.p90,
                latency.p95,
                latency.p99,
                latency.max,
            ));
            if scenario.per_request.len() > 1 {
                for request in &scenario.per_request {
                    let line = format!(
                        "  {:<38} {:>9} requests {:>9.1}/s {:>6} errors  p50 {:>7.2}  p90 {:>7.2}  p99 {:>7.2}\n",
                        request.label,
                        request.requests,
                        request.rps,
                        request.errors,
                        request.latency_ms.p50,
                        request.latency_ms.p90,
                        request.latency_ms.p99
                    );
                    out.push_str(&paint(&line, Colour::Dim));
                }
            }
            if let Some(rate) = self.rate
                && scenario.rps < 0.9 * f64::from(rate)
            {
                out.push_str(&format!(
                    "  note: {:.1} requests/s of the {rate} asked: the service or the generator \
                     did not keep up (more users, or a lower rate)\n",
                    scenario.rps
                ));
            }
            if let Some(measured) = &scenario.measured_latency_ms {
                let line = format!(
                    "  open loop: {} requests backfilled; as measured p50 {:.2}  p99 {:.2}  max {:.2}\n",
                    scenario.backfilled, measured.p50, measured.p99, measured.max
                );
                out.push_str(&paint(&line, Colour::Dim));
            }
            for sample in &scenario.error_samples {
                out.push_str(&format!("  error sample: {sample}\n"));
            }
        }
        out
    }
}
