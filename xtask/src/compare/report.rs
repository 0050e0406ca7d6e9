//! The report: a Markdown table (stdout and `report.md`) and the figures as JSON.

use std::fmt::Write as _;
use std::thread;
use std::time::Duration;

use super::wrk::Load;
use super::{Args, SCENARIOS};

/// What one contender measured.
#[derive(Debug, Default)]
pub struct Figures {
    pub name: String,
    pub about: String,
    pub binary_bytes: u64,
    pub ready_after: Duration,
    pub idle_rss_kib: u64,
    pub peak_rss_kib: u64,
    /// Scenario, path, figures.
    pub loads: Vec<(&'static str, &'static str, Load)>,
}

pub fn markdown_table(results: &[Figures], args: &Args) -> String {
    let mut out = format!(
        "wrk, 2 threads, {} connections, {} s per path after a 2 s warm-up, {} cores\n\n",
        args.connections,
        args.seconds,
        thread::available_parallelism().map_or(0, usize::from)
    );
    out.push_str("| app | scenario | path | req/s | p50 | p99 | errors |\n");
    out.push_str("|---|---|---|---:|---:|---:|---:|\n");
    for f in results {
        for (scenario, path, l) in &f.loads {
            let _ = writeln!(
                out,
                "| {} | {scenario} | `{path}` | {:.0} | {} | {} | {} |",
                f.name,
                l.per_second,
                millis(l.p50),
                millis(l.p99),
                l.errors
            );
        }
    }
    out.push_str("\n| app | binary | ready after start | RSS idle | RSS peak under load |\n");
    out.push_str("|---|---:|---:|---:|---:|\n");
    for f in results {
        let _ = writeln!(
            out,
            "| {} | {:.1} MB | {} | {:.1} MiB | {:.1} MiB |",
            f.name,
            f.binary_bytes as f64 / 1e6,
            millis(f.ready_after),
            f.idle_rss_kib as f64 / 1024.0,
            f.peak_rss_kib as f64 / 1024.0,
        );
    }
    out.push('\n');
    for (scenario, what) in SCENARIOS {
        let _ = writeln!(out, "- {scenario}: {what}");
    }
    for f in results {
        let _ = writeln!(out, "- {}: {}", f.name, f.about);
    }
    out
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

pub fn json_report(results: &[Figures], args: &Args) -> String {
    let load_json = |(scenario, path, l): &(&str, &str, Load)| {
        serde_json::json!({
            "scenario": scenario,
            "path": path,
            "requests": l.requests,
            "requests_per_second": l.per_second,
            "p50_ms": l.p50.as_secs_f64() * 1e3,
            "p99_ms": l.p99.as_secs_f64() * 1e3,
            "errors": l.errors,
        })
    };
    let contenders: Vec<serde_json::Value> = results
        .iter()
        .map(|f| {
            serde_json::json!({
                "name": f.name,
                "about": f.about,
                "binary_bytes": f.binary_bytes,
                "ready_after_ms": f.ready_after.as_secs_f64() * 1e3,
                "idle_rss_kib": f.idle_rss_kib,
                "peak_rss_kib": f.peak_rss_kib,
                "loads": f.loads.iter().map(load_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let report = serde_json::json!({
        "schema": "compare/1",
        "connections": args.connections,
        "seconds": args.seconds,
        "contenders": contenders,
    });
    serde_json::to_string_pretty(&report).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_have_a_row_per_load_and_per_contender() {
        let args = Args::smoke();
        let load = Load {
            requests: 10,
            per_second: 1234.4,
            p50: Duration::from_millis(1),
            p99: Duration::from_millis(5),
            errors: 0,
        };
        let results = vec![
            Figures {
                name: "a".into(),
                binary_bytes: 3_700_000,
                loads: vec![("static", "/live", load), ("read", "/items", load)],
                ..Figures::default()
            },
            Figures {
                name: "b".into(),
                loads: vec![("static", "/ping", load)],
                ..Figures::default()
            },
        ];
        let table = markdown_table(&results, &args);
        assert!(
            table.contains("| a | static | `/live` | 1234 | 1.00 ms | 5.00 ms | 0 |"),
            "{table}"
        );
        assert!(table.contains("| a | read | `/items` |"), "{table}");
        assert!(table.contains("| b | static | `/ping` |"), "{table}");
        assert!(table.contains("| a | 3.7 MB |"), "{table}");
        let json: serde_json::Value = serde_json::from_str(&json_report(&results, &args)).unwrap();
        assert_eq!(json["contenders"][1]["loads"][0]["path"], "/ping");
        assert_eq!(
            json["contenders"][0]["loads"].as_array().map(Vec::len),
            Some(2)
        );
    }
}
