//! Where a rendering came from: `cargo xtask new` adds the template repository's commit to
//! the rendering's `.template-answers.toml`, next to the answers and the template version the
//! template itself writes there. `cargo xtask upgrade` uses both to re-render a service's
//! starting point. CI renderings and `examples/` do not get it, so they stay reproducible.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

/// The answers file every rendering carries (from `template/.template-answers.toml`).
pub const ANSWERS_FILE: &str = ".template-answers.toml";

/// Records `git rev-parse HEAD` of `template_root` (with `-dirty` when `template/` has local
/// changes) in `out_dir`'s answers file; `None` when there is no git checkout or no file.
pub fn record_template_commit(template_root: &Path, out_dir: &Path) -> Result<Option<String>> {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(template_root)
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let Some(head) = git(&["rev-parse", "HEAD"]) else {
        return Ok(None);
    };
    let dirty = git(&["status", "--porcelain", "--", "template"]).is_some_and(|s| !s.is_empty());
    let commit = if dirty {
        format!("{head}{DIRTY_SUFFIX}")
    } else {
        head
    };
    Ok(record_commit(out_dir, &commit)?.then_some(commit))
}

/// Appended to the recorded commit when `template/` had uncommitted changes: such a rendering
/// cannot be reproduced from the commit alone, and `cargo xtask upgrade` says so.
pub const DIRTY_SUFFIX: &str = "-dirty";

/// Writes `commit` into `out_dir`'s answers file; `false` when it has none (or no `[template]`).
pub fn record_commit(out_dir: &Path, commit: &str) -> Result<bool> {
    let file = out_dir.join(ANSWERS_FILE);
    let Ok(text) = fs::read_to_string(&file) else {
        return Ok(false);
    };
    let Some(updated) = with_commit(&text, commit) else {
        return Ok(false);
    };
    fs::write(&file, updated).with_context(|| format!("writing {}", file.display()))?;
    Ok(true)
}

/// `text` with `commit = "<commit>"` after the `version` line of its `[template]` table.
fn with_commit(text: &str, commit: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + commit.len() + 16);
    let mut in_template = false;
    let mut done = false;
    for line in text.lines() {
        out.push_str(line);
        out.push('\n');
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_template = trimmed == "[template]";
        } else if in_template && !done && trimmed.starts_with("version =") {
            out.push_str(&format!(
                "# The template repository's commit it was rendered from.\ncommit = \"{commit}\"\n"
            ));
            done = true;
        }
    }
    done.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commit_goes_into_the_template_table() {
        let text = "# answers\n[template]\nversion = \"0.1.0\"\n\n[answers]\nversion = \"x\"\nauth = true\n";
        let updated = with_commit(text, "abc123").unwrap();
        let parsed: toml::Table = toml::from_str(&updated).unwrap();
        assert_eq!(parsed["template"]["commit"].as_str(), Some("abc123"));
        assert_eq!(parsed["template"]["version"].as_str(), Some("0.1.0"));
        assert!(parsed["answers"].get("commit").is_none());
        assert_eq!(with_commit("[answers]\nauth = true\n", "abc"), None);
    }
}
