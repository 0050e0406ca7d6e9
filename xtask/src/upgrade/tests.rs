//! The merge rules of `upgrade` on a small template repository with two commits: every outcome
//! of the table, conflict markers, renames, binary files, executable bits, new options,
//! `--dry-run`, and the refusals. `scenario.rs` proves the same on the real template in CI.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::merge::Outcome;
use super::*;

pub(super) const CONFIG_V1: &str = "[template]\nexclude = [\"logo.bin\"]\n[placeholders]\n\
    description = { type = \"string\", prompt = \"Description?\", default = \"A service\" }\n\
    flag = { type = \"bool\", prompt = \"Flag?\", default = true }\n";
pub(super) const ANSWERS_V1: &str = "[template]\nversion = \"0.1.0\"\n\n[answers]\n\
    project-name = \"{{project-name}}\"\ndescription = \"{{description}}\"\nflag = {{flag}}\n";

fn lines(tag: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{tag} line {i}\n")).collect()
}

pub(super) fn put(root: &Path, path: &str, bytes: impl AsRef<[u8]>) {
    let full = root.join(path);
    fs::create_dir_all(full.parent().unwrap()).unwrap();
    fs::write(full, bytes).unwrap();
}

pub(super) fn commit(dir: &Path, message: &str) -> String {
    git::git(dir, &["add", "--all"]).unwrap();
    git::git(
        dir,
        &[
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            "--allow-empty",
            "-m",
            message,
        ],
    )
    .unwrap();
    git::git(dir, &["rev-parse", "HEAD"]).unwrap()
}

/// A template repository: commit 1, then commit 2 changing, adding and removing files and
/// adding an option.
fn template_repo() -> (tempfile::TempDir, String, String) {
    let repo = tempfile::tempdir().unwrap();
    let t = |path: &str| format!("template/{path}");
    let root = repo.path();
    git::git(root, &["init", "--quiet"]).unwrap();
    put(root, &t("cargo-generate.toml"), CONFIG_V1);
    put(root, &t(".template-answers.toml"), ANSWERS_V1);
    put(
        root,
        &t("Cargo.toml"),
        "[package]\nname = \"{{project-name}}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    put(root, &t("notes.md"), lines("notes", 10));
    put(root, &t("renamed.md"), lines("renamed", 10));
    put(root, &t("deleted.md"), lines("deleted", 10));
    put(root, &t("gone.md"), lines("gone", 3));
    put(root, &t("gone-edited.md"), lines("gone-edited", 3));
    put(root, &t("run.sh"), "echo {{description}}\n");
    put(root, &t("logo.bin"), [0u8, 159, 146, 150, 1]);
    let v1 = commit(root, "v1");

    put(
        root,
        &t("cargo-generate.toml"),
        format!(
            "{CONFIG_V1}extra = {{ type = \"string\", prompt = \"Extra?\", default = \"x\" }}\n"
        ),
    );
    put(
        root,
        &t(".template-answers.toml"),
        ANSWERS_V1.replace("0.1.0", "0.2.0") + "extra = \"{{extra}}\"\n",
    );
    put(
        root,
        &t("notes.md"),
        lines("notes", 10).replace("notes line 2\n", "notes line 2 (template)\n"),
    );
    put(
        root,
        &t("renamed.md"),
        lines("renamed", 10).replace("renamed line 10\n", "renamed line 10 (template)\n"),
    );
    put(
        root,
        &t("deleted.md"),
        lines("deleted", 10).replace("deleted line 1\n", "deleted line 1 (template)\n"),
    );
    fs::remove_file(root.join(t("gone.md"))).unwrap();
    fs::remove_file(root.join(t("gone-edited.md"))).unwrap();
    put(root, &t("added.md"), "new in v2: {{extra}}\n");
    put(root, &t("run.sh"), "#!/bin/sh\necho {{description}}\n");
    fs::set_permissions(root.join(t("run.sh")), fs::Permissions::from_mode(0o755)).unwrap();
    put(root, &t("logo.bin"), [0u8, 159, 146, 150, 2]);
    let v2 = commit(root, "v2");
    (repo, v1, v2)
}

/// The service as a team starts it: rendered at `commit`, committed.
pub(super) fn service(repo: &Path, commit_hash: &str, defines: &[Answer]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let project = dir.path().join("svc");
    rendering::render_commit(
        repo,
        commit_hash,
        "svc",
        defines,
        &[],
        scratch.path(),
        &project,
    )
    .unwrap();
    git::git(&project, &["init", "--quiet"]).unwrap();
    commit(&project, "generated");
    dir
}

pub(super) fn args(project: &Path, to: &str) -> Args {
    Args {
        project: project.to_path_buf(),
        to: Some(to.to_owned()),
        from: None,
        template: None,
        define: Vec::new(),
        dry_run: false,
        init_answers: false,
    }
}

pub(super) fn read(project: &Path, path: &str) -> String {
    fs::read_to_string(project.join(path)).unwrap()
}

#[test]
fn every_outcome_on_a_small_template() {
    let (repo, v1, v2) = template_repo();
    let repo = repo.path();
    let dir = service(repo, &v1, &[("description".into(), "Billing".into())]);
    let svc = dir.path().join("svc");
    // The team's edits.
    let notes = lines("notes", 10)
        .replace("notes line 2\n", "notes line 2 (team)\n")
        .replace("notes line 7\n", "notes line 7 (team)\n");
    put(&svc, "notes.md", &notes);
    git::git(&svc, &["mv", "renamed.md", "moved.md"]).unwrap();
    fs::remove_file(svc.join("deleted.md")).unwrap();
    put(&svc, "gone-edited.md", "the team's\n");
    put(&svc, "logo.bin", [0u8, 159, 146, 150, 9]);
    put(&svc, "ours.md", "the team's own file\n");
    commit(&svc, "team edits");
    let before = merge::read_tree(&svc).unwrap();

    let mut dry = args(&svc, &v2);
    dry.dry_run = true;
    let planned = upgrade(repo, &dry).unwrap();
    assert_eq!(
        merge::read_tree(&svc).unwrap(),
        before,
        "--dry-run changed files"
    );

    let report = upgrade(repo, &args(&svc, &v2)).unwrap();
    assert_eq!(planned.rows, report.rows);
    let expected = [
        (".template-answers.toml", Outcome::Updated),
        ("Cargo.toml", Outcome::Unchanged),
        ("added.md", Outcome::Added),
        ("deleted.md", Outcome::KeptTeamDeletion),
        ("gone-edited.md", Outcome::Conflict),
        ("gone.md", Outcome::Removed),
        ("logo.bin", Outcome::Conflict),
        ("notes.md", Outcome::Conflict),
        ("renamed.md", Outcome::Updated),
        ("run.sh", Outcome::Updated),
    ];
    for (path, outcome) in expected {
        assert_eq!(
            report.outcome(path),
            Some(outcome),
            "{path}: {:?}",
            report.rows
        );
    }
    assert_eq!(report.defaulted, [("extra".to_owned(), "x".to_owned())]);

    // The conflict shows both sides; the team's other change is kept.
    let notes = read(&svc, "notes.md");
    assert!(notes.contains("<<<<<<< team\nnotes line 2 (team)\n=======\nnotes line 2 (template)\n>>>>>>> template 0.2.0"), "{notes}");
    assert!(notes.contains("notes line 7 (team)\n"), "{notes}");
    // The rename followed the team; the deletion stays; the team's files are kept.
    assert_eq!(
        read(&svc, "moved.md"),
        lines("renamed", 10).replace("renamed line 10\n", "renamed line 10 (template)\n")
    );
    assert!(!svc.join("renamed.md").exists() && !svc.join("deleted.md").exists());
    assert!(
        report
            .rows
            .iter()
            .any(|r| r.path == "renamed.md" && r.note.contains("moved.md"))
    );
    assert_eq!(read(&svc, "gone-edited.md"), "the team's\n");
    assert!(!svc.join("gone.md").exists());
    assert_eq!(read(&svc, "ours.md"), "the team's own file\n");
    assert_eq!(read(&svc, "added.md"), "new in v2: x\n");
    // Binary: the team's kept, the template's beside it. Executable bit: the template's.
    assert_eq!(
        fs::read(svc.join("logo.bin")).unwrap(),
        [0u8, 159, 146, 150, 9]
    );
    assert_eq!(
        fs::read(svc.join("logo.bin.template-new")).unwrap(),
        [0u8, 159, 146, 150, 2]
    );
    assert_eq!(read(&svc, "run.sh"), "#!/bin/sh\necho Billing\n");
    assert_ne!(
        fs::metadata(svc.join("run.sh"))
            .unwrap()
            .permissions()
            .mode()
            & 0o111,
        0
    );
    // The answers: the new version and commit, the recorded answer kept, the new option's default.
    let recorded = rendering::parse_recorded(&read(&svc, ".template-answers.toml")).unwrap();
    assert_eq!(recorded.commit.as_deref(), Some(v2.as_str()));
    assert_eq!(recorded.version.as_deref(), Some("0.2.0"));
    assert!(
        recorded
            .answers
            .contains(&("description".to_owned(), "Billing".to_owned()))
    );
    assert!(
        recorded
            .answers
            .contains(&("extra".to_owned(), "x".to_owned()))
    );
    assert_eq!(report.conflicts().len(), 3);
}

#[test]
fn refusals_and_the_default_target() {
    let (repo, v1, v2) = template_repo();
    let repo = repo.path();
    let dir = service(repo, &v1, &[]);
    let svc = dir.path().join("svc");
    // No release tag: --to is needed; with one, it is the default.
    let mut no_to = args(&svc, &v2);
    no_to.to = None;
    let err = upgrade(repo, &no_to).unwrap_err().to_string();
    assert!(err.contains("no release tag"), "{err}");
    git::git(repo, &["tag", "v0.1.0", &v1]).unwrap();
    git::git(repo, &["tag", "v0.2.0", &v2]).unwrap();
    let mut dry = no_to.clone();
    dry.dry_run = true;
    assert_eq!(upgrade(repo, &dry).unwrap().to, v2);
    // A dirty tree is refused, untracked files included.
    put(&svc, "wip.md", "work in progress\n");
    let err = upgrade(repo, &no_to).unwrap_err().to_string();
    assert!(
        err.contains("uncommitted changes") && err.contains("wip.md"),
        "{err}"
    );
    fs::remove_file(svc.join("wip.md")).unwrap();
    // A rendering of a dirty template cannot be reproduced: --from is needed.
    // ... and an answer neither template knows is left out, and said so.
    let answers = read(&svc, ".template-answers.toml").replace(&v1, &format!("{v1}-dirty"))
        + "legacy = \"1\"\n";
    put(&svc, ".template-answers.toml", answers);
    commit(&svc, "dirty rendering");
    let err = upgrade(repo, &no_to).unwrap_err().to_string();
    assert!(err.contains("--from"), "{err}");
    let mut from = no_to.clone();
    from.from = Some("v0.1.0".to_owned());
    from.define = vec![("extra".to_owned(), "chosen".to_owned())];
    let report = upgrade(repo, &from).unwrap();
    assert!(report.defaulted.is_empty());
    let legacy = report
        .notes
        .iter()
        .filter(|n| n.contains("`legacy`"))
        .count();
    assert_eq!(legacy, 2, "{:?}", report.notes);
    assert_eq!(read(&svc, "added.md"), "new in v2: chosen\n");
    // No answers file: the message names --init-answers.
    fs::remove_file(svc.join(".template-answers.toml")).unwrap();
    let err = upgrade(repo, &no_to).unwrap_err().to_string();
    assert!(err.contains("--init-answers"), "{err}");
}

#[test]
fn the_ci_scenario_skips_when_history_lacks_its_old_commit() {
    let (repo, _, _) = template_repo();
    let work = tempfile::tempdir().unwrap();
    let ran = scenario::run(repo.path(), &work.path().join("upgrade")).unwrap();
    assert!(
        matches!(&ran, scenario::Ran::Skipped(why) if why.contains("--unshallow")),
        "{ran:?}"
    );
    assert!(!work.path().join("upgrade").exists(), "nothing is rendered");
}
