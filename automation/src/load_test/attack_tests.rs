//! `--rate` runs open loop: against a real HTTP server on 127.0.0.1 (port 0), requests arrive
//! at the stated rate whatever the answers take, and a stalled answer is backfilled by the
//! coordinated-omission mitigation.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::attack;
use super::config::{self, Limits};
use super::report::ScenarioReport;
use super::target::Target;

/// The request the server answers slowly: one stall in the middle of the run.
const STALLED: u64 = 60;
const STALL: Duration = Duration::from_millis(600);

/// Answers each request on `socket` after 5 ms (the `STALLED`th request of all after `STALL`).
async fn answer(mut socket: TcpStream, served: Arc<AtomicU64>) -> std::io::Result<()> {
    let mut pending = Vec::new();
    let mut chunk = [0_u8; 2048];
    loop {
        // Requests are GETs without a body: each ends with a blank line.
        let end = loop {
            if let Some(at) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let read = socket.read(&mut chunk).await?;
            if read == 0 {
                return Ok(());
            }
            pending.extend_from_slice(&chunk[..read]);
        };
        pending.drain(..end);
        let number = served.fetch_add(1, Ordering::Relaxed);
        let delay = if number == STALLED {
            STALL
        } else {
            Duration::from_millis(5)
        };
        tokio::time::sleep(delay).await;
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            .await?;
    }
}

async fn serve(listener: TcpListener, served: Arc<AtomicU64>) {
    while let Ok((socket, _)) = listener.accept().await {
        tokio::spawn(answer(socket, served.clone()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_runs_open_loop() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(AtomicU64::new(0));
    tokio::spawn(serve(listener, served.clone()));
    let config = config::parse(
        "[run]\nconcurrency = 8\nduration = \"2s\"\n[smoke]\nconcurrency = 1\nduration = \"1s\"\n\
         [[scenario]]\nname = \"open\"\n[[scenario.request]]\npath = \"/ping\"\n",
    )
    .unwrap();
    let limits = Limits {
        rate: Some(100),
        timeout: Duration::from_secs(5),
        ..config.run
    };
    let target = Arc::new(Target::new(base_url, None, &limits).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let goose_report = dir.path().join("goose-open.html");
    let scenario = &config.scenarios[0];
    let (seeds, cancel) = (Arc::new(Vec::new()), CancellationToken::new());
    let run = attack::run(&target, &seeds, scenario, limits, &goose_report, &cancel);
    let measured = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the run ends within a minute")
        .unwrap();

    let report = ScenarioReport::new(scenario, &measured, scenario.slo, String::new());
    // Eight users answered in 5 ms could send about 1,600 requests a second: the throttle
    // holds them to the rate (less on a machine busy compiling, where its timer wakes late).
    assert!(
        (50.0..=130.0).contains(&report.rps),
        "100 requests/s asked, {} sent in {:.2} s",
        report.requests,
        report.elapsed_s
    );
    assert_eq!(report.errors, 0, "{:?}", report.error_samples);
    assert!(
        served.load(Ordering::Relaxed) > STALLED,
        "the stall happened"
    );
    let measured_latency = report
        .measured_latency_ms
        .expect("an open loop reports the measured latencies too");
    assert!(
        report.backfilled > 0,
        "the stalled user's requests are backfilled: {report:?}"
    );
    assert!(
        report.latency_ms.p99 >= measured_latency.p99,
        "{:?} against {measured_latency:?}",
        report.latency_ms
    );
    assert!(report.latency_ms.max >= 590.0, "{:?}", report.latency_ms);
    assert!(Path::new(&goose_report).is_file(), "goose wrote its report");
}
