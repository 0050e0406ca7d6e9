//! The HTTP gateway adapter. One charge is `POST <url>` with a JSON body
//! (`order_id`, `amount_minor`, `currency`) and an `Idempotency-Key` header; the gateway
//! answers 2xx (accepted), 402 or 422 (declined, with an optional JSON `reason`), or fails.
//!
//! Every attempt has a timeout and goes through the circuit breaker. Timeouts, broken
//! connections and 502/503/504 are retried with exponential backoff and jitter, always with
//! the same idempotency key, so an attempt whose answer was lost is never charged twice. A
//! decline, any other 4xx and an open breaker are never retried. Redirects are never followed
//! (a 3xx is a failure), and at most 8 KiB of a decline's body is read.

use std::time::Duration;

use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use domain::DomainError;
use domain::order::{Charge, ChargeOutcome, PaymentGateway};
use reqwest::{StatusCode, Url};

use crate::GatewayError;
use crate::breaker::{Breaker, BreakerOptions};

/// Longest decline reason passed on to clients, in characters.
const MAX_REASON_CHARS: usize = 200;
/// Most of a decline's body that is read; the rest never is, however much the gateway sends.
const MAX_DECLINE_BODY_BYTES: usize = 8 * 1024;

/// How to reach the gateway and how hard to try.
#[derive(Debug, Clone)]
pub struct HttpGatewayOptions {
    /// The charge endpoint, e.g. `https://payments.internal/v1/charges`.
    pub url: String,
    /// Limit for one attempt, from connecting to reading the whole answer.
    pub timeout: Duration,
    /// Attempts after the first, for failures that are safe to retry.
    pub max_retries: u32,
    /// Wait before the first retry; it doubles for each further one, plus random jitter.
    pub backoff_min: Duration,
    /// Longest wait between two attempts (before jitter).
    pub backoff_max: Duration,
    pub breaker: BreakerOptions,
}

/// A [`PaymentGateway`] over HTTP.
#[derive(Debug, Clone)]
pub struct HttpGateway {
    client: reqwest::Client,
    url: Url,
    timeout: Duration,
    backoff: ExponentialBuilder,
    breaker: Breaker,
}

impl HttpGateway {
    pub fn new(options: &HttpGatewayOptions) -> Result<Self, GatewayError> {
        let url = Url::parse(&options.url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
            .ok_or_else(|| {
                GatewayError::Config(format!("`{}` is not an http(s) URL", options.url))
            })?;
        let client = reqwest::Client::builder()
            .connect_timeout(options.timeout)
            .timeout(options.timeout)
            // A redirect is answered as a failure, never followed: following a 307 would
            // send the charge, body and key, to wherever the gateway (or someone between)
            // points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| GatewayError::Config(err.to_string()))?;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(options.backoff_min)
            .with_max_delay(options.backoff_max)
            .with_max_times(options.max_retries as usize)
            .with_jitter();
        Ok(Self {
            client,
            url,
            timeout: options.timeout,
            backoff,
            breaker: Breaker::new(options.breaker),
        })
    }

    /// One attempt through the breaker.
    async fn attempt(&self, charge: &Charge) -> Result<ChargeOutcome, GatewayError> {
        self.breaker.call(self.send(charge)).await
    }

    /// One request, and what its answer means.
    async fn send(&self, charge: &Charge) -> Result<ChargeOutcome, GatewayError> {
        let body = serde_json::json!({
            "order_id": charge.order_id.to_string(),
            "amount_minor": charge.amount.amount_minor(),
            "currency": charge.amount.currency().as_str(),
        });
        let response = self
            .client
            .post(self.url.clone())
            .header("Idempotency-Key", charge.idempotency_key.as_str())
            .json(&body)
            .send()
            .await
            .map_err(|err| GatewayError::from_request(&err, self.timeout))?;
        let status = response.status();
        match status.as_u16() {
            200..=299 => Ok(ChargeOutcome::Accepted),
            402 | 422 => {
                let body = read_at_most(response, MAX_DECLINE_BODY_BYTES)
                    .await
                    .map_err(|err| GatewayError::from_request(&err, self.timeout))?;
                Ok(ChargeOutcome::Declined {
                    reason: decline_reason(&String::from_utf8_lossy(&body)),
                })
            }
            300..=399 => Err(GatewayError::Unexpected(format!(
                "status {status}: the gateway redirects, and a charge is never re-sent elsewhere"
            ))),
            502..=504 => Err(GatewayError::Overloaded(status.as_u16())),
            _ if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS => {
                Err(GatewayError::Failing(status.as_u16()))
            }
            _ => Err(GatewayError::Unexpected(format!("status {status}"))),
        }
    }
}

#[async_trait]
impl PaymentGateway for HttpGateway {
    #[tracing::instrument(
        name = "charge",
        skip_all,
        fields(order_id = %charge.order_id, idempotency_key = charge.idempotency_key.as_str())
    )]
    async fn charge(&self, charge: &Charge) -> Result<ChargeOutcome, DomainError> {
        (|| self.attempt(charge))
            .retry(self.backoff)
            .when(GatewayError::is_retryable)
            .notify(|err, delay| {
                tracing::warn!(error = %err, retry_in = ?delay, "payment attempt failed, retrying");
            })
            .await
            .map_err(|err| err.into_domain(self.breaker.open_for()))
    }
}

/// The first `limit` bytes of the body (all of it when shorter); the rest is left unread.
async fn read_at_most(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while body.len() < limit {
        let Some(chunk) = response.chunk().await? else { break };
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(body)
}

/// The gateway's `reason` (JSON) or its plain-text body, bounded; a generic text otherwise.
fn decline_reason(body: &str) -> String {
    let reason = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|json| {
            json.get("reason")
                .and_then(|reason| reason.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| body.to_owned());
    let reason: String = reason
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_REASON_CHARS)
        .collect();
    if reason.is_empty() {
        "the payment gateway declined the charge".to_owned()
    } else {
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decline_reasons_come_from_json_or_text_and_are_bounded() {
        assert_eq!(
            decline_reason(r#"{"reason":"insufficient funds"}"#),
            "insufficient funds"
        );
        assert_eq!(decline_reason(" card blocked\n"), "card blocked");
        assert_eq!(
            decline_reason(""),
            "the payment gateway declined the charge"
        );
        assert_eq!(
            decline_reason(&"x".repeat(1000)).chars().count(),
            MAX_REASON_CHARS
        );
    }

    #[test]
    fn only_http_urls_are_accepted() {
        let options = |url: &str| HttpGatewayOptions {
            url: url.to_owned(),
            timeout: Duration::from_secs(1),
            max_retries: 0,
            backoff_min: Duration::from_millis(10),
            backoff_max: Duration::from_millis(10),
            breaker: BreakerOptions {
                failure_threshold: 1,
                cool_down: Duration::from_secs(1),
            },
        };
        assert!(HttpGateway::new(&options("https://payments.example.com/charges")).is_ok());
        for bad in ["", "payments.example.com", "ftp://x/charges", "http://"] {
            let err = HttpGateway::new(&options(bad)).unwrap_err();
            assert!(matches!(err, GatewayError::Config(_)), "{bad}: {err}");
        }
    }
}
