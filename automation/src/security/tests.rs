//! The whole scan on a small workspace made for each test: it passes when the workspace is
//! clean and fails on a planted problem, and its dependency verdict is `cargo deny check`'s.
//!
//! The cargo-deny tests need the cargo-deny command and a copy of the advisory database
//! (`ADVISORY_DB`): without them they say so and pass, except under `CI=true`, where they fail.

use std::path::Path;
use std::process::Command;

use super::*;

const WORKSPACE: &str = "[workspace]\nmembers = [\"app\"]\nresolver = \"3\"\n\n[workspace.lints.rust]\nunsafe_code = \"forbid\"\n";
const APP: &str = "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\nlicense = \"MIT\"\npublish = false\n\n[lints]\nworkspace = true\n\n[dependencies]\n";
const DENY: &str = "[advisories]\nignore = []\n[licenses]\nallow = [\"MIT\", \"Apache-2.0\"]\nprivate = { ignore = true }\n[sources]\nunknown-registry = \"deny\"\nunknown-git = \"deny\"\n";

fn workspace() -> anyhow::Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("app/src"))?;
    std::fs::write(dir.path().join("Cargo.toml"), WORKSPACE)?;
    std::fs::write(dir.path().join("app/Cargo.toml"), APP)?;
    std::fs::write(dir.path().join("app/src/lib.rs"), "//! An app.\n")?;
    std::fs::write(dir.path().join("deny.toml"), DENY)?;
    Ok(dir)
}

/// Secrets and unsafe code only: no cargo-deny needed.
fn local_checks() -> ScanArgs {
    ScanArgs {
        skip: vec![
            Check::Advisories,
            Check::Bans,
            Check::Licenses,
            Check::Sources,
        ],
        ..ScanArgs::default()
    }
}

#[test]
fn a_clean_workspace_passes_and_a_planted_problem_fails() -> anyhow::Result<()> {
    let dir = workspace()?;
    run(dir.path(), &local_checks())?;

    let url = ["postgres://app:", "Wq8zR2vL", "@db.internal/app"].concat();
    std::fs::write(dir.path().join("app/.env"), format!("DATABASE_URL={url}\n"))?;
    assert!(run(dir.path(), &local_checks()).is_err());

    let allow = "\n[[workspace.metadata.secrets.allow]]\npath = \"app/.env\"\nreason = \"A throwaway database on the developer's machine.\"\n";
    std::fs::write(dir.path().join("Cargo.toml"), format!("{WORKSPACE}{allow}"))?;
    run(dir.path(), &local_checks())?;

    std::fs::write(
        dir.path().join("app/Cargo.toml"),
        APP.replace("[lints]\nworkspace = true\n", ""),
    )?;
    assert!(run(dir.path(), &local_checks()).is_err());
    Ok(())
}

#[test]
fn an_aws_key_pair_in_a_tracked_file_fails_the_scan() -> anyhow::Result<()> {
    let dir = workspace()?;
    let id = ["AKIA", "Q7ZR2LMX9VT4BN8S"].concat();
    let secret = ["wJalrXUtnF", "EMI/K7MDENG/bPxRfiCYzq4Wx7Rt2Lm"].concat();
    std::fs::write(
        dir.path().join("app/credentials"),
        format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"),
    )?;
    let report = dir.path().join("report.json");
    let args = ScanArgs {
        format: Format::Json,
        output: Some(report.clone()),
        ..local_checks()
    };
    assert!(run(dir.path(), &args).is_err());
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report)?)?;
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|finding| finding["rule"].as_str())
        .collect();
    assert_eq!(rules, ["secrets/aws-access-key-id", "secrets/high-entropy"]);
    Ok(())
}

/// Where the comparison reads the advisory database from.
enum Database {
    /// A copy (`ADVISORY_DB`), read offline.
    Local(PathBuf),
    /// cargo-deny's own fetch: under `CI=true` without `ADVISORY_DB` (GitHub's runners).
    Fetched,
}

/// The database to compare with, or `None` (said on stderr) when cargo-deny or a database is
/// missing outside CI; under `CI=true` a missing cargo-deny is an error.
fn cargo_deny_and_database() -> anyhow::Result<Option<Database>> {
    let in_ci = std::env::var("CI").is_ok_and(|value| value == "true");
    let missing = match (
        deny::installed_version(),
        std::env::var_os(deny::DATABASE_VARIABLE),
    ) {
        (Ok(_), Some(database)) => return Ok(Some(Database::Local(database.into()))),
        (Ok(_), None) if in_ci => return Ok(Some(Database::Fetched)),
        (Err(err), _) => format!("{err:#}"),
        (Ok(_), None) => format!(
            "{} is not set to a copy of the advisory database",
            deny::DATABASE_VARIABLE
        ),
    };
    if in_ci {
        bail!("cannot compare with cargo deny: {missing}");
    }
    eprintln!("skipped: the cargo-deny comparison needs it: {missing}");
    Ok(None)
}

/// `cargo deny check` as a user runs it, on the project's `deny.toml`, with `db-path` set to a
/// prepared copy of the database when there is one.
fn cargo_deny_verdict(root: &Path, database: &Database) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(root.join("deny.toml"))?;
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.arg("deny");
    // Kept until cargo-deny has run.
    let mut _policy = None;
    let mut config = text.clone();
    if let Database::Local(copy) = database {
        let policy = deny::Policy::new(root, Some(copy), false)?;
        let db_path = policy.db_path().context("no local database")?;
        config = format!("{text}\n").replace(
            "[advisories]\n",
            &format!("[advisories]\ndb-path = \"{}\"\n", db_path.display()),
        );
        command.arg("--offline");
        _policy = Some(policy);
    }
    let user_config = root.join("user-deny.toml");
    std::fs::write(&user_config, config)?;
    let status = command
        .arg("--config")
        .arg(&user_config)
        .arg("check")
        .current_dir(root)
        .status()?;
    std::fs::remove_file(user_config)?;
    Ok(status.success())
}

#[test]
fn the_verdict_is_cargo_denys_clean_and_with_a_vulnerable_crate() -> anyhow::Result<()> {
    let Some(database) = cargo_deny_and_database()? else {
        return Ok(());
    };
    let dir = workspace()?;
    let advisory_db = match &database {
        Database::Local(copy) => Some(copy.clone()),
        Database::Fetched => None,
    };
    let args = ScanArgs {
        advisory_db: advisory_db.clone(),
        skip: vec![Check::Secrets, Check::UnsafeCode],
        ..ScanArgs::default()
    };
    // The lockfile first (online if the crate is not cached yet), so both read the same tree.
    let lock = |dir: &Path| {
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
            .args(["generate-lockfile"])
            .current_dir(dir)
            .status()
    };
    assert!(lock(dir.path())?.success());
    assert!(cargo_deny_verdict(dir.path(), &database)?);
    run(dir.path(), &args)?;

    // RUSTSEC-2018-0006: uncontrolled recursion in yaml-rust before 0.4.1.
    std::fs::write(
        dir.path().join("app/Cargo.toml"),
        format!("{APP}yaml-rust = \"=0.4.0\"\n"),
    )?;
    assert!(lock(dir.path())?.success());
    assert!(!cargo_deny_verdict(dir.path(), &database)?);
    let report = dir.path().join("report.json");
    let json_args = ScanArgs {
        format: Format::Json,
        output: Some(report.clone()),
        advisory_db,
        skip: vec![Check::Secrets, Check::UnsafeCode],
        ..ScanArgs::default()
    };
    assert!(run(dir.path(), &json_args).is_err());
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report)?)?;
    std::fs::remove_file(&report)?;
    let failing: Vec<String> = json["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|finding| finding["severity"] == "error")
        .filter_map(|finding| finding["rule"].as_str())
        .filter_map(|rule| rule.strip_prefix("advisories/"))
        .map(str::to_owned)
        .collect();
    assert!(
        failing.iter().any(|id| id == "RUSTSEC-2018-0006"),
        "{failing:?}"
    );

    // Accepted with a reason in deny.toml: both pass again.
    let entries: Vec<String> = failing
        .iter()
        .map(|id| {
            [
                "{ id = \"",
                id,
                "\", reason = \"Parses only trusted files.\" }",
            ]
            .concat()
        })
        .collect();
    let ignore = format!("[advisories]\nignore = [{}]\n", entries.join(", "));
    std::fs::write(
        dir.path().join("deny.toml"),
        DENY.replace("[advisories]\nignore = []\n", &ignore),
    )?;
    assert!(cargo_deny_verdict(dir.path(), &database)?);
    run(dir.path(), &args)?;
    Ok(())
}

#[test]
fn a_check_that_cannot_run_fails_the_scan() -> anyhow::Result<()> {
    if deny::installed_version().is_err() {
        eprintln!("skipped: needs cargo-deny (`{}`)", deny::INSTALL);
        return Ok(());
    }
    let dir = workspace()?;
    std::fs::remove_file(dir.path().join("deny.toml"))?;
    let only_licenses = ScanArgs {
        skip: vec![
            Check::Advisories,
            Check::Bans,
            Check::Sources,
            Check::Secrets,
            Check::UnsafeCode,
        ],
        ..ScanArgs::default()
    };
    let err = run(dir.path(), &only_licenses)
        .err()
        .map(|err| err.to_string());
    assert_eq!(err.as_deref(), Some("1 check(s) could not run"));
    Ok(())
}
