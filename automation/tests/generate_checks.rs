//! `generate resource` refuses before writing anything: a missing marker (a team edited
//! `routes.rs` and dropped it) is named with its file; an existing resource needs `--force`;
//! `--dry-run` writes nothing. Run on a skeleton project in a temporary directory.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use service_automation::generate::{ResourceArgs, resource};

/// The files the generator edits, each with its markers (and a team's own lines around them).
const SKELETON: &[(&str, &str)] = &[
    (
        "crates/domain/src/lib.rs",
        "pub mod team_thing;\n// xtask-generate: modules\n",
    ),
    (
        "crates/persistence/src/lib.rs",
        "mod database;\n// xtask-generate: modules\n\npub use database::connect;\n// xtask-generate: exports\n",
    ),
    (
        "crates/persistence/src/purge.rs",
        "const KEY_TABLES: &[&dyn Iden] = &[\n    &crate::team::IdempotencyKeys,\n    // xtask-generate: purges\n];\n",
    ),
    (
        "crates/persistence/Cargo.toml",
        "[package]\nname = \"persistence\"\n\n[dependencies]\nsea-orm.workspace = true\n",
    ),
    (
        "crates/migration/src/lib.rs",
        "// xtask-generate: modules\nfn migrations() {\n    vec![\n        // xtask-generate: migrations\n    ]\n}\n",
    ),
    (
        "crates/api/src/lib.rs",
        "mod routes;\n// xtask-generate: modules\n",
    ),
    (
        "crates/api/src/routes.rs",
        "use crate::team::TeamApi;\n// xtask-generate: imports\npub enum ApiTags {\n    Team,\n    // xtask-generate: tags\n}\npub struct ApiState {\n    // xtask-generate: state\n}\nfn apis() {\n    (\n        TeamApi,\n        // xtask-generate: apis\n    )\n}\nfn routes() {\n    route\n        // xtask-generate: data\n        ;\n}\n",
    ),
    (
        "crates/server/src/startup.rs",
        "// xtask-generate: imports\nfn state() {\n    ApiState {\n        // xtask-generate: services\n    }\n}\n",
    ),
    ("schemathesis.toml", "generation.max-examples = 25\n"),
];

fn skeleton(root: &Path) {
    for (path, text) in SKELETON {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn args(dry_run: bool, force: bool) -> ResourceArgs {
    ResourceArgs {
        name: "customer".into(),
        fields: vec!["name:string[1..100]".into(), "tier:enum[free,pro]".into()],
        plural: None,
        force,
        dry_run,
        no_export: false,
    }
}

/// Every file under `root`, relative.
fn files(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                found.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn a_missing_marker_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    skeleton(dir.path());
    let routes = dir.path().join("crates/api/src/routes.rs");
    let edited = std::fs::read_to_string(&routes)
        .unwrap()
        .replace("    // xtask-generate: tags\n", "");
    std::fs::write(&routes, &edited).unwrap();
    let before = files(dir.path());

    let err = resource(dir.path(), true, &args(false, false))
        .unwrap_err()
        .to_string();
    assert!(err.contains("crates/api/src/routes.rs"), "{err}");
    assert!(err.contains("// xtask-generate: tags"), "{err}");
    assert_eq!(files(dir.path()), before, "nothing was written");
    assert_eq!(std::fs::read_to_string(&routes).unwrap(), edited);
}

#[test]
fn a_dry_run_writes_nothing_and_an_existing_resource_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    skeleton(dir.path());
    let before = files(dir.path());
    resource(dir.path(), false, &args(true, false)).unwrap();
    assert_eq!(files(dir.path()), before, "a dry run writes nothing");

    let migration = dir
        .path()
        .join("crates/migration/src/m20260101_000000_create_customers.rs");
    std::fs::write(&migration, "// an earlier generation\n").unwrap();
    let err = resource(dir.path(), false, &args(false, false))
        .unwrap_err()
        .to_string();
    assert!(err.contains("resource `customer` exists"), "{err}");
    assert!(err.contains("--force"), "{err}");
    // With --force, a dry run plans to overwrite the same migration, not to add a second one.
    resource(dir.path(), false, &args(true, true)).unwrap();
    assert_eq!(
        std::fs::read_to_string(&migration).unwrap(),
        "// an earlier generation\n"
    );
}

#[test]
fn bad_fields_are_refused_before_anything_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = args(false, false);
    bad.fields = vec!["id:uuid".into()];
    let err = resource(dir.path(), true, &bad).unwrap_err().to_string();
    assert!(err.contains("reserved"), "{err}");
    bad.fields = vec!["when:datetime".into()];
    let err = resource(dir.path(), true, &bad).unwrap_err().to_string();
    assert!(err.contains("unknown type `datetime`"), "{err}");
}
