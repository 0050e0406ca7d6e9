//! Where the RustSec advisory database comes from: the directory given by `--advisory-db` or
//! `ADVISORY_DB` (read as it is, never fetched), or else a cached clone in
//! `$CARGO_HOME/advisory-db`, cloned or brought up to date with the `git` command first. The
//! `rustsec` crate can fetch by itself, but only by compiling a whole git implementation
//! (gix) into the xtask; the `git` command is on every machine that has the project.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{Check, Finding, Location, ScanArgs, Severity};

/// The variable CI sets to a checkout (or snapshot) of the advisory database.
pub const DATABASE_VARIABLE: &str = "ADVISORY_DB";
/// Where the database is cloned from; `ADVISORY_DB_URL` names a mirror.
const DATABASE_URL: &str = "https://github.com/rustsec/advisory-db";
const DATABASE_URL_VARIABLE: &str = "ADVISORY_DB_URL";
const FETCH_TIMEOUT: Duration = Duration::from_secs(120);

/// The database to read, or `None` with `--allow-offline` when there is none (an error
/// otherwise). A stale cached copy is used with a warning in `findings`.
pub fn locate(args: &ScanArgs, findings: &mut Vec<Finding>) -> anyhow::Result<Option<PathBuf>> {
    let explicit = args
        .advisory_db
        .clone()
        .or_else(|| std::env::var_os(DATABASE_VARIABLE).map(PathBuf::from));
    if let Some(dir) = explicit {
        if !dir.join("crates").is_dir() {
            bail!(
                "{} is not an advisory database (it has no crates/ directory)",
                dir.display()
            );
        }
        return Ok(Some(dir));
    }
    match cached_database(args, findings)? {
        Some(dir) => Ok(Some(dir)),
        None if args.allow_offline => Ok(None),
        None => bail!(
            "no advisory database: it could not be fetched and there is no cached copy. Pass \
             --advisory-db <dir> or set {DATABASE_VARIABLE}, or --allow-offline to scan without it"
        ),
    }
}

/// The cached clone, fetched or updated first unless told not to; `None` when there is none.
fn cached_database(
    args: &ScanArgs,
    findings: &mut Vec<Finding>,
) -> anyhow::Result<Option<PathBuf>> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set: cannot find the advisory database cache")?;
    let dir = cargo_home.join("advisory-db");
    let offline =
        args.no_fetch || std::env::var("CARGO_NET_OFFLINE").is_ok_and(|value| value == "true");
    let usable = |dir: &Path| dir.join("crates").is_dir();
    if offline {
        if usable(&dir) {
            let date = last_update(&dir).unwrap_or_else(|| "an unknown date".to_owned());
            eprintln!("security-scan: not fetching; the cached database is from {date}");
        }
    } else {
        let url = std::env::var(DATABASE_URL_VARIABLE).unwrap_or_else(|_| DATABASE_URL.to_owned());
        match fetch(&url, &dir) {
            Ok(()) => eprintln!("security-scan: {} is up to date", dir.display()),
            Err(err) if usable(&dir) => {
                let date = last_update(&dir).unwrap_or_else(|| "an unknown date".to_owned());
                findings.push(Finding::new(
                    Check::Advisories,
                    "stale-database",
                    Severity::Warning,
                    Location::file("Cargo.lock", None),
                    format!("the advisory database could not be updated ({err:#}); using the cached copy from {date}"),
                ));
            }
            Err(err) => eprintln!("security-scan: cannot fetch the advisory database: {err:#}"),
        }
    }
    Ok(usable(&dir).then_some(dir))
}

/// Clones the database at `url` into `dir`, or brings an existing clone up to date.
fn fetch(url: &str, dir: &Path) -> anyhow::Result<()> {
    eprintln!("security-scan: fetching {url} into {} ...", dir.display());
    if dir.join(".git").exists() {
        git(
            Some(dir),
            &["fetch", "--quiet", "--depth", "1", url, "HEAD"],
        )?;
        git(Some(dir), &["reset", "--quiet", "--hard", "FETCH_HEAD"])
    } else if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "{} exists but is not a git clone; remove it or pass it with --advisory-db",
            dir.display()
        )
    } else {
        let target = dir.to_string_lossy();
        git(None, &["clone", "--quiet", "--depth", "1", url, &target])
    }
}

/// Runs `git`, killed after [`FETCH_TIMEOUT`] so that a silent network cannot hang the scan.
fn git(dir: Option<&Path>, args: &[&str]) -> anyhow::Result<()> {
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.arg("-C").arg(dir);
    }
    let mut child = command
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run git (needed to fetch the advisory database)")?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > FETCH_TIMEOUT {
            child.kill()?;
            child.wait()?;
            bail!(
                "`git {}` took longer than {}s",
                args.join(" "),
                FETCH_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if !status.success() {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            std::io::Read::read_to_string(&mut pipe, &mut stderr)?;
        }
        bail!("`git {}` failed: {}", args.join(" "), stderr.trim());
    }
    Ok(())
}

/// The date of the database's last commit, when it is a git clone.
pub fn last_update(dir: &Path) -> Option<String> {
    if !dir.join(".git").exists() {
        return None;
    }
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["log", "-1", "--format=%cs"])
        .output()
        .ok()?;
    let date = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !date.is_empty()).then_some(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git_in(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=test", "-c", "user.email=test@localhost"])
            .args(args)
            .status()?;
        anyhow::ensure!(status.success(), "git {args:?} failed");
        Ok(())
    }

    /// A local repository standing in for the advisory database's remote.
    fn remote_with(advisory: &str, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir.join("crates/demo"))?;
        std::fs::write(dir.join("crates/demo").join(advisory), "placeholder\n")?;
        git_in(dir, &["init", "-q"])?;
        git_in(dir, &["add", "-A"])?;
        git_in(dir, &["commit", "-q", "-m", advisory])
    }

    #[test]
    fn clones_then_updates_the_cache_from_a_remote() -> anyhow::Result<()> {
        let remote = tempfile::tempdir()?;
        let cache = tempfile::tempdir()?;
        remote_with("RUSTSEC-2000-0001.md", remote.path())?;
        let url = format!("file://{}", remote.path().display());
        let clone = cache.path().join("advisory-db");
        fetch(&url, &clone)?;
        assert!(clone.join("crates/demo/RUSTSEC-2000-0001.md").is_file());

        remote_with("RUSTSEC-2000-0002.md", remote.path())?;
        fetch(&url, &clone)?;
        assert!(clone.join("crates/demo/RUSTSEC-2000-0002.md").is_file());
        assert!(last_update(&clone).is_some_and(|date| date.len() == 10));
        Ok(())
    }

    #[test]
    fn an_unreachable_remote_is_an_error_and_a_foreign_directory_is_left_alone()
    -> anyhow::Result<()> {
        let cache = tempfile::tempdir()?;
        let missing = format!("file://{}/nothing-here", cache.path().display());
        assert!(fetch(&missing, &cache.path().join("advisory-db")).is_err());
        std::fs::write(cache.path().join("notes.txt"), "mine")?;
        let err = fetch(&missing, cache.path())
            .err()
            .map(|err| err.to_string());
        assert!(err.is_some_and(|err| err.contains("not a git clone")));
        Ok(())
    }
}
