//! The generator's output for one resource that uses every field type and option, as
//! committed snapshots (`tests/snapshots/`): a change to the generator shows up as a diff of
//! the code it writes. Review with `cargo insta review` (or accept with
//! `INSTA_UPDATE=always cargo test -p service-automation --test generate_snapshot`).
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used)]

use service_automation::generate::{Names, parse_fields, plan};

const FIELDS: &[&str] = &[
    "name:string[1..100]",
    "email:email",
    "tier:enum[free,pro]",
    "credit_limit:money?",
    "active:bool",
    "born_on:date?",
    "external_ref:uuid?",
    "score:int[0..1000]",
    "bio:text?",
    "website:url?",
    "last_seen_at:timestamp?",
];

fn rendered(auth: bool) -> service_automation::generate::Plan {
    let names = Names::new("customer", None).unwrap();
    let fields = parse_fields(&FIELDS.iter().map(|f| (*f).to_owned()).collect::<Vec<_>>()).unwrap();
    plan(
        &names,
        &fields,
        auth,
        "m20261130_120000_create_customers",
        "cargo xtask generate resource customer ...",
    )
    .unwrap()
}

#[test]
fn every_file_of_a_resource_with_every_field_type() {
    let plan = rendered(true);
    for (path, text) in &plan.files {
        let name = path.display().to_string().replace('/', "__");
        insta::assert_snapshot!(name, text);
    }
    let edits: Vec<String> = plan
        .edits
        .iter()
        .flat_map(|edit| {
            edit.insertions.iter().map(move |insertion| {
                format!(
                    "{} @ {}:\n{}",
                    edit.file.display(),
                    insertion.point,
                    insertion.lines.join("\n")
                )
            })
        })
        .collect();
    insta::assert_snapshot!("wiring", edits.join("\n\n"));
}

#[test]
fn without_authentication_no_token_is_read_and_no_scope_declared() {
    let plan = rendered(false);
    for (path, text) in &plan.files {
        assert!(!text.contains("BearerAuth"), "{}", path.display());
        assert!(!text.contains("customer:write"), "{}", path.display());
    }
}
