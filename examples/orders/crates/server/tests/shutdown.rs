//! SIGTERM on the real binary, under load: every request the service took in gets its
//! answer, the process exits 0 within its grace period, and a request after that is refused
//! at connect time (a client or load balancer retries those elsewhere).
//!
//! One race is inherent in HTTP/1.1 keep-alive: a request sent on an idle connection at the
//! moment the server closes it is lost in transit ("connection closed before message
//! completed"). Such a request never reached the service (each carries its own request id,
//! and the service's access log must not know it), so retrying it is safe.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::TestDatabase;
use support::process::ServiceProcess;

/// `http.shutdown_grace` for the service under test.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
const CONCURRENT_CLIENTS: usize = 8;

/// What one client saw while requests kept going.
#[derive(Debug, Default)]
struct Outcomes {
    statuses: Vec<u16>,
    refused: usize,
    /// Requests that connected but got no answer: (request id, error).
    unanswered: Vec<(String, String)>,
}

fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Requests `url` until `stop`, one at a time, on a keep-alive connection; each request
/// carries the id `shutdown-<client>-<n>`.
async fn keep_requesting(
    client: reqwest::Client,
    id: usize,
    url: String,
    stop: Arc<AtomicBool>,
) -> Outcomes {
    let mut outcomes = Outcomes::default();
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let request_id = format!("shutdown-{id}-{n}");
        match client
            .get(&url)
            .header("x-request-id", &request_id)
            .send()
            .await
        {
            Ok(response) => outcomes.statuses.push(response.status().as_u16()),
            Err(err) if err.is_connect() => {
                outcomes.refused += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(err) => outcomes.unanswered.push((request_id, describe(&err))),
        }
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_requests_refuses_new_ones_and_exits_zero() {
    let db = TestDatabase::sqlite();
    let grace = format!("{}s", SHUTDOWN_GRACE.as_secs());
    let mut service =
        ServiceProcess::start(&db, &[("APP_HTTP__SHUTDOWN_GRACE", grace.as_str())]).await;
    let url = service.url("/health/ready");

    let client = reqwest::Client::builder()
        .timeout(SHUTDOWN_GRACE * 2)
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CONCURRENT_CLIENTS)
        .map(|id| {
            tokio::spawn(keep_requesting(
                client.clone(),
                id,
                url.clone(),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let signalled = Instant::now();
    service.terminate();
    let exit = service.wait_for_exit(SHUTDOWN_GRACE).await;
    let shutdown_time = signalled.elapsed();

    // The listener is gone: a new request cannot even connect.
    let after = client.get(&url).send().await;
    stop.store(true, Ordering::Relaxed);
    let mut seen = Outcomes::default();
    for outcomes in clients {
        let outcomes = outcomes.await.unwrap();
        seen.statuses.extend(outcomes.statuses);
        seen.refused += outcomes.refused;
        seen.unanswered.extend(outcomes.unanswered);
    }
    let log = service.log();
    eprintln!(
        "shutdown took {shutdown_time:?}; {} answered, {} refused, {} lost in transit",
        seen.statuses.len(),
        seen.refused,
        seen.unanswered.len()
    );

    let exit =
        exit.unwrap_or_else(|| panic!("still running {SHUTDOWN_GRACE:?} after SIGTERM:\n{log}"));
    assert!(exit.success(), "exit status {exit:?}:\n{log}");
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(log.contains("stopped cleanly"), "{log}");
    assert!(
        after.as_ref().is_err_and(reqwest::Error::is_connect),
        "a request after the exit is refused: {after:?}"
    );
    assert!(
        !seen.statuses.is_empty(),
        "requests were answered before the signal"
    );
    assert!(
        seen.statuses.iter().all(|&status| status == 200),
        "every answer is a success: {:?}",
        seen.statuses
    );
    // The check below can see a handled request: the first one is in the access log.
    assert!(log.contains("request_id=\"shutdown-0-0\""), "{log}");
    for (request_id, err) in &seen.unanswered {
        assert!(
            !log.contains(&format!("request_id=\"{request_id}\"")),
            "{request_id} was handled by the service but its answer was lost ({err}):\n{log}"
        );
    }
}
