//! The HTTP server: poem's endpoint served through hyper directly, because poem's own
//! `Server` cannot be told to cut slow or idle clients off, to cap connections, or to back
//! off when accepting fails.
//!
//! - At most `http.max_connections` connections are served at once. At the cap the server
//!   stops accepting: new connections wait in the kernel's listen backlog until one closes.
//! - An HTTP/1 request header must arrive within `http.header_read_timeout` (hyper's deadline,
//!   which needs its timer); the deadline also bounds an idle keep-alive connection.
//! - A connection with no request in flight for `http.idle_timeout` is closed gracefully
//!   (HTTP/1 and HTTP/2), and dropped if it has not closed another `idle_timeout` later.
//! - HTTP/2 advertises `http.http2_max_concurrent_streams` and `http.max_header_bytes`.
//! - Accept errors (out of file descriptors, ...) are logged at most once a second, with the
//!   count of those not logged, and retried after a growing pause: never a busy loop.
//! - Shutdown: stop accepting, close the listener, let connections finish their requests
//!   within `http.shutdown_grace`, then drop what is left.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use poem::Endpoint;
use poem::endpoint::BoxEndpoint;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::settings::HttpSettings;

/// The first pause after a failed accept; it doubles with each further failure in a row.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
/// The longest pause between two accepts that fail.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// A repeating warning is logged at most this often.
const WARNING_INTERVAL: Duration = Duration::from_secs(1);

/// The connection limits, from the `[http]` settings.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub http2_max_concurrent_streams: u32,
    pub max_header_bytes: u32,
}

impl From<&HttpSettings> for ConnectionLimits {
    fn from(http: &HttpSettings) -> Self {
        Self {
            max_connections: http.max_connections,
            header_read_timeout: http.header_read_timeout,
            idle_timeout: http.idle_timeout,
            http2_max_concurrent_streams: http.http2_max_concurrent_streams,
            max_header_bytes: http.max_header_bytes,
        }
    }
}

/// Serves `endpoint` on `listener` until `shutdown` completes, then shuts down gracefully,
/// waiting at most `grace` for open connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    endpoint: BoxEndpoint<'static>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
    grace: Duration,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let endpoint = Arc::new(endpoint);
    let limits = Arc::new(limits);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let stopping = CancellationToken::new();
    let mut connections = JoinSet::new();
    let mut accept_failures = AcceptFailures::default();
    let mut at_cap = RateLimited::default();
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        if permits.available_permits() == 0 && at_cap.ready() {
            tracing::warn!(
                max_connections = limits.max_connections,
                not_logged_since_last = at_cap.take_held_back(),
                "http.max_connections reached: new connections wait until one closes"
            );
        }
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &permits) => accepted,
        };
        match accepted {
            Ok((stream, remote, permit)) => {
                accept_failures.succeeded();
                if let Err(err) = stream.set_nodelay(true) {
                    tracing::debug!(error = %err, "cannot set TCP_NODELAY");
                }
                let connection = Connection {
                    local,
                    remote,
                    endpoint: endpoint.clone(),
                    limits: limits.clone(),
                    stopping: stopping.clone(),
                };
                connections.spawn(connection.serve(stream, permit));
            }
            Err(err) => {
                let pause = accept_failures.failed(&err);
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    }
    // New connections are refused from here on; open ones finish their requests.
    drop(listener);
    stopping.cancel();
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "connections still busy after http.shutdown_grace: closing them"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Waits for a free connection slot, then for a connection.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> std::io::Result<(TcpStream, SocketAddr, OwnedSemaphorePermit)> {
    let permit = permits
        .clone()
        .acquire_owned()
        .await
        .map_err(std::io::Error::other)?;
    let (stream, remote) = listener.accept().await?;
    Ok((stream, remote, permit))
}

/// Lets a repeating warning through at most once per [`WARNING_INTERVAL`], counting the
/// ones held back.
#[derive(Debug, Default)]
struct RateLimited {
    last: Option<Instant>,
    held_back: u64,
}

impl RateLimited {
    /// Whether to log now; otherwise the occurrence is counted.
    fn ready(&mut self) -> bool {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < WARNING_INTERVAL)
        {
            self.held_back += 1;
            return false;
        }
        self.last = Some(now);
        true
    }

    /// How many were held back since the last one logged; resets the count.
    fn take_held_back(&mut self) -> u64 {
        std::mem::take(&mut self.held_back)
    }
}

/// Failed accepts in a row: the pause before the next try, and the rate-limited log.
#[derive(Debug, Default)]
struct AcceptFailures {
    pause: Option<Duration>,
    log: RateLimited,
}

impl AcceptFailures {
    fn succeeded(&mut self) {
        self.pause = None;
    }

    /// Logs (rate-limited) and returns how long to wait before accepting again.
    fn failed(&mut self, err: &std::io::Error) -> Duration {
        let pause = self.pause.map_or(ACCEPT_BACKOFF_MIN, |pause| {
            pause.saturating_mul(2).min(ACCEPT_BACKOFF_MAX)
        });
        self.pause = Some(pause);
        if self.log.ready() {
            tracing::error!(
                error = %err,
                retry_in = ?pause,
                not_logged_since_last = self.log.take_held_back(),
                "accepting a connection failed (out of file descriptors? see http.max_connections)"
            );
        }
        pause
    }
}

/// One accepted connection and what serving it needs.
struct Connection {
    local: SocketAddr,
    remote: SocketAddr,
    endpoint: Arc<BoxEndpoint<'static>>,
    limits: Arc<ConnectionLimits>,
    stopping: CancellationToken,
}

impl Connection {
    /// Serves requests until the client leaves, the connection idles out, or the server
    /// stops; `_permit` frees the connection's slot when this returns.
    async fn serve(self, stream: TcpStream, _permit: OwnedSemaphorePermit) {
        let Self {
            local,
            remote,
            endpoint,
            limits,
            stopping,
        } = self;
        let activity = Arc::new(Activity::new());
        // Each request's future holds the endpoint. Cloning the one `Arc` that every
        // connection shares would be an atomic operation on a counter that both worker
        // threads keep taking from each other's cache, twice per request; a handle of the
        // connection's own is counted where the connection is served (`docs/profiles.md`,
        // stop 28).
        let endpoint = Arc::new(endpoint);
        let service = hyper::service::service_fn({
            let activity = activity.clone();
            move |request: hyper::Request<Incoming>| {
                let endpoint = endpoint.clone();
                let activity = activity.clone();
                async move {
                    let _in_flight = activity.begin();
                    let request = poem::Request::from((
                        request,
                        LocalAddr(local.into()),
                        RemoteAddr(remote.into()),
                        Scheme::HTTP,
                    ));
                    Ok::<hyper::Response<_>, Infallible>(
                        endpoint.get_response(request).await.into(),
                    )
                }
            }
        });
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_buf_size(usize::try_from(limits.max_header_bytes).unwrap_or(usize::MAX));
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(limits.http2_max_concurrent_streams)
            .max_header_list_size(limits.max_header_bytes);
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        tokio::pin!(connection);
        let idle_out = tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(error = %err, %remote, "connection ended with an error");
                }
                return;
            }
            () = stopping.cancelled() => false,
            () = activity.idle_for(limits.idle_timeout) => true,
        };
        // Finish the requests in flight, take no new ones, then close.
        connection.as_mut().graceful_shutdown();
        if idle_out {
            tracing::debug!(%remote, "closing an idle connection (http.idle_timeout)");
            if tokio::time::timeout(limits.idle_timeout, connection)
                .await
                .is_err()
            {
                tracing::debug!(%remote, "an idle connection did not close in time: dropped");
            }
        } else {
            // Bounded by `http.shutdown_grace`: the server drops what is left after it.
            connection.await.ok();
        }
    }
}

/// Requests in flight on one connection, and when the last one started or ended.
#[derive(Debug)]
struct Activity {
    state: Mutex<(usize, Instant)>,
}

/// A request in flight; ends it when dropped (answered, or abandoned by the client).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.update(|in_flight| in_flight.saturating_sub(1));
    }
}

impl Activity {
    fn new() -> Self {
        Self {
            state: Mutex::new((0, Instant::now())),
        }
    }

    fn update(&self, change: impl FnOnce(usize) -> usize) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        *state = (change(state.0), Instant::now());
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.update(|in_flight| in_flight + 1);
        InFlight(self.clone())
    }

    /// Completes once no request has been in flight for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let (in_flight, since) = *self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            if in_flight == 0 && now.duration_since(since) >= limit {
                return;
            }
            // Busy: look again in `limit`; idle: when the limit runs out.
            let wake = if in_flight == 0 {
                since + limit
            } else {
                now + limit
            };
            tokio::time::sleep_until(wake).await;
        }
    }
}
