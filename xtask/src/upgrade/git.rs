//! The git commands `upgrade` needs: a commit's `template/` as a directory, release tags, the
//! state of the service's working tree, and `git merge-file` for the three-way merge.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};

/// Runs `git -C <dir> <args>` and returns its trimmed standard output; fails on a non-zero exit.
pub fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("starting `git {}`", args.join(" ")))?;
    ensure!(
        output.status.success(),
        "`git {}` in {} failed: {}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The full hash of `rev` (a tag, a branch, a short or full hash) in the repository at `repo`.
pub fn resolve_commit(repo: &Path, rev: &str) -> Result<String> {
    git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .with_context(|| {
        format!(
            "`{rev}` is not a commit of the template repository {} (a shallow clone lacks \
                 older commits: `git fetch --unshallow`)",
            repo.display()
        )
    })
}

/// Whether `rev` names a commit present in `repo`.
pub fn has_commit(repo: &Path, rev: &str) -> bool {
    resolve_commit(repo, rev).is_ok()
}

/// The newest release tag (`v*`, by version order) of `repo`, if any.
pub fn newest_release_tag(repo: &Path) -> Result<Option<String>> {
    let tags = git(repo, &["tag", "--list", "v*", "--sort=-v:refname"])?;
    Ok(tags.lines().next().map(str::to_owned))
}

/// Extracts `template/` of `commit` into `dest` (which becomes a template root holding only
/// `template/`), with `git archive`: nothing in `repo` changes, not even its worktree list.
pub fn export_template(repo: &Path, commit: &str, dest: &Path) -> Result<()> {
    fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;
    let archive = dest.join("template.tar");
    let archive_arg = archive
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", archive.display()))?;
    git(
        repo,
        &[
            "archive",
            "--format=tar",
            "-o",
            archive_arg,
            commit,
            crate::render::TEMPLATE_DIR,
        ],
    )
    .with_context(|| format!("exporting template/ of {commit}"))?;
    let status = Command::new("tar")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(dest)
        .status()
        .context("starting tar")?;
    ensure!(
        status.success(),
        "unpacking template/ of {commit}: {status}"
    );
    fs::remove_file(&archive).with_context(|| format!("removing {}", archive.display()))?;
    Ok(())
}

/// Fails unless `project` is a git work tree with nothing uncommitted (untracked files count):
/// the upgrade writes into the working tree, and the team reviews it with `git diff`.
pub fn require_clean(project: &Path) -> Result<()> {
    let inside = git(project, &["rev-parse", "--is-inside-work-tree"]).unwrap_or_default();
    if inside != "true" {
        bail!(
            "{} is not a git work tree: commit the service to git first, so that the upgrade's \
             changes can be reviewed and undone",
            project.display()
        );
    }
    let status = git(
        project,
        &["status", "--porcelain", "--untracked-files=all", "--", "."],
    )?;
    if !status.is_empty() {
        let listed: Vec<&str> = status.lines().take(10).collect();
        bail!(
            "{} has uncommitted changes; commit or stash them first (the upgrade must never mix \
             with work in progress):\n{}",
            project.display(),
            listed.join("\n")
        );
    }
    Ok(())
}

/// The files git tracks in `project`, relative to it.
pub fn tracked_files(project: &Path) -> Result<Vec<String>> {
    Ok(git(project, &["ls-files", "-z", "--", "."])?
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The result of a three-way text merge.
#[derive(Debug)]
pub struct Merged {
    pub bytes: Vec<u8>,
    /// How many conflicts `git merge-file` left marked.
    pub conflicts: u32,
}

/// `git merge-file` of `ours` (the team's), `base` (the old rendering) and `theirs` (the new
/// rendering), with `labels` for the three; conflicts are marked in the result.
pub fn merge_file(ours: &[u8], base: &[u8], theirs: &[u8], labels: [&str; 3]) -> Result<Merged> {
    let dir = tempfile::tempdir().context("creating a scratch directory for git merge-file")?;
    let [ours_path, base_path, theirs_path] =
        ["ours", "base", "theirs"].map(|name| dir.path().join(name));
    fs::write(&ours_path, ours).context("writing the team's version")?;
    fs::write(&base_path, base).context("writing the old rendering's version")?;
    fs::write(&theirs_path, theirs).context("writing the new rendering's version")?;
    let status = Command::new("git")
        .arg("merge-file")
        .args(["-L", labels[0], "-L", labels[1], "-L", labels[2]])
        .arg(&ours_path)
        .arg(&base_path)
        .arg(&theirs_path)
        .stdin(Stdio::null())
        .status()
        .context("starting git merge-file")?;
    let conflicts = match status.code() {
        Some(code @ 0..=127) => u32::try_from(code).unwrap_or(0),
        _ => bail!("git merge-file failed: {status}"),
    };
    let bytes = fs::read(&ours_path).context("reading the merged version")?;
    Ok(Merged { bytes, conflicts })
}
