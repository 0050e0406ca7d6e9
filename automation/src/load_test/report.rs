//! The run's report: figures per scenario computed from the recorders (`report.json`, read
//! back as a baseline), and the summary table printed at the end.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::baseline::Comparison;
use super::config::Scenario;
use super::progress::{Colour, paint};
use super::recorder::Recorder;
use super::slo::{self, Slo};

/// Bumped when the shape changes in a way an older baseline cannot be read with.
pub const SCHEMA: u32 = 1;

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
    pub max_requests: u64,
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
    pub fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Self::default();
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        Self {
            p50: ms(histogram.value_at_quantile(0.50)),
            p90: ms(histogram.value_at_quantile(0.90)),
            p95: ms(histogram.value_at_quantile(0.95)),
            p99: ms(histogram.value_at_quantile(0.99)),
            max: ms(histogram.max()),
            mean: histogram.mean() / 1000.0,
        }
    }
}

/// One `[[scenario.request]]` entry's share of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestReport {
    pub label: String,
    pub requests: u64,
    pub errors: u64,
    pub latency_ms: Latency,
}

/// One slot of the latency-over-time chart (requests that started in it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    pub start_s: f64,
    pub requests: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
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
    pub latency_ms: Latency,
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no answer (refused, reset, timed out).
    pub transport_errors: u64,
    pub per_request: Vec<RequestReport>,
    pub slot_s: f64,
    pub timeline: Vec<TimelinePoint>,
    pub histogram: Vec<Bucket>,
    pub error_samples: Vec<String>,
    pub slo: Slo,
    pub breaches: Vec<String>,
}

impl ScenarioReport {
    /// The figures of `recorder`, checked against `slo`.
    pub fn new(scenario: &Scenario, recorder: &Recorder, elapsed: Duration, slo: Slo) -> Self {
        let requests = recorder.requests();
        let ratio = |part: u64, whole: f64| {
            if whole > 0.0 {
                part as f64 / whole
            } else {
                0.0
            }
        };
        let ms = |micros: u64| micros as f64 / 1000.0;
        let timeline = recorder
            .slots
            .iter()
            .enumerate()
            .map(|(index, slot)| {
                let latency = Latency::of(&slot.latency);
                TimelinePoint {
                    start_s: index as f64 * recorder.slot_width.as_secs_f64(),
                    requests: slot.latency.len(),
                    errors: slot.errors,
                    p50_ms: latency.p50,
                    p99_ms: latency.p99,
                    max_ms: latency.max,
                }
            })
            .collect();
        let histogram = recorder
            .latency
            .iter_log(10, 1.25)
            .map(|step| Bucket {
                up_to_ms: ms(step.value_iterated_to()),
                count: step.count_since_last_iteration(),
            })
            .skip_while(|bucket| bucket.count == 0)
            .collect();
        let per_request = scenario
            .requests
            .iter()
            .zip(&recorder.per_request)
            .map(|(spec, stats)| RequestReport {
                label: spec.label.clone(),
                requests: stats.latency.len(),
                errors: stats.errors,
                latency_ms: Latency::of(&stats.latency),
            })
            .collect();
        let mut report = Self {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
            requests,
            errors: recorder.errors,
            error_rate: ratio(recorder.errors, requests as f64),
            rps: ratio(requests, elapsed.as_secs_f64()),
            elapsed_s: elapsed.as_secs_f64(),
            latency_ms: Latency::of(&recorder.latency),
            statuses: recorder.statuses.clone(),
            transport_errors: recorder.transport_errors,
            per_request,
            slot_s: recorder.slot_width.as_secs_f64(),
            timeline,
            histogram,
            error_samples: recorder.samples.clone(),
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
                        "  {:<38} {:>9} requests {:>6} errors  p50 {:>7.2}  p99 {:>7.2}\n",
                        request.label,
                        request.requests,
                        request.errors,
                        request.latency_ms.p50,
                        request.latency_ms.p99
                    );
                    out.push_str(&paint(&line, Colour::Dim));
                }
            }
            for sample in &scenario.error_samples {
                out.push_str(&format!("  error sample: {sample}\n"));
            }
        }
        out
    }
}
