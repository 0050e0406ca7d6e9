//! Service-level objectives: the thresholds a scenario must meet (`[scenario.slo]`, or
//! `[scenario.smoke_slo]` with `--smoke`), their validation, and their evaluation.

use serde::{Deserialize, Serialize};

use super::report::ScenarioReport;

/// Thresholds for one scenario; a breach fails the run. Unset ones are not checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p90_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<f64>,
    /// Errors / requests, from 0 to 1 (0.001 = 0.1 %).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_error_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_rps: Option<f64>,
}

/// Checks the values of the table at `key` (`scenario[0] (read-mix).slo`).
pub fn validate(key: &str, slo: &Slo) -> anyhow::Result<()> {
    let limits = [
        ("p50_ms", slo.p50_ms),
        ("p90_ms", slo.p90_ms),
        ("p95_ms", slo.p95_ms),
        ("p99_ms", slo.p99_ms),
        ("max_ms", slo.max_ms),
        ("min_rps", slo.min_rps),
    ];
    for (name, value) in limits {
        if let Some(value) = value
            && !(value.is_finite() && value > 0.0)
        {
            anyhow::bail!("{key}.{name} must be a number above 0, not {value}");
        }
    }
    if let Some(rate) = slo.max_error_rate
        && !(0.0..=1.0).contains(&rate)
    {
        anyhow::bail!("{key}.max_error_rate is a fraction from 0 to 1 (0.001 = 0.1 %), not {rate}");
    }
    Ok(())
}

/// Every threshold `scenario` breaches, in words (`p99 31.20 ms > 25 ms`). A scenario that
/// completed no request breaches by definition.
pub fn breaches(slo: &Slo, scenario: &ScenarioReport) -> Vec<String> {
    if scenario.requests == 0 {
        return vec!["no request completed".to_owned()];
    }
    let latency = &scenario.latency_ms;
    let ceilings = [
        ("p50", slo.p50_ms, latency.p50),
        ("p90", slo.p90_ms, latency.p90),
        ("p95", slo.p95_ms, latency.p95),
        ("p99", slo.p99_ms, latency.p99),
        ("max", slo.max_ms, latency.max),
    ];
    let mut found: Vec<String> = ceilings
        .into_iter()
        .filter_map(|(name, limit, actual)| {
            limit
                .filter(|limit| actual > *limit)
                .map(|limit| format!("{name} {actual:.2} ms > {limit} ms"))
        })
        .collect();
    if let Some(limit) = slo.max_error_rate
        && scenario.error_rate > limit
    {
        found.push(format!(
            "error rate {:.3} % > {:.3} %",
            scenario.error_rate * 100.0,
            limit * 100.0
        ));
    }
    if let Some(limit) = slo.min_rps
        && scenario.rps < limit
    {
        found.push(format!("{:.1} requests/s < {limit}", scenario.rps));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_test::report_tests::scenario_report;

    #[test]
    fn each_threshold_is_checked_against_its_metric() {
        let scenario = scenario_report("read", 1000, 2, 4.0, 30.0);
        let slo = Slo {
            p50_ms: Some(5.0),
            p99_ms: Some(25.0),
            max_error_rate: Some(0.001),
            min_rps: Some(50.0),
            ..Slo::default()
        };
        assert_eq!(
            breaches(&slo, &scenario),
            ["p99 30.00 ms > 25 ms", "error rate 0.200 % > 0.100 %"]
        );
        let loose = Slo {
            p99_ms: Some(31.0),
            max_error_rate: Some(0.01),
            min_rps: Some(2000.0),
            ..Slo::default()
        };
        assert_eq!(breaches(&loose, &scenario), ["100.0 requests/s < 2000"]);
        assert!(breaches(&Slo::default(), &scenario).is_empty());
    }

    #[test]
    fn a_scenario_without_requests_fails() {
        let scenario = scenario_report("read", 0, 0, 0.0, 0.0);
        assert_eq!(
            breaches(&Slo::default(), &scenario),
            ["no request completed"]
        );
    }

    #[test]
    fn out_of_range_thresholds_are_refused_with_their_key() {
        let slo = Slo {
            max_error_rate: Some(5.0),
            ..Slo::default()
        };
        let err = validate("scenario[0] (read).slo", &slo)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("scenario[0] (read).slo.max_error_rate"),
            "{err}"
        );
        let slo = Slo {
            p99_ms: Some(-1.0),
            ..Slo::default()
        };
        let err = validate("x.slo", &slo).unwrap_err().to_string();
        assert!(
            err.contains("x.slo.p99_ms must be a number above 0"),
            "{err}"
        );
    }
}
