//! Connection hygiene against clients that misbehave on purpose, over raw TCP on 127.0.0.1:
//! a header trickled slowly is cut off at `http.header_read_timeout`; an idle keep-alive
//! connection (HTTP/1) and an idle HTTP/2 connection are closed after `http.idle_timeout`;
//! connections over `http.max_connections` wait unaccepted and are served once others close;
//! HTTP/2 advertises its stream and header limits; and at its file-descriptor limit, under
//! hundreds of slow clients, the real binary logs (rate-limited) failed accepts and keeps
//! answering `/health/live`. Every wait is bounded.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use support::process::ServiceProcess;
use support::{TestDatabase, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest any single expectation waits: far above the limits configured below.
const PATIENCE: Duration = Duration::from_secs(15);
const LIVE_REQUEST: &[u8] = b"GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n";

async fn connect(server: &TestServer) -> TcpStream {
    let address = server.base_url.trim_start_matches("http://");
    TcpStream::connect(address).await.expect("connect")
}

/// Reads until the peer closes (`Some(bytes read)`), or `None` if it is still open after
/// `limit`. A reset counts as closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_elapsed) => return None,
            Ok(Ok(0) | Err(_)) => return Some(received),
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
        }
    }
}

/// Reads one small HTTP/1.1 response (status line and headers, and whatever body came
/// with them), or `None` when nothing arrives within `limit`.
async fn read_response(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut buffer = [0_u8; 4096];
    match tokio::time::timeout(limit, stream.read(&mut buffer)).await {
        Ok(Ok(read)) if read > 0 => Some(String::from_utf8_lossy(&buffer[..read]).into_owned()),
        _ => None,
    }
}

#[tokio::test]
async fn a_header_trickled_slowly_is_cut_off_at_the_deadline() {
    let server = TestServer::start_with(TestDatabase::sqlite(), |settings| {
        settings.http.header_read_timeout = Duration::from_secs(1);
        settings.http.idle_timeout = Duration::from_secs(60);
    })
    .await;
    let mut stream = connect(&server).await;
    stream.write_all(b"GET /health/live HTTP/1.1\r\nHost: test\r\n").await.unwrap();
    let (mut reader, mut writer) = stream.split();
    let trickle = async {
        // One header line every 200 ms: each arrives well within any per-read timeout, the
        // whole header never does.
        for _ in 0..(PATIENCE.as_millis() / 200) {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write_all(b"X-Trickle: a\r\n").await.is_err() {
                break;
            }
        }
    };
    let closed = async {
        let mut received = Vec::new();
        let mut buffer = [0_u8; 1024];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => return received,
                Ok(read) => received.extend_from_slice(&buffer[..read]),
            }
        }
    };
    let started = Instant::now();
    let outcome = tokio::select! {
        received = closed => Some(received),
        () = trickle => None,
    };
    let received = outcome.unwrap_or_else(|| panic!("still connected after {PATIENCE:?} of trickling"));
    let text = String::from_utf8_lossy(&received);
    assert!(!text.contains(" 200 "), "the trickled request was not served: {text}");
    assert!(started.elapsed() >= Duration::from_millis(900), "cut at the deadline, not before");
    server.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let server = TestServer::start_with(TestDatabase::sqlite(), |settings| {
        settings.http.idle_timeout = Duration::from_secs(1);
        settings.http.header_read_timeout = Duration::from_secs(60);
    })
    .await;
    let mut stream = connect(&server).await;
    stream.write_all(LIVE_REQUEST).await.unwrap();
    let response = read_response(&mut stream, PATIENCE).await.expect("an answer");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let rest = read_until_closed(&mut stream, PATIENCE).await;
    assert!(rest.is_some(), "the idle connection is still open after {PATIENCE:?}");
    server.stop().await;
}

/// The HTTP/2 connection preface, then an empty SETTINGS frame.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";
const SETTINGS_FRAME: u8 = 0x4;
const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
const SETTINGS_MAX_HEADER_LIST_SIZE: u16 = 0x6;

/// Reads the server's first frame, which must be SETTINGS, as (identifier, value) pairs.
async fn server_settings(stream: &mut TcpStream) -> Vec<(u16, u32)> {
    let mut header = [0_u8; 9];
    tokio::time::timeout(PATIENCE, stream.read_exact(&mut header)).await.unwrap().unwrap();
    let length = usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
    assert_eq!(header[3], SETTINGS_FRAME, "the server speaks first with SETTINGS: {header:?}");
    let mut payload = vec![0_u8; length];
    stream.read_exact(&mut payload).await.unwrap();
    payload
        .chunks_exact(6)
        .map(|entry| {
            (
                u16::from_be_bytes([entry[0], entry[1]]),
                u32::from_be_bytes([entry[2], entry[3], entry[4], entry[5]]),
            )
        })
        .collect()
}

#[tokio::test]
async fn h2c_advertises_its_limits_and_an_idle_connection_is_closed() {
    let server = TestServer::start_with(TestDatabase::sqlite(), |settings| {
        settings.http.http2_max_concurrent_streams = 7;
        settings.http.max_header_bytes = 20_000;
        settings.http.idle_timeout = Duration::from_secs(1);
    })
    .await;
    let mut stream = connect(&server).await;
    stream.write_all(H2_PREFACE).await.unwrap();
    let settings = server_settings(&mut stream).await;
    assert!(settings.contains(&(SETTINGS_MAX_CONCURRENT_STREAMS, 7)), "{settings:?}");
    assert!(settings.contains(&(SETTINGS_MAX_HEADER_LIST_SIZE, 20_000)), "{settings:?}");
    // No request: the server says goodbye (GOAWAY) and closes.
    let rest = read_until_closed(&mut stream, PATIENCE).await;
    assert!(rest.is_some(), "the idle HTTP/2 connection is still open after {PATIENCE:?}");
    server.stop().await;
}

#[tokio::test]
async fn connections_over_the_cap_wait_and_are_served_once_one_closes() {
    let server = TestServer::start_with(TestDatabase::sqlite(), |settings| {
        settings.http.max_connections = 2;
        settings.http.idle_timeout = Duration::from_secs(60);
        settings.http.header_read_timeout = Duration::from_secs(60);
    })
    .await;
    // Two keep-alive connections, each served once and then left open: the cap is reached.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = connect(&server).await;
        stream.write_all(LIVE_REQUEST).await.unwrap();
        let response = read_response(&mut stream, PATIENCE).await.expect("an answer");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        held.push(stream);
    }
    // The third connects (the kernel's backlog takes it) but is not served.
    let mut waiting = connect(&server).await;
    waiting.write_all(LIVE_REQUEST).await.unwrap();
    let early = read_response(&mut waiting, Duration::from_secs(1)).await;
    assert_eq!(early, None, "a connection over the cap was served");
    // One closes: the waiting one is taken in and served.
    drop(held.pop());
    let response = read_response(&mut waiting, PATIENCE).await.expect("served once a slot is free");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    drop(held);
    server.stop().await;
}

/// Keeps a connection open, trickling a header line every 500 ms, reconnecting when cut off,
/// until `until`.
async fn slow_client(address: String, until: Instant) {
    while Instant::now() < until {
        let Ok(mut stream) = TcpStream::connect(&address).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if stream.write_all(b"GET /health/live HTTP/1.1\r\nHost: test\r\n").await.is_err() {
            continue;
        }
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if stream.write_all(b"X-Trickle: a\r\n").await.is_err() {
                break;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_its_descriptor_limit_the_service_backs_off_logs_and_stays_live() {
    const FD_LIMIT: u32 = 128;
    const SLOW_CLIENTS: usize = 300;
    const STORM: Duration = Duration::from_secs(6);
    let db = TestDatabase::sqlite();
    // More connections allowed than descriptors: accepting fails with "too many open files".
    let service = ServiceProcess::start_with_fd_limit(
        &db,
        &[
            ("APP_HTTP__MAX_CONNECTIONS", "1000"),
            ("APP_HTTP__HEADER_READ_TIMEOUT", "1s"),
        ],
        FD_LIMIT,
    )
    .await;
    let until = Instant::now() + STORM;
    let clients: Vec<_> = (0..SLOW_CLIENTS)
        .map(|_| tokio::spawn(slow_client(service.address.clone(), until)))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A new connection for every request: each goes through the accept loop.
    let client = reqwest::Client::builder()
        .timeout(PATIENCE)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut answered = 0;
    while Instant::now() < until {
        let response = client.get(service.url("/health/live")).send().await;
        match response {
            Ok(response) if response.status() == 200 => answered += 1,
            other => panic!("/health/live did not answer during the storm: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for client in clients {
        client.await.unwrap();
    }
    let storm_seconds = STORM.as_secs() + PATIENCE.as_secs();
    let (log, _) = service.stop_cleanly(PATIENCE).await;
    assert!(answered > 0);
    let failures = log.matches("accepting a connection failed").count();
    assert!(failures >= 1, "failed accepts are logged:\n{log}");
    // Rate-limited: at most one line a second (a spinning accept loop would log thousands).
    assert!(
        failures <= usize::try_from(storm_seconds).unwrap() + 2,
        "{failures} accept failures logged:\n{log}"
    );
}
