//! The circuit breaker in front of the gateway, on the `failsafe` crate: after
//! `failure_threshold` consecutive failures it opens and refuses calls at once for
//! `cool_down`; then it is half-open and lets calls through: the first success closes it, the
//! first failure opens it for another cool-down. Only failures that say the gateway is
//! unhealthy count ([`GatewayError::counts_against_the_gateway`]); a declined payment is an
//! answer, and a success.
//!
//! failsafe does not say how long an open breaker stays open, so [`Transitions`] notes when it
//! opened: a refused call can then tell clients when to come back (`Retry-After`).

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use failsafe::failure_policy::{self, ConsecutiveFailures};
use failsafe::futures::CircuitBreaker as _;
use failsafe::{Instrument, StateMachine, backoff};

use crate::GatewayError;

/// When the breaker opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerOptions {
    /// Consecutive failed attempts that open the breaker (at least 1).
    pub failure_threshold: u32,
    /// How long an open breaker refuses calls before letting one through.
    pub cool_down: Duration,
}

type Policy = ConsecutiveFailures<backoff::Constant>;

/// A circuit breaker shared by every call of one gateway.
#[derive(Clone)]
pub(crate) struct Breaker {
    machine: StateMachine<Policy, Transitions>,
    transitions: Transitions,
    cool_down: Duration,
}

impl std::fmt::Debug for Breaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breaker")
            .field("state", &self.machine)
            .field("cool_down", &self.cool_down)
            .finish()
    }
}

impl Breaker {
    pub(crate) fn new(options: BreakerOptions) -> Self {
        let policy = failure_policy::consecutive_failures(
            options.failure_threshold.max(1),
            backoff::constant(options.cool_down),
        );
        let transitions = Transitions::default();
        Self {
            machine: StateMachine::new(policy, transitions.clone()),
            transitions,
            cool_down: options.cool_down,
        }
    }

    /// Runs `attempt` unless the breaker is open (`CircuitOpen`, without running it), and
    /// records how it went.
    pub(crate) async fn call<T>(
        &self,
        attempt: impl Future<Output = Result<T, GatewayError>>,
    ) -> Result<T, GatewayError> {
        let counts = |err: &GatewayError| err.counts_against_the_gateway();
        match self.machine.call_with(counts, attempt).await {
            Ok(value) => Ok(value),
            Err(failsafe::Error::Inner(err)) => Err(err),
            Err(failsafe::Error::Rejected) => Err(GatewayError::CircuitOpen(
                self.open_for().unwrap_or(self.cool_down),
            )),
        }
    }

    /// How much longer the breaker refuses calls, if it is open.
    pub(crate) fn open_for(&self) -> Option<Duration> {
        let opened_at = *self
            .transitions
            .opened_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        opened_at
            .map(|at| self.cool_down.saturating_sub(at.elapsed()))
            .filter(|left| !left.is_zero())
    }
}

/// Notes when the breaker opened, and logs every change of state.
#[derive(Debug, Clone, Default)]
struct Transitions {
    opened_at: Arc<Mutex<Option<Instant>>>,
}

impl Instrument for Transitions {
    fn on_call_rejected(&self) {
        tracing::debug!("payment gateway circuit breaker open: call refused");
    }

    fn on_open(&self) {
        *self
            .opened_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        tracing::warn!("payment gateway circuit breaker opened: calls are suspended");
    }

    fn on_half_open(&self) {
        tracing::info!("payment gateway circuit breaker half-open: probing the gateway");
    }

    fn on_closed(&self) {
        // Also called once at construction, when nothing was open.
        if self
            .opened_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .is_some()
        {
            tracing::info!("payment gateway circuit breaker closed: the gateway answers again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COOL_DOWN: Duration = Duration::from_millis(60);

    fn breaker(failure_threshold: u32) -> Breaker {
        Breaker::new(BreakerOptions {
            failure_threshold,
            cool_down: COOL_DOWN,
        })
    }

    async fn fail(breaker: &Breaker, err: GatewayError) -> GatewayError {
        breaker.call(async { Err::<(), _>(err) }).await.unwrap_err()
    }

    async fn succeed(breaker: &Breaker) -> Result<(), GatewayError> {
        breaker.call(async { Ok(()) }).await
    }

    #[tokio::test]
    async fn opens_after_the_threshold_of_consecutive_failures_only() {
        let breaker = breaker(3);
        fail(&breaker, GatewayError::Overloaded(503)).await;
        fail(&breaker, GatewayError::Overloaded(503)).await;
        succeed(&breaker).await.unwrap();
        fail(&breaker, GatewayError::Overloaded(503)).await;
        fail(&breaker, GatewayError::Timeout(COOL_DOWN)).await;
        assert_eq!(
            breaker.open_for(),
            None,
            "a success in between resets the count"
        );
        fail(&breaker, GatewayError::Failing(500)).await;
        let open_for = breaker.open_for().expect("open after three in a row");
        assert!(open_for <= COOL_DOWN);

        let ran = std::sync::atomic::AtomicBool::new(false);
        let refused = breaker
            .call(async {
                ran.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            })
            .await;
        assert!(matches!(refused, Err(GatewayError::CircuitOpen(left)) if left <= COOL_DOWN));
        assert!(!ran.into_inner(), "an open breaker does not run the call");
    }

    #[tokio::test]
    async fn errors_that_are_not_outages_do_not_count() {
        let breaker = breaker(1);
        let err = fail(&breaker, GatewayError::Unexpected("status 400".into())).await;
        assert!(matches!(err, GatewayError::Unexpected(_)));
        assert_eq!(breaker.open_for(), None);
        succeed(&breaker).await.unwrap();
    }

    #[tokio::test]
    async fn half_opens_after_the_cool_down_then_closes_or_opens_again() {
        let breaker = breaker(1);
        fail(&breaker, GatewayError::Overloaded(503)).await;
        assert!(matches!(
            succeed(&breaker).await,
            Err(GatewayError::CircuitOpen(_))
        ));

        tokio::time::sleep(COOL_DOWN + Duration::from_millis(5)).await;
        fail(&breaker, GatewayError::Overloaded(503)).await;
        assert!(
            breaker.open_for().is_some(),
            "a failed probe opens it again"
        );
        assert!(matches!(
            succeed(&breaker).await,
            Err(GatewayError::CircuitOpen(_))
        ));

        tokio::time::sleep(COOL_DOWN + Duration::from_millis(5)).await;
        succeed(&breaker).await.unwrap();
        assert_eq!(breaker.open_for(), None, "a successful probe closes it");
        fail(&breaker, GatewayError::Overloaded(503)).await;
        assert!(
            breaker.open_for().is_some(),
            "closed again: the threshold applies afresh"
        );
    }
}
