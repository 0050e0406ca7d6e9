//! Secrets in the project's files: the files git tracks or would track (`git ls-files
//! --cached --others --exclude-standard`), or outside a git repository every file but
//! `target/` and `.git/`, each line checked by [`rules`]. Reports never show a secret, only
//! its start, its length and a fingerprint for the allowlist.

mod rules;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use super::{Check, Finding, Location, Severity};

/// Files larger than this are data, not configuration or code: not read.
const MAX_FILE_SIZE: u64 = 1024 * 1024;
/// Lockfiles (`Cargo.lock`, `package-lock.json`, `pnpm-lock.yaml`, ...).
const LOCKFILE_SUFFIXES: &[&str] = &[".lock", "-lock.json", "-lock.yaml"];
/// Directories never walked outside git.
const SKIPPED_DIRECTORIES: &[&str] = &["target", ".git"];

/// Scans the project's files.
pub fn scan(root: &Path) -> anyhow::Result<Vec<Finding>> {
    let files = match git_files(root) {
        Some(files) => files?,
        None => walk(root)?,
    };
    let rules = rules::Rules::new()?;
    let mut findings = Vec::new();
    let mut read = 0;
    for relative in &files {
        let path = root.join(relative);
        let Ok(file) = std::fs::metadata(&path) else {
            continue;
        };
        if !file.is_file() || file.len() > MAX_FILE_SIZE {
            continue;
        }
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if bytes.iter().take(8192).any(|byte| *byte == 0) {
            continue;
        }
        read += 1;
        findings.extend(scan_text(
            &rules,
            relative,
            &String::from_utf8_lossy(&bytes),
        ));
    }
    eprintln!("security-scan: {read} text files read for secrets");
    Ok(findings)
}

/// The findings in one file's text; `path` is relative to the project root.
fn scan_text(rules: &rules::Rules, path: &str, text: &str) -> Vec<Finding> {
    // Lockfiles are full of checksums: only the known formats apply there.
    let entropy = !LOCKFILE_SUFFIXES
        .iter()
        .any(|suffix| path.ends_with(suffix));
    let mut findings = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for hit in rules.find(line, entropy) {
            let preview: String = hit.text.chars().take(4).collect();
            let message = format!(
                "{} ({preview}..., {} characters)",
                hit.what,
                hit.text.chars().count()
            );
            let location = Location::file(path, Some(index + 1));
            let mut finding =
                Finding::new(Check::Secrets, hit.rule, Severity::Error, location, message);
            finding.fingerprint = Some(fingerprint(hit.rule, &hit.text));
            findings.push(finding);
        }
    }
    findings
}

/// A short hash of the rule and the secret: stable across edits elsewhere in the file, and
/// safe to commit to the allowlist.
fn fingerprint(rule: &str, secret: &str) -> String {
    let digest = Sha256::new()
        .chain_update(rule)
        .chain_update([0])
        .chain_update(secret)
        .finalize();
    digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The files git tracks or would track, or `None` outside a git work tree, or when the
/// enclosing repository ignores the project (a rendering under another project's `target/`).
fn git_files(root: &Path) -> Option<anyhow::Result<Vec<String>>> {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if !git(&["rev-parse", "--is-inside-work-tree"]) || git(&["check-ignore", "-q", "."]) {
        return None;
    }
    let listing = || -> anyhow::Result<Vec<String>> {
        let output = Command::new("git")
            .arg("-C")
            .arg(root)
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .output()
            .context("cannot run git ls-files")?;
        if !output.status.success() {
            bail!(
                "git ls-files failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let text = String::from_utf8_lossy(&output.stdout);
        Ok(text
            .split('\0')
            .filter(|path| !path.is_empty())
            .map(str::to_owned)
            .collect())
    };
    Some(listing())
}

/// Every file under `root` but [`SKIPPED_DIRECTORIES`], without following symbolic links.
fn walk(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    let mut pending: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let dir = root.join(&relative);
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?
        {
            let entry = entry?;
            let name = entry.file_name();
            let path = relative.join(&name);
            let kind = entry.file_type()?;
            if kind.is_dir() {
                if !SKIPPED_DIRECTORIES.iter().any(|skipped| name == *skipped) {
                    pending.push(path);
                }
            } else if kind.is_file() {
                files.push(path.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_a_planted_key_without_printing_it() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let secret = ["gh", "p_", &"Zq4".repeat(12)].concat();
        std::fs::create_dir_all(dir.path().join("config"))?;
        std::fs::write(
            dir.path().join("config/local.toml"),
            format!("# token\ntoken = \"{secret}\"\n"),
        )?;
        let findings = scan(dir.path())?;
        assert_eq!(findings.len(), 1, "{findings:?}");
        let finding = &findings[0];
        assert_eq!(finding.rule_id(), "secrets/github-token");
        assert_eq!(finding.location.to_string(), "config/local.toml:2");
        assert!(!finding.message.contains(&secret), "{}", finding.message);
        assert_eq!(
            finding.fingerprint.as_deref(),
            Some(fingerprint("github-token", &secret).as_str())
        );
        Ok(())
    }

    #[test]
    fn skips_target_git_and_binary_files_and_is_silent_on_a_clean_tree() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let key = ["-----BEGIN ", "PRIVATE KEY-----"].concat();
        for skipped in ["target/debug/key.pem", ".git/key.pem"] {
            std::fs::create_dir_all(dir.path().join(skipped).parent().unwrap_or(dir.path()))?;
            std::fs::write(dir.path().join(skipped), &key)?;
        }
        std::fs::write(dir.path().join("data.bin"), [key.as_bytes(), &[0]].concat())?;
        std::fs::write(
            dir.path().join("README.md"),
            "Run `cargo run`; see postgres://postgres@localhost/db.\n",
        )?;
        assert!(scan(dir.path())?.is_empty());
        assert_eq!(walk(dir.path())?, ["README.md", "data.bin"]);
        Ok(())
    }

    #[test]
    fn in_a_git_repository_ignored_files_are_not_read() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let initialised = Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args(["init", "-q"])
            .status()?;
        assert!(initialised.success());
        let key = ["-----BEGIN ", "EC PRIVATE KEY-----"].concat();
        std::fs::write(dir.path().join(".gitignore"), "/local/\n")?;
        std::fs::create_dir_all(dir.path().join("local"))?;
        std::fs::write(dir.path().join("local/key.pem"), &key)?;
        std::fs::write(dir.path().join("deploy.pem"), &key)?;
        let found: Vec<String> = scan(dir.path())?
            .iter()
            .map(|f| f.location.to_string())
            .collect();
        assert_eq!(found, ["deploy.pem:1"]);
        Ok(())
    }

    #[test]
    fn fingerprints_differ_by_secret_and_rule() {
        assert_eq!(fingerprint("a", "x").len(), 16);
        assert_ne!(fingerprint("a", "x"), fingerprint("a", "y"));
        assert_ne!(fingerprint("a", "x"), fingerprint("b", "x"));
    }
}
