//! The report: Markdown tables (stdout and `report.md`) and every figure as JSON
//! (`report.json`), the per-round samples included.

use std::fmt::Write as _;
use std::thread;
use std::time::Duration;

use super::SCENARIOS;
use super::stats::{Ratio, Sample, Spread, Summary};
use super::wrk::Settings;

/// What one contender measured outside the loads.
#[derive(Debug, Default, Clone)]
pub struct Footprint {
    pub name: String,
    pub about: String,
    pub binary_bytes: u64,
    /// Per round.
    pub ready_after: Vec<Duration>,
    /// Per round.
    pub idle_rss_kib: Vec<u64>,
    /// The highest over the rounds.
    pub peak_rss_kib: u64,
    /// Why it was left out of the run, when it was.
    pub skipped: Option<String>,
}

/// Everything a run measured.
#[derive(Debug, Default)]
pub struct Outcome {
    pub rounds: u32,
    pub footprints: Vec<Footprint>,
    pub samples: Vec<Sample>,
    pub summaries: Vec<Summary>,
    pub ratios: Vec<Ratio>,
    /// What the OTLP sink received: (signal, requests, bytes).
    pub exported: Vec<(&'static str, u64, u64)>,
}

fn range(s: &Spread, digits: usize) -> String {
    format!("{:.digits$}–{:.digits$}", s.min, s.max)
}

fn median_of<T: Copy + Into<f64>>(values: &[T]) -> f64 {
    let values: Vec<f64> = values.iter().map(|v| (*v).into()).collect();
    Spread::of(&values).map_or(0.0, |s| s.median)
}

pub fn markdown(outcome: &Outcome, settings: Settings) -> String {
    let mut out = format!(
        "wrk `-t{} -c{}`, {} s per path after a {} s warm-up, {} round(s) alternating the \
         contenders path by path, {} cores. Medians, with the range over the rounds.\n\n",
        settings.threads,
        settings.connections,
        settings.seconds,
        settings.warm_up_seconds,
        outcome.rounds,
        thread::available_parallelism().map_or(0, usize::from)
    );
    out.push_str("| app | scenario | path | req/s | req/s range | p99 ms | p99 range | errors |\n");
    out.push_str("|---|---|---|---:|---:|---:|---:|---:|\n");
    for (scenario, _) in SCENARIOS {
        for s in outcome.summaries.iter().filter(|s| s.scenario == *scenario) {
            let _ = writeln!(
                out,
                "| {} | {scenario} | `{}` | {:.0} | {} | {:.2} | {} | {} |",
                s.contender,
                s.path,
                s.per_second.median,
                range(&s.per_second, 0),
                s.p99_ms.median,
                range(&s.p99_ms, 2),
                s.errors
            );
        }
    }
    if !outcome.ratios.is_empty() {
        out.push_str(
            "\n| ratio | scenario | req/s ratio | range | p99 ratio | range | rounds |\n\
             |---|---|---:|---:|---:|---:|---:|\n",
        );
        for r in &outcome.ratios {
            let _ = writeln!(
                out,
                "| {} / {} | {} | {:.2} | {} | {:.2} | {} | {} |",
                r.numerator,
                r.denominator,
                r.scenario,
                r.per_second.median,
                range(&r.per_second, 2),
                r.p99.median,
                range(&r.p99, 2),
                r.rounds
            );
        }
    }
    out.push_str(
        "\n| app | binary | ready after start | RSS idle | RSS peak under load |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for f in outcome.footprints.iter().filter(|f| f.skipped.is_none()) {
        let ready: Vec<f64> = f
            .ready_after
            .iter()
            .map(|d| d.as_secs_f64() * 1e3)
            .collect();
        let _ = writeln!(
            out,
            "| {} | {:.1} MB | {:.0} ms | {:.1} MiB | {:.1} MiB |",
            f.name,
            f.binary_bytes as f64 / 1e6,
            median_of(&ready),
            median_of(&f.idle_rss_kib.iter().map(|k| *k as f64).collect::<Vec<_>>()) / 1024.0,
            f.peak_rss_kib as f64 / 1024.0,
        );
    }
    out.push('\n');
    for (scenario, what) in SCENARIOS {
        let _ = writeln!(out, "- {scenario}: {what}");
    }
    for f in &outcome.footprints {
        match &f.skipped {
            None => {
                let _ = writeln!(out, "- {}: {}", f.name, f.about);
            }
            Some(why) => {
                let _ = writeln!(out, "- {}: **skipped**: {why}", f.name);
            }
        }
    }
    for (signal, requests, bytes) in &outcome.exported {
        let _ = writeln!(
            out,
            "- the OTLP sink received {requests} {signal} export(s), {:.1} KiB",
            *bytes as f64 / 1024.0
        );
    }
    out
}

fn spread_json(s: &Spread) -> serde_json::Value {
    serde_json::json!({ "median": s.median, "min": s.min, "max": s.max })
}

pub fn json(outcome: &Outcome, settings: Settings) -> String {
    let samples: Vec<serde_json::Value> = outcome
        .samples
        .iter()
        .map(|s| {
            serde_json::json!({
                "round": s.round,
                "contender": s.contender,
                "scenario": s.scenario,
                "path": s.path,
                "requests": s.load.requests,
                "requests_per_second": s.load.per_second,
                "p50_ms": s.load.p50.as_secs_f64() * 1e3,
                "p99_ms": s.load.p99.as_secs_f64() * 1e3,
                "errors": s.load.errors,
            })
        })
        .collect();
    let summaries: Vec<serde_json::Value> = outcome
        .summaries
        .iter()
        .map(|s| {
            serde_json::json!({
                "contender": s.contender,
                "scenario": s.scenario,
                "path": s.path,
                "rounds": s.rounds,
                "requests_per_second": spread_json(&s.per_second),
                "p99_ms": spread_json(&s.p99_ms),
                "errors": s.errors,
            })
        })
        .collect();
    let ratios: Vec<serde_json::Value> = outcome
        .ratios
        .iter()
        .map(|r| {
            serde_json::json!({
                "numerator": r.numerator,
                "denominator": r.denominator,
                "scenario": r.scenario,
                "rounds": r.rounds,
                "requests_per_second": spread_json(&r.per_second),
                "p99": spread_json(&r.p99),
            })
        })
        .collect();
    let footprints: Vec<serde_json::Value> = outcome
        .footprints
        .iter()
        .map(|f| {
            serde_json::json!({
                "name": f.name,
                "about": f.about,
                "skipped": f.skipped,
                "binary_bytes": f.binary_bytes,
                "ready_after_ms": f.ready_after.iter().map(|d| d.as_secs_f64() * 1e3).collect::<Vec<_>>(),
                "idle_rss_kib": f.idle_rss_kib,
                "peak_rss_kib": f.peak_rss_kib,
            })
        })
        .collect();
    let exported: Vec<serde_json::Value> = outcome
        .exported
        .iter()
        .map(|(signal, requests, bytes)| {
            serde_json::json!({ "signal": signal, "requests": requests, "bytes": bytes })
        })
        .collect();
    let report = serde_json::json!({
        "schema": "compare/2",
        "wrk": {
            "threads": settings.threads,
            "connections": settings.connections,
            "seconds": settings.seconds,
            "warm_up_seconds": settings.warm_up_seconds,
        },
        "rounds": outcome.rounds,
        "contenders": footprints,
        "summaries": summaries,
        "ratios": ratios,
        "samples": samples,
        "otlp_sink": exported,
    });
    serde_json::to_string_pretty(&report).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::stats::{ratios, summarise};
    use super::super::wrk::Load;
    use super::*;

    fn sample(round: u32, contender: &str, rate: f64) -> Sample {
        Sample {
            round,
            contender: contender.to_owned(),
            scenario: "static",
            path: "/live".to_owned(),
            load: Load {
                requests: 10,
                per_second: rate,
                p50: Duration::from_millis(1),
                p99: Duration::from_millis(5),
                errors: 0,
            },
        }
    }

    #[test]
    fn tables_show_medians_ranges_ratios_and_skips() {
        let samples = vec![
            sample(1, "a", 1000.0),
            sample(1, "b", 500.0),
            sample(2, "a", 1200.0),
            sample(2, "b", 400.0),
        ];
        let outcome = Outcome {
            rounds: 2,
            summaries: summarise(&samples),
            ratios: ratios(&samples, &[("a", "b")], &["static"]),
            footprints: vec![
                Footprint {
                    name: "a".into(),
                    binary_bytes: 3_700_000,
                    ready_after: vec![Duration::from_millis(20), Duration::from_millis(40)],
                    idle_rss_kib: vec![1024, 2048],
                    peak_rss_kib: 4096,
                    ..Footprint::default()
                },
                Footprint {
                    name: "c".into(),
                    skipped: Some("cannot start".into()),
                    ..Footprint::default()
                },
            ],
            exported: vec![("traces", 3, 2048)],
            samples,
        };
        let settings = Settings {
            threads: 1,
            connections: 32,
            seconds: 8,
            warm_up_seconds: 2,
        };
        let table = markdown(&outcome, settings);
        assert!(
            table.contains("wrk `-t1 -c32`, 8 s per path after a 2 s warm-up, 2 round(s)"),
            "{table}"
        );
        assert!(
            table.contains("| a | static | `/live` | 1100 | 1000–1200 | 5.00 | 5.00–5.00 | 0 |"),
            "{table}"
        );
        assert!(
            table.contains("| a / b | static | 2.50 | 2.00–3.00 | 1.00 | 1.00–1.00 | 2 |"),
            "{table}"
        );
        assert!(
            table.contains("| a | 3.7 MB | 30 ms | 1.5 MiB | 4.0 MiB |"),
            "{table}"
        );
        assert!(table.contains("- c: **skipped**: cannot start"), "{table}");
        assert!(
            table.contains("received 3 traces export(s), 2.0 KiB"),
            "{table}"
        );
        let json: serde_json::Value = serde_json::from_str(&json(&outcome, settings)).unwrap();
        assert_eq!(json["samples"].as_array().map(Vec::len), Some(4));
        assert_eq!(json["ratios"][0]["requests_per_second"]["median"], 2.5);
        assert_eq!(json["summaries"][1]["contender"], "b");
        assert_eq!(json["contenders"][1]["skipped"], "cannot start");
    }
}
