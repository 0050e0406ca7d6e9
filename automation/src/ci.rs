//! `cargo xtask ci`: the step runner. The project lists its steps ([`Step`]); every step runs
//! even when an earlier one fails, a summary table closes the run and the result is an error
//! if any step failed. `--skip` and `--only` select steps by name.

use std::time::{Duration, Instant};

use anyhow::bail;

use crate::service::TESTED_PACKAGES;
use crate::{Project, cargo};

/// A CI step: its name (for `--skip`/`--only` and the table) and what it runs.
pub type Step = (&'static str, fn(&Project) -> anyhow::Result<()>);

/// What `cargo xtask ci` takes besides `--skip` and `--only`.
#[derive(Debug, Default, clap::Args)]
pub struct Options {
    /// A copy of the RustSec advisory database for the security scan (also `ADVISORY_DB`),
    /// read offline.
    #[arg(long, value_name = "DIR")]
    pub advisory_db: Option<std::path::PathBuf>,
}

/// A step that could not run (a tool is missing): reported as `skipped (<reason>)`, never
/// `ok`. Under `CI=true` it fails the run unless `--skip` named the step.
#[derive(Debug)]
pub struct Skipped(pub String);

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Skipped {}

/// How a step ended.
enum Outcome {
    Passed,
    Failed,
    /// Did not run: not selected (`None`) or a tool is missing (`Some(reason)`).
    Skipped(Option<String>),
}

/// Runs `steps` in order (those `only` names, all when it is empty, minus those `skip`
/// names), each even when an earlier one failed, then prints the summary table. An error
/// when a step failed, or when a step name is unknown.
///
/// ```no_run
/// use service_automation::{Project, ci, lint};
///
/// const STEPS: &[ci::Step] = &[("fmt", |p| lint::fmt(&p.root)), ("test", ci::test)];
/// let project = Project::new(".", false);
/// ci::run(&project, STEPS, &["test".to_owned()], &[])?;
/// # Ok::<(), anyhow::Error>(())
/// ```
pub fn run(
    project: &Project,
    steps: &[Step],
    skip: &[String],
    only: &[String],
) -> anyhow::Result<()> {
    for name in skip.iter().chain(only) {
        if !steps.iter().any(|(step, _)| step == name) {
            let known: Vec<_> = steps.iter().map(|(step, _)| *step).collect();
            bail!("unknown step `{name}`; the steps are {}", known.join(", "));
        }
    }
    let in_ci = std::env::var("CI").is_ok_and(|value| value == "true");
    let mut results: Vec<(&str, Duration, Outcome)> = Vec::new();
    for (name, step) in steps {
        let selected =
            (only.is_empty() || only.iter().any(|o| o == name)) && !skip.iter().any(|s| s == name);
        if !selected {
            results.push((name, Duration::ZERO, Outcome::Skipped(None)));
            continue;
        }
        println!("\n==> {name}");
        let started = Instant::now();
        let outcome = match step(project) {
            Ok(()) => Outcome::Passed,
            Err(err) => match err.downcast::<Skipped>() {
                Ok(Skipped(reason)) if in_ci => {
                    eprintln!(
                        "==> {name} failed: it could not run under CI=true ({reason}); install the tool or pass --skip {name}"
                    );
                    Outcome::Failed
                }
                Ok(Skipped(reason)) => {
                    eprintln!("==> {name} skipped: {reason}");
                    Outcome::Skipped(Some(reason))
                }
                Err(err) => {
                    eprintln!("==> {name} failed: {err:#}");
                    Outcome::Failed
                }
            },
        };
        results.push((name, started.elapsed(), outcome));
    }
    println!("\n{:<14} {:>9}  result", "step", "time");
    for (name, elapsed, outcome) in &results {
        let result = match outcome {
            Outcome::Passed => "ok".to_owned(),
            Outcome::Failed => "FAILED".to_owned(),
            Outcome::Skipped(None) => "skipped (not selected)".to_owned(),
            Outcome::Skipped(Some(reason)) => format!("skipped ({reason})"),
        };
        println!("{name:<14} {:>8.1}s  {result}", elapsed.as_secs_f64());
    }
    let failed = results
        .iter()
        .filter(|(_, _, outcome)| matches!(outcome, Outcome::Failed))
        .count();
    if failed > 0 {
        bail!("{failed} step(s) failed");
    }
    println!("all steps passed");
    Ok(())
}

/// The `test` step: the tests of every package but `xtask` ([`TESTED_PACKAGES`]), with
/// cargo-nextest when it is installed, else `cargo test`.
pub fn test(project: &Project) -> anyhow::Result<()> {
    let root = &project.root;
    if std::env::var_os("TEST_DATABASE_URL").is_none() {
        println!(
            "note: TEST_DATABASE_URL is not set, so the PostgreSQL half of the suite is skipped"
        );
    }
    let has_nextest = crate::cargo_command()
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if has_nextest {
        // The crates carry no doctests; add `cargo test --doc` here if yours do (nextest
        // does not run them).
        cargo(
            root,
            &[&["nextest", "run"], TESTED_PACKAGES, &["--no-fail-fast"]].concat(),
        )
    } else {
        cargo(
            root,
            &[&["test"], TESTED_PACKAGES, &["--no-fail-fast"]].concat(),
        )
    }
}
