//! `cargo xtask migrate`: run migrations through the service binary, add a new one, and the
//! CI round trip (up, down to zero, up again on a fresh database).
//!
//! ```no_run
//! use service_automation::migrations;
//!
//! let root = std::path::Path::new(".");
//! migrations::command(root, &["status".to_owned()])?; // `cargo xtask migrate status`
//! migrations::round_trip(root)?; // the CI step
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::path::Path;

use anyhow::{Context, bail, ensure};

const MIGRATION_DIR: &str = "crates/migration/src";

/// `cargo xtask migrate <args>`: `new <name>` adds a migration, anything else goes to the
/// binary's `migrate` command (`up`, `down [N] | --all`, `status`, `fresh [--force]`).
pub fn command(root: &Path, args: &[String]) -> anyhow::Result<()> {
    match args {
        [new, name] if new == "new" => new_migration(root, name),
        _ => run_binary(root, args),
    }
}

/// The service binary's `migrate <args>` (built as the tests build it, see
/// [`crate::service::build`]), with the project's configuration.
pub fn run_binary(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let binary = crate::service::build(root, false)?;
    run_migrate(root, &binary, args, &[])
}

fn run_migrate(
    root: &Path,
    binary: &Path,
    args: &[String],
    envs: &[(&str, &str)],
) -> anyhow::Result<()> {
    let args: Vec<&str> = std::iter::once("migrate")
        .chain(args.iter().map(String::as_str))
        .collect();
    crate::service::run_built(binary, root, &args, envs)
}

/// Up, down to zero, up again, on a fresh SQLite database: every `down` really reverts its `up`.
pub fn round_trip(root: &Path) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir().context("cannot create a scratch directory")?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        scratch.path().join("round-trip.db").display()
    );
    let config_dir = root.join("config");
    let envs = [
        ("DATABASE_URL", url.as_str()),
        ("APP_PROFILE", "test"),
        (
            "APP_CONFIG_DIR",
            config_dir.to_str().context("config path is not UTF-8")?,
        ),
    ];
    let binary = crate::service::build(root, false)?;
    for step in [&["up"][..], &["down", "--all"], &["up"], &["status"]] {
        let args: Vec<String> = step.iter().map(|arg| (*arg).to_owned()).collect();
        println!("migrate {}", args.join(" "));
        run_migrate(root, &binary, &args, &envs)?;
    }
    println!("migrations: up, down to zero and up again all succeeded");
    Ok(())
}

/// Writes `crates/migration/src/m<UTC timestamp>_<name>.rs` and registers it in the migrator.
pub fn new_migration(root: &Path, name: &str) -> anyhow::Result<()> {
    let valid = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    ensure!(
        valid,
        "`{name}` is not a valid migration name: use snake_case, like add_customers"
    );
    let module = format!("m{}_{name}", chrono::Utc::now().format("%Y%m%d_%H%M%S"));
    let dir = root.join(MIGRATION_DIR);
    let file = dir.join(format!("{module}.rs"));
    ensure!(!file.exists(), "{} already exists", file.display());

    let lib_path = dir.join("lib.rs");
    let lib = std::fs::read_to_string(&lib_path)
        .with_context(|| format!("cannot read {}", lib_path.display()))?;
    let registered = register(&lib, &module)?;
    std::fs::write(&file, migration_source(&module))
        .with_context(|| format!("cannot write {}", file.display()))?;
    std::fs::write(&lib_path, registered)
        .with_context(|| format!("cannot write {}", lib_path.display()))?;
    // rustfmt decides whether the list fits on one line.
    let formatted = crate::cargo_command()
        .args(["fmt", "--package", "migration"])
        .current_dir(root)
        .status()
        .is_ok_and(|status| status.success());
    if !formatted {
        eprintln!("note: `cargo fmt --package migration` failed; format the migrator by hand");
    }
    println!(
        "created {}",
        file.strip_prefix(root).unwrap_or(&file).display()
    );
    println!(
        "registered it last in {MIGRATION_DIR}/lib.rs; write `up` and its exact inverse `down`"
    );
    Ok(())
}

/// The skeleton of a new migration; `MODULE` is replaced by its module name.
const MIGRATION_TEMPLATE: &str = r#"use sea_orm_migration::prelude::*;

/// MODULE: describe what this migration changes and why.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The change, e.g. `manager.create_table(...)` or `manager.alter_table(...)`.
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The exact inverse of `up`: `cargo xtask ci` runs up, down to zero, and up again.
        Ok(())
    }
}
"#;

fn migration_source(module: &str) -> String {
    MIGRATION_TEMPLATE.replace("MODULE", module)
}

/// Adds `mod <module>;` and `Box::new(<module>::Migration)` (last) to the migrator's source.
fn register(lib: &str, module: &str) -> anyhow::Result<String> {
    let Some(vec_start) = lib.find("vec![") else {
        bail!("cannot find the `vec![...]` of migrations in {MIGRATION_DIR}/lib.rs");
    };
    let list_start = vec_start + "vec![".len();
    let Some(list_len) = lib[list_start..].find(']') else {
        bail!("the `vec![` of migrations in {MIGRATION_DIR}/lib.rs is not closed");
    };
    let mut entries: Vec<&str> = lib[list_start..list_start + list_len]
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    let new_entry = format!("Box::new({module}::Migration)");
    entries.push(&new_entry);
    let list: String = entries
        .iter()
        .map(|entry| format!("\n            {entry},"))
        .chain(std::iter::once("\n        ".to_owned()))
        .collect();
    let mut out = String::new();
    out.push_str(&lib[..list_start]);
    out.push_str(&list);
    out.push_str(&lib[list_start + list_len..]);

    // The module declaration goes after the last existing migration module, or after the
    // prelude re-export when this is the first one.
    let declaration = format!("mod {module};\n");
    let insert_at = out
        .match_indices("\nmod m")
        .last()
        .and_then(|(at, _)| out[at + 1..].find('\n').map(|end| at + 1 + end + 1))
        .or_else(|| {
            out.find("pub use sea_orm_migration::prelude::*;\n")
                .map(|at| at + "pub use sea_orm_migration::prelude::*;\n".len())
        })
        .context("cannot find where to declare the module in the migrator's lib.rs")?;
    let needs_blank = !out[..insert_at].ends_with("\n\n") && !out[..insert_at].contains("\nmod m");
    out.insert_str(
        insert_at,
        &format!("{}{declaration}", if needs_blank { "\n" } else { "" }),
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::register;

    const EMPTY: &str = "pub use sea_orm_migration::prelude::*;\n\n/// Every migration.\n\
        pub struct Migrator;\n\nimpl MigratorTrait for Migrator {\n    fn migrations() -> \
        Vec<Box<dyn MigrationTrait>> {\n        vec![]\n    }\n}\n";

    #[test]
    fn the_first_migration_is_declared_and_listed() {
        let out = register(EMPTY, "m20270101_000000_first").unwrap();
        assert!(
            out.contains("prelude::*;\n\nmod m20270101_000000_first;\n"),
            "{out}"
        );
        assert!(
            out.contains(
                "vec![\n            Box::new(m20270101_000000_first::Migration),\n        ]"
            ),
            "{out}"
        );
    }

    #[test]
    fn later_migrations_go_last() {
        let once = register(EMPTY, "m20270101_000000_first").unwrap();
        let twice = register(&once, "m20270102_000000_second").unwrap();
        let first = twice.find("first::Migration").unwrap();
        let second = twice.find("second::Migration").unwrap();
        assert!(first < second, "{twice}");
        assert!(
            twice.contains("mod m20270101_000000_first;\nmod m20270102_000000_second;\n"),
            "{twice}"
        );
    }
}
