//! What can go wrong when talking to the payment gateway, which failures are worth another
//! attempt or count against the gateway's health, and what each one tells the domain.

use std::time::Duration;

use domain::DomainError;
use thiserror::Error;

/// A failed call to the payment gateway. A declined payment is not an error: it is an answer
/// (`ChargeOutcome::Declined`).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum GatewayError {
    /// No complete answer within the timeout.
    #[error("the payment gateway did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection failed or broke; the request may or may not have arrived.
    #[error("cannot reach the payment gateway: {0}")]
    Transport(String),
    /// 502, 503 or 504: the gateway, or a proxy in front of it, is restarting or overloaded.
    #[error("the payment gateway answered {0}")]
    Overloaded(u16),
    /// Another 5xx, or 429: the gateway is failing; not retried here.
    #[error("the payment gateway failed with status {0}")]
    Failing(u16),
    /// The circuit breaker is open: calls are refused without trying, for this long still.
    #[error("the payment gateway is failing: calls are suspended for {0:?}")]
    CircuitOpen(Duration),
    /// An answer this adapter does not understand (a 4xx other than a decline): a bug or a
    /// misconfiguration on this side, not an outage.
    #[error("unexpected answer from the payment gateway: {0}")]
    Unexpected(String),
    /// The adapter's options are unusable (a malformed URL).
    #[error("invalid payment gateway configuration: {0}")]
    Config(String),
}

impl GatewayError {
    /// Failures after which the same request (with the same idempotency key) may succeed and
    /// cannot charge twice: timeouts, broken connections, 502/503/504.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_) | Self::Transport(_) | Self::Overloaded(_)
        )
    }

    /// Failures that say the gateway is unhealthy: they count towards opening the breaker.
    pub fn counts_against_the_gateway(&self) -> bool {
        self.is_retryable() || matches!(self, Self::Failing(_))
    }

    /// Classifies a failed request. `timeout` is the per-attempt limit, for the message.
    pub(crate) fn from_request(err: &reqwest::Error, timeout: Duration) -> Self {
        if err.is_timeout() {
            Self::Timeout(timeout)
        } else if err.is_builder() {
            Self::Config(err.to_string())
        } else {
            // Connect, send and body-read failures: the charge may or may not have been made,
            // which the idempotency key makes safe to find out by trying again.
            Self::Transport(root_cause(err))
        }
    }

    /// The port boundary. `retry_after` is how long the breaker stays open, if it is.
    pub(crate) fn into_domain(self, retry_after: Option<Duration>) -> DomainError {
        match self {
            Self::CircuitOpen(wait) => DomainError::Unavailable {
                detail: "the payment gateway is unavailable".to_owned(),
                retry_after: Some(wait),
            },
            Self::Timeout(_) | Self::Transport(_) | Self::Overloaded(_) | Self::Failing(_) => {
                tracing::warn!(error = %self, "payment gateway unavailable");
                DomainError::Unavailable {
                    detail: "the payment gateway is unavailable".to_owned(),
                    retry_after,
                }
            }
            Self::Unexpected(_) | Self::Config(_) => DomainError::Internal(self.to_string()),
        }
    }
}

/// The innermost cause: reqwest's own message is only "error sending request".
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_outages_are_retried_and_counted_against_the_gateway() {
        let second = Duration::from_secs(1);
        let outages = [
            GatewayError::Timeout(second),
            GatewayError::Transport("connection refused".into()),
            GatewayError::Overloaded(503),
        ];
        for err in outages {
            assert!(
                err.is_retryable() && err.counts_against_the_gateway(),
                "{err}"
            );
        }
        let failing = GatewayError::Failing(500);
        assert!(!failing.is_retryable() && failing.counts_against_the_gateway());
        for err in [
            GatewayError::CircuitOpen(second),
            GatewayError::Unexpected("400".into()),
            GatewayError::Config("url".into()),
        ] {
            assert!(
                !err.is_retryable() && !err.counts_against_the_gateway(),
                "{err}"
            );
        }
    }

    #[test]
    fn outages_are_unavailable_and_our_own_mistakes_are_internal() {
        let wait = Some(Duration::from_secs(7));
        let open = GatewayError::CircuitOpen(Duration::from_secs(3)).into_domain(None);
        assert!(
            matches!(open, DomainError::Unavailable { retry_after: Some(d), .. } if d.as_secs() == 3)
        );
        let down = GatewayError::Overloaded(503).into_domain(wait);
        assert!(
            matches!(down, DomainError::Unavailable { retry_after, .. } if retry_after == wait)
        );
        let ours = GatewayError::Unexpected("status 401".into()).into_domain(wait);
        assert!(matches!(ours, DomainError::Internal(_)));
    }
}
