//! What the checks report: a finding with its check, rule, severity and location.

use std::fmt;

/// What a finding is about; `--skip` takes the same names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Check {
    Advisories,
    Licenses,
    Bans,
    Sources,
    Secrets,
    UnsafeCode,
    /// Problems with the allowlist itself; not a check that can be skipped.
    #[value(skip)]
    Allowlist,
}

impl Check {
    pub fn name(self) -> &'static str {
        match self {
            Check::Advisories => "advisories",
            Check::Licenses => "licenses",
            Check::Bans => "bans",
            Check::Sources => "sources",
            Check::Secrets => "secrets",
            Check::UnsafeCode => "unsafe-code",
            Check::Allowlist => "allowlist",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Where a finding is: a path relative to the project root, and a 1-based line when known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub line: Option<usize>,
}

impl Location {
    pub fn file(path: impl Into<String>, line: Option<usize>) -> Self {
        Location {
            path: path.into(),
            line,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.path),
            None => f.write_str(&self.path),
        }
    }
}

/// One problem found by a check.
#[derive(Clone, Debug)]
pub struct Finding {
    pub check: Check,
    /// The rule within the check (`github-token`, `RUSTSEC-2021-0003`, ...).
    pub rule: String,
    pub severity: Severity,
    pub location: Location,
    pub message: String,
    /// A stable identity for the allowlist (never the secret itself).
    pub fingerprint: Option<String>,
    /// The allowlist's reason, when an entry allows this finding.
    pub allowed: Option<String>,
}

impl Finding {
    pub fn new(
        check: Check,
        rule: &str,
        severity: Severity,
        location: Location,
        message: String,
    ) -> Self {
        Finding {
            check,
            rule: rule.to_owned(),
            severity,
            location,
            message,
            fingerprint: None,
            allowed: None,
        }
    }

    /// `check/rule`: the id the allowlist and SARIF use.
    pub fn rule_id(&self) -> String {
        format!("{}/{}", self.check, self.rule)
    }

    /// An error or a warning that no allowlist entry covers.
    pub fn counts(&self, strict: bool) -> bool {
        self.allowed.is_none() && (self.severity == Severity::Error || strict)
    }
}

/// The 1-based line of `name`'s entry at `version` in a `Cargo.lock` text.
pub fn lockfile_line(lockfile: &str, name: &str, version: &str) -> Option<usize> {
    let name_line = format!("name = \"{name}\"");
    let version_line = format!("version = \"{version}\"");
    let lines: Vec<&str> = lockfile.lines().collect();
    lines
        .windows(2)
        .position(|pair| pair[0] == name_line && pair[1] == version_line)
        .map(|index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockfile_line_finds_the_package_entry() {
        let lockfile = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\n";
        assert_eq!(lockfile_line(lockfile, "b", "2.0.0"), Some(6));
        assert_eq!(lockfile_line(lockfile, "b", "1.0.0"), None);
    }

    #[test]
    fn warnings_count_only_when_strict_and_allowed_findings_never() {
        let mut finding = Finding::new(
            Check::Secrets,
            "x",
            Severity::Warning,
            Location::default(),
            String::new(),
        );
        assert!(!finding.counts(false));
        assert!(finding.counts(true));
        finding.severity = Severity::Error;
        assert!(finding.counts(false));
        finding.allowed = Some("reason".to_owned());
        assert!(!finding.counts(true));
    }
}
