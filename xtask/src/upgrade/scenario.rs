//! The CI proof of `cargo xtask upgrade` (steps `upgrade` and `upgrade-ci` of `cargo xtask ci`),
//! on fresh renderings of this repository, with no network.
//!
//! A service is rendered at [`OLD_COMMIT`] and committed as a team would; the team changes a
//! handler, adds a configuration key, deletes a file the template later changed, changes a
//! line the template also changes, and adds a file of its own. It is upgraded to `HEAD` (the
//! committed state: uncommitted changes to the template are not seen). The checks: the table's
//! outcomes, the conflict's markers with both sides, every other file exactly the new
//! rendering's, nothing of the team's lost; `--dry-run` changes nothing; an upgrade of a service
//! without team edits is byte for byte a fresh rendering of `HEAD`.
//! [`resolve_conflicts`] then takes the template's side, for `upgrade-ci` to run the service's
//! own `cargo xtask ci`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};

use super::merge::{FileData, Outcome, read_tree, write_file};
use super::{Args, Report, git, rendering, upgrade};
use crate::provenance::ANSWERS_FILE;

/// A commit of this repository whose template still renders (before the body-limit edge
/// work, which changes lines the team's edits also touch).
pub const OLD_COMMIT: &str = "5eb59e160b93fbffe9d3eef11cbd64c6ab920ca1";
/// The service's name (the same as `examples/`).
const NAME: &str = "orders";

// A file the template keeps changing (the probes' descriptions, their response type) around
// a declaration it has kept (the readiness port's method): the team's line beside that
// declaration must merge. Lines next to a template change conflict, as in any three-way
// merge (the line once sat in the readiness handler's body, between two lines the template
// changed): pick another anchor if the template starts changing the lines around this one.
const HANDLER: &str = "crates/api/src/health.rs";
const HANDLER_ANCHOR: &str = "async fn check(&self)";
const HANDLER_LINE: &str =
    "    // Team: an answer within the load balancer's 2 s timeout, or traffic stops.\n";
const ROUTES: &str = "crates/api/src/routes.rs";
const ROUTES_LINE: &str = "// Team: the platform team reviews every new route.\n";
const DEV_CONFIG: &str = "config/development.toml";
const DEV_KEY: &str = "\n[telemetry]\nlog_filter = \"debug,sqlx=warn,sea_orm=warn\"\n";
const DELETED: &str = "crates/server/tests/auth.rs";
const CONFIG: &str = "config/default.toml";
const CONFIG_BEFORE: &str = "audience = \"orders\"\n";
const CONFIG_AFTER: &str = "audience = \"orders-team\"\n";
const TEAM_FILE: &str = "docs/team-notes.md";

/// Where [`run`] leaves the upgraded service in `work`.
pub fn upgraded_service(work: &Path) -> PathBuf {
    work.join("team").join(NAME)
}

/// How the scenario ended.
#[derive(Debug)]
pub enum Ran {
    /// The upgraded service (conflict resolved and committed) is at [`upgraded_service`].
    Passed,
    Skipped(String),
}

/// Runs the scenario in `work` (emptied first) against the template repository `root`.
pub fn run(root: &Path, work: &Path) -> Result<Ran> {
    if !git::has_commit(root, OLD_COMMIT) {
        return Ok(Ran::Skipped(format!(
            "the history lacks {OLD_COMMIT} (a shallow clone?): `git fetch --unshallow` to run it"
        )));
    }
    let head = git::resolve_commit(root, "HEAD")?;
    if work.exists() {
        fs::remove_dir_all(work).with_context(|| format!("removing {}", work.display()))?;
    }
    // The exported templates go outside the repository: a `cargo-generate.toml` under it
    // besides `template/`'s would break every later rendering (`render::check_layout`).
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let scratch = scratch.path();
    let (old, new) = (work.join("old").join(NAME), work.join("new").join(NAME));
    rendering::render_commit(root, OLD_COMMIT, NAME, &[], &[], scratch, &old)?;
    rendering::render_commit(root, &head, NAME, &[], &[], scratch, &new)?;
    let (b, n) = (read_tree(&old)?, read_tree(&new)?);
    ensure!(
        b.get(DELETED) != n.get(DELETED) && n.contains_key(DELETED),
        "precondition: the template changes {DELETED} between {OLD_COMMIT} and HEAD"
    );

    let team = upgraded_service(work);
    team_service(&b, &team)?;
    team_edits(&team)?;
    commit_all(&team, "Team edits")?;
    let before = read_tree(&team)?;

    let args = |project: &Path, dry_run: bool| Args {
        project: project.to_path_buf(),
        to: Some(head.clone()),
        from: None,
        template: None,
        define: Vec::new(),
        dry_run,
        init_answers: false,
    };
    let dry = upgrade(root, &args(&team, true))?;
    ensure!(
        read_tree(&team)? == before,
        "--dry-run changed the service's files"
    );
    git::require_clean(&team).context("--dry-run left changes")?;
    println!("ok: --dry-run changed nothing");

    let report = upgrade(root, &args(&team, false))?;
    super::print(&report, &args(&team, false));
    ensure!(
        dry.rows == report.rows,
        "--dry-run's table differs from the upgrade's"
    );
    check_team_upgrade(&report, &b, &n, &team, &head)?;
    resolve_conflicts(&team.join(CONFIG))?;
    ensure!(
        fs::read(team.join(CONFIG))? == n[CONFIG].bytes,
        "{CONFIG}: taking the template's side does not give the new rendering"
    );
    commit_all(
        &team,
        "Upgrade the template; conflict resolved with the template's side",
    )?;
    println!("ok: the conflict resolved with the template's side is the new rendering's {CONFIG}");

    let plain = work.join("plain").join(NAME);
    team_service(&b, &plain)?;
    let untouched = read_tree(&plain)?;
    upgrade(root, &args(&plain, true))?;
    ensure!(
        read_tree(&plain)? == untouched,
        "--dry-run changed the service without edits"
    );
    let report = upgrade(root, &args(&plain, false))?;
    ensure!(
        report.conflicts().is_empty(),
        "conflicts without team edits: {:?}",
        report.conflicts()
    );
    let mut upgraded = read_tree(&plain)?;
    let mut fresh = n.clone();
    let answers = upgraded.remove(ANSWERS_FILE);
    fresh.remove(ANSWERS_FILE);
    ensure!(
        upgraded == fresh,
        "without team edits the upgrade differs from a fresh rendering of HEAD: {:?}",
        differing(&upgraded, &fresh)
    );
    let recorded = rendering::parse_recorded(&String::from_utf8_lossy(
        &answers.context("no answers file")?.bytes,
    ))?;
    ensure!(
        recorded.commit.as_deref() == Some(head.as_str()),
        "the answers file records {:?}, not {head}",
        recorded.commit
    );
    println!(
        "ok: without team edits the upgrade is byte for byte a fresh rendering of HEAD ({} files)",
        fresh.len()
    );
    Ok(Ran::Passed)
}

/// The rendering, as a team's fresh git repository.
fn team_service(rendering: &BTreeMap<String, FileData>, dir: &Path) -> Result<()> {
    for (path, file) in rendering {
        write_file(&dir.join(path), file)?;
    }
    git::git(dir, &["init", "--quiet"])?;
    commit_all(dir, "Generated from rust-service-template")
}

fn commit_all(dir: &Path, message: &str) -> Result<()> {
    git::git(dir, &["add", "--all"])?;
    git::git(
        dir,
        &[
            "-c",
            "user.name=Team",
            "-c",
            "user.email=team@example.com",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            "-m",
            message,
        ],
    )?;
    Ok(())
}

fn edit(dir: &Path, path: &str, change: impl FnOnce(String) -> Result<String>) -> Result<()> {
    let full = dir.join(path);
    let text = fs::read_to_string(&full).with_context(|| format!("reading {path}"))?;
    let changed = change(text).with_context(|| format!("editing {path}"))?;
    fs::write(&full, changed).with_context(|| format!("writing {path}"))
}

fn team_edits(team: &Path) -> Result<()> {
    edit(team, HANDLER, |text| {
        let at = text.find(HANDLER_ANCHOR).context("no readiness port")?;
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        Ok(format!(
            "{}{HANDLER_LINE}{}",
            &text[..line_start],
            &text[line_start..]
        ))
    })?;
    edit(team, ROUTES, |text| Ok(format!("{ROUTES_LINE}{text}")))?;
    edit(team, DEV_CONFIG, |text| Ok(format!("{text}{DEV_KEY}")))?;
    edit(team, CONFIG, |text| {
        ensure!(
            text.matches(CONFIG_BEFORE).count() == 1,
            "no single `{}` line",
            CONFIG_BEFORE.trim()
        );
        Ok(text.replace(CONFIG_BEFORE, CONFIG_AFTER))
    })?;
    fs::remove_file(team.join(DELETED)).with_context(|| format!("deleting {DELETED}"))?;
    write_file(
        &team.join(TEAM_FILE),
        &FileData {
            bytes: b"# Team notes\n\nOur own file: the upgrade must not touch it.\n".to_vec(),
            executable: false,
        },
    )
}

/// The outcome a file the team did not touch gets.
fn plain_outcome(b: Option<&FileData>, n: Option<&FileData>) -> Outcome {
    match (b, n) {
        (Some(b), Some(n)) if b == n => Outcome::Unchanged,
        (Some(_), Some(_)) => Outcome::Updated,
        (None, _) => Outcome::Added,
        (Some(_), None) => Outcome::Removed,
    }
}

fn check_team_upgrade(
    report: &Report,
    b: &BTreeMap<String, FileData>,
    n: &BTreeMap<String, FileData>,
    team: &Path,
    head: &str,
) -> Result<()> {
    let after = read_tree(team)?;
    let text = |path: &str| String::from_utf8_lossy(&after[path].bytes).into_owned();
    let outcome = |path: &str| report.outcome(path);
    let changed_by_template = |path: &str| b.get(path) != n.get(path);
    let merged_or_unchanged = |path: &str| {
        if changed_by_template(path) {
            Outcome::Merged
        } else {
            Outcome::Unchanged
        }
    };

    for (path, line) in [
        (HANDLER, HANDLER_LINE),
        (ROUTES, ROUTES_LINE),
        (DEV_CONFIG, DEV_KEY),
    ] {
        ensure!(
            outcome(path) == Some(merged_or_unchanged(path)),
            "{path}: {:?}, expected {:?}",
            outcome(path),
            merged_or_unchanged(path)
        );
        ensure!(
            text(path).contains(line),
            "{path}: the team's change is lost"
        );
        println!(
            "ok: {path}: {} with the team's change",
            merged_or_unchanged(path)
        );
    }
    let routes = format!("{ROUTES_LINE}{}", String::from_utf8_lossy(&n[ROUTES].bytes));
    ensure!(
        text(ROUTES) == routes,
        "{ROUTES}: not the new rendering plus the team's line"
    );

    ensure!(
        outcome(DELETED) == Some(Outcome::KeptTeamDeletion),
        "{DELETED}: {:?}",
        outcome(DELETED)
    );
    ensure!(
        !after.contains_key(DELETED),
        "{DELETED}: the team's deletion was undone"
    );
    println!("ok: {DELETED}: kept-team-deletion");

    ensure!(
        outcome(CONFIG) == Some(Outcome::Conflict),
        "{CONFIG}: {:?}",
        outcome(CONFIG)
    );
    let config = text(CONFIG);
    let (_, rest) = config
        .split_once("<<<<<<< team\n")
        .context("no `<<<<<<< team` marker")?;
    let (ours, rest) = rest
        .split_once("=======\n")
        .context("no `=======` marker")?;
    let (theirs, _) = rest
        .split_once(">>>>>>> template")
        .context("no `>>>>>>> template` marker")?;
    ensure!(
        ours.contains(CONFIG_AFTER),
        "the team's side lacks the team's line: {ours:?}"
    );
    ensure!(
        theirs.starts_with(CONFIG_BEFORE) && theirs.len() > CONFIG_BEFORE.len(),
        "the template's side lacks its change: {theirs:?}"
    );
    ensure!(
        report.conflicts().len() == 1,
        "conflicts: {:?}",
        report.conflicts()
    );
    println!("ok: {CONFIG}: conflict with the team's side and the template's side");

    ensure!(
        after.contains_key(TEAM_FILE),
        "the team's own file {TEAM_FILE} is lost"
    );
    let edited = [
        HANDLER,
        ROUTES,
        DEV_CONFIG,
        DELETED,
        CONFIG,
        TEAM_FILE,
        ANSWERS_FILE,
    ];
    let mut checked = 0;
    let paths: std::collections::BTreeSet<&String> =
        n.keys().chain(b.keys()).chain(after.keys()).collect();
    for path in paths {
        if edited.contains(&path.as_str()) {
            continue;
        }
        ensure!(
            after.get(path) == n.get(path),
            "{path}: not the new rendering's (team: {}, template: {})",
            after.contains_key(path),
            n.contains_key(path)
        );
        let expected = plain_outcome(b.get(path), n.get(path));
        ensure!(
            outcome(path) == Some(expected),
            "{path}: {:?}, expected {expected}",
            outcome(path)
        );
        checked += 1;
    }
    println!("ok: the {checked} other file(s) are the new rendering's, with the expected outcomes");
    let recorded = rendering::parse_recorded(&text(ANSWERS_FILE))?;
    ensure!(
        recorded.commit.as_deref() == Some(head),
        "the answers file records {:?}, not {head}",
        recorded.commit
    );
    Ok(())
}

/// Replaces every conflict block in `file` with its template side.
pub fn resolve_conflicts(file: &Path) -> Result<()> {
    let text = fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut out = String::with_capacity(text.len());
    let mut side = None;
    for line in text.split_inclusive('\n') {
        match (side, line) {
            (None, l) if l.starts_with("<<<<<<< ") => side = Some(false),
            (Some(false), l) if l.starts_with("=======") => side = Some(true),
            (Some(true), l) if l.starts_with(">>>>>>> ") => side = None,
            (None | Some(true), l) => out.push_str(l),
            (Some(false), _) => {}
        }
    }
    fs::write(file, out).with_context(|| format!("writing {}", file.display()))
}

fn differing(a: &BTreeMap<String, FileData>, b: &BTreeMap<String, FileData>) -> Vec<String> {
    a.keys()
        .chain(b.keys())
        .filter(|p| a.get(*p) != b.get(*p))
        .take(10)
        .cloned()
        .collect()
}
