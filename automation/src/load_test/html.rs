//! `report.html`: one self-contained page (inline CSS and SVG, no script, nothing fetched)
//! with the summary, the baseline comparison and, per scenario, its requests and latency
//! histogram, linking to goose's own report of the scenario (its charts over time).

use std::fmt::Write;

use super::baseline::format_change;
use super::chart::{bar_chart, escape};
use super::report::{Report, ScenarioReport};

const STYLE: &str = "
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 780px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .6rem 0; font-variant-numeric: tabular-nums; }
th, td { padding: .2rem .6rem; text-align: right; border-bottom: 1px solid #eee; white-space: nowrap; }
h3 { font-size: 1rem; margin: 1.2rem 0 0; }
th:first-child, td:first-child { text-align: left; }
.ok { color: #17803d; font-weight: 600; } .bad { color: #b42318; font-weight: 600; }
.muted { color: #666; } code { font-size: .9em; }
svg { width: 100%; height: auto; margin: .4rem 0 1rem; }
svg .grid { stroke: #e5e5e5; } svg .tick { font-size: 11px; fill: #555; }
svg .axis { font-size: 12px; fill: #333; } svg .bar { fill: #4c78a8; }
";

/// The whole page.
pub fn render(report: &Report) -> String {
    let mut out = String::from("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    let load = match report.rate {
        Some(rate) => format!(
            "open loop: requests started at {rate} per second by {} users",
            report.concurrency
        ),
        None => format!("closed loop: {} users", report.concurrency),
    };
    let _ = write!(
        out,
        "<title>Load test: {project}</title><style>{STYLE}</style></head><body>\
         <h1>Load test: {project}</h1><p class=\"muted\">{mode} run started {started}; \
         {load}, {duration} s per scenario.</p>",
        project = escape(&report.project),
        mode = escape(&report.mode),
        started = escape(&report.started_at),
        duration = report.duration_s,
    );
    if report.interrupted {
        out.push_str("<p class=\"bad\">Interrupted: the figures cover the part that ran.</p>");
    }
    summary(&mut out, report);
    baseline(&mut out, report);
    for scenario in &report.scenarios {
        scenario_section(&mut out, scenario);
    }
    out.push_str(if report.rate.is_some() {
        "<p class=\"muted\">Open-loop load: requests start at a fixed rate whatever the answers \
         take, and the requests a stalled user could not send are backfilled (coordinated-omission \
         mitigation), so the percentiles are those of clients arriving at that rate. "
    } else {
        "<p class=\"muted\">Closed-loop load: each user sends its next request when the previous \
         one is answered, so latency under overload shows up as fewer requests per second. "
    });
    out.push_str(
        "Latencies are measured by the client (goose), from sending a request to its \
         response's headers.</p></body></html>\n",
    );
    out
}

fn verdict(scenario: &ScenarioReport) -> String {
    if scenario.breaches.is_empty() {
        "<span class=\"ok\">ok</span>".to_owned()
    } else {
        format!(
            "<span class=\"bad\">{}</span>",
            escape(&scenario.breaches.join("; "))
        )
    }
}

fn summary(out: &mut String, report: &Report) {
    out.push_str(
        "<table><tr><th>scenario</th><th>requests</th><th>req/s</th><th>errors</th>\
         <th>p50 ms</th><th>p90 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th><th>SLO</th></tr>",
    );
    for scenario in &report.scenarios {
        let latency = &scenario.latency_ms;
        let _ = write!(
            out,
            "<tr><td><a href=\"#{name}\">{name}</a></td><td>{}</td><td>{:.1}</td><td>{:.2} %</td>\
             <td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{}</td></tr>",
            scenario.requests,
            scenario.rps,
            scenario.error_rate * 100.0,
            latency.p50,
            latency.p90,
            latency.p95,
            latency.p99,
            latency.max,
            verdict(scenario),
            name = escape(&scenario.name),
        );
    }
    out.push_str("</table>");
}

fn baseline(out: &mut String, report: &Report) {
    let Some(baseline) = &report.baseline else {
        return;
    };
    let _ = write!(
        out,
        "<h2>Against the baseline</h2><p class=\"muted\"><code>{}</code>, run started {}.</p>\
         <table><tr><th>scenario</th><th>metric</th><th>before</th><th>after</th><th>change</th></tr>",
        escape(&baseline.file),
        escape(&baseline.started_at)
    );
    for comparison in &baseline.comparisons {
        let class = match comparison.change_pct {
            Some(pct) if pct.abs() >= 1.0 && comparison.worse => "bad",
            Some(pct) if pct.abs() >= 1.0 => "ok",
            _ => "muted",
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td><td class=\"{class}\">{}</td></tr>",
            escape(&comparison.scenario),
            escape(&comparison.metric),
            comparison.before,
            comparison.after,
            format_change(comparison)
        );
    }
    out.push_str("</table>");
}

fn scenario_section(out: &mut String, scenario: &ScenarioReport) {
    let _ = write!(
        out,
        "<h2 id=\"{name}\">{name}</h2><p>{}</p><p>{} requests in {:.1} s ({:.1}/s), \
         {} errors ({} without an answer); SLO: {}</p>\
         <p>Over time (requests per second, latency, users): <a href=\"{goose}\">goose's \
         report</a>.</p>",
        escape(&scenario.description),
        scenario.requests,
        scenario.elapsed_s,
        scenario.rps,
        scenario.errors,
        scenario.transport_errors,
        verdict(scenario),
        name = escape(&scenario.name),
        goose = escape(&scenario.goose_report),
    );
    if let Some(measured) = &scenario.measured_latency_ms {
        let _ = write!(
            out,
            "<p class=\"muted\">{} requests backfilled for coordinated omission; as measured, \
             without them: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms.</p>",
            scenario.backfilled, measured.p50, measured.p99, measured.max
        );
    }
    out.push_str(
        "<table><tr><th>request</th><th>requests</th><th>req/s</th><th>errors</th>\
         <th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th></tr>",
    );
    for request in &scenario.per_request {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{:.1}</td><td>{}</td><td>{:.2}</td>\
             <td>{:.2}</td><td>{:.2}</td><td>{:.2}</td></tr>",
            escape(&request.label),
            request.requests,
            request.rps,
            request.errors,
            request.latency_ms.p50,
            request.latency_ms.p90,
            request.latency_ms.p99,
            request.latency_ms.max
        );
    }
    out.push_str("</table>");
    let statuses: Vec<String> = scenario
        .statuses
        .iter()
        .map(|(status, count)| format!("{status}: {count}"))
        .collect();
    let _ = write!(
        out,
        "<p class=\"muted\">Statuses: {}</p>",
        escape(&statuses.join(", "))
    );
    for sample in &scenario.error_samples {
        let _ = write!(out, "<p class=\"bad\"><code>{}</code></p>", escape(sample));
    }
    let latency = &scenario.latency_ms;
    let percentiles = [
        ("p50", latency.p50),
        ("p90", latency.p90),
        ("p95", latency.p95),
        ("p99", latency.p99),
        ("max", latency.max),
    ]
    .map(|(name, value)| (name.to_owned(), value));
    out.push_str("<h3>Latency percentiles</h3>");
    out.push_str(&bar_chart(
        &format!("{}: latency percentiles", scenario.name),
        &percentiles,
        "percentile",
        "latency (ms)",
    ));
    let bars: Vec<(String, f64)> = scenario
        .histogram
        .iter()
        .map(|bucket| (format!("{:.2}", bucket.up_to_ms), bucket.count as f64))
        .collect();
    out.push_str("<h3>Latency histogram</h3>");
    out.push_str(&bar_chart(
        &format!("{}: latency histogram", scenario.name),
        &bars,
        "latency up to (ms), buckets 1.25 times wider each",
        "requests",
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_test::report::{Bucket, SCHEMA};
    use crate::load_test::report_tests::scenario_report;

    #[test]
    fn the_page_is_self_contained_and_shows_every_scenario() {
        let mut failing = scenario_report("write<x>", 100, 5, 3.0, 40.0);
        failing.breaches = vec!["p99 40.00 ms > 25 ms".to_owned()];
        failing.measured_latency_ms = Some(failing.latency_ms);
        failing.backfilled = 12;
        failing.histogram = vec![
            Bucket {
                up_to_ms: 3.0,
                count: 60,
            },
            Bucket {
                up_to_ms: 40.0,
                count: 40,
            },
        ];
        let report = Report {
            schema: SCHEMA,
            project: "demo".to_owned(),
            mode: "smoke".to_owned(),
            started_at: "2026-01-01T00:00:00Z".to_owned(),
            interrupted: true,
            concurrency: 2,
            duration_s: 3.0,
            rate: Some(200),
            scenarios: vec![scenario_report("read", 1000, 0, 1.0, 2.0), failing],
            baseline: None,
        };
        let page = render(&report);
        assert!(page.starts_with("<!doctype html>") && page.ends_with("</html>\n"));
        let namespaces = page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
        assert_eq!(
            page.matches("http").count(),
            namespaces,
            "no link leaves the page"
        );
        assert!(
            !page.contains("<script") && !page.contains("<link"),
            "nothing is fetched"
        );
        assert_eq!(page.matches("<svg").count(), 4, "two charts per scenario");
        assert!(page.contains("write&lt;x&gt;") && !page.contains("write<x>"));
        assert!(page.contains("p99 40.00 ms &gt; 25 ms") && page.contains("Interrupted"));
        assert!(page.contains("open loop: requests started at 200 per second"));
        assert!(page.contains("12 requests backfilled for coordinated omission"));
        assert!(page.contains("<a href=\"goose-read.html\">goose's report</a>"));
    }
}
