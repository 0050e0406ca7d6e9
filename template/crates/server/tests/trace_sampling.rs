//! A caller's `traceparent` continues its trace, but its sampled flag does not decide what is
//! exported (`telemetry.trust_inbound_sampling` off, the default): the service's own
//! `telemetry.trace_sample_ratio` decides from the trace id. At ratio 0.5, a trace the caller
//! marks sampled but whose id falls outside the ratio is not exported, and a trace the caller
//! marks unsampled but whose id falls inside it is, in the caller's trace. The collector is a
//! real OTLP/gRPC receiver on 127.0.0.1.
//!
//! A test binary of its own: the global tracing subscriber can be installed once per process.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use fake_opentelemetry_collector::FakeCollectorServer;
use server::settings::Settings;
use server::telemetry;
use support::{TestDatabase, TestServer};

const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";
/// The low 64 bits, all ones, are above any ratio under 1.0: never sampled at 0.5.
const OUTSIDE_THE_RATIO: &str = "4bf92f3577b34da6ffffffffffffffff";
/// The low 64 bits, near zero, are below any ratio above 0.0: always sampled at 0.5.
const INSIDE_THE_RATIO: &str = "5cf92f3577b34da60000000000000002";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callers_sampled_flag_neither_forces_nor_prevents_export() {
    let mut collector = FakeCollectorServer::start()
        .await
        .expect("the collector starts");
    let mut telemetry_settings = Settings::default().telemetry;
    telemetry_settings.otlp_endpoint = Some(collector.endpoint());
    telemetry_settings.trace_sample_ratio = 0.5;
    assert!(!telemetry_settings.trust_inbound_sampling, "off by default");
    let telemetry = telemetry::init(&telemetry_settings, "test").expect("telemetry starts");

    let server = TestServer::start(TestDatabase::sqlite()).await;
    for (trace_id, flags) in [(OUTSIDE_THE_RATIO, "01"), (INSIDE_THE_RATIO, "00")] {
        let response = server
            .client
            .get(server.url("/health/ready"))
            .header(
                "traceparent",
                format!("00-{trace_id}-{CALLER_SPAN_ID}-{flags}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    server.stop().await;
    telemetry.shutdown().await;

    let exported = collector.exported_spans(1, Duration::from_secs(10)).await;
    let forced: Vec<_> = exported
        .iter()
        .filter(|span| span.trace_id == OUTSIDE_THE_RATIO)
        .collect();
    assert!(
        forced.is_empty(),
        "the caller's sampled flag forced an export: {forced:#?}"
    );
    let request_span = exported
        .iter()
        .find(|span| span.name == "HTTP request" && span.trace_id == INSIDE_THE_RATIO)
        .unwrap_or_else(|| panic!("the trace inside the ratio is exported: {exported:#?}"));
    assert_eq!(
        request_span.parent_span_id, CALLER_SPAN_ID,
        "the caller's trace continues"
    );
    // The spans inside a sampled request are built and exported under its request span.
    assert!(
        exported.iter().any(|span| span.name == "db.ping"
            && span.trace_id == INSIDE_THE_RATIO
            && span.parent_span_id == request_span.span_id),
        "the database ping of the sampled request is in its trace: {exported:#?}"
    );
}
