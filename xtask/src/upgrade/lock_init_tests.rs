//! `upgrade`'s handling of `Cargo.lock` (the team's, re-resolved offline by cargo) and
//! `--init-answers`, on small projects.

use super::merge::Outcome;
use super::tests::{ANSWERS_V1, CONFIG_V1, args, commit, put, read, service};
use super::*;

#[test]
fn a_team_lock_is_kept_and_re_resolved_offline() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    git::git(root, &["init", "--quiet"]).unwrap();
    put(root, "template/cargo-generate.toml", CONFIG_V1);
    put(root, "template/.template-answers.toml", ANSWERS_V1);
    let manifest = "[package]\nname = \"{{project-name}}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\n[workspace]\n";
    put(root, "template/Cargo.toml", manifest);
    put(root, "template/src/main.rs", "fn main() {}\n");
    let lock = "version = 4\n\n[[package]]\nname = \"{{project-name}}\"\nversion = \"0.1.0\"\n";
    put(root, "template/Cargo.lock", lock);
    let v1 = commit(root, "v1");
    put(
        root,
        "template/Cargo.toml",
        manifest.replace(
            "[dependencies]\n",
            "[dependencies]\nhelper = { path = \"helper\" }\n",
        ),
    );
    put(
        root,
        "template/helper/Cargo.toml",
        "[package]\nname = \"helper\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    put(root, "template/helper/src/lib.rs", "");
    put(
        root,
        "template/Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"helper\"\nversion = \"0.1.0\"\n\n[[package]]\n\
         name = \"{{project-name}}\"\nversion = \"0.1.0\"\ndependencies = [\n \"helper\",\n]\n",
    );
    let v2 = commit(root, "v2");

    let dir = service(root, &v1, &[]);
    let svc = dir.path().join("svc");
    // The team adds a crate of its own at the end of the manifest: its lock now has it.
    put(
        &svc,
        "mine/Cargo.toml",
        "[package]\nname = \"mine\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    put(&svc, "mine/src/lib.rs", "");
    let team_manifest = read(&svc, "Cargo.toml").replace(
        "[workspace]\n",
        "[workspace]\n\n[dev-dependencies]\nmine = { path = \"mine\" }\n",
    );
    put(&svc, "Cargo.toml", team_manifest);
    let status = std::process::Command::new("cargo")
        .args(["metadata", "--offline", "--format-version", "1"])
        .current_dir(&svc)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    commit(&svc, "team crate");

    let report = upgrade(root, &args(&svc, &v2)).unwrap();
    assert_eq!(
        report.outcome("Cargo.toml"),
        Some(Outcome::Merged),
        "{:?}",
        report.rows
    );
    assert_eq!(
        report.outcome("Cargo.lock"),
        Some(Outcome::Merged),
        "{:?}",
        report.rows
    );
    let lock = read(&svc, "Cargo.lock");
    assert!(
        lock.contains("name = \"mine\"") && lock.contains("name = \"helper\""),
        "{lock}"
    );
}

#[test]
fn init_answers_reads_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let svc = dir.path();
    put(
        svc,
        "crates/server/Cargo.toml",
        "[package]\nname = \"server\"\ndescription = \"Billing for shops\"\n\n[[bin]]\nname = \"billing\"\npath = \"src/main.rs\"\n",
    );
    put(
        svc,
        "config/default.toml",
        "[http]\nhost = \"127.0.0.1\"\nport = 9000\n",
    );
    put(svc, "crates/api/src/auth.rs", "");
    let found = init::read_project(svc).unwrap();
    assert_eq!(found.project_name, "billing");
    assert_eq!(found.description.as_deref(), Some("Billing for shops"));
    assert_eq!(found.http_port.as_deref(), Some("9000"));
    assert!(!found.example && found.auth);
    let text = init::render_answers(&found, Some(&("abc".to_owned(), "2026-01-01".to_owned())));
    let recorded = rendering::parse_recorded(&text).unwrap();
    assert_eq!(recorded.project_name, "billing");
    assert_eq!(recorded.commit.as_deref(), Some("abc"));
    for answer in [
        ("description", "Billing for shops"),
        ("http_port", "9000"),
        ("example", "false"),
        ("auth", "true"),
    ] {
        assert!(
            recorded
                .answers
                .contains(&(answer.0.to_owned(), answer.1.to_owned())),
            "{answer:?} in {text}"
        );
    }
    let repo = tempfile::tempdir().unwrap();
    init::write_answers(repo.path(), svc).unwrap();
    assert!(
        init::write_answers(repo.path(), svc).is_err(),
        "an existing file is never replaced"
    );
}
