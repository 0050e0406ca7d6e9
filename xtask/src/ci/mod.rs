//! `cargo xtask ci`: everything CI checks, step by step, with a summary table at the end.
//!
//! Every step runs even when an earlier one failed; the command fails if any step did.

use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::upgrade::scenario;
use crate::{answers, automation, check, compare, docs_check, render};

mod generated_resources;
mod report;

use generated_resources::{generate_resources, generates_resources};
use report::{Outcome, Report};

/// The steps of `cargo xtask ci`, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Step {
    /// `cargo fmt --all --check` on this workspace.
    Fmt,
    /// `cargo clippy --workspace --all-targets -- -D warnings` on this workspace.
    Clippy,
    /// `cargo test --workspace` on this workspace (the xtask's own tests, the upgrade's merge
    /// rules on small template repositories among them).
    Test,
    /// Check that every command in the docs' ```sh blocks names a real command and path.
    Docs,
    /// Render every combination of the template's bool options into `target/renders/`.
    Render,
    /// Look for leftover `{{`, `{%`, `}}` in the renderings.
    Syntax,
    /// Run each rendering's own `cargo xtask ci`.
    RenderCi,
    /// Check that `examples/orders` is what the template renders with default answers.
    Examples,
    /// `cargo xtask upgrade` on fresh renderings: a service rendered at an older commit, with
    /// team edits, upgraded to HEAD (see `upgrade/scenario.rs`); into `target/upgrade/`.
    Upgrade,
    /// Run the upgraded service's own `cargo xtask ci` (conflict resolved), from the `upgrade`
    /// step's `target/upgrade/`; it shares `target/renders-target` with `render-ci`.
    UpgradeCi,
    /// The comparison's guard (`cargo xtask compare --guard`): the service's `/health/live`
    /// against the bare poem handler, 3 short alternating rounds, failing only on a gross
    /// regression. It measures the debug builds CI already has (the first rendering's, in the
    /// renderings' shared target directory).
    Compare,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Skip these steps (repeatable).
    #[arg(long, value_enum, value_name = "STEP")]
    skip: Vec<Step>,
    /// Run only these steps (repeatable). Without `render`, the later steps use the renderings
    /// already in target/renders/.
    #[arg(long, value_enum, value_name = "STEP", conflicts_with = "skip")]
    only: Vec<Step>,
}

impl Args {
    fn runs(&self, step: Step) -> bool {
        (self.only.is_empty() || self.only.contains(&step)) && !self.skip.contains(&step)
    }
}

/// The project name every CI rendering uses (the same as `examples/`).
const RENDER_NAME: &str = "orders";

/// Why a rendering is not there for the steps after `render`.
#[derive(Debug, Clone, Copy)]
enum Unusable {
    RenderFailed,
    NotRendered,
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RenderFailed => "rendering failed",
            Self::NotRendered => "not rendered (run the `render` step)",
        })
    }
}

/// Runs `cargo <args>` in `dir`, streaming its output; fails on a non-zero exit.
fn cargo(dir: &Path, args: &[&str], envs: &[(&str, &OsStr)]) -> Result<()> {
    println!("$ cargo {}    (in {})", args.join(" "), dir.display());
    let mut cmd = Command::new("cargo");
    cmd.args(args).current_dir(dir);
    for (key, value) in envs {
        cmd.env(key, value);
    }
    let status = cmd
        .status()
        .with_context(|| format!("starting `cargo {}`", args.join(" ")))?;
    ensure!(
        status.success(),
        "`cargo {}` failed: {status}",
        args.join(" ")
    );
    Ok(())
}

/// How the renderings' debug builds are made, here and by the compare guard, which reuses
/// their artifacts (the same settings, or cargo rebuilds every dependency). Several renderings
/// share one target directory: without incremental caches and full debug info it stays a few
/// gigabytes, which a CI disk holds. Line tables keep backtraces readable.
pub const RENDERING_BUILD_ENVS: [(&str, &str); 2] = [
    ("CARGO_INCREMENTAL", "0"),
    ("CARGO_PROFILE_DEV_DEBUG", "line-tables-only"),
];

/// The environment every rendering's `cargo xtask ci` runs in.
fn rendering_envs(render_target: &Path) -> [(&'static str, &OsStr); 3] {
    let [(incremental, off), (debug, line_tables)] = RENDERING_BUILD_ENVS;
    [
        ("CARGO_TARGET_DIR", render_target.as_os_str()),
        (incremental, OsStr::new(off)),
        (debug, OsStr::new(line_tables)),
    ]
}

/// Sets the modification time of every file under `dir` to now.
///
/// All renderings share one target directory and their crates have the same names and
/// versions, so they compile to the same artifact paths. Cargo decides freshness by comparing
/// source and artifact times: a rendering written before the previous rendering was built
/// would look up to date and silently reuse the other rendering's crates (and its xtask,
/// which runs in the other directory). Touching the sources first makes cargo rebuild the
/// rendering's own crates while registry dependencies stay shared.
fn mark_modified_now(dir: &Path) -> Result<()> {
    let now = std::time::SystemTime::now();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.with_context(|| format!("walking {}", dir.display()))?;
        if entry.file_type().is_file() {
            fs::File::options()
                .write(true)
                .open(entry.path())
                .and_then(|file| file.set_modified(now))
                .with_context(|| format!("touching {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// The service the compare guard measures: the first rendering (all options on, the default
/// answers: the code of `examples/orders`), its debug build in the renderings' shared target
/// directory, which `render-ci` has built; without renderings, `examples/orders`.
fn guard_service(
    rendered: &[(String, PathBuf)],
    render_target: &Path,
    root: &Path,
) -> compare::ServiceBuild {
    match rendered.first() {
        Some((_, dir)) if dir.join("Cargo.toml").is_file() => compare::ServiceBuild {
            dir: dir.clone(),
            target_dir: Some(render_target.to_path_buf()),
        },
        _ => compare::ServiceBuild::example(root),
    }
}

/// Runs the CI steps for the repository at `root`.
pub fn run(root: &Path, args: &Args) -> Result<()> {
    let mut report = Report::default();
    let renders = root.join("target/renders");
    let render_target = root.join("target/renders-target");

    if args.runs(Step::Fmt) {
        report.step("fmt", || cargo(root, &["fmt", "--all", "--check"], &[]));
    }
    if args.runs(Step::Clippy) {
        report.step("clippy", || {
            cargo(
                root,
                &[
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
                &[],
            )
        });
    }

    if args.runs(Step::Test) {
        report.step("test", || cargo(root, &["test", "--workspace"], &[]));
    }

    if args.runs(Step::Docs) {
        report.step("docs", || docs_check::run(root));
    }

    let wants_renders = [Step::Render, Step::Syntax, Step::RenderCi, Step::Compare]
        .iter()
        .any(|s| args.runs(*s));
    let mut combos = Vec::new();
    if wants_renders {
        report.step("read template options", || {
            let placeholders = answers::placeholders(root)?;
            combos = answers::bool_combos(&placeholders)
                .into_iter()
                .map(|combo| {
                    let answers = answers::resolve_answers(&placeholders, &combo.defines)?;
                    Ok((combo.name, answers))
                })
                .collect::<Result<Vec<_>>>()?;
            for (name, answers) in &combos {
                println!("{name}: {}", answers::describe(answers));
            }
            Ok(())
        });
    }

    // Renderings that the later steps cannot use, and why.
    let mut unusable: Vec<(PathBuf, Unusable)> = Vec::new();
    if args.runs(Step::Render) && !combos.is_empty() {
        // Fresh each run; a failure here shows up as failed renderings.
        if renders.exists()
            && let Err(e) = fs::remove_dir_all(&renders)
        {
            eprintln!("error: removing {}: {e}", renders.display());
        }
        for (name, answers) in &combos {
            let dir = renders.join(name);
            if !report.step(&format!("render {name}"), || {
                render::render(root, RENDER_NAME, answers, &dir)?;
                automation::patch_automation_to(root, &dir)?;
                println!("rendered into {}", dir.display());
                Ok(())
            }) {
                unusable.push((dir, Unusable::RenderFailed));
            }
        }
    } else {
        for (name, _) in &combos {
            let dir = renders.join(name);
            if !dir.is_dir() {
                unusable.push((dir, Unusable::NotRendered));
            }
        }
    }
    let unusable = |dir: &Path| unusable.iter().find(|(d, _)| d == dir).map(|(_, why)| *why);
    let rendered: Vec<(String, PathBuf)> = combos
        .iter()
        .map(|(name, _)| (name.clone(), renders.join(name)))
        .collect();

    if args.runs(Step::Syntax) && !rendered.is_empty() {
        report.step("template syntax", || {
            let mut leftovers = Vec::new();
            for (name, dir) in &rendered {
                if let Some(why) = unusable(dir) {
                    bail!("{name}: {why}");
                }
                let found = check::leftover_syntax(dir)?;
                leftovers.extend(found.iter().map(|l| format!("{name}/{l}")));
            }
            for line in &leftovers {
                println!("leftover template syntax: {line}");
            }
            ensure!(
                leftovers.is_empty(),
                "{} line(s) with leftover template syntax",
                leftovers.len()
            );
            println!(
                "no leftover template syntax in {} rendering(s)",
                rendered.len()
            );
            Ok(())
        });
    }

    if args.runs(Step::RenderCi) {
        for (index, (name, dir)) in rendered.iter().enumerate() {
            let step = format!("ci of {name}");
            match unusable(dir) {
                // Already counted as a failure of its render step.
                Some(why @ Unusable::RenderFailed) => report.skip(&step, &why.to_string()),
                Some(why @ Unusable::NotRendered) => {
                    report.step(&step, || bail!("{}: {why}", dir.display()));
                }
                None => {
                    report.step(&step, || {
                        mark_modified_now(dir)?;
                        if generates_resources(name) {
                            generate_resources(dir, &rendering_envs(&render_target))?;
                        }
                        // The load test's smoke run (on the debug build): once, on the first
                        // rendering (all options on), is enough to prove it works.
                        let args: &[&str] = if index == 0 {
                            &["xtask", "ci"]
                        } else {
                            &["xtask", "ci", "--skip", "load-test"]
                        };
                        cargo(dir, args, &rendering_envs(&render_target))
                    });
                }
            }
        }
    }

    if args.runs(Step::Examples) {
        report.step("examples drift", || crate::examples(root, true));
    }

    let upgrade_work = root.join("target/upgrade");
    // Whether this run's `upgrade` step left an upgraded service (None: the step did not run,
    // and `upgrade-ci` uses the one a previous run left, if any).
    let mut upgraded = None;
    if args.runs(Step::Upgrade) {
        let mut skipped = None;
        let passed = report.step("upgrade", || {
            if let scenario::Ran::Skipped(why) = scenario::run(root, &upgrade_work)? {
                skipped = Some(why);
            }
            Ok(())
        });
        if let Some(why) = &skipped {
            report.rows.pop();
            report.skip("upgrade", why);
        }
        upgraded = Some(passed && skipped.is_none());
    }
    if args.runs(Step::UpgradeCi) {
        let service = scenario::upgraded_service(&upgrade_work);
        if upgraded != Some(false) && service.is_dir() {
            report.step("ci of the upgraded service", || {
                mark_modified_now(&service)?;
                // Against the automation crate of this commit, like the renderings.
                if !fs::read_to_string(service.join(".cargo/config.toml"))
                    .unwrap_or_default()
                    .contains("[patch.")
                {
                    automation::patch_automation_to(root, &service)?;
                }
                cargo(
                    &service,
                    &["xtask", "ci", "--skip", "load-test"],
                    &rendering_envs(&render_target),
                )
            });
        } else {
            report.skip(
                "ci of the upgraded service",
                "no upgraded service: the `upgrade` step did not pass",
            );
        }
    }

    if args.runs(Step::Compare) {
        report.step("compare guard (service / bare poem liveness)", || {
            let service = guard_service(&rendered, &render_target, root);
            if service.target_dir.is_some() {
                // Later renderings were built into the shared target directory since: make
                // cargo rebuild this one's own crates (see `mark_modified_now`).
                mark_modified_now(&service.dir)?;
            }
            compare::guard(root, &service)
        });
    }

    report.print();
    let failed = report.failures();
    // A plain closing line that CI systems read.
    let passed = report
        .rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Pass))
        .count();
    println!("steps: {passed} passed, {failed} failed");
    ensure!(!report.rows.is_empty(), "no step selected");
    if failed > 0 {
        bail!("{failed} of {} step(s) failed", report.rows.len());
    }
    println!("\nall {} step(s) passed", report.rows.len());
    Ok(())
}
