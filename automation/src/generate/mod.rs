//! `cargo xtask generate resource <name> <field>...`: writes a new resource through every
//! layer, in the shape of the orders example (docs/architecture.md, "Adding a resource"), and
//! wires it in at the `// xtask-generate: <point>` markers.
//!
//! The steps, each finishing before the next starts, so that a mistake writes nothing:
//! 1. parse the name and the fields ([`field`]): unknown type, bad constraint, reserved or
//!    duplicate name are errors;
//! 2. render every file ([`render`]) and plan every marker edit ([`markers`]);
//! 3. check: no generated file may exist yet (unless `--force`), every marker must be present
//!    exactly once; `--dry-run` stops here and lists what would be written and edited;
//! 4. write, then run `cargo fmt --all` and export `docs/openapi.yaml`.
//!
//! Templates or emitters? The files are templates ([minijinja], embedded in this crate with
//! `include_str!`), because a generated file is mostly fixed text that a reviewer should be
//! able to read as the Rust it becomes; what varies per field (types, columns, rules,
//! conversions, sample values) is decided in Rust, in one place per concern ([`model`]), and
//! handed to the templates as data. minijinja is maintained by the author of insta and
//! Jinja2, has no runtime dependencies beyond serde, and compiles in seconds.

mod field;
mod markers;
mod model;
mod names;
mod render;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

pub use field::{FieldKind, FieldSpec, SpecError, parse_field, parse_fields};
pub use markers::{Insertion, MARKER_PREFIX};
pub use names::Names;
pub use render::{Edit, Plan, plan};

/// `cargo xtask generate ...`.
#[derive(Debug, clap::Subcommand)]
pub enum Generate {
    /// A resource through every layer: domain (entity, value objects, use cases, port),
    /// persistence (entity, repository, migration), API (handlers, DTOs, OpenAPI), tests, and
    /// the wiring. Fields are `name:type`, `?` for optional; types: `string[MIN..MAX]`,
    /// `text`, `email`, `url`, `int[MIN..MAX]`, `money`, `bool`, `date`, `timestamp`, `uuid`,
    /// `enum[a,b,...]`. Example:
    /// `cargo xtask generate resource customer name:string[1..100] email:email
    /// tier:enum[free,pro] credit_limit:money? active:bool born_on:date?`
    Resource(ResourceArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct ResourceArgs {
    /// The resource's name: singular, lower snake case (`customer`, `credit_note`).
    pub name: String,
    /// The fields, `name:type` each (see above).
    #[arg(required = true)]
    pub fields: Vec<String>,
    /// The plural, when adding `s` is wrong (`--plural people`).
    #[arg(long)]
    pub plural: Option<String>,
    /// Overwrite the resource's files if they exist (the wiring is never doubled).
    #[arg(long)]
    pub force: bool,
    /// List the files that would be written and edited; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Leave `docs/openapi.yaml` as it is (exporting builds the service): for a script that
    /// generates several resources, then runs `cargo xtask openapi export` once.
    #[arg(long)]
    pub no_export: bool,
}

/// Runs `cargo xtask generate ...` in the project at `root`; `auth` is the template's answer
/// (scopes and ownership by the token's subject when on).
pub fn run(root: &Path, auth: bool, command: &Generate) -> anyhow::Result<()> {
    match command {
        Generate::Resource(args) => resource(root, auth, args),
    }
}

/// `generate resource`.
pub fn resource(root: &Path, auth: bool, args: &ResourceArgs) -> anyhow::Result<()> {
    let names = Names::new(&args.name, args.plural.as_deref())?;
    let fields = parse_fields(&args.fields)?;
    let migration = existing_migration(root, &names)?;
    let stamp = chrono::Utc::now().format("%Y%m%d_%H%M%S").to_string();
    let migration = match migration {
        Some(existing) if args.force => existing,
        Some(existing) => bail!(
            "resource `{}` exists (crates/migration/src/{existing}.rs); pass --force to \
             overwrite its files",
            names.snake
        ),
        None => format!("m{stamp}_create_{}", names.plural),
    };
    let command_line = std::iter::once(format!("cargo xtask generate resource {}", args.name))
        .chain(args.fields.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let plan = plan(&names, &fields, auth, &migration, &command_line)?;

    let existing: Vec<&PathBuf> = plan
        .files
        .iter()
        .map(|(path, _)| path)
        .filter(|path| root.join(path).exists())
        .collect();
    if !existing.is_empty() && !args.force {
        bail!(
            "resource `{}` exists ({}); pass --force to overwrite its files",
            names.snake,
            existing
                .iter()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut edited = Vec::new();
    for edit in &plan.edits {
        let path = root.join(&edit.file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", edit.file.display()))?;
        let new = markers::apply(&edit.file.display().to_string(), &text, &edit.insertions)
            .map_err(anyhow::Error::msg)?;
        // A rerun with --force finds the wiring already there.
        if new != text {
            edited.push((path, edit, new));
        }
    }

    let mut manifests = Vec::new();
    for (manifest, line) in &plan.dependencies {
        let path = root.join(manifest);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", manifest.display()))?;
        if let Some(new) = with_dependency(&text, line) {
            manifests.push((path, manifest, *line, new));
        } else if !text.contains("[dependencies]") {
            bail!(
                "{}: no [dependencies] table to add `{line}` to",
                manifest.display()
            );
        }
    }

    let mut appends = Vec::new();
    for (file, text) in &plan.appends {
        let path = root.join(file);
        let existing = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let key = text
            .lines()
            .find(|line| line.starts_with("include-operation-id"));
        if key.is_none_or(|key| !existing.contains(key)) {
            appends.push((
                path,
                file,
                format!(
                    "{}{text}",
                    existing.trim_end_matches('\n').to_owned() + "\n"
                ),
            ));
        }
    }

    if args.dry_run {
        for (path, _) in &plan.files {
            let verb = if root.join(path).exists() {
                "overwrite"
            } else {
                "write"
            };
            println!("would {verb} {}", path.display());
        }
        for (_, edit, _) in &edited {
            println!("would edit  {} ({})", edit.file.display(), points(edit));
        }
        for (_, manifest, line, _) in &manifests {
            println!("would edit  {} (add {line})", manifest.display());
        }
        for (_, file, _) in &appends {
            println!(
                "would edit  {} (its operations' expected statuses)",
                file.display()
            );
        }
        return Ok(());
    }

    for (path, text) in &plan.files {
        let full = root.join(path);
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&full, text).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote  {}", path.display());
    }
    for (path, edit, new) in &edited {
        std::fs::write(path, new)
            .with_context(|| format!("cannot write {}", edit.file.display()))?;
        println!("edited {} ({})", edit.file.display(), points(edit));
    }
    for (path, manifest, line, new) in &manifests {
        std::fs::write(path, new)
            .with_context(|| format!("cannot write {}", manifest.display()))?;
        println!("edited {} (added {line})", manifest.display());
    }
    for (path, file, new) in &appends {
        std::fs::write(path, new).with_context(|| format!("cannot write {}", file.display()))?;
        println!(
            "edited {} (its operations' expected statuses)",
            file.display()
        );
    }
    println!("running cargo fmt --all");
    crate::cargo(root, &["fmt", "--all"])?;
    if args.no_export {
        println!(
            "not exporting docs/openapi.yaml (--no-export): `cargo xtask openapi export` does"
        );
    } else {
        println!("exporting docs/openapi.yaml (builds the service)");
        crate::openapi::export(root)?;
    }
    println!(
        "done: `cargo xtask ci` checks it all; the new endpoints are under /api/v1/{}",
        names.plural
    );
    Ok(())
}

/// `manifest` with `line` added at the top of its `[dependencies]` table, or `None` when the
/// dependency is already there (or there is no such table).
fn with_dependency(manifest: &str, line: &str) -> Option<String> {
    let name = line.split(['.', ' ', '=']).next().unwrap_or(line);
    let mut in_dependencies = false;
    for existing in manifest.lines() {
        let trimmed = existing.trim();
        if trimmed.starts_with('[') {
            in_dependencies = trimmed == "[dependencies]";
        } else if in_dependencies && trimmed.split(['.', ' ', '=']).next() == Some(name) {
            return None;
        }
    }
    let header = manifest.find("[dependencies]\n")?;
    let at = header + "[dependencies]\n".len();
    Some(format!("{}{line}\n{}", &manifest[..at], &manifest[at..]))
}

fn points(edit: &Edit) -> String {
    edit.insertions
        .iter()
        .map(|insertion| insertion.point)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The module name of a migration that already creates this resource's table, if any.
fn existing_migration(root: &Path, names: &Names) -> anyhow::Result<Option<String>> {
    let dir = root.join("crates/migration/src");
    let suffix = format!("_create_{}.rs", names.plural);
    let entries =
        std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with('m') && name.ends_with(&suffix) {
            return Ok(name.strip_suffix(".rs").map(str::to_owned));
        }
    }
    Ok(None)
}
