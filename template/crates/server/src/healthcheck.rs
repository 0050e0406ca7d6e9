//! The `healthcheck` command: asks the running service on this host whether it is ready, for
//! container runtimes whose image has no shell or curl (distroless). It sends
//! `GET http://127.0.0.1:<port>/health/ready` with a short timeout and succeeds only on `200`,
//! so the process exits 0 when the service is ready and 1 otherwise.

use std::time::Duration;

use anyhow::{Context, bail};

use crate::settings::Settings;

/// The endpoint asked: readiness, so a service that lost its database reports unhealthy.
pub const READY_PATH: &str = "/health/ready";

/// Checks the service listening on `port`, or on the configured `http.port` when `None`.
pub async fn run(port: Option<u16>, timeout: Duration) -> anyhow::Result<()> {
    let port = match port {
        Some(port) => port,
        None => Settings::load()?.settings.http.port,
    };
    check_ready(port, timeout).await?;
    println!("ready");
    Ok(())
}

/// `GET http://127.0.0.1:{port}/health/ready`: `Ok` on `200` within `timeout`, an error
/// naming the URL and what went wrong otherwise.
pub async fn check_ready(port: u16, timeout: Duration) -> anyhow::Result<()> {
    let url = format!("http://127.0.0.1:{port}{READY_PATH}");
    // No proxy: an HTTP_PROXY set for the service's own calls must not capture loopback.
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()
        .context("cannot build the HTTP client")?;
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("no answer from {url} (timeout {timeout:?})"))?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        bail!("{url} answered {status}");
    }
    Ok(())
}

#[cfg(test)]
// Test code: a panic is how a failed expectation reports itself.
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Instant;

    use super::*;

    /// A one-connection HTTP peer on 127.0.0.1: reads the request, then writes `answer`
    /// (nothing at all when `None`, holding the connection open for two seconds).
    fn peer(answer: Option<&'static str>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0_u8; 1024];
            let read = stream.read(&mut request).unwrap();
            let request = String::from_utf8_lossy(&request[..read]).into_owned();
            assert!(
                request.starts_with("GET /health/ready HTTP/1.1"),
                "{request}"
            );
            match answer {
                Some(answer) => stream.write_all(answer.as_bytes()).unwrap(),
                None => std::thread::sleep(Duration::from_secs(2)),
            }
        });
        port
    }

    const TIMEOUT: Duration = Duration::from_millis(500);

    #[tokio::test]
    async fn ready_when_the_service_answers_200() {
        let port = peer(Some(
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
        ));
        check_ready(port, TIMEOUT).await.unwrap();
    }

    #[tokio::test]
    async fn not_ready_when_the_service_answers_503() {
        let port = peer(Some(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        ));
        let err = check_ready(port, TIMEOUT).await.unwrap_err().to_string();
        assert!(err.contains("503") && err.contains(READY_PATH), "{err}");
    }

    #[tokio::test]
    async fn not_ready_when_nothing_listens() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = check_ready(port, TIMEOUT).await.unwrap_err().to_string();
        assert!(err.contains("no answer"), "{err}");
    }

    #[tokio::test]
    async fn gives_up_after_the_timeout() {
        let port = peer(None);
        let started = Instant::now();
        let err = check_ready(port, TIMEOUT).await.unwrap_err().to_string();
        assert!(err.contains("no answer"), "{err}");
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "{:?}",
            started.elapsed()
        );
    }
}
