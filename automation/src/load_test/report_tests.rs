//! Tests of the report's figures, and the sample scenario other modules' tests build on.

use std::collections::BTreeMap;
use std::time::Duration;

use super::config;
use super::recorder::{Outcome, Recorder};
use super::report::{Latency, ScenarioReport};
use super::slo::Slo;

#[test]
fn figures_come_from_the_recorder() {
    let config = config::parse(
        "[run]\nconcurrency = 1\nduration = \"2s\"\nrequests = 10\n\
         [smoke]\nconcurrency = 1\nduration = \"1s\"\nrequests = 10\n\
         [[scenario]]\nname = \"mix\"\n\
         [[scenario.request]]\npath = \"/a\"\n[[scenario.request]]\npath = \"/b\"\n",
    )
    .unwrap();
    let mut recorder = Recorder::new(2, Duration::from_millis(500)).unwrap();
    let ok = Outcome::Answered {
        status: 200,
        ok: true,
    };
    for i in 0..99_u64 {
        let latency = Duration::from_millis(1 + i % 3);
        recorder.record(0, Duration::from_millis(i * 10), latency, &ok);
    }
    let failed = Outcome::Answered {
        status: 503,
        ok: false,
    };
    recorder.record(
        1,
        Duration::from_millis(990),
        Duration::from_millis(100),
        &failed,
    );
    let slo = Slo {
        p99_ms: Some(50.0),
        ..Slo::default()
    };
    let report = ScenarioReport::new(&config.scenarios[0], &recorder, Duration::from_secs(2), slo);

    assert_eq!((report.requests, report.errors), (100, 1));
    assert!((report.rps - 50.0).abs() < 1e-9);
    assert!((report.error_rate - 0.01).abs() < 1e-9);
    assert!(
        (report.latency_ms.p50 - 2.0).abs() < 0.01,
        "{:?}",
        report.latency_ms
    );
    assert!(
        (report.latency_ms.p99 - 3.0).abs() < 0.01,
        "{:?}",
        report.latency_ms
    );
    assert!(
        (report.latency_ms.max - 100.0).abs() < 0.1,
        "{:?}",
        report.latency_ms
    );
    assert_eq!(report.statuses, BTreeMap::from([(200, 99), (503, 1)]));
    assert_eq!(report.per_request[0].label, "GET /a");
    assert_eq!(
        (report.per_request[1].requests, report.per_request[1].errors),
        (1, 1)
    );
    assert_eq!(report.timeline.len(), 2, "1 s of requests in 0.5 s slots");
    assert_eq!(report.timeline[1].start_s, 0.5);
    assert_eq!(report.timeline.iter().map(|p| p.requests).sum::<u64>(), 100);
    assert_eq!(report.histogram.iter().map(|b| b.count).sum::<u64>(), 100);
    assert!(
        report.histogram[0].count > 0,
        "leading empty buckets are dropped"
    );
    assert!(
        report.breaches.is_empty(),
        "p99 is 3 ms: {:?}",
        report.breaches
    );
    let json = serde_json::to_string(&report).unwrap();
    assert_eq!(
        serde_json::from_str::<ScenarioReport>(&json).unwrap(),
        report
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
        slot_s: 1.0,
        timeline: Vec::new(),
        histogram: Vec::new(),
        error_samples: Vec::new(),
        slo: Slo::default(),
        breaches: Vec::new(),
    }
}
