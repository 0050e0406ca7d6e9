//! `cargo xtask upgrade`: brings a service generated from this template up to a newer template
//! commit, merging three ways and never overwriting a team's change.
//!
//! 1. Read the service's `.template-answers.toml` (answers, template version and commit) and
//!    refuse a service with uncommitted changes.
//! 2. Render the recorded commit and the target commit (`--to`, default the newest `v*` tag)
//!    with the same answers, through the same code as `cargo xtask new` ([`rendering`]).
//! 3. Merge the difference into the service's working tree file by file ([`merge`]): conflicts
//!    are marked where the team and the template changed the same lines.
//! 4. `Cargo.lock`: the team's, re-resolved offline by cargo for the new requirements
//!    ([`lock`]); `.template-answers.toml`: the new rendering's, recording the target commit.
//! 5. Print a table of every file the upgrade concerns; fail when conflicts remain.
//!
//! Only committed template states are rendered: uncommitted changes in the template
//! repository are not seen (commit them, or pass `--to` a commit).

pub mod git;
mod init;
mod lock;
#[cfg(test)]
mod lock_init_tests;
pub mod merge;
pub mod rendering;
pub mod scenario;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::answers::Answer;
use crate::provenance::{ANSWERS_FILE, DIRTY_SUFFIX};
use merge::{Change, Outcome, Row};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The service to upgrade (a git work tree with no uncommitted changes).
    #[arg(long, value_name = "DIR")]
    pub project: PathBuf,
    /// The template commit to upgrade to: a tag, a branch or a commit (default: the newest
    /// `v*` release tag).
    #[arg(long, value_name = "REV")]
    pub to: Option<String>,
    /// The template commit the service was rendered from, when its answers file does not
    /// record one (or records a `-dirty` one).
    #[arg(long, value_name = "REV")]
    pub from: Option<String>,
    /// A clone of the template repository (default: this repository), or a git URL to clone.
    #[arg(long, value_name = "PATH|URL")]
    pub template: Option<String>,
    /// Answer an option of the target template, e.g. one it added (repeatable).
    #[arg(long, short, value_name = "KEY=VALUE", value_parser = crate::parse_define)]
    pub define: Vec<Answer>,
    /// Print the table without changing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Write `.template-answers.toml` for a service generated before the file existed, from
    /// the service's own files, for the team to review; upgrades nothing.
    #[arg(long, conflicts_with_all = ["to", "from", "define", "dry_run"])]
    pub init_answers: bool,
}

/// What an upgrade did (or, with `--dry-run`, would do).
#[derive(Debug)]
pub struct Report {
    pub rows: Vec<Row>,
    pub from: String,
    pub to: String,
    pub defaulted: Vec<Answer>,
    /// Answers left out or defaulted in the starting point's rendering, and similar remarks.
    pub notes: Vec<String>,
}

impl Report {
    pub fn outcome(&self, path: &str) -> Option<Outcome> {
        self.rows.iter().find(|r| r.path == path).map(|r| r.outcome)
    }

    pub fn conflicts(&self) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| r.outcome == Outcome::Conflict)
            .collect()
    }
}

/// `cargo xtask upgrade`: runs, prints the table, fails when conflicts remain.
pub fn command(root: &Path, args: &Args) -> Result<()> {
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let repo = template_repo(root, args.template.as_deref(), scratch.path())?;
    if args.init_answers {
        return init::write_answers(&repo, &args.project);
    }
    let report = upgrade(&repo, args)?;
    print(&report, args);
    let conflicts = report.conflicts().len();
    if conflicts > 0 {
        bail!("{conflicts} file(s) need a decision (see the table and the next steps above)");
    }
    Ok(())
}

/// The template repository: a local clone, or a URL cloned (bare, whole history) into `scratch`.
fn template_repo(root: &Path, template: Option<&str>, scratch: &Path) -> Result<PathBuf> {
    let Some(template) = template else {
        return Ok(root.to_path_buf());
    };
    if Path::new(template).is_dir() {
        return crate::render::absolute(Path::new(template));
    }
    let clone = scratch.join("template-repo.git");
    let clone_arg = clone.to_string_lossy().into_owned();
    git::git(
        scratch,
        &["clone", "--quiet", "--bare", template, &clone_arg],
    )
    .with_context(|| format!("`{template}` is neither a directory nor a git URL to clone"))?;
    Ok(clone)
}

/// The upgrade itself, for `command` and the CI scenario: nothing is printed but progress.
pub fn upgrade(repo: &Path, args: &Args) -> Result<Report> {
    let project = crate::render::absolute(&args.project)?;
    let recorded = rendering::read_recorded(&project)?;
    git::require_clean(&project)?;
    let from = base_commit(repo, &recorded, args.from.as_deref())?;
    let to = match &args.to {
        Some(rev) => git::resolve_commit(repo, rev)?,
        None => {
            let Some(tag) = git::newest_release_tag(repo)? else {
                bail!(
                    "the template repository {} has no release tag (v*): pass --to <tag|commit>",
                    repo.display()
                );
            };
            git::resolve_commit(repo, &tag)?
        }
    };
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let (old, new) = (scratch.path().join("old"), scratch.path().join("new"));
    let name = &recorded.project_name;
    println!(
        "rendering {name} at {} (the recorded starting point)",
        short(&from)
    );
    let old_rendering = rendering::render_commit(
        repo,
        &from,
        name,
        &recorded.answers,
        &[],
        scratch.path(),
        &old,
    )?;
    println!("rendering {name} at {} (the target)", short(&to));
    let new_rendering = rendering::render_commit(
        repo,
        &to,
        name,
        &recorded.answers,
        &args.define,
        scratch.path(),
        &new,
    )?;
    let mut notes = Vec::new();
    for key in &old_rendering.unknown {
        notes.push(format!(
            "the recorded answer `{key}` is not an option of {}: left out of its rendering",
            short(&from)
        ));
    }
    for (key, value) in &old_rendering.defaulted {
        notes.push(format!(
            "`{key}` was not recorded: the starting point is rendered with its default {key}={value}"
        ));
    }
    for key in &new_rendering.unknown {
        notes.push(format!(
            "the recorded answer `{key}` is not an option of the target: left out"
        ));
    }
    let version = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".to_owned());
    let labels = merge::Labels {
        team: "team".to_owned(),
        base: format!(
            "template {} ({})",
            version(&old_rendering.version),
            short(&from)
        ),
        template: format!(
            "template {} ({})",
            version(&new_rendering.version),
            short(&to)
        ),
    };
    let mut plan = merge::plan(&old, &new, &project, &labels)?;
    let lock = lock::plan(&old, &new, &project)?;
    let answers_file = merge::read_tree(&new)?.remove(ANSWERS_FILE);
    if let Some(file) = &answers_file {
        plan.changes.push(Change::Write {
            path: ANSWERS_FILE.to_owned(),
            file: file.clone(),
        });
        plan.rows.push(Row {
            path: ANSWERS_FILE.to_owned(),
            outcome: Outcome::Updated,
            note: format!(
                "template {} -> {}, commit {} -> {}",
                version(&recorded.version),
                version(&new_rendering.version),
                short(&from),
                short(&to)
            ),
        });
    }
    if !args.dry_run {
        merge::apply(&project, &plan.changes)?;
    }
    let cargo_manifest_conflicts = plan
        .rows
        .iter()
        .any(|r| r.outcome == Outcome::Conflict && r.path.ends_with("Cargo.toml"));
    plan.rows
        .push(lock.finish(&project, args.dry_run, cargo_manifest_conflicts)?);
    plan.rows.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Report {
        rows: plan.rows,
        from,
        to,
        defaulted: new_rendering.defaulted,
        notes,
    })
}

/// The commit the service was rendered from: `--from`, else the recorded commit, else the tag
/// of the recorded version.
fn base_commit(repo: &Path, recorded: &rendering::Recorded, from: Option<&str>) -> Result<String> {
    if let Some(rev) = from {
        return git::resolve_commit(repo, rev);
    }
    match (&recorded.commit, &recorded.version) {
        (Some(commit), _) if commit.ends_with(DIRTY_SUFFIX) => bail!(
            "{ANSWERS_FILE} records the commit {commit}: the service was rendered from a \
             template with uncommitted changes, which cannot be rendered again. Pass --from \
             with the closest commit (e.g. --from {}) and check the result with care.",
            commit.trim_end_matches(DIRTY_SUFFIX)
        ),
        (Some(commit), _) => git::resolve_commit(repo, commit),
        (None, Some(version)) => {
            git::resolve_commit(repo, &format!("v{version}")).with_context(|| {
                format!(
                    "{ANSWERS_FILE} records no commit and the version {version} has no tag \
                     v{version}: pass --from <commit>"
                )
            })
        }
        (None, None) => bail!("{ANSWERS_FILE} records neither a commit nor a version: pass --from"),
    }
}

fn short(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}

/// The table (every file the upgrade changes or that the team had changed), then next steps.
pub(crate) fn print(report: &Report, args: &Args) {
    for note in &report.notes {
        println!("note: {note}");
    }
    for (key, value) in &report.defaulted {
        println!(
            "defaulted: `{key}` is new or was not recorded: {key}={value} (--define {key}=... to choose)"
        );
    }
    let shown: Vec<&Row> = report
        .rows
        .iter()
        .filter(|r| r.outcome != Outcome::Unchanged || !r.note.is_empty())
        .collect();
    let width = shown.iter().map(|r| r.path.len()).max().unwrap_or(4).max(4);
    println!("\n{:<width$}  {:<18}  note", "file", "outcome");
    println!("{:-<width$}  {:-<18}  {:-<4}", "", "", "");
    for row in &shown {
        println!(
            "{:<width$}  {:<18}  {}",
            row.path,
            row.outcome.to_string(),
            row.note
        );
    }
    let quiet = report.rows.len() - shown.len();
    println!("({quiet} more file(s) unchanged: the template did not change them)");
    let conflicts = report.conflicts();
    let project = args.project.display();
    if args.dry_run {
        println!("\ndry run: nothing was changed in {project}");
    } else if conflicts.is_empty() {
        println!(
            "\nupgraded {project} from {} to {} with no conflict. Next: review with `git diff`, \
             run `cargo xtask ci` there, then commit.",
            short(&report.from),
            short(&report.to)
        );
    } else {
        println!("\n{} file(s) need a decision:", conflicts.len());
        for row in &conflicts {
            println!("  {}: {}", row.path, row.note);
        }
        println!(
            "Next, in {project}: resolve the `<<<<<<< team` ... `>>>>>>> template` markers \
             (`git diff` shows them), decide the files listed above, then run \
             `cargo update --workspace --offline` if a Cargo.toml conflicted, `cargo xtask ci`, \
             and commit. To start over: `git checkout -- . && git clean -fd`."
        );
    }
}
