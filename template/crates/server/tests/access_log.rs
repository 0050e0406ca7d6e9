//! The access log under overload: many concurrent requests against a writer queue of two
//! lines, so that requests keep waiting for room in it. Every response still has exactly one
//! access line (matched by request id), and every line is written by the time the service
//! has exited: backpressure, never loss.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::time::Duration;

use support::TestDatabase;
use support::process::ServiceProcess;

const CLIENTS: usize = 64;
const REQUESTS_PER_CLIENT: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_has_exactly_one_access_line_when_the_log_queue_is_full() {
    let db = TestDatabase::sqlite();
    let service = ServiceProcess::start(
        &db,
        &[
            ("APP_TELEMETRY__LOG_FORMAT", "json"),
            ("APP_TELEMETRY__LOG_BUFFER_LINES", "2"),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let url = service.url("/health/live");
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let mut ids = Vec::with_capacity(REQUESTS_PER_CLIENT);
                for _ in 0..REQUESTS_PER_CLIENT {
                    let response = client.get(&url).send().await.unwrap();
                    assert_eq!(response.status(), 200);
                    let id = response.headers()["x-request-id"].to_str().unwrap();
                    ids.push(id.to_owned());
                }
                ids
            })
        })
        .collect();
    let mut answered = Vec::with_capacity(CLIENTS * REQUESTS_PER_CLIENT);
    for ids in clients {
        answered.extend(ids.await.unwrap());
    }
    let (log, _) = service.stop_cleanly(Duration::from_secs(30)).await;

    let mut access_lines: HashMap<String, usize> = HashMap::new();
    for line in log.lines() {
        let line: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"));
        if line["message"] == "request" {
            let id = line["request_id"].as_str().expect("an access line has a request id");
            *access_lines.entry(id.to_owned()).or_default() += 1;
        }
    }
    assert_eq!(answered.len(), CLIENTS * REQUESTS_PER_CLIENT);
    for id in &answered {
        assert_eq!(access_lines.get(id), Some(&1), "access lines of request {id}");
    }
    assert_eq!(access_lines.len(), answered.len(), "access lines of unknown requests");
}
