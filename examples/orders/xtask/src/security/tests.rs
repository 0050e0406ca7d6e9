//! The whole scan on a small workspace made for each test: it passes when the workspace is
//! clean and fails on a planted problem.

use std::path::Path;

use super::*;

const WORKSPACE: &str = "[workspace]\nmembers = [\"app\"]\nresolver = \"3\"\n\n[workspace.lints.rust]\nunsafe_code = \"forbid\"\n";
const APP: &str = "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\nlicense = \"MIT\"\npublish = false\n\n[lints]\nworkspace = true\n";
const DENY: &str = "[licenses]\nallow = [\"MIT\"]\n[sources]\nunknown-registry = \"deny\"\nunknown-git = \"deny\"\n";

fn workspace() -> anyhow::Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("app/src"))?;
    std::fs::write(dir.path().join("Cargo.toml"), WORKSPACE)?;
    std::fs::write(dir.path().join("app/Cargo.toml"), APP)?;
    std::fs::write(dir.path().join("app/src/lib.rs"), "//! An app.\n")?;
    std::fs::write(dir.path().join("deny.toml"), DENY)?;
    Ok(dir)
}

fn args() -> ScanArgs {
    let database = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/security/advisory-db");
    ScanArgs {
        advisory_db: Some(database),
        ..ScanArgs::default()
    }
}

#[test]
fn a_clean_workspace_passes_and_a_planted_problem_fails() -> anyhow::Result<()> {
    let dir = workspace()?;
    run(dir.path(), &args())?;

    let url = ["postgres://app:", "Wq8zR2vL", "@db.internal/app"].concat();
    std::fs::write(dir.path().join("app/.env"), format!("DATABASE_URL={url}\n"))?;
    assert!(run(dir.path(), &args()).is_err());

    let reason = "reason = \"A throwaway database on the developer's machine.\"";
    let allow =
        format!("[[allow]]\nrule = \"secrets/url-password\"\npath = \"app/.env\"\n{reason}\n");
    std::fs::write(dir.path().join("security-allowlist.toml"), allow)?;
    run(dir.path(), &args())?;

    std::fs::write(
        dir.path().join("app/Cargo.toml"),
        APP.replace("[lints]\nworkspace = true\n", ""),
    )?;
    assert!(run(dir.path(), &args()).is_err());
    Ok(())
}

#[test]
fn a_check_that_cannot_run_fails_the_scan() -> anyhow::Result<()> {
    let dir = workspace()?;
    std::fs::remove_file(dir.path().join("deny.toml"))?;
    let only_licenses = ScanArgs {
        skip: vec![Check::Advisories, Check::Secrets, Check::UnsafeCode],
        ..ScanArgs::default()
    };
    let err = run(dir.path(), &only_licenses)
        .err()
        .map(|err| err.to_string());
    assert_eq!(err.as_deref(), Some("1 check(s) could not run"));
    Ok(())
}
