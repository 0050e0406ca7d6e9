//! Tests of the `report` module.

use super::*;
use crate::security::{Check, Location};

fn sample() -> Vec<Finding> {
    let mut secret = Finding::new(
        Check::Secrets,
        "github-token",
        Severity::Error,
        Location::file("config/local.toml", Some(2)),
        "a GitHub token (ghp_..., 40 characters)".to_owned(),
    );
    secret.fingerprint = Some("0123456789abcdef".to_owned());
    let mut advisory = Finding::new(
        Check::Advisories,
        "RUSTSEC-2021-0139",
        Severity::Warning,
        Location::file("Cargo.lock", None),
        "ansi_term 0.12.1: ansi_term is Unmaintained".to_owned(),
    );
    advisory.allowed = Some("Only used by a build tool.".to_owned());
    vec![secret, advisory]
}

#[test]
fn sarif_has_the_required_structure() {
    let sarif = to_sarif(&sample());
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().map(Vec::len);
    assert_eq!(rules, Some(2));
    let results = run["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 2);
    for result in &results {
        let index = result["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        assert_eq!(
            run["tool"]["driver"]["rules"][index]["id"],
            result["ruleId"]
        );
        assert!(
            ["error", "warning", "note"].contains(&result["level"].as_str().unwrap_or_default())
        );
        assert!(result["message"]["text"].is_string());
        assert!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
    }
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    assert!(
        results[1]["locations"][0]["physicalLocation"]
            .get("region")
            .is_none()
    );
    assert_eq!(
        results[1]["suppressions"][0]["justification"],
        "Only used by a build tool."
    );
    assert_eq!(
        run["tool"]["driver"]["rules"][0]["helpUri"],
        "https://rustsec.org/advisories/RUSTSEC-2021-0139"
    );
}

#[test]
fn json_lists_every_finding_with_the_summary() {
    let findings = sample();
    let json = to_json(&findings, &Summary::of(&findings, false));
    assert_eq!(
        json["summary"],
        json!({ "errors": 1, "warnings": 0, "allowed": 1, "failing": 1 })
    );
    assert_eq!(json["findings"][0]["rule"], "secrets/github-token");
    assert_eq!(json["findings"][0]["line"], 2);
    assert_eq!(json["findings"][1]["allowed"], "Only used by a build tool.");
}

#[test]
fn the_table_shows_severity_check_location_message_and_the_rule() {
    let table = table(&sample(), false);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("severity check"), "{table}");
    assert!(
        lines[1].starts_with("error    secrets     config/local.toml:2  a GitHub token"),
        "{table}"
    );
    assert!(
        lines[2]
            .trim_start()
            .starts_with("rule secrets/github-token, fingerprint 0123456789abcdef")
    );
    assert!(
        lines[3].starts_with("allowed  advisories  Cargo.lock"),
        "{table}"
    );
    assert!(table.contains("allowed: Only used by a build tool."));
    assert_eq!(super::table(&[], false), "no findings\n");
}

#[test]
fn the_summary_fails_when_a_check_did_not_run() {
    let findings = sample();
    assert!(
        Summary::of(&[], false)
            .line(0, Duration::ZERO)
            .starts_with("security-scan passed")
    );
    assert!(
        Summary::of(&[], false)
            .line(1, Duration::ZERO)
            .contains("FAILED (0 to fix or allow, 1 check(s) not run)")
    );
    assert!(
        Summary::of(&findings, false)
            .line(0, Duration::ZERO)
            .contains("FAILED (1 to fix or allow)")
    );
    assert_eq!(Summary::of(&findings[1..], true).failing, 0);
}
