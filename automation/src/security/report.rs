//! The scan's report: a table for people, JSON, or SARIF 2.1.0 for code scanning, and the
//! closing summary line.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Finding, Severity};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
    Sarif,
}

/// Colour only on a terminal, and never when `NO_COLOR` or `CI` is set.
pub fn use_colour(to_stdout: bool) -> bool {
    to_stdout
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
        && std::env::var_os("CI").is_none()
}

pub fn render(
    format: Format,
    findings: &[Finding],
    summary: &Summary,
    colour: bool,
) -> anyhow::Result<String> {
    Ok(match format {
        Format::Table => table(findings, colour),
        Format::Json => serde_json::to_string_pretty(&to_json(findings, summary))? + "\n",
        Format::Sarif => serde_json::to_string_pretty(&to_sarif(findings))? + "\n",
    })
}

/// Counts for the closing line; `failing` are the findings that fail the scan.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub allowed: usize,
    pub failing: usize,
}

impl Summary {
    pub fn of(findings: &[Finding], strict: bool) -> Self {
        let open = |severity| {
            findings
                .iter()
                .filter(|f| f.allowed.is_none() && f.severity == severity)
                .count()
        };
        Summary {
            errors: open(Severity::Error),
            warnings: open(Severity::Warning),
            allowed: findings.iter().filter(|f| f.allowed.is_some()).count(),
            failing: findings.iter().filter(|f| f.counts(strict)).count(),
        }
    }

    /// The closing line; `not_run` checks could not run, which fails the scan too.
    pub fn line(&self, not_run: usize, took: Duration) -> String {
        let verdict = match (self.failing, not_run) {
            (0, 0) => "passed".to_owned(),
            (failing, 0) => format!("FAILED ({failing} to fix or allow)"),
            (failing, not_run) => {
                format!("FAILED ({failing} to fix or allow, {not_run} check(s) not run)")
            }
        };
        format!(
            "security-scan {verdict}: {} error(s), {} warning(s), {} allowed by the allowlist, in {:.1}s",
            self.errors,
            self.warnings,
            self.allowed,
            took.as_secs_f64()
        )
    }
}

fn label(finding: &Finding) -> &'static str {
    if finding.allowed.is_some() {
        "allowed"
    } else {
        finding.severity.name()
    }
}

fn table(findings: &[Finding], colour: bool) -> String {
    if findings.is_empty() {
        return "no findings\n".to_owned();
    }
    let width = |column: &dyn Fn(&Finding) -> usize, title: &str| {
        findings
            .iter()
            .map(column)
            .chain([title.len()])
            .max()
            .unwrap_or_default()
    };
    let check_width = width(&|f| f.check.name().len(), "check");
    let location_width = width(&|f| f.location.to_string().len(), "location");
    let indent = " ".repeat(9 + check_width + 2 + location_width + 2);
    let mut out = format!(
        "{:<9}{:<check_width$}  {:<location_width$}  message\n",
        "severity", "check", "location"
    );
    for finding in findings {
        let label = format!("{:<9}", label(finding));
        let label = match (colour, finding.allowed.is_some(), finding.severity) {
            (false, ..) => label,
            (true, true, _) => format!("\u{1b}[2m{label}\u{1b}[0m"),
            (true, false, Severity::Error) => format!("\u{1b}[31m{label}\u{1b}[0m"),
            (true, false, Severity::Warning) => format!("\u{1b}[33m{label}\u{1b}[0m"),
        };
        let location = finding.location.to_string();
        let _ = writeln!(
            out,
            "{label}{:<check_width$}  {location:<location_width$}  {}",
            finding.check.name(),
            finding.message
        );
        let fingerprint = finding
            .fingerprint
            .as_deref()
            .map(|f| format!(", fingerprint {f}"))
            .unwrap_or_default();
        let _ = writeln!(out, "{indent}rule {}{fingerprint}", finding.rule_id());
        if let Some(reason) = &finding.allowed {
            let _ = writeln!(out, "{indent}allowed: {reason}");
        }
    }
    out
}

fn to_json(findings: &[Finding], summary: &Summary) -> Value {
    let findings: Vec<Value> = findings
        .iter()
        .map(|finding| {
            json!({
                "check": finding.check.name(),
                "rule": finding.rule_id(),
                "severity": finding.severity.name(),
                "path": finding.location.path,
                "line": finding.location.line,
                "message": finding.message,
                "fingerprint": finding.fingerprint,
                "allowed": finding.allowed,
            })
        })
        .collect();
    json!({
        "tool": "cargo xtask security-scan",
        "summary": {
            "errors": summary.errors,
            "warnings": summary.warnings,
            "allowed": summary.allowed,
            "failing": summary.failing,
        },
        "findings": findings,
    })
}

/// A SARIF 2.1.0 log: one run, a rule per `check/rule` id, a result per finding; allowed
/// findings carry an external suppression with the allowlist's reason.
fn to_sarif(findings: &[Finding]) -> Value {
    let mut rule_ids: BTreeMap<String, &Finding> = BTreeMap::new();
    for finding in findings {
        rule_ids.entry(finding.rule_id()).or_insert(finding);
    }
    let index_of: BTreeMap<&str, usize> = rule_ids
        .keys()
        .enumerate()
        .map(|(index, id)| (id.as_str(), index))
        .collect();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|(id, example)| {
            let mut rule = json!({
                "id": id,
                "shortDescription": { "text": format!("{}: {}", example.check.name(), example.rule) },
                "defaultConfiguration": { "level": example.severity.name() },
            });
            if example.rule.starts_with("RUSTSEC-") {
                rule["helpUri"] = json!(format!("https://rustsec.org/advisories/{}", example.rule));
            }
            rule
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|finding| {
            let id = finding.rule_id();
            let mut location = json!({ "artifactLocation": { "uri": finding.location.path, "uriBaseId": "%SRCROOT%" } });
            if let Some(line) = finding.location.line {
                location["region"] = json!({ "startLine": line });
            }
            let mut result = json!({
                "ruleId": id,
                "ruleIndex": index_of.get(id.as_str()).copied().unwrap_or_default(),
                "level": finding.severity.name(),
                "message": { "text": finding.message },
                "locations": [{ "physicalLocation": location }],
            });
            if let Some(fingerprint) = &finding.fingerprint {
                result["partialFingerprints"] = json!({ "securityScanFingerprint/v1": fingerprint });
            }
            if let Some(reason) = &finding.allowed {
                result["suppressions"] = json!([{ "kind": "external", "justification": reason }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "cargo xtask security-scan",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            } },
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests;
