//! File-tree checks on renderings: leftover template syntax, and drift between two trees.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Template syntax that must not survive rendering.
const MARKERS: &[&str] = &["{{", "{%", "}}"];

/// A line that still contains template syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub path: PathBuf,
    pub line: usize,
    pub text: String,
}

impl std::fmt::Display for Leftover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.path.display(),
            self.line,
            self.text.trim()
        )
    }
}

/// GitHub workflows use `${{ ... }}` themselves; the template excludes them from rendering.
fn is_workflow(rel: &Path) -> bool {
    rel.parent() == Some(Path::new(".github/workflows"))
        && rel.extension().is_some_and(|e| e == "yml" || e == "yaml")
}

/// Every line under `root` (paths relative to it) containing `{{`, `{%` or `}}`, except in
/// `.github/workflows/*.yml`. Files that are not UTF-8 text are skipped.
pub fn leftover_syntax(root: &Path) -> Result<Vec<Leftover>> {
    let mut found = Vec::new();
    for rel in files(root)? {
        if is_workflow(&rel) {
            continue;
        }
        let Ok(text) = fs::read_to_string(root.join(&rel)) else {
            continue; // binary
        };
        for (i, line) in text.lines().enumerate() {
            if MARKERS.iter().any(|m| line.contains(m)) {
                found.push(Leftover {
                    path: rel.clone(),
                    line: i + 1,
                    text: line.to_owned(),
                });
            }
        }
    }
    Ok(found)
}

/// How `actual` differs from `expected`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// In both, with different content.
    pub differ: Vec<PathBuf>,
    /// In `expected` only.
    pub missing: Vec<PathBuf>,
    /// In `actual` only.
    pub extra: Vec<PathBuf>,
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.differ.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }

    /// One line per file: `differs: path`, `missing: path`, `extra: path`.
    pub fn lines(&self) -> Vec<String> {
        let tagged = |tag: &str, paths: &[PathBuf]| -> Vec<String> {
            paths
                .iter()
                .map(|p| format!("{tag}: {}", p.display()))
                .collect()
        };
        [
            tagged("differs", &self.differ),
            tagged("missing", &self.missing),
            tagged("extra", &self.extra),
        ]
        .concat()
    }
}

/// Compares two trees file by file (a top-level `target/` is ignored on both sides).
pub fn drift(expected: &Path, actual: &Path) -> Result<Drift> {
    let want: BTreeSet<PathBuf> = files(expected)?.into_iter().collect();
    let have: BTreeSet<PathBuf> = if actual.exists() {
        files(actual)?.into_iter().collect()
    } else {
        BTreeSet::new()
    };
    let mut drift = Drift {
        missing: want.difference(&have).cloned().collect(),
        extra: have.difference(&want).cloned().collect(),
        ..Drift::default()
    };
    for rel in want.intersection(&have) {
        let read = |root: &Path| {
            let path = root.join(rel);
            fs::read(&path).with_context(|| format!("reading {}", path.display()))
        };
        if read(expected)? != read(actual)? {
            drift.differ.push(rel.clone());
        }
    }
    Ok(drift)
}

/// All files under `root`, relative to it, sorted; skips a top-level `target/` and `.git/`.
fn files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let walk = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !(e.depth() == 1 && (e.file_name() == "target" || e.file_name() == ".git"))
        });
    for entry in walk {
        let entry = entry.with_context(|| format!("walking {}", root.display()))?;
        if !entry.file_type().is_dir() {
            out.push(entry.path().strip_prefix(root)?.to_path_buf());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn finds_leftover_syntax_with_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "Cargo.toml",
            "[package]\nname = \"{{project-name}}\"\n",
        );
        write(root, "src/lib.rs", "// ok\n{% if auth %}\n");
        write(root, "src/clean.rs", "fn main() { let x = { 1 }; }\n");
        write(root, "docs/a.md", "trailing }}\n");
        write(root, ".github/workflows/ci.yml", "run: ${{ matrix.os }}\n");
        write(root, "target/debug/x.d", "{{ build output is ignored }}\n");
        fs::write(root.join("blob.bin"), [0xff, 0xfe, b'{', b'{']).unwrap();

        let found: Vec<String> = leftover_syntax(root)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "Cargo.toml:2: name = \"{{project-name}}\"",
                "docs/a.md:1: trailing }}",
                "src/lib.rs:2: {% if auth %}",
            ]
        );
    }

    #[test]
    fn workflows_are_only_exempt_directly_under_github_workflows() {
        assert!(is_workflow(Path::new(".github/workflows/ci.yml")));
        assert!(is_workflow(Path::new(".github/workflows/release.yaml")));
        assert!(!is_workflow(Path::new(".github/dependabot.yml")));
        assert!(!is_workflow(Path::new("config/workflows/ci.yml")));
    }

    #[test]
    fn drift_lists_differing_missing_and_extra_files() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for root in [a.path(), b.path()] {
            write(root, "same.txt", "same\n");
            write(root, "target/ignored", "anything");
        }
        write(a.path(), "target/ignored", "something else");
        write(a.path(), "src/changed.rs", "old\n");
        write(b.path(), "src/changed.rs", "new\n");
        write(a.path(), "gone/file.md", "x");
        write(b.path(), "new.md", "x");

        let d = drift(a.path(), b.path()).unwrap();
        assert_eq!(
            d.lines(),
            [
                "differs: src/changed.rs",
                "missing: gone/file.md",
                "extra: new.md"
            ]
        );
        assert!(!d.is_empty());
        assert!(drift(a.path(), a.path()).unwrap().is_empty());
    }

    #[test]
    fn drift_against_a_missing_tree_lists_everything_missing() {
        let a = tempfile::tempdir().unwrap();
        write(a.path(), "x/y.txt", "y");
        let d = drift(a.path(), &a.path().join("nope")).unwrap();
        assert_eq!(d.missing, [PathBuf::from("x/y.txt")]);
    }
}
