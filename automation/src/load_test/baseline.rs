//! `--baseline <report.json>`: the change of every metric against an earlier run, per
//! scenario of the same name. Informative only: the SLOs decide the exit code.

use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::progress::{Colour, paint};
use super::report::{Report, SCHEMA, ScenarioReport};

/// One metric of one scenario, before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub scenario: String,
    pub metric: String,
    pub before: f64,
    pub after: f64,
    /// `None` when `before` is zero.
    pub change_pct: Option<f64>,
    /// The change is in the unwelcome direction (slower, more errors, fewer requests/s).
    pub worse: bool,
}

/// Reads an earlier `report.json`.
pub fn load(path: &Path) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the baseline {}", path.display()))?;
    let schema: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("the baseline {} is not JSON", path.display()))?;
    if schema["schema"] != SCHEMA {
        bail!(
            "the baseline {} has report schema {}, this command writes schema {SCHEMA}",
            path.display(),
            schema["schema"]
        );
    }
    serde_json::from_str(&text)
        .with_context(|| format!("the baseline {} is not a load-test report", path.display()))
}

/// The metrics compared: name, value, and whether higher is better.
fn metrics(scenario: &ScenarioReport) -> [(&'static str, f64, bool); 7] {
    let latency = &scenario.latency_ms;
    [
        ("req/s", scenario.rps, true),
        ("error %", scenario.error_rate * 100.0, false),
        ("p50 ms", latency.p50, false),
        ("p90 ms", latency.p90, false),
        ("p95 ms", latency.p95, false),
        ("p99 ms", latency.p99, false),
        ("max ms", latency.max, false),
    ]
}

/// Every metric of every scenario that `baseline` also has.
pub fn compare(current: &Report, baseline: &Report) -> Vec<Comparison> {
    let mut comparisons = Vec::new();
    for scenario in &current.scenarios {
        let Some(before) = baseline
            .scenarios
            .iter()
            .find(|old| old.name == scenario.name)
        else {
            continue;
        };
        for ((metric, after, higher_is_better), (_, before, _)) in
            metrics(scenario).into_iter().zip(metrics(before))
        {
            let change_pct = (before != 0.0).then(|| (after - before) / before * 100.0);
            let worse = if higher_is_better {
                after < before
            } else {
                after > before
            };
            comparisons.push(Comparison {
                scenario: scenario.name.clone(),
                metric: metric.to_owned(),
                before,
                after,
                change_pct,
                worse,
            });
        }
    }
    comparisons
}

/// `+12.3 %`, or `n/a` when there was nothing to compare with.
pub fn format_change(comparison: &Comparison) -> String {
    match comparison.change_pct {
        Some(change) => format!("{change:+.1} %"),
        None if comparison.after == 0.0 => "0.0 %".to_owned(),
        None => "n/a".to_owned(),
    }
}

/// The comparison as a terminal table.
pub fn table(comparisons: &[Comparison], baseline_file: &str) -> String {
    if comparisons.is_empty() {
        return format!("\nno scenario in common with the baseline {baseline_file}\n");
    }
    let mut out = format!(
        "\nchange against the baseline {baseline_file}\n{:<16} {:<8} {:>12} {:>12} {:>10}\n",
        "scenario", "metric", "before", "after", "change"
    );
    for comparison in comparisons {
        let change = format_change(comparison);
        let change = match comparison.change_pct {
            Some(pct) if pct.abs() >= 1.0 && comparison.worse => paint(&change, Colour::Red),
            Some(pct) if pct.abs() >= 1.0 => paint(&change, Colour::Green),
            _ => change,
        };
        out.push_str(&format!(
            "{:<16} {:<8} {:>12.2} {:>12.2} {:>10}\n",
            comparison.scenario, comparison.metric, comparison.before, comparison.after, change
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_test::report_tests::scenario_report;

    fn report(scenarios: Vec<ScenarioReport>) -> Report {
        Report {
            schema: SCHEMA,
            project: "demo".to_owned(),
            mode: "full".to_owned(),
            started_at: "2026-01-01T00:00:00Z".to_owned(),
            interrupted: false,
            concurrency: 4,
            duration_s: 10.0,
            rate: None,
            scenarios,
            baseline: None,
        }
    }

    #[test]
    fn changes_are_percentages_with_their_direction() {
        let before = report(vec![scenario_report("read", 1000, 0, 2.0, 10.0)]);
        let after = report(vec![
            scenario_report("read", 1200, 12, 2.5, 8.0),
            scenario_report("new", 10, 0, 1.0, 1.0),
        ]);
        let comparisons = compare(&after, &before);
        assert_eq!(comparisons.len(), 7, "only the common scenario is compared");
        let find = |metric: &str| comparisons.iter().find(|c| c.metric == metric).unwrap();
        let rps = find("req/s");
        assert_eq!((rps.before, rps.after), (100.0, 120.0));
        assert!((rps.change_pct.unwrap() - 20.0).abs() < 1e-9 && !rps.worse);
        let p50 = find("p50 ms");
        assert!((p50.change_pct.unwrap() - 25.0).abs() < 1e-9 && p50.worse);
        let p99 = find("p99 ms");
        assert!((p99.change_pct.unwrap() + 20.0).abs() < 1e-9 && !p99.worse);
        let errors = find("error %");
        assert_eq!(errors.change_pct, None, "no errors before: no percentage");
        assert!(errors.worse);
        assert_eq!(format_change(errors), "n/a");
        assert_eq!(format_change(p50), "+25.0 %");
        let table = table(&comparisons, "old.json");
        assert!(
            table.contains("read") && table.contains("-20.0 %"),
            "{table}"
        );
    }

    #[test]
    fn a_report_reads_back_and_other_schemas_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let original = report(vec![scenario_report("read", 10, 1, 1.0, 2.0)]);
        std::fs::write(&path, serde_json::to_string(&original).unwrap()).unwrap();
        assert_eq!(load(&path).unwrap(), original);
        std::fs::write(&path, r#"{"schema": 99}"#).unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains("schema 99"), "{err}");
    }
}
