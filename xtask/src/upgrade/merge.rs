//! The three-way merge, file by file: the old rendering is the base, the new rendering is
//! "theirs", the service's working tree is "ours". [`plan`] decides every file's outcome and
//! its new content without touching anything; [`apply`] writes the plan.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::git;
use crate::provenance::ANSWERS_FILE;

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The template did not change it, or the service already has the new version.
    Unchanged,
    /// The team had not changed it: the template's new version replaces it.
    Updated,
    /// Both changed it, in different places: merged.
    Merged,
    /// Both changed the same lines (markers in the file), or a change the merge cannot decide.
    Conflict,
    /// New in the template.
    Added,
    /// The template removed it and the team had not changed it.
    Removed,
    /// The team deleted a file the template still has: it stays deleted.
    KeptTeamDeletion,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unchanged => "unchanged",
            Self::Updated => "updated",
            Self::Merged => "merged",
            Self::Conflict => "conflict",
            Self::Added => "added",
            Self::Removed => "removed",
            Self::KeptTeamDeletion => "kept-team-deletion",
        })
    }
}

/// One line of the upgrade's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The path in the template's renderings (relative).
    pub path: String,
    pub outcome: Outcome,
    /// What the table adds in words (where a renamed file went, why a conflict).
    pub note: String,
}

/// A change to the service's working tree.
#[derive(Debug, Clone)]
pub enum Change {
    Write { path: String, file: FileData },
    Remove { path: String },
}

/// A file's content and executable bit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileData {
    pub bytes: Vec<u8>,
    pub executable: bool,
}

/// The merge decided for every file, not yet applied.
#[derive(Debug, Default)]
pub struct Plan {
    pub rows: Vec<Row>,
    pub changes: Vec<Change>,
}

/// The labels of the three sides in conflict markers.
#[derive(Debug, Clone)]
pub struct Labels {
    pub team: String,
    pub base: String,
    pub template: String,
}

/// Every file of `dir` (`.git` left out), relative, with its content.
pub fn read_tree(dir: &Path) -> Result<BTreeMap<String, FileData>> {
    let mut files = BTreeMap::new();
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !(e.file_type().is_dir() && e.file_name() == ".git"));
    for entry in walk {
        let entry = entry.with_context(|| format!("walking {}", dir.display()))?;
        if entry.file_type().is_file() {
            let relative = entry.path().strip_prefix(dir)?;
            let key = relative.to_string_lossy().replace('\\', "/");
            files.insert(key, read_file(entry.path())?);
        }
    }
    Ok(files)
}

fn read_file(path: &Path) -> Result<FileData> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mode = fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .permissions()
        .mode();
    Ok(FileData {
        bytes,
        executable: mode & 0o111 != 0,
    })
}

/// The service's version of `path`, if it has that file.
fn team_file(project: &Path, path: &str) -> Result<Option<FileData>> {
    let full = project.join(path);
    if full.is_file() {
        read_file(&full).map(Some)
    } else {
        Ok(None)
    }
}

fn is_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8000).any(|b| *b == 0) || std::str::from_utf8(bytes).is_err()
}

/// Decides every file: `old` and `new` are the two renderings, `project` the service.
/// `Cargo.lock` and the answers file are left to the caller (see `super::run`).
pub fn plan(old: &Path, new: &Path, project: &Path, labels: &Labels) -> Result<Plan> {
    let old_files = read_tree(old)?;
    let new_files = read_tree(new)?;
    let paths: BTreeSet<&String> = old_files.keys().chain(new_files.keys()).collect();
    let mut renames = RenameFinder::new(project, &paths)?;
    let mut plan = Plan::default();
    for path in paths {
        if path == ANSWERS_FILE || path == "Cargo.lock" {
            continue;
        }
        let team = team_file(project, path)?;
        let (base, theirs) = (old_files.get(path), new_files.get(path));
        decide(&mut plan, path, base, theirs, team, labels, &mut renames)?;
    }
    Ok(plan)
}

fn row(plan: &mut Plan, path: &str, outcome: Outcome, note: impl Into<String>) {
    plan.rows.push(Row {
        path: path.to_owned(),
        outcome,
        note: note.into(),
    });
}

fn decide(
    plan: &mut Plan,
    path: &str,
    base: Option<&FileData>,
    theirs: Option<&FileData>,
    team: Option<FileData>,
    labels: &Labels,
    renames: &mut RenameFinder,
) -> Result<()> {
    match (base, theirs, team) {
        (Some(b), Some(n), team) if b == n => {
            let note = match team {
                None => "deleted by the team; the template did not change it",
                Some(t) if &t != b => "the team's change kept; the template did not change it",
                Some(_) => "",
            };
            row(plan, path, Outcome::Unchanged, note);
        }
        (Some(b), Some(n), None) => match renames.find(&b.bytes)? {
            Some(renamed) => {
                let team = read_file(&renames.project.join(&renamed))?;
                let note = format!("renamed by the team to {renamed}");
                merge_into(plan, path, &renamed, b, n, &team, labels, &note)?;
            }
            None => row(
                plan,
                path,
                Outcome::KeptTeamDeletion,
                "deleted by the team; the template changed it: compare with the new rendering",
            ),
        },
        (Some(b), Some(n), Some(t)) => merge_into(plan, path, path, b, n, &t, labels, "")?,
        (Some(_), None, None) => row(plan, path, Outcome::Unchanged, "removed by both"),
        (Some(b), None, Some(t)) if &t == b => {
            plan.changes.push(Change::Remove {
                path: path.to_owned(),
            });
            row(plan, path, Outcome::Removed, "");
        }
        (Some(_), None, Some(_)) => row(
            plan,
            path,
            Outcome::Conflict,
            "the template removed it, the team changed it: kept; delete it or keep it",
        ),
        (None, Some(n), None) => {
            plan.changes.push(Change::Write {
                path: path.to_owned(),
                file: n.clone(),
            });
            row(plan, path, Outcome::Added, "");
        }
        (None, Some(n), Some(t)) if &t == n => row(plan, path, Outcome::Unchanged, ""),
        (None, Some(n), Some(t)) => {
            let empty = FileData {
                bytes: Vec::new(),
                executable: t.executable,
            };
            let note = "added by the template and by the team";
            merge_into(plan, path, path, &empty, n, &t, labels, note)?;
        }
        (None, None, _) => {}
    }
    Ok(())
}

/// Three-way merge of one file (content and executable bit) into `target` in the service.
#[allow(clippy::too_many_arguments)]
fn merge_into(
    plan: &mut Plan,
    path: &str,
    target: &str,
    base: &FileData,
    theirs: &FileData,
    team: &FileData,
    labels: &Labels,
    note: &str,
) -> Result<()> {
    // The executable bit: the template's new one, unless the team changed it.
    let executable = if team.executable == base.executable {
        theirs.executable
    } else {
        team.executable
    };
    let (bytes, conflicts) = if team.bytes == base.bytes || team.bytes == theirs.bytes {
        (theirs.bytes.clone(), 0)
    } else if theirs.bytes == base.bytes {
        (team.bytes.clone(), 0)
    } else if [&team.bytes, &base.bytes, &theirs.bytes]
        .iter()
        .any(|b| is_binary(b))
    {
        // A binary file both changed: keep the team's, put the template's beside it.
        let beside = format!("{target}.template-new");
        plan.changes.push(Change::Write {
            path: beside.clone(),
            file: theirs.clone(),
        });
        let note = format!("binary, changed by both: kept the team's; the template's is {beside}");
        row(plan, path, Outcome::Conflict, note);
        return Ok(());
    } else {
        let merged = git::merge_file(
            &team.bytes,
            &base.bytes,
            &theirs.bytes,
            [&labels.team, &labels.base, &labels.template],
        )?;
        (merged.bytes, merged.conflicts)
    };
    let result = FileData { bytes, executable };
    let outcome = if conflicts > 0 {
        Outcome::Conflict
    } else if &result == team {
        Outcome::Unchanged
    } else if team == base {
        Outcome::Updated
    } else {
        Outcome::Merged
    };
    if &result != team {
        plan.changes.push(Change::Write {
            path: target.to_owned(),
            file: result,
        });
    }
    let mut note = note.to_owned();
    if conflicts > 0 {
        let marked = format!("{conflicts} conflict(s) marked in the file");
        note = if note.is_empty() {
            marked
        } else {
            format!("{note}; {marked}")
        };
    }
    row(plan, path, outcome, note);
    Ok(())
}

/// Finds where the team moved a file: among the service's tracked files that neither
/// rendering has, the one most like the old rendering's version (at least half its lines).
struct RenameFinder {
    project: PathBuf,
    candidates: Option<Vec<(String, Vec<u8>)>>,
    excluded: BTreeSet<String>,
}

impl RenameFinder {
    fn new(project: &Path, rendered: &BTreeSet<&String>) -> Result<Self> {
        Ok(Self {
            project: project.to_path_buf(),
            candidates: None,
            excluded: rendered.iter().map(|p| (*p).clone()).collect(),
        })
    }

    fn find(&mut self, base: &[u8]) -> Result<Option<String>> {
        if self.candidates.is_none() {
            let mut candidates = Vec::new();
            for path in git::tracked_files(&self.project)? {
                let full = self.project.join(&path);
                if !self.excluded.contains(&path) && full.is_file() {
                    let bytes = fs::read(&full).with_context(|| format!("reading {path}"))?;
                    candidates.push((path, bytes));
                }
            }
            self.candidates = Some(candidates);
        }
        let best = self
            .candidates
            .iter()
            .flatten()
            .map(|(path, bytes)| (similarity(base, bytes), path))
            .filter(|(score, _)| *score >= 0.5)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        Ok(best.map(|(_, path)| path.clone()))
    }
}

/// The share of lines two files have in common (0.0 to 1.0), as a multiset of lines.
fn similarity(a: &[u8], b: &[u8]) -> f64 {
    let (left, right) = (line_counts(a), line_counts(b));
    let total: usize = left.values().sum::<usize>() + right.values().sum::<usize>();
    if total == 0 {
        return if a == b { 1.0 } else { 0.0 };
    }
    let common: usize = left
        .iter()
        .map(|(line, n)| (*n).min(right.get(line).copied().unwrap_or(0)))
        .sum();
    #[allow(clippy::cast_precision_loss)]
    let share = (2 * common) as f64 / total as f64;
    share
}

fn line_counts(bytes: &[u8]) -> BTreeMap<&[u8], usize> {
    let mut lines: BTreeMap<&[u8], usize> = BTreeMap::new();
    for line in bytes.split(|c| *c == b'\n').filter(|l| !l.is_empty()) {
        *lines.entry(line).or_default() += 1;
    }
    lines
}

/// Writes the plan's changes into `project`.
pub fn apply(project: &Path, changes: &[Change]) -> Result<()> {
    for change in changes {
        match change {
            Change::Write { path, file } => write_file(&project.join(path), file)?,
            Change::Remove { path } => {
                let full = project.join(path);
                fs::remove_file(&full).with_context(|| format!("removing {}", full.display()))?;
            }
        }
    }
    Ok(())
}

pub fn write_file(full: &Path, file: &FileData) -> Result<()> {
    if let Some(parent) = full.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    fs::write(full, &file.bytes).with_context(|| format!("writing {}", full.display()))?;
    let mode = if file.executable { 0o755 } else { 0o644 };
    fs::set_permissions(full, fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", full.display()))
}
