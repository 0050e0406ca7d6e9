//! OTLP export from the real binary, configured the standard way (`OTEL_*` variables):
//!
//! - over HTTP/protobuf, traces and metrics reach `/v1/traces` and `/v1/metrics`;
//! - a collector that cannot be reached never slows or breaks request handling: spans wait in
//!   a bounded queue that a background thread drains, and when it is full new spans are
//!   dropped and counted in the log. At exit, flushing gives up after
//!   `telemetry.flush_timeout`. The collector here accepts connections and never answers, the
//!   worst case: a refused connection fails fast, a silent one holds every export until its
//!   timeout.
//!
//! The gRPC path, and the structure of the traces, are checked in `telemetry.rs`.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use poem::http::HeaderMap;
use poem::listener::{Acceptor, Listener};
use poem::web::{Data, Path};
use poem::{EndpointExt, Route, Server, handler, post};

use support::TestDatabase;
use support::process::ServiceProcess;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const CLIENTS: usize = 8;
const REQUESTS_PER_CLIENT: usize = 100;
/// How long one export may take (`OTEL_EXPORTER_OTLP_TIMEOUT`): a request that waited for an
/// export would take at least this long.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(1);
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Accepts connections and keeps them open without reading or writing a byte.
async fn silent_collector() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (address, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_collector_neither_slows_nor_breaks_requests_nor_holds_up_the_exit() {
    let (collector, _collector_task) = silent_collector().await;
    let db = TestDatabase::sqlite();
    let endpoint = format!("http://{collector}");
    let export_timeout = EXPORT_TIMEOUT.as_millis().to_string();
    let flush_timeout = format!("{}s", FLUSH_TIMEOUT.as_secs());
    let grace = format!("{}s", SHUTDOWN_GRACE.as_secs());
    let service = ServiceProcess::start(
        &db,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", export_timeout.as_str()),
            // A small queue, so that this test fills it: 800 requests make 1600 spans.
            ("OTEL_BSP_MAX_QUEUE_SIZE", "64"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("APP_TELEMETRY__FLUSH_TIMEOUT", flush_timeout.as_str()),
            ("APP_HTTP__SHUTDOWN_GRACE", grace.as_str()),
        ],
    )
    .await;

    let client = reqwest::Client::new();
    let url = service.url("/health/ready");
    let clients: Vec<JoinHandle<Vec<(u16, Duration)>>> = (0..CLIENTS)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let mut seen = Vec::with_capacity(REQUESTS_PER_CLIENT);
                for _ in 0..REQUESTS_PER_CLIENT {
                    let started = Instant::now();
                    let response = client.get(&url).send().await.expect("an answer");
                    seen.push((response.status().as_u16(), started.elapsed()));
                }
                seen
            })
        })
        .collect();
    let mut seen = Vec::new();
    for client in clients {
        seen.extend(client.await.unwrap());
    }
    let mut latencies: Vec<Duration> = seen.iter().map(|(_, latency)| *latency).collect();
    latencies.sort();
    let slowest = *latencies.last().unwrap();
    eprintln!(
        "{} requests with a silent collector: median {:?}, slowest {slowest:?}",
        latencies.len(),
        latencies[latencies.len() / 2]
    );
    assert!(
        seen.iter().all(|(status, _)| *status == 200),
        "every request succeeds"
    );
    assert!(
        slowest < EXPORT_TIMEOUT,
        "no request waited for an export: the slowest took {slowest:?}"
    );

    let limit = SHUTDOWN_GRACE + FLUSH_TIMEOUT + Duration::from_secs(3);
    let (log, exit_time) = service.stop_cleanly(limit).await;
    eprintln!("exited {exit_time:?} after SIGTERM");
    assert!(log.contains("stopped cleanly"), "{log}");
    assert!(
        log.contains("dropped a Span due to queue full"),
        "dropped spans are counted in the log:\n{log}"
    );
}

/// One export received by [`otlp_http_receiver`]: the signal (`traces`, `metrics`), the
/// content type and the body.
type Export = (String, String, Vec<u8>);

#[handler]
fn receive(
    Path(signal): Path<String>,
    headers: &HeaderMap,
    body: Vec<u8>,
    received: Data<&Arc<Mutex<Vec<Export>>>>,
) {
    let content_type = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    received.lock().unwrap().push((signal, content_type, body));
}

/// An OTLP/HTTP receiver on 127.0.0.1 that keeps what it is sent. Its empty 200 answer is
/// an empty protobuf message: a full success.
async fn otlp_http_receiver() -> (SocketAddr, Arc<Mutex<Vec<Export>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let app = Route::new()
        .at("/v1/:signal", post(receive))
        .data(received.clone());
    let acceptor = poem::listener::TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let address = *acceptor.local_addr()[0].as_socket_addr().unwrap();
    tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
    (address, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_and_metrics_arrive_over_http_protobuf() {
    let (receiver, received) = otlp_http_receiver().await;
    let db = TestDatabase::sqlite();
    let endpoint = format!("http://{receiver}");
    let service = ServiceProcess::start(
        &db,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ],
    )
    .await;
    let response = reqwest::get(service.url("/health/ready")).await.unwrap();
    assert_eq!(response.status(), 200);
    let (log, _) = service.stop_cleanly(Duration::from_secs(10)).await;

    // Flushed at exit: both signals are at the receiver, as protobuf. Protobuf keeps strings
    // as UTF-8 bytes, so span and metric names can be looked for in the bodies.
    let received = received.lock().unwrap();
    let body_of = |signal: &str| {
        let (_, content_type, body) = received
            .iter()
            .find(|(name, _, _)| name == signal)
            .unwrap_or_else(|| panic!("no export to /v1/{signal}:\n{log}"));
        assert_eq!(content_type, "application/x-protobuf");
        body.clone()
    };
    let contains = |body: &[u8], text: &str| {
        body.windows(text.len())
            .any(|window| window == text.as_bytes())
    };
    let traces = body_of("traces");
    assert!(
        contains(&traces, "HTTP request") && contains(&traces, "db.ping"),
        "the request's spans"
    );
    let metrics = body_of("metrics");
    assert!(
        contains(&metrics, "http.server.request.duration"),
        "the request metric"
    );
    assert!(
        contains(&metrics, "db.client.connection.count"),
        "the pool metric"
    );
}
