//! Tests of the `licenses` module.

use std::path::PathBuf;

use super::*;
use crate::security::metadata::Target;

const POLICY: &str = r#"
    [licenses]
    allow = ["MIT", "Apache-2.0"]
    exceptions = [{ crate = "ring", allow = ["ISC"] }]
    private = { ignore = true }
    [bans]
    deny = [{ crate = "openssl", reason = "rustls only" }, "old:<1"]
    [sources]
    unknown-registry = "deny"
    unknown-git = "deny"
"#;

const CRATES_IO_SOURCE: &str = "registry+https://github.com/rust-lang/crates.io-index";

fn package(name: &str, version: &str, license: Option<&str>, source: Option<&str>) -> Package {
    Package {
        id: format!("{name} {version}"),
        name: name.to_owned(),
        version: version.to_owned(),
        license: license.map(str::to_owned),
        license_file: None,
        source: source.map(str::to_owned),
        manifest_path: PathBuf::from(format!("/ws/{name}/Cargo.toml")),
        targets: Vec::<Target>::new(),
        publish: None,
    }
}

fn findings(packages: Vec<Package>) -> anyhow::Result<Vec<(Check, String)>> {
    let metadata = Metadata {
        packages,
        workspace_members: Vec::new(),
        workspace_root: PathBuf::from("/ws"),
    };
    let found = check(&DenyConfig::parse(POLICY)?, &metadata, "")?;
    Ok(found
        .into_iter()
        .map(|finding| (finding.check, finding.rule))
        .collect())
}

#[test]
fn a_clean_graph_has_no_findings() -> anyhow::Result<()> {
    let clean = vec![
        package(
            "a",
            "1.0.0",
            Some("MIT OR Apache-2.0"),
            Some(CRATES_IO_SOURCE),
        ),
        package("b", "1.0.0", Some("MIT/Apache-2.0"), Some(CRATES_IO_SOURCE)),
        package(
            "ring",
            "0.17.0",
            Some("Apache-2.0 AND ISC"),
            Some(CRATES_IO_SOURCE),
        ),
        package("old", "1.2.0", Some("MIT"), Some(CRATES_IO_SOURCE)),
        package("local", "0.1.0", Some("MIT"), None),
    ];
    assert_eq!(findings(clean)?, []);
    Ok(())
}

#[test]
fn finds_licenses_bans_and_sources() -> anyhow::Result<()> {
    let planted = vec![
        package("gpl", "1.0.0", Some("GPL-3.0-only"), Some(CRATES_IO_SOURCE)),
        package("isc", "1.0.0", Some("ISC"), Some(CRATES_IO_SOURCE)),
        package("none", "1.0.0", None, Some(CRATES_IO_SOURCE)),
        package(
            "openssl",
            "0.10.0",
            Some("Apache-2.0"),
            Some(CRATES_IO_SOURCE),
        ),
        package("old", "0.9.0", Some("MIT"), Some(CRATES_IO_SOURCE)),
        package(
            "forked",
            "1.0.0",
            Some("MIT"),
            Some("git+https://example.com/forked?rev=1#abc"),
        ),
        package(
            "elsewhere",
            "1.0.0",
            Some("MIT"),
            Some("registry+https://example.com/index"),
        ),
    ];
    let found = findings(planted)?;
    let rule = |check, rule: &str| (check, rule.to_owned());
    assert_eq!(
        found,
        [
            rule(Check::Licenses, "license-not-allowed"),
            rule(Check::Licenses, "license-not-allowed"),
            rule(Check::Licenses, "license-not-allowed"),
            rule(Check::Bans, "banned-crate"),
            rule(Check::Bans, "banned-crate"),
            rule(Check::Sources, "unknown-git"),
            rule(Check::Sources, "unknown-registry"),
        ]
    );
    Ok(())
}

#[test]
fn private_workspace_crates_are_skipped_only_when_configured() -> anyhow::Result<()> {
    let mut member = package("service", "0.1.0", Some("LicenseRef-Proprietary"), None);
    member.publish = Some(Vec::new());
    let metadata = Metadata {
        workspace_members: vec![member.id.clone()],
        packages: vec![member],
        workspace_root: PathBuf::from("/ws"),
    };
    let config = DenyConfig::parse(POLICY)?;
    assert!(check(&config, &metadata, "")?.is_empty());
    let strict = DenyConfig::parse(&POLICY.replace("ignore = true", "ignore = false"))?;
    let found = check(&strict, &metadata, "")?;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].location.path, "service/Cargo.toml");
    Ok(())
}
