//! xtask: this template repository's own automation, in plain Rust.
//!
//! Run it as `cargo xtask <command>` (an alias in `.cargo/config.toml`):
//!
//! - `new <name>`: render the template into a new project, never prompting;
//! - `examples [--check]`: refresh `examples/orders` from the template, or check it for drift;
//! - `ci`: everything CI checks, including building and testing every rendering, and the
//!   commands named in the documentation (`docs_check.rs`);
//! - `upgrade --project <dir>`: bring a service generated from this template up to a newer
//!   template commit, merging three ways (`upgrade/`);
//! - `compare`: the service measured side by side with the bare poem handler and other
//!   generators' apps (`compare/`).
//!
//! The template is rendered with the `cargo-generate` crate as a library (see `render.rs`),
//! so nothing needs to be installed besides the Rust toolchain.

#![forbid(unsafe_code)]

mod answers;
mod automation;
mod check;
mod ci;
mod cli_tree;
mod compare;
mod docs_check;
mod openapi;
mod provenance;
mod render;
mod upgrade;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use answers::Answer;

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    about = "Automation for this template repository"
)]
struct Cli {
    /// The template repository to work on (default: the one this xtask belongs to).
    #[arg(long, global = true, value_name = "DIR")]
    repo: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Render the template into DESTINATION/NAME without prompting; answers not given with
    /// --define take the defaults from template/cargo-generate.toml.
    New {
        /// The project name (also the directory name).
        name: String,
        /// Answer a placeholder, e.g. `--define auth=false` (repeatable).
        #[arg(long, short, value_name = "KEY=VALUE", value_parser = parse_define)]
        define: Vec<Answer>,
        /// The directory to create the project in.
        #[arg(long, default_value = ".")]
        destination: PathBuf,
        /// Replace DESTINATION/NAME if it already exists.
        #[arg(long)]
        force: bool,
    },
    /// Re-render examples/orders with the default answers (or, with --check, fail if it differs).
    Examples {
        /// Compare instead of replacing: list the files that differ, are missing or are extra.
        #[arg(long)]
        check: bool,
    },
    /// Regenerate template/docs/openapi.yaml (one OpenAPI document per option combination)
    /// from the code; run after changing the API, then `cargo xtask examples`.
    Openapi,
    /// Run every CI check: lint this workspace, render all option combinations, check and
    /// test each rendering, check examples/ for drift.
    Ci(ci::Args),
    /// Measure the service side by side with the bare poem handler (the ceiling) and, with
    /// --loco, a Loco app: requests per second, p50/p99, memory, start-up, binary size (wrk).
    Compare(compare::Args),
    /// Bring a service generated from this template up to a newer template commit: render the
    /// recorded and the target commit with the service's answers and merge the difference into
    /// the service three ways (conflict markers where both changed the same lines).
    Upgrade(upgrade::Args),
}

fn parse_define(s: &str) -> Result<Answer> {
    answers::parse_define(s)
}

/// The name of the example project in `examples/`.
const EXAMPLE_NAME: &str = "orders";

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = match &cli.repo {
        Some(dir) => render::absolute(dir)?,
        None => project_root()?,
    };
    match cli.command {
        Cmd::New {
            name,
            define,
            destination,
            force,
        } => new(&root, &name, &define, &destination, force),
        Cmd::Examples { check } => examples(&root, check),
        Cmd::Openapi => openapi::regenerate(&root),
        Cmd::Ci(args) => ci::run(&root, &args),
        Cmd::Compare(args) => compare::run(&root, &args),
        Cmd::Upgrade(args) => upgrade::command(&root, &args),
    }
}

/// The repository root: the parent of this crate's directory.
fn project_root() -> Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}

fn new(root: &Path, name: &str, defines: &[Answer], destination: &Path, force: bool) -> Result<()> {
    render::validate_project_name(name)?;
    let out_dir = render::absolute(destination)?.join(name);
    let answers = answers::resolve_answers(&answers::placeholders(root)?, defines)?;
    if out_dir.exists() {
        if !force {
            bail!(
                "{} already exists (pass --force to replace it)",
                out_dir.display()
            );
        }
        fs::remove_dir_all(&out_dir).with_context(|| format!("removing {}", out_dir.display()))?;
    }
    println!("answers: {}", answers::describe(&answers));
    render::render(root, name, &answers, &out_dir)?;
    if let Some(commit) = provenance::record_template_commit(root, &out_dir)? {
        println!(
            "recorded the template commit {commit} in {}",
            provenance::ANSWERS_FILE
        );
    }
    if let Some(url) = automation::patch_automation_to(root, &out_dir)? {
        println!(
            "patched {url} to {} in .cargo/config.toml: the project builds offline against \
             this checkout's automation crate; delete that [patch] table to use the git tag",
            render::absolute(&root.join(automation::AUTOMATION_DIR))?.display()
        );
    }
    println!("\nRendered `{name}` into {}", out_dir.display());
    println!("Next:\n    cd {} && cargo run", out_dir.display());
    Ok(())
}

/// Renders `examples/orders` with the default answers into a scratch directory, then either
/// replaces `examples/orders` with it or (with `check`) fails listing every difference.
/// The automation crate, from `examples/<name>`.
const EXAMPLE_AUTOMATION_PATH: &str = "../../automation";

pub fn examples(root: &Path, check: bool) -> Result<()> {
    let example = root.join("examples").join(EXAMPLE_NAME);
    let scratch_parent = root.join("target");
    fs::create_dir_all(&scratch_parent)
        .with_context(|| format!("creating {}", scratch_parent.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix("xtask-examples-")
        .tempdir_in(&scratch_parent)
        .context("creating a scratch directory")?;
    let fresh = scratch.path().join(EXAMPLE_NAME);
    let answers = answers::resolve_answers(&answers::placeholders(root)?, &[])?;
    render::render(root, EXAMPLE_NAME, &answers, &fresh)?;
    // Relative to the example's directory (cargo resolves a `[patch]` path in
    // `.cargo/config.toml` from the directory that holds `.cargo/`): the committed example
    // builds against the crate of the same commit, wherever the repository is.
    automation::patch_automation(&fresh, EXAMPLE_AUTOMATION_PATH)?;

    if check {
        let drift = check::drift(&fresh, &example)?;
        if drift.is_empty() {
            println!("{} is up to date", example.display());
            return Ok(());
        }
        for line in drift.lines() {
            println!("{line}");
        }
        bail!(
            "{} differs from the template's rendering ({} file(s)); run `cargo xtask examples`",
            example.display(),
            drift.lines().len()
        );
    }

    if example.exists() {
        fs::remove_dir_all(&example).with_context(|| format!("removing {}", example.display()))?;
    }
    fs::create_dir_all(root.join("examples")).context("creating examples/")?;
    fs::rename(&fresh, &example)
        .with_context(|| format!("moving the rendering to {}", example.display()))?;
    println!("updated {}", example.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_new_with_defines() {
        let cli = Cli::try_parse_from([
            "xtask",
            "new",
            "demo",
            "-d",
            "auth=false",
            "--define",
            "http_port=9000",
        ])
        .unwrap();
        let Cmd::New { name, define, .. } = cli.command else {
            panic!("not `new`");
        };
        assert_eq!(name, "demo");
        assert_eq!(
            define,
            [
                ("auth".to_owned(), "false".to_owned()),
                ("http_port".to_owned(), "9000".to_owned())
            ]
        );
        assert!(Cli::try_parse_from(["xtask", "new", "demo", "-d", "nokey"]).is_err());
    }
}
