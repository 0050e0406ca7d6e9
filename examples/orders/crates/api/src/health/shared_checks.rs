//! Readiness checks shared by the probes that arrive together. A load balancer, the kubelet and
//! a monitoring system may all ask for readiness at once; each question costing a database round
//! trip would let the probes themselves load the database, most of all when it is slow. Here
//! concurrent callers share checks, without ever getting an old answer: every caller gets the
//! outcome of a check that *started after it arrived*. A lone caller runs its own check, as
//! before; callers arriving while a check runs wait for the next one, which starts as soon as
//! the running one ends and answers all of them. However many arrive together, the database
//! sees at most one check at a time and each caller waits for at most two.

use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use tokio::sync::Notify;

use super::ReadinessProbe;

/// A [`ReadinessProbe`] whose concurrent callers share checks of `P` (see the module
/// documentation).
pub struct SharedChecks<P> {
    probe: P,
    state: Mutex<State>,
    /// Signalled whenever a check ends (finished or abandoned).
    check_ended: Notify,
}

/// Checks are numbered from 1 in the order they start; one runs at a time, so they end in
/// the same order.
#[derive(Debug, Default)]
struct State {
    /// The number of the last check started.
    started: u64,
    /// Whether check number `started` is running.
    running: bool,
    /// The number of the last check that finished, and its outcome.
    finished: u64,
    outcome: Option<Result<(), String>>,
}

impl<P> SharedChecks<P> {
    pub fn new(probe: P) -> Self {
        Self {
            probe,
            state: Mutex::new(State::default()),
            check_ended: Notify::new(),
        }
    }

    /// The state; never held across an `.await`, and nothing panics while holding it.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<P> std::fmt::Debug for SharedChecks<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedChecks")
            .field("state", &*self.state())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<P: ReadinessProbe> ReadinessProbe for SharedChecks<P> {
    async fn check(&self) -> Result<(), String> {
        // The first check to start from now on: its outcome, or a later one's, answers.
        let wanted = self.state().started + 1;
        loop {
            let check_ended = self.check_ended.notified();
            let mut check_ended = std::pin::pin!(check_ended);
            let turn = {
                let mut state = self.state();
                if state.finished >= wanted
                    && let Some(outcome) = &state.outcome
                {
                    return outcome.clone();
                }
                if state.running {
                    // Registered before the lock is released: the end of the running check
                    // cannot be missed.
                    check_ended.as_mut().enable();
                    None
                } else {
                    state.running = true;
                    state.started += 1;
                    Some(state.started)
                }
            };
            match turn {
                Some(number) => return self.run(number).await,
                None => check_ended.await,
            }
        }
    }
}

impl<P: ReadinessProbe> SharedChecks<P> {
    /// Runs check number `number` and publishes its outcome to the callers waiting for it.
    async fn run(&self, number: u64) -> Result<(), String> {
        // If this caller goes away mid-check (its client disconnected), the check is
        // abandoned and a waiting caller starts the next one.
        let mut abandoned = Abandoned { checks: Some(self) };
        let outcome = self.probe.check().await;
        abandoned.checks = None;
        {
            let mut state = self.state();
            state.running = false;
            state.finished = number;
            state.outcome = Some(outcome.clone());
        }
        self.check_ended.notify_waiters();
        outcome
    }
}

/// Ends a running check whose caller was dropped before it finished.
struct Abandoned<'a, P> {
    checks: Option<&'a SharedChecks<P>>,
}

impl<P> Drop for Abandoned<'_, P> {
    fn drop(&mut self) {
        if let Some(checks) = self.checks {
            checks.state().running = false;
            checks.check_ended.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests;
