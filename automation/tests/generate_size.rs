//! No generated file passes 400 lines (the project's limit), even for a large resource: 25
//! fields using every type, required and optional. Measured on the text as the generator
//! leaves it on disk, after `rustfmt` (the generator runs `cargo fmt --all` once it has
//! written the files, so the rendered text is formatted here the same way, through
//! `rustfmt --edition 2024` on stdin).
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use service_automation::generate::{Names, parse_fields, plan};

/// The project's limit on a file's lines.
const MAX_LINES: usize = 400;

/// 25 fields: every type, most of them both required and optional.
const FIELDS: &[&str] = &[
    "name:string[1..100]",
    "nickname:string[0..40]?",
    "code:string[3..3]",
    "email:email",
    "backup_email:email?",
    "tier:enum[free,pro,gold_plus]",
    "region:enum[eu,us]?",
    "balance:money",
    "credit_limit:money?",
    "active:bool",
    "verified:bool?",
    "joined_on:date",
    "born_on:date?",
    "account_ref:uuid",
    "external_ref:uuid?",
    "score:int[0..1000]",
    "rank:int[-5..5]?",
    "notes:text",
    "bio:text?",
    "avatar:url",
    "homepage:url?",
    "joined_at:timestamp",
    "last_seen_at:timestamp?",
    "title:string[1..200]?",
    "level:int[1..10]",
];

/// `text` as `cargo fmt` leaves it.
fn formatted(path: &str, text: &str) -> String {
    let mut rustfmt = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2024"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("rustfmt is needed to measure generated files: {err}"));
    rustfmt
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = rustfmt.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{path} does not format: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn every_file_of_a_25_field_resource_stays_under_400_lines() {
    assert_eq!(FIELDS.len(), 25);
    let fields = parse_fields(&FIELDS.iter().map(|f| (*f).to_owned()).collect::<Vec<_>>()).unwrap();
    let types: BTreeSet<&str> = fields.iter().map(|field| field.kind.keyword()).collect();
    assert_eq!(types.len(), 11, "every type: {types:?}");
    for auth in [true, false] {
        let names = Names::new("customer", None).unwrap();
        let plan = plan(
            &names,
            &fields,
            auth,
            "m20261130_120000_create_customers",
            "cargo xtask generate resource customer ...",
        )
        .unwrap();
        let mut too_long = Vec::new();
        for (path, text) in &plan.files {
            let path = path.display().to_string();
            let lines = formatted(&path, text).lines().count();
            eprintln!("{lines:>4} {path} (auth: {auth})");
            if lines > MAX_LINES {
                too_long.push(format!("{path}: {lines} lines"));
            }
        }
        assert!(
            too_long.is_empty(),
            "over {MAX_LINES} lines (auth: {auth}): {}",
            too_long.join(", ")
        );
    }
}
