//! A database outage and its end, without restarting the service: while PostgreSQL is cut
//! off, requests that need it answer 503 problem+json within a few seconds and readiness
//! fails; once it is back, the service recovers by itself.
//!
//! PostgreSQL only (`TEST_DATABASE_URL`): the outage is a TCP proxy between the service and
//! the database that drops every connection and refuses new ones.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use server::settings::DatabaseUrl;
use support::{TestDatabase, TestServer, problem};
{%- if example and auth %}
use support::token;
{%- endif %}
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A 503 must come well before a client gives up (the pool's default acquire timeout is 2 s).
const FAST_FAILURE: Duration = Duration::from_secs(3);
const RECOVERY_LIMIT: Duration = Duration::from_secs(15);

/// A TCP proxy on 127.0.0.1 that can cut (drop every connection, refuse new ones) and
/// restore its upstream.
struct Proxy {
    address: SocketAddr,
    upstream: String,
    accepting: Option<JoinHandle<()>>,
    /// Bumped on every cut; each forwarded connection ends when it changes.
    cuts: watch::Sender<u64>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut proxy = Self {
            address: listener.local_addr().unwrap(),
            upstream,
            accepting: None,
            cuts: watch::channel(0).0,
        };
        proxy.accept_on(listener);
        proxy
    }

    fn accept_on(&mut self, listener: TcpListener) {
        let upstream = self.upstream.clone();
        let cuts = self.cuts.subscribe();
        self.accepting = Some(tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let mut cut = cuts.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        }));
    }

    /// Closes the listening socket (connecting is refused) and drops every connection.
    async fn cut(&mut self) {
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
            accepting.await.ok();
        }
        self.cuts.send_modify(|cuts| *cuts += 1);
    }

    /// Listens again on the same address.
    async fn restore(&mut self) {
        let listener = TcpListener::bind(self.address).await.unwrap();
        self.accept_on(listener);
    }
}

/// A `postgres://[user@]host[:port]/db` URL cut around its `host[:port]`.
fn split_host(url: &str) -> (String, String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let (user, host) = match authority.rsplit_once('@') {
        Some((user, host)) => (format!("{user}@"), host),
        None => (String::new(), authority),
    };
    let host = if host.contains(':') { host.to_owned() } else { format!("{host}:5432") };
    (format!("{scheme}://{user}"), host, format!("/{path}"))
}

/// A request that needs the database.
fn needs_the_database(server: &TestServer) -> reqwest::RequestBuilder {
{%- if example %}
    server
        .client
        .get(server.url("/api/v1/orders"))
{%- if auth %}
        .bearer_auth(token(&["orders:read"]))
{%- endif %}
{%- else %}
    server.client.get(server.url("/health/ready"))
{%- endif %}
}

async fn ready_status(server: &TestServer) -> u16 {
    let response = server.client.get(server.url("/health/ready")).send().await.unwrap();
    response.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_answers_503_while_the_database_is_away_and_recovers_by_itself() {
    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    let (before, upstream, after) = split_host(&db.url);
    let database_name = after.trim_start_matches('/').split('?').next().unwrap_or_default();
    let mut proxy = Proxy::start(upstream).await;
    let proxied_url = format!("{before}{}{after}", proxy.address);
    let server = TestServer::start_with(db, |settings| settings.database.url = DatabaseUrl::new(proxied_url)).await;
    assert_eq!(needs_the_database(&server).send().await.unwrap().status(), 200);
    assert_eq!(ready_status(&server).await, 200);

    proxy.cut().await;
    let started = Instant::now();
    let response = needs_the_database(&server).send().await.unwrap();
    let failed_after = started.elapsed();
    let body = problem(response, 503).await;
    assert!(
        failed_after < FAST_FAILURE,
        "503 after {failed_after:?}, expected under {FAST_FAILURE:?}"
    );
    // Exact strings, not a bare port number: a random request id may well contain "5432".
    let connection_details = [
        proxy.upstream.clone(),
        proxy.address.to_string(),
        database_name.to_owned(),
        "postgres://".to_owned(),
    ];
    for detail in &connection_details {
        assert!(!body.to_string().contains(detail.as_str()), "{detail} leaks: {body}");
    }
    assert_eq!(ready_status(&server).await, 503);

    proxy.restore().await;
    let restored = Instant::now();
    while ready_status(&server).await != 200 {
        assert!(restored.elapsed() < RECOVERY_LIMIT, "not ready {RECOVERY_LIMIT:?} after the database came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered_after = restored.elapsed();
    assert_eq!(needs_the_database(&server).send().await.unwrap().status(), 200);
    eprintln!("503 after {failed_after:?}; ready again {recovered_after:?} after the database came back");
    server.stop().await;
}
