//! The CI guard: the service's `/health/live` against the bare poem handler in the same run,
//! failing only on a gross regression.
//!
//! Three short rounds (1 s warm-up, 2 s measured, `wrk -t1 -c32`) alternate the two; each round
//! gives one ratio of requests per second (service / ceiling), taken within the round so that a
//! machine slowed by other work slows both sides. The guard fails only when the *best* round is
//! below [`THRESHOLD`]: a regression is there in every round, a noisy moment in one.
//!
//! Both are debug builds (the dev profile, as CI builds the renderings): in CI the service is the
//! first rendering (the default answers, the same code as `examples/orders`) in the renderings'
//! shared target directory, which `render-ci` has already built, so the guard costs a rebuild of
//! that rendering's own crates and the small `bare-poem`, not a release build of the whole tree (about 11 of CI's 46 minutes
//! before). A gross regression (a blocking call, a lock, a flush per request) shows in a debug
//! build as in release; the finer comparison, in release, is `cargo xtask compare`.
//!
//! The threshold was calibrated on 21 runs of `cargo xtask compare --guard` on the 2-core CI
//! machine, debug builds, lowest best round 0.200 (docs/benchmarks.md, "The CI guard").

use std::path::Path;

use anyhow::{Context, Result, ensure};

use super::app::BuildProfile;
use super::contenders::{BARE_POEM, SERVICE, ServiceBuild, contenders};
use super::{Plan, measure, wrk};

/// The lowest acceptable best-round ratio of the service's liveness req/s to the ceiling's.
pub const THRESHOLD: f64 = 0.10;

/// Runs the guard on the service built from `service` (a project directory and where its
/// release build lives).
pub fn guard(root: &Path, service: &ServiceBuild) -> Result<()> {
    let plan = Plan {
        contenders: contenders(root, service, None)
            .into_iter()
            .filter(|c| c.name == SERVICE || c.name == BARE_POEM)
            .collect(),
        scenarios: vec!["static"],
        rounds: 3,
        wrk: wrk::Settings {
            threads: 1,
            connections: 32,
            seconds: 2,
            warm_up_seconds: 1,
        },
        report_name: "guard",
        build: BuildProfile::Dev,
    };
    let outcome = measure(root, &plan)?;
    let ratio = outcome
        .ratios
        .iter()
        .find(|r| r.numerator == SERVICE && r.denominator == BARE_POEM && r.scenario == "static")
        .context("the guard measured no service / bare-poem ratio")?;
    let verdict = verdict(ratio.per_second.max, THRESHOLD);
    println!(
        "guard: service / bare-poem on /health/live: best round {:.3}, median {:.3}, worst {:.3}; threshold {THRESHOLD}",
        ratio.per_second.max, ratio.per_second.median, ratio.per_second.min
    );
    verdict
}

fn verdict(best: f64, threshold: f64) -> Result<()> {
    ensure!(
        best >= threshold,
        "gross regression: the service's /health/live serves {best:.3}× the bare poem handler's \
         requests per second in its best round, below the guard's {threshold} \
         (docs/benchmarks.md, \"The CI guard\"); profile before merging"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_only_below_the_threshold() {
        assert!(verdict(0.4, 0.15).is_ok());
        assert!(verdict(0.15, 0.15).is_ok());
        let err = verdict(0.1, 0.15).unwrap_err().to_string();
        assert!(
            err.contains("0.100×") && err.contains("gross regression"),
            "{err}"
        );
    }
}
