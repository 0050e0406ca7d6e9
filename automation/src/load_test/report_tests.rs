//! Tests of the report's figures, and the sample scenario other modules' tests build on.

use std::collections::BTreeMap;
use std::time::Duration;

use goose::metrics::GooseRequestMetricTimingData;

use super::attack::{Measured, RequestMeasure};
use super::config::{self, Scenario};
use super::report::{Latency, ScenarioReport, merged};
use super::slo::Slo;

/// Timing data holding `count` times of `micros` for each pair (times that are the first of
/// their goose bucket, so that they are kept exactly).
fn times(pairs: &[(u64, usize)]) -> GooseRequestMetricTimingData {
    let mut data = GooseRequestMetricTimingData::default();
    for &(micros, count) in pairs {
        data.times_us.insert(micros, count);
        data.counter += count;
        data.total_time_us += micros * count as u64;
    }
    data.minimum_time_us = pairs.iter().map(|pair| pair.0).min().unwrap_or(0);
    data.maximum_time_us = pairs.iter().map(|pair| pair.0).max().unwrap_or(0);
    data
}

fn mix() -> Scenario {
    let config = config::parse(
        "[run]\nconcurrency = 1\nduration = \"2s\"\n\
         [smoke]\nconcurrency = 1\nduration = \"1s\"\n\
         [[scenario]]\nname = \"mix\"\n\
         [[scenario.request]]\npath = \"/a\"\n[[scenario.request]]\npath = \"/b\"\n",
    )
    .unwrap();
    config.scenarios[0].clone()
}

/// 99 answers of `/a` (33 each at 1, 2 and 4 ms) and one 503 of `/b` at 100 ms, in 2 s.
fn measured() -> Measured {
    Measured {
        elapsed: Duration::from_secs(2),
        per_request: vec![
            RequestMeasure {
                times: times(&[(1000, 33), (2000, 33), (4000, 33)]),
                corrected: None,
                statuses: BTreeMap::from([(200, 99)]),
                errors: 0,
            },
            RequestMeasure {
                times: times(&[(100_000, 1)]),
                corrected: None,
                statuses: BTreeMap::from([(503, 1)]),
                errors: 1,
            },
        ],
        samples: vec!["GET /b answered 503: busy".to_owned()],
        interrupted: false,
    }
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= expected * 0.01
}

#[test]
fn figures_come_from_goose_measurements() {
    let slo = Slo {
        p99_ms: Some(50.0),
        ..Slo::default()
    };
    let report = ScenarioReport::new(&mix(), &measured(), slo, "goose-mix.html".to_owned());

    assert_eq!((report.requests, report.errors), (100, 1));
    assert!((report.rps - 50.0).abs() < 1e-9);
    assert!((report.error_rate - 0.01).abs() < 1e-9);
    let latency = report.latency_ms;
    assert!(close(latency.p50, 2.0), "{latency:?}");
    assert!(close(latency.p99, 4.0), "{latency:?}");
    assert!((latency.max - 100.0).abs() < 1e-9, "{latency:?}");
    assert_eq!(
        report.measured_latency_ms, None,
        "a closed loop has nothing backfilled"
    );
    assert_eq!(report.statuses, BTreeMap::from([(200, 99), (503, 1)]));
    assert_eq!(report.transport_errors, 0);
    assert_eq!(report.per_request[0].label, "GET /a");
    assert!((report.per_request[0].rps - 49.5).abs() < 1e-9);
    assert_eq!(
        (report.per_request[1].requests, report.per_request[1].errors),
        (1, 1)
    );
    assert!(close(report.per_request[1].latency_ms.p50, 100.0));
    assert_eq!(report.histogram.iter().map(|b| b.count).sum::<u64>(), 100);
    assert!(
        report.histogram[0].count > 0,
        "leading empty buckets are dropped"
    );
    assert!(
        report
            .histogram
            .windows(2)
            .all(|w| w[0].up_to_ms < w[1].up_to_ms),
        "bars grow"
    );
    assert!(report.breaches.is_empty(), "{:?}", report.breaches);
    assert_eq!(report.error_samples, ["GET /b answered 503: busy"]);
    let json = serde_json::to_string(&report).unwrap();
    assert_eq!(
        serde_json::from_str::<ScenarioReport>(&json).unwrap(),
        report
    );
}

#[test]
fn an_open_loop_is_judged_on_the_corrected_latencies() {
    let mut measured = measured();
    let a = &mut measured.per_request[0];
    // A stall: ten requests backfilled at 50 ms.
    a.corrected = Some(merged([&a.times, &times(&[(50_000, 10)])]));
    let slo = Slo {
        p99_ms: Some(40.0),
        ..Slo::default()
    };
    let report = ScenarioReport::new(&mix(), &measured, slo, String::new());

    assert_eq!(report.requests, 100, "backfilled requests were not sent");
    assert_eq!(report.backfilled, 10);
    let as_measured = report.measured_latency_ms.unwrap();
    assert!(close(as_measured.p99, 4.0), "{as_measured:?}");
    assert!(
        close(report.latency_ms.p99, 50.0),
        "{:?}",
        report.latency_ms
    );
    assert!(close(report.per_request[0].latency_ms.p99, 50.0));
    assert_eq!(report.breaches.len(), 1, "{:?}", report.breaches);
}

#[test]
fn merging_adds_counts_and_keeps_the_extremes() {
    let all = merged([
        &times(&[(1000, 2), (2000, 1)]),
        &times(&[(1000, 1), (64, 4)]),
    ]);
    assert_eq!(all.counter, 8);
    assert_eq!(all.times_us.get(&1000), Some(&3));
    assert_eq!((all.minimum_time_us, all.maximum_time_us), (64, 2000));
    assert_eq!(all.total_time_us, 2 * 1000 + 2000 + 1000 + 4 * 64);
    let empty = merged([&GooseRequestMetricTimingData::default()]);
    assert_eq!(
        (empty.counter, Latency::of(&empty)),
        (0, Latency::default())
    );
}

/// A scenario with `requests` over one second, `errors` of them failed.
pub(crate) fn scenario_report(
    name: &str,
    requests: u64,
    errors: u64,
    p50: f64,
    p99: f64,
) -> ScenarioReport {
    ScenarioReport {
        name: name.to_owned(),
        description: String::new(),
        requests,
        errors,
        error_rate: if requests == 0 {
            0.0
        } else {
            errors as f64 / requests as f64
        },
        rps: requests as f64 / 10.0,
        elapsed_s: 10.0,
        latency_ms: Latency {
            p50,
            p90: p99,
            p95: p99,
            p99,
            max: p99 * 2.0,
            mean: p50,
        },
        statuses: BTreeMap::from([(200, requests - errors), (500, errors)]),
        transport_errors: 0,
        per_request: Vec::new(),
        measured_latency_ms: None,
        backfilled: 0,
        histogram: Vec::new(),
        error_samples: Vec::new(),
        goose_report: format!("goose-{name}.html"),
        slo: Slo::default(),
        breaches: Vec::new(),
    }
}
