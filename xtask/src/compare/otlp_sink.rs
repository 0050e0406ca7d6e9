//! A loopback OTLP/HTTP receiver for the `service-otlp` contender: it accepts `POST /v1/traces`,
//! `/v1/metrics` and `/v1/logs`, reads the body, answers `200` with an empty protobuf message
//! (a valid, empty `Export…ServiceResponse`) and counts what came, so that the report can show
//! that export really happened. It stands in for a collector that keeps up; nothing is decoded.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use anyhow::{Result, anyhow};

/// What the sink received, per signal.
#[derive(Debug, Default)]
pub struct Received {
    pub traces: Counter,
    pub metrics: Counter,
    pub logs: Counter,
    /// Requests to any other path or with another method (answered 404).
    pub other: AtomicU64,
}

#[derive(Debug, Default)]
pub struct Counter {
    pub requests: AtomicU64,
    pub bytes: AtomicU64,
}

impl Counter {
    fn add(&self, bytes: u64) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn summary(&self) -> (u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        )
    }
}

/// The running sink; it serves until the process exits (the harness is short-lived).
#[derive(Debug)]
pub struct Sink {
    /// `http://127.0.0.1:<port>`: what `OTEL_EXPORTER_OTLP_ENDPOINT` is set to.
    pub base_url: String,
    pub received: Arc<Received>,
}

/// Starts the sink on a free loopback port, served by a thread of its own.
pub fn start() -> Result<Sink> {
    let server = tiny_http::Server::http("127.0.0.1:0")
        .map_err(|e| anyhow!("starting the OTLP sink: {e}"))?;
    let port = server
        .server_addr()
        .to_ip()
        .map(|address| address.port())
        .ok_or_else(|| anyhow!("the OTLP sink has no IP address"))?;
    let received = Arc::new(Received::default());
    let counts = Arc::clone(&received);
    thread::Builder::new()
        .name("otlp-sink".to_owned())
        .spawn(move || {
            for mut request in server.incoming_requests() {
                let mut body = Vec::new();
                let read = request.as_reader().read_to_end(&mut body).is_ok();
                let counter = match (request.method(), request.url()) {
                    (tiny_http::Method::Post, "/v1/traces") => Some(&counts.traces),
                    (tiny_http::Method::Post, "/v1/metrics") => Some(&counts.metrics),
                    (tiny_http::Method::Post, "/v1/logs") => Some(&counts.logs),
                    _ => None,
                };
                let status = match counter {
                    Some(counter) if read => {
                        counter.add(body.len() as u64);
                        200
                    }
                    Some(_) => 400,
                    None => {
                        counts.other.fetch_add(1, Ordering::Relaxed);
                        404
                    }
                };
                let mut response = tiny_http::Response::empty(status);
                if let Ok(header) =
                    tiny_http::Header::from_bytes("content-type", "application/x-protobuf")
                {
                    response.add_header(header);
                }
                // The exporter may have given up waiting; nothing to do about it here.
                request.respond(response).ok();
            }
        })?;
    Ok(Sink {
        base_url: format!("http://127.0.0.1:{port}"),
        received,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_three_signals_and_counts_them() {
        let sink = start().unwrap();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let post = |path: &str, body: &[u8]| {
            agent
                .post(format!("{}{path}", sink.base_url))
                .header("content-type", "application/x-protobuf")
                .send(body)
                .unwrap()
                .status()
                .as_u16()
        };
        assert_eq!(post("/v1/traces", b"abc"), 200);
        assert_eq!(post("/v1/traces", b"de"), 200);
        assert_eq!(post("/v1/metrics", b"x"), 200);
        assert_eq!(post("/v1/logs", b""), 200);
        assert_eq!(post("/v1/other", b"x"), 404);
        let got = agent
            .get(format!("{}/v1/traces", sink.base_url))
            .call()
            .unwrap();
        assert_eq!(got.status().as_u16(), 404, "only POST is an export");
        assert_eq!(sink.received.traces.summary(), (2, 5));
        assert_eq!(sink.received.metrics.summary(), (1, 1));
        assert_eq!(sink.received.logs.summary(), (1, 0));
        assert_eq!(sink.received.other.load(Ordering::Relaxed), 2);
    }
}
