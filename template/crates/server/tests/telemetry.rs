//! Traces and metrics leave the service over OTLP. Traces hang together: a request carrying a
//! W3C `traceparent` gets a server span in the caller's trace, child of the caller's span, with
//! the use case and database spans beneath it. Metrics count the request by method, route
//! and status, and report the database pool. The collector is a real OTLP/gRPC receiver on
//! 127.0.0.1.
//!
//! A test binary of its own with a single test: the global tracing subscriber can be installed
//! only once per process.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::time::Duration;

use fake_opentelemetry_collector::{ExportedMetric, ExportedSpan, FakeCollectorServer};
use server::settings::Settings;
use server::telemetry;
use support::{TestDatabase, TestServer};
{%- if example and auth %}
use support::token;
{%- endif %}

/// The caller's trace and span, as a client or a gateway would send them.
const CALLER_TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";

/// Whether `span` is `ancestor` or has it up its chain of parents.
fn descends_from(spans: &HashMap<&str, &ExportedSpan>, span: &ExportedSpan, ancestor: &str) -> bool {
    let mut current = Some(span);
    while let Some(span) = current {
        if span.span_id == ancestor {
            return true;
        }
        current = spans.get(span.parent_span_id.as_str()).copied();
    }
    false
}

/// Whether `span` has attribute `key` with `value`. The collector keeps attribute values as
/// the debug form of OTLP's `AnyValue` (`Some(AnyValue { value: Some(IntValue(201)) })`).
fn has_attribute(span: &ExportedSpan, key: &str, value: impl std::fmt::Debug) -> bool {
    let wanted = format!("Value({value:?})");
    span.attributes.get(key).is_some_and(|stored| stored.contains(&wanted))
}

/// The data points of metric `name`, as JSON (the collector's metric types are not public),
/// with the metric's unit.
fn data_points(exported: &[ExportedMetric], name: &str) -> (String, Vec<serde_json::Value>) {
    let exported = serde_json::to_value(exported).unwrap();
    let metric = exported
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|batch| batch["metrics"].as_array().unwrap())
        .find(|metric| metric["name"] == name)
        .unwrap_or_else(|| panic!("no `{name}` metric in {exported:#}"));
    // `data` has one member, named after the kind of metric (Histogram, Sum, ...), which
    // holds the `data_points`.
    let data = metric["data"].as_object().unwrap().values().next().unwrap();
    let unit = metric["unit"].as_str().unwrap().to_owned();
    (unit, data["data_points"].as_array().unwrap().clone())
}

/// Whether a metric data point has attribute `key` with `value` (kept in the same debug form
/// as span attributes).
fn point_has(point: &serde_json::Value, key: &str, value: impl std::fmt::Debug) -> bool {
    let wanted = format!("Value({value:?})");
    point["attributes"][key].as_str().is_some_and(|stored| stored.contains(&wanted))
}

/// The batch span processor's thread (`OpenTelemetry.Traces.BatchProcessor`, cut to 15
/// characters by the kernel) runs at nice 19, the request workers at this process's nice.
#[cfg(target_os = "linux")]
fn assert_export_threads_run_below_requests() {
    let nice_of = |comm_prefix: &str| -> Vec<i64> {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|task| {
                let path = task.unwrap().path();
                let comm = std::fs::read_to_string(path.join("comm")).ok()?;
                if !comm.starts_with(comm_prefix) {
                    return None;
                }
                // Field 19 of `stat` is the nice value; the name in field 2 may hold spaces,
                // so count from the `)` that closes it.
                let stat = std::fs::read_to_string(path.join("stat")).ok()?;
                let after_name = &stat[stat.rfind(')')? + 2..];
                after_name.split(' ').nth(16)?.parse().ok()
            })
            .collect()
    };
    // A new thread names itself once it first runs: on a loaded machine the batch
    // processor's may still carry its parent's name for a moment (nice is inherited at once).
    let mut exporters = nice_of("OpenTelemetry.T");
    for _ in 0..100 {
        if !exporters.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        exporters = nice_of("OpenTelemetry.T");
    }
    assert!(!exporters.is_empty(), "no batch span processor thread after 5 s");
    assert!(exporters.iter().all(|nice| *nice == 19), "{exporters:?}");
    // Tokio names its workers `tokio-rt-worker` (older releases: `tokio-runtime-worker`).
    let workers = nice_of("tokio-r");
    assert!(!workers.is_empty(), "no tokio worker thread");
    assert!(workers.iter().all(|nice| *nice < 19), "{workers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_continues_the_callers_trace_down_to_the_database_and_is_counted() {
    let mut collector = FakeCollectorServer::start().await.expect("the collector starts");
    let mut telemetry_settings = Settings::default().telemetry;
    telemetry_settings.otlp_endpoint = Some(collector.endpoint());
    let telemetry = telemetry::init(&telemetry_settings, "test").expect("telemetry starts");
    #[cfg(target_os = "linux")]
    assert_export_threads_run_below_requests();

    let server = TestServer::start(TestDatabase::sqlite()).await;
    let traceparent = format!("00-{CALLER_TRACE_ID}-{CALLER_SPAN_ID}-01");
{%- if example %}
    // A use case that writes: `place_order` and its `db.orders.insert`.
    let (method, route, status, use_case, database_call) =
        ("POST", "/api/v1/orders", 201, Some("place_order"), "db.orders.insert");
    let request = server
        .client
        .post(server.url(route))
        .json(&serde_json::json!({
            "customer_email": "ada@example.com",
            "amount_minor": 1250,
            "currency": "EUR"
        }));
{%- if auth %}
    let request = request.bearer_auth(token(&["orders:write"]));
{%- endif %}
{%- else %}
    // Readiness asks the database: the request span has a `db.ping` child.
    let (method, route, status, use_case, database_call) =
        ("GET", "/health/ready", 200, None::<&str>, "db.ping");
    let request = server.client.get(server.url(route));
{%- endif %}
    let response = request.header("traceparent", &traceparent).send().await.unwrap();
    assert_eq!(response.status().as_u16(), status);
    // Two requests that no route matches: a series of their own, without a route, counted
    // twice (the second through the handle bound by the first).
    for _ in 0..2 {
        let response = server.client.get(server.url("/no-such-route")).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 404);
    }
    server.stop().await;
    // Flushes the exporters: every span and metric is at the collector when this returns.
    telemetry.shutdown().await;

    // Metrics: the request, by method, route and status, in seconds; the pool, by state.
    let metrics = collector.exported_metrics(1, Duration::from_secs(10)).await;
    let (unit, points) = data_points(&metrics, "http.server.request.duration");
    assert_eq!(unit, "s");
    let point = points
        .iter()
        .find(|point| {
            point_has(point, "http.route", route)
                && point_has(point, "http.request.method", method)
                && point_has(point, "http.response.status_code", status)
        })
        .unwrap_or_else(|| panic!("no data point for {method} {route} {status}: {points:#?}"));
    assert_eq!(point["count"], 1, "{point:#}");
    assert!(point["sum"].as_f64().unwrap() > 0.0, "{point:#}");
    let unrouted = points
        .iter()
        .find(|point| point_has(point, "http.response.status_code", 404))
        .unwrap_or_else(|| panic!("no data point for the 404s: {points:#?}"));
    assert!(unrouted["attributes"].get("http.route").is_none(), "{unrouted:#}");
    assert_eq!(unrouted["count"], 2, "{unrouted:#}");
    // Requests in flight, by method: the request is over, and its method's series stays.
    let (unit, points) = data_points(&metrics, "http.server.active_requests");
    assert_eq!(unit, "{request}");
    assert!(
        points.iter().any(|point| point_has(point, "http.request.method", method) && point["value"]["AsInt"] == 0),
        "no `{method}` series at 0 requests in flight: {points:#?}"
    );
    let (_, points) = data_points(&metrics, "db.client.connection.count");
    for state in ["idle", "used"] {
        assert!(
            points.iter().any(|point| point_has(point, "db.client.connection.state", state)),
            "no `{state}` connections reported: {points:#?}"
        );
    }
    let (_, points) = data_points(&metrics, "db.client.connection.max");
    assert!(
        points.iter().any(|point| point["value"]["AsInt"] == 10),
        "the pool's ceiling (database.max_connections) is reported: {points:#?}"
    );

    let exported = collector.exported_spans(2, Duration::from_secs(10)).await;
    assert!(
        exported.iter().all(|span| !span.name.is_empty()),
        "no nameless spans (poem's request-id span stays out of traces): {exported:#?}"
    );
    let names: Vec<&str> = exported.iter().map(|span| span.name.as_str()).collect();
    let by_id: HashMap<&str, &ExportedSpan> =
        exported.iter().map(|span| (span.span_id.as_str(), span)).collect();
    let named = |name: &str| {
        exported
            .iter()
            .find(|span| span.name == name)
            .unwrap_or_else(|| panic!("no `{name}` span among {names:?}"))
    };

    // The request that came with the caller's `traceparent` (the 404s start traces of their
    // own).
    let request_span = exported
        .iter()
        .find(|span| span.name == "HTTP request" && span.trace_id == CALLER_TRACE_ID)
        .unwrap_or_else(|| panic!("no request span in the caller's trace among {names:?}"));
    assert_eq!(request_span.kind, "SPAN_KIND_SERVER");
    assert_eq!(request_span.trace_id, CALLER_TRACE_ID, "the caller's trace continues");
    assert_eq!(request_span.parent_span_id, CALLER_SPAN_ID, "the caller's span is the parent");
    let attributes = &request_span.attributes;
    assert!(has_attribute(request_span, "http.request.method", method), "{attributes:?}");
    assert!(has_attribute(request_span, "http.route", route), "{attributes:?}");
    assert!(has_attribute(request_span, "http.response.status_code", status), "{attributes:?}");
    assert!(attributes.contains_key("request_id"), "{attributes:?}");

    let database_span = named(database_call);
    assert!(
        has_attribute(database_span, "db.system.name", "sqlite"),
        "{:?}",
        database_span.attributes
    );
    let mut beneath = vec![database_span];
    if let Some(use_case) = use_case {
        let use_case_span = named(use_case);
        assert!(
            descends_from(&by_id, database_span, &use_case_span.span_id),
            "the database call runs inside the use case: {exported:#?}"
        );
        beneath.push(use_case_span);
    }
    for span in beneath {
        assert_eq!(span.trace_id, CALLER_TRACE_ID, "`{}` is in the caller's trace", span.name);
        assert!(
            descends_from(&by_id, span, &request_span.span_id),
            "`{}` is beneath the request span: {exported:#?}",
            span.name
        );
    }
}
