// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::*;

/// A probe whose checks wait at a gate the test opens, and answer with the health the
/// dependency had when the check started.
#[derive(Debug)]
struct GatedProbe {
    started: AtomicUsize,
    healthy: AtomicBool,
    gate: Semaphore,
}

impl GatedProbe {
    fn new(gate_open: bool) -> Self {
        Self {
            started: AtomicUsize::new(0),
            healthy: AtomicBool::new(true),
            gate: Semaphore::new(if gate_open { Semaphore::MAX_PERMITS } else { 0 }),
        }
    }
}

#[async_trait]
impl ReadinessProbe for Arc<GatedProbe> {
    async fn check(&self) -> Result<(), String> {
        let healthy = self.healthy.load(Ordering::SeqCst);
        self.started.fetch_add(1, Ordering::SeqCst);
        self.gate.acquire().await.unwrap().forget();
        if healthy {
            Ok(())
        } else {
            Err("down".to_owned())
        }
    }
}

/// Lets every spawned task run until it waits (the test runtime has one thread).
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

async fn wait_for_started(probe: &GatedProbe, count: usize) {
    tokio::time::timeout(Duration::from_secs(5), async {
        while probe.started.load(Ordering::SeqCst) < count {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the check did not start");
}

#[tokio::test]
async fn a_lone_caller_runs_its_own_check_each_time() {
    let probe = Arc::new(GatedProbe::new(true));
    let checks = SharedChecks::new(Arc::clone(&probe));
    for expected in 1..=3 {
        assert_eq!(checks.check().await, Ok(()));
        assert_eq!(probe.started.load(Ordering::SeqCst), expected);
    }
    probe.healthy.store(false, Ordering::SeqCst);
    assert_eq!(checks.check().await, Err("down".to_owned()));
}

#[tokio::test]
async fn callers_arriving_during_a_check_share_the_next_one_never_an_older_answer() {
    let probe = Arc::new(GatedProbe::new(false));
    let checks = Arc::new(SharedChecks::new(Arc::clone(&probe)));
    let first = tokio::spawn({
        let checks = Arc::clone(&checks);
        async move { checks.check().await }
    });
    wait_for_started(&probe, 1).await;
    // The dependency fails after the first check started: the callers arriving now must see it.
    probe.healthy.store(false, Ordering::SeqCst);
    let later: Vec<_> = (0..20)
        .map(|_| {
            let checks = Arc::clone(&checks);
            tokio::spawn(async move { checks.check().await })
        })
        .collect();
    settle().await;
    assert_eq!(
        probe.started.load(Ordering::SeqCst),
        1,
        "one check at a time"
    );

    probe.gate.add_permits(1);
    assert_eq!(first.await.unwrap(), Ok(()));
    wait_for_started(&probe, 2).await;
    probe.gate.add_permits(1);
    for caller in later {
        assert_eq!(caller.await.unwrap(), Err("down".to_owned()));
    }
    assert_eq!(
        probe.started.load(Ordering::SeqCst),
        2,
        "twenty-one callers, two checks"
    );
}

#[tokio::test]
async fn a_check_abandoned_by_its_caller_is_taken_over_by_a_waiting_one() {
    let probe = Arc::new(GatedProbe::new(false));
    let checks = Arc::new(SharedChecks::new(Arc::clone(&probe)));
    let first = tokio::spawn({
        let checks = Arc::clone(&checks);
        async move { checks.check().await }
    });
    wait_for_started(&probe, 1).await;
    let waiting = tokio::spawn({
        let checks = Arc::clone(&checks);
        async move { checks.check().await }
    });
    settle().await;
    // The first caller's client goes away: its check is dropped mid-way.
    first.abort();
    wait_for_started(&probe, 2).await;
    probe.gate.add_permits(1);
    let answer = tokio::time::timeout(Duration::from_secs(5), waiting).await;
    assert_eq!(
        answer.expect("the waiting caller was stranded").unwrap(),
        Ok(())
    );
}
