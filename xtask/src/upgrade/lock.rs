//! `Cargo.lock` is not merged line by line: a team that never touched it gets the template's
//! new one; a team that changed it (added or updated a dependency) keeps its own, and cargo,
//! offline, adds what the new `Cargo.toml` requirements need (as `cargo metadata` does:
//! the smallest change to the lock, nothing from the network).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use super::merge::{FileData, Outcome, Row, write_file};

const LOCK: &str = "Cargo.lock";

/// What to do with the lock, decided before anything is written.
#[derive(Debug)]
pub enum LockPlan {
    /// The template has no lock (or it did not change, and the team's stays as it is).
    Keep { note: String },
    /// The team's lock is the old rendering's: take the new one.
    Take(FileData),
    /// The team changed it: keep it, let cargo re-resolve after the manifests are merged.
    Resolve,
}

pub fn plan(old: &Path, new: &Path, project: &Path) -> Result<LockPlan> {
    let (base, theirs, team) = (read_lock(old)?, read_lock(new)?, read_lock(project)?);
    Ok(match (base, theirs, team) {
        (_, None, _) => LockPlan::Keep {
            note: "the template has no Cargo.lock".to_owned(),
        },
        (Some(b), Some(n), _) if b == n => LockPlan::Keep {
            note: String::new(),
        },
        (_, Some(n), None) => LockPlan::Take(n),
        (Some(b), Some(n), Some(t)) if t == b => LockPlan::Take(n),
        (_, Some(n), Some(t)) if t == n => LockPlan::Keep {
            note: String::new(),
        },
        (_, Some(_), Some(_)) => LockPlan::Resolve,
    })
}

fn read_lock(dir: &Path) -> Result<Option<FileData>> {
    let path = dir.join(LOCK);
    if !path.is_file() {
        return Ok(None);
    }
    let bytes = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Some(FileData {
        bytes,
        executable: false,
    }))
}

impl LockPlan {
    /// Carries the plan out (unless `dry_run`) and says what happened to the lock.
    pub fn finish(self, project: &Path, dry_run: bool, manifest_conflicts: bool) -> Result<Row> {
        let row = |outcome, note: &str| Row {
            path: LOCK.to_owned(),
            outcome,
            note: note.to_owned(),
        };
        match self {
            LockPlan::Keep { note } => Ok(row(Outcome::Unchanged, &note)),
            LockPlan::Take(file) => {
                let existed = project.join(LOCK).is_file();
                if !dry_run {
                    write_file(&project.join(LOCK), &file)?;
                }
                Ok(if existed {
                    row(Outcome::Updated, "")
                } else {
                    row(Outcome::Added, "")
                })
            }
            LockPlan::Resolve if dry_run => Ok(row(
                Outcome::Merged,
                "the team's, to be re-resolved offline by cargo",
            )),
            LockPlan::Resolve if manifest_conflicts => Ok(row(
                Outcome::Conflict,
                "the team's kept; after resolving Cargo.toml run `cargo update --workspace --offline`",
            )),
            LockPlan::Resolve => {
                let before = fs::read(project.join(LOCK)).context("reading Cargo.lock")?;
                let resolved = resolve_offline(project)?;
                let after = fs::read(project.join(LOCK)).context("reading Cargo.lock")?;
                Ok(match resolved {
                    Err(why) => row(
                        Outcome::Conflict,
                        &format!(
                            "the team's kept; cargo could not resolve it offline ({why}): run `cargo update --workspace`"
                        ),
                    ),
                    Ok(()) if before == after => {
                        row(Outcome::Unchanged, "the team's; cargo needed no change")
                    }
                    Ok(()) => row(
                        Outcome::Merged,
                        "the team's, re-resolved offline by cargo for the new requirements",
                    ),
                })
            }
        }
    }
}

/// `cargo metadata --offline` in `project`: writes the lock for the manifests with the fewest
/// changes. `Err(reason)` when cargo cannot (a crate not in the local registry cache).
fn resolve_offline(project: &Path) -> Result<std::result::Result<(), String>> {
    let output = Command::new("cargo")
        .args(["metadata", "--offline", "--format-version", "1"])
        .current_dir(project)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .context("starting cargo metadata")?;
    if output.status.success() {
        return Ok(Ok(()));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr
        .lines()
        .find(|l| l.starts_with("error"))
        .unwrap_or("cargo metadata failed");
    Ok(Err(first.to_owned()))
}
