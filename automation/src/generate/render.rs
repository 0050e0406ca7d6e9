//! From a resource's names and fields to its files and its wiring edits. Pure: no file is
//! read or written here, so the snapshot test sees exactly what `generate` would write.

use std::path::PathBuf;

use anyhow::Context;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, context};

use super::field::FieldSpec;
use super::markers::Insertion;
use super::model::Resource;
use super::names::Names;

/// The templates, embedded in the binary: (template, path of the file it writes, with
/// `{name}`, `{plural}` and `{migration}` replaced).
const TEMPLATES: &[(&str, &str, &str)] = &[
    (
        "domain_mod.rs",
        include_str!("templates/domain_mod.rs.jinja"),
        "crates/domain/src/{name}/mod.rs",
    ),
    (
        "domain_values.rs",
        include_str!("templates/domain_values.rs.jinja"),
        "crates/domain/src/{name}/values.rs",
    ),
    (
        "domain_values_tests.rs",
        include_str!("templates/domain_values_tests.rs.jinja"),
        "crates/domain/src/{name}/values/tests.rs",
    ),
    (
        "domain_port.rs",
        include_str!("templates/domain_port.rs.jinja"),
        "crates/domain/src/{name}/port.rs",
    ),
    (
        "domain_service.rs",
        include_str!("templates/domain_service.rs.jinja"),
        "crates/domain/src/{name}/service.rs",
    ),
    (
        "domain_tests.rs",
        include_str!("templates/domain_tests.rs.jinja"),
        "crates/domain/src/{name}/tests.rs",
    ),
    (
        "persistence_mod.rs",
        include_str!("templates/persistence_mod.rs.jinja"),
        "crates/persistence/src/{name}/mod.rs",
    ),
    (
        "persistence_entity.rs",
        include_str!("templates/persistence_entity.rs.jinja"),
        "crates/persistence/src/{name}/entity.rs",
    ),
    (
        "persistence_idempotency_key.rs",
        include_str!("templates/persistence_idempotency_key.rs.jinja"),
        "crates/persistence/src/{name}/idempotency_key.rs",
    ),
    (
        "persistence_repository.rs",
        include_str!("templates/persistence_repository.rs.jinja"),
        "crates/persistence/src/{name}/repository.rs",
    ),
    (
        "persistence_rows.rs",
        include_str!("templates/persistence_rows.rs.jinja"),
        "crates/persistence/src/{name}/rows.rs",
    ),
    (
        "migration.rs",
        include_str!("templates/migration.rs.jinja"),
        "crates/migration/src/{migration}.rs",
    ),
    (
        "api_mod.rs",
        include_str!("templates/api_mod.rs.jinja"),
        "crates/api/src/{name}/mod.rs",
    ),
    (
        "api_request.rs",
        include_str!("templates/api_request.rs.jinja"),
        "crates/api/src/{name}/request.rs",
    ),
    (
        "api_response.rs",
        include_str!("templates/api_response.rs.jinja"),
        "crates/api/src/{name}/response.rs",
    ),
    (
        "api_conversion.rs",
        include_str!("templates/api_conversion.rs.jinja"),
        "crates/api/src/{name}/conversion.rs",
    ),
    (
        "api_conversion_tests.rs",
        include_str!("templates/api_conversion_tests.rs.jinja"),
        "crates/api/src/{name}/conversion/tests.rs",
    ),
    (
        "persistence_test.rs",
        include_str!("templates/persistence_test.rs.jinja"),
        "crates/persistence/tests/{name}_repository.rs",
    ),
    (
        "server_test.rs",
        include_str!("templates/server_test.rs.jinja"),
        "crates/server/tests/{plural}.rs",
    ),
    (
        "server_test_validation.rs",
        include_str!("templates/server_test_validation.rs.jinja"),
        "crates/server/tests/{plural}/validation.rs",
    ),
    (
        "server_test_lists.rs",
        include_str!("templates/server_test_lists.rs.jinja"),
        "crates/server/tests/{plural}/lists.rs",
    ),
];

/// Lines inserted before one file's markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub file: PathBuf,
    pub insertions: Vec<Insertion>,
}

/// Everything `generate resource` would write and edit.
#[derive(Debug, Clone)]
pub struct Plan {
    /// New files: path relative to the project root, and contents.
    pub files: Vec<(PathBuf, String)>,
    pub edits: Vec<Edit>,
    /// Dependencies the files need: (manifest, dependency line), added under
    /// `[dependencies]` when the manifest has no such dependency yet.
    pub dependencies: Vec<(PathBuf, &'static str)>,
    /// Text appended to a file unless the file already contains the key (the first line).
    pub appends: Vec<(PathBuf, String)>,
}

/// Renders the resource's files and plans the wiring. `migration` is the migration's module
/// name; `command_line` goes into each file's header.
pub fn plan(
    names: &Names,
    fields: &[FieldSpec],
    auth: bool,
    migration: &str,
    command_line: &str,
) -> anyhow::Result<Plan> {
    let resource = Resource::new(names.clone(), fields, auth, migration.to_owned());
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .context("the generator's template syntax is invalid")?,
    );
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source, _) in TEMPLATES {
        env.add_template(name, source)
            .with_context(|| format!("generator template {name} is broken"))?;
    }
    let mut files = Vec::new();
    for (name, _, path) in TEMPLATES {
        let template = env.get_template(name)?;
        let text = template
            .render(context! { r => Serde(&resource), command => command_line })
            .with_context(|| format!("rendering {name} failed"))?;
        let path = path
            .replace("{name}", &names.snake)
            .replace("{plural}", &names.plural)
            .replace("{migration}", migration);
        files.push((PathBuf::from(path), text));
    }
    Ok(Plan {
        files,
        edits: edits(names, migration, auth),
        // Idempotency fingerprints are stored as SHA-256 digests.
        dependencies: vec![(
            PathBuf::from("crates/persistence/Cargo.toml"),
            "sha2.workspace = true",
        )],
        appends: vec![(PathBuf::from("schemathesis.toml"), schemathesis(names))],
    })
}

fn insertion(point: &'static str, lines: &[String]) -> Insertion {
    Insertion {
        point,
        lines: lines.to_vec(),
    }
}

/// The wiring of the layout contract (docs/architecture.md, "Adding a resource").
fn edits(names: &Names, migration: &str, auth: bool) -> Vec<Edit> {
    let Names {
        snake,
        pascal,
        plural,
        plural_pascal,
        plural_words,
        ..
    } = names;
    let edit = |file: &str, insertions: Vec<Insertion>| Edit {
        file: PathBuf::from(file),
        insertions,
    };
    let scopes = snake.to_uppercase();
    let mut edits = vec![
        edit(
            "crates/domain/src/lib.rs",
            vec![insertion("modules", &[format!("pub mod {snake};")])],
        ),
        edit(
            "crates/persistence/src/lib.rs",
            vec![
                insertion("modules", &[format!("mod {snake};")]),
                insertion(
                    "exports",
                    &[format!("pub use {snake}::SeaOrm{pascal}Repository;")],
                ),
            ],
        ),
        edit(
            "crates/persistence/src/purge.rs",
            vec![insertion(
                "purges",
                &[format!("&crate::{snake}::IdempotencyKeys,")],
            )],
        ),
        edit(
            "crates/migration/src/lib.rs",
            vec![
                insertion("modules", &[format!("mod {migration};")]),
                insertion(
                    "migrations",
                    &[format!("Box::new({migration}::Migration),")],
                ),
            ],
        ),
        edit(
            "crates/api/src/lib.rs",
            vec![insertion("modules", &[format!("mod {snake};")])],
        ),
        edit(
            "crates/api/src/routes.rs",
            vec![
                insertion(
                    "imports",
                    &[
                        format!("use crate::{snake}::{plural_pascal}Api;"),
                        format!("use domain::{snake}::{pascal}Service;"),
                    ],
                ),
                insertion(
                    "tags",
                    &[
                        format!("/// {}.", capitalized(plural_words)),
                        format!("{plural_pascal},"),
                    ],
                ),
                insertion("state", &[format!("pub {plural}: {pascal}Service,")]),
                insertion("apis", &[format!("{plural_pascal}Api,")]),
                insertion(
                    "data",
                    &[format!("request.set_data(state.{plural}.clone());")],
                ),
            ],
        ),
        edit(
            "crates/server/src/startup.rs",
            vec![
                insertion(
                    "imports",
                    &[
                        format!("use domain::{snake}::{pascal}Service;"),
                        format!("use persistence::SeaOrm{pascal}Repository;"),
                    ],
                ),
                insertion(
                    "services",
                    &[format!(
                        "{plural}: {pascal}Service::new(Arc::new(SeaOrm{pascal}Repository::new(db.clone())), clock.clone(), ids.clone()),"
                    )],
                ),
            ],
        ),
    ];
    if auth {
        // `dev-token` grants every scope the service knows by default.
        edits.push(edit(
            "crates/api/src/auth.rs",
            vec![insertion(
                "scopes",
                &[
                    format!("crate::{snake}::{scopes}_READ,"),
                    format!("crate::{snake}::{scopes}_WRITE,"),
                    format!("crate::{snake}::{scopes}_ADMIN,"),
                ],
            )],
        ));
    }
    edits
}

/// What Schemathesis (`cargo xtask api-fuzz`) may expect of each operation besides its
/// successes, as for orders: a create or replace may be refused (422) or meet a concurrent
/// change (409), a replace or delete a stale `If-Match` (412) or none, which the schema allows
/// but the service refuses (428), a list a cursor this API did not issue (400).
fn schemathesis(names: &Names) -> String {
    let Names { snake, plural, .. } = names;
    format!(
        "\n# The {plural} resource (`cargo xtask generate resource {snake}`).\n\
         [[operations]]\ninclude-operation-id = \"create_{snake}\"\n\
         checks.negative_data_rejection.enabled = false\n\
         checks.positive_data_acceptance.expected-statuses = [\"2xx\", \"401\", \"403\", \"404\", \"409\", \"422\"]\n\n\
         [[operations]]\ninclude-operation-id = \"list_{plural}\"\n\
         checks.positive_data_acceptance.expected-statuses = [\"2xx\", \"400\", \"401\", \"403\", \"404\"]\n\n\
         [[operations]]\ninclude-operation-id = \"update_{snake}\"\n\
         checks.negative_data_rejection.enabled = false\n\
         checks.positive_data_acceptance.expected-statuses = [\"2xx\", \"401\", \"403\", \"404\", \"409\", \"412\", \"422\", \"428\"]\n\n\
         [[operations]]\ninclude-operation-id = \"delete_{snake}\"\n\
         checks.positive_data_acceptance.expected-statuses = [\"2xx\", \"401\", \"403\", \"404\", \"409\", \"412\", \"428\"]\n"
    )
}

fn capitalized(words: &str) -> String {
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    })
}
