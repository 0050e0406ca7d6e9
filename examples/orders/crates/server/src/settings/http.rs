//! The `[http]` section: where the service listens, and the limits that keep hostile or
//! broken clients from holding it: request size and time, header-read deadline, idle
//! connections, connection and HTTP/2 stream caps.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// hyper refuses a smaller HTTP/1 read buffer.
pub const MIN_HEADER_BYTES: u32 = 8 * 1024;
/// Larger headers only serve an attacker.
pub const MAX_HEADER_BYTES: u32 = 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// The address to listen on (`0.0.0.0` in containers).
    pub host: IpAddr,
    /// The port to listen on; 0 picks a free one.
    pub port: u16,
    /// Longer requests are answered with 504.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// How long in-flight requests may take to finish after a shutdown signal.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Larger request bodies are answered with 413.
    pub body_limit_bytes: usize,
    /// Request bodies held in memory at once, all requests together (at least
    /// `body_limit_bytes`); a body that does not fit is answered with 503 and `Retry-After`.
    pub body_memory_bytes: usize,
    /// Origins (`https://app.example.com`) allowed to call the API from a browser; empty
    /// allows none.
    pub cors_allowed_origins: Vec<String>,
    /// Send `Strict-Transport-Security`; turn on when clients reach the service over TLS.
    pub hsts: bool,
    /// Connections served at once; further ones wait in the listen backlog, not accepted,
    /// until one closes. Keep it under the process's file-descriptor limit (`ulimit -n`).
    pub max_connections: usize,
    /// An HTTP/1 client must send a request's complete header within this long, or the
    /// connection is closed. The deadline also runs while a keep-alive connection waits for
    /// its next request: HTTP/1 connections idle at most this long.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// A connection with no request in flight for this long is closed (HTTP/1 and HTTP/2).
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// HTTP/2 streams (requests) a client may have open at once on one connection
    /// (`SETTINGS_MAX_CONCURRENT_STREAMS`).
    pub http2_max_concurrent_streams: u32,
    /// Largest request header: the HTTP/1 read buffer (larger headers are answered with 431)
    /// and HTTP/2's `SETTINGS_MAX_HEADER_LIST_SIZE`.
    pub max_header_bytes: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(20),
            body_limit_bytes: 64 * 1024,
            body_memory_bytes: 64 * 1024 * 1024,
            cors_allowed_origins: Vec::new(),
            hsts: false,
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            http2_max_concurrent_streams: 100,
            max_header_bytes: 32 * 1024,
        }
    }
}

impl HttpSettings {
    /// Adds every problem with the connection limits to `problems`, each naming its key.
    pub fn check_connection_limits(&self, problems: &mut Vec<String>) {
        if self.body_memory_bytes < self.body_limit_bytes {
            problems.push(format!(
                "http.body_memory_bytes ({}) must be at least http.body_limit_bytes ({})",
                self.body_memory_bytes, self.body_limit_bytes
            ));
        }
        if self.max_connections == 0 {
            problems.push("http.max_connections must be at least 1".to_owned());
        }
        if self.header_read_timeout.is_zero() {
            problems.push("http.header_read_timeout must be greater than zero".to_owned());
        }
        if self.idle_timeout.is_zero() {
            problems.push("http.idle_timeout must be greater than zero".to_owned());
        }
        if self.http2_max_concurrent_streams == 0 {
            problems.push("http.http2_max_concurrent_streams must be at least 1".to_owned());
        }
        if !(MIN_HEADER_BYTES..=MAX_HEADER_BYTES).contains(&self.max_header_bytes) {
            problems.push(format!(
                "http.max_header_bytes ({}) must be between {MIN_HEADER_BYTES} and {MAX_HEADER_BYTES}",
                self.max_header_bytes
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_every_bad_limit_is_reported_by_key() {
        let mut problems = Vec::new();
        HttpSettings::default().check_connection_limits(&mut problems);
        assert_eq!(problems, Vec::<String>::new());

        let settings = HttpSettings {
            max_connections: 0,
            header_read_timeout: Duration::ZERO,
            idle_timeout: Duration::ZERO,
            http2_max_concurrent_streams: 0,
            max_header_bytes: 100,
            ..HttpSettings::default()
        };
        settings.check_connection_limits(&mut problems);
        let problems = problems.join("\n");
        for key in [
            "http.max_connections",
            "http.header_read_timeout",
            "http.idle_timeout",
            "http.http2_max_concurrent_streams",
            "http.max_header_bytes",
        ] {
            assert!(problems.contains(key), "{key} missing from: {problems}");
        }
    }
}
