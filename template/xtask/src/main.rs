//! The project's automation, as a plain Rust program: `cargo xtask <command>`.
//!
//! `cargo xtask ci` is the one command CI runs. Every step runs even when an earlier one
//! fails, and a summary table closes the run; the exit code is non-zero if any step failed.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

mod migrations;

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Project automation")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Everything CI checks: format, lints, architecture rules, tests, migrations, OpenAPI drift.
    Ci {
        /// Skip a step (repeatable).
        #[arg(long)]
        skip: Vec<String>,
        /// Run only these steps (repeatable).
        #[arg(long)]
        only: Vec<String>,
    },
    /// `cargo fmt --check`, clippy with `-D warnings`, and the architecture rules.
    Lint,
    /// Database migrations: `up`, `down [N] | --all`, `status`, `fresh [--force]` (run by the
    /// service binary with the project's configuration), or `new <name>` to add one.
    Migrate {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
{%- if auth %}
    /// Mint a local bearer token with the development secret (`--scope`, `--subject`,
    /// `--ttl-minutes` as for the service's `dev-token` command).
    DevToken {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
{%- endif %}
    /// Export or check the OpenAPI document at `docs/openapi.yaml`.
    Openapi {
        #[command(subcommand)]
        action: OpenapiAction,
    },
}

#[derive(Debug, Subcommand)]
enum OpenapiAction {
    /// Write the document generated from the code to `docs/openapi.yaml`.
    Export,
    /// Fail when `docs/openapi.yaml` differs from the code.
    Check,
}

/// A CI step: runs at the project root.
type Step = fn(&Path) -> anyhow::Result<()>;

/// The CI steps, in order.
const STEPS: &[(&str, Step)] = &[
    ("fmt", fmt),
    ("clippy", clippy),
    ("architecture", architecture),
    ("test", test),
    ("migrations", migrations::round_trip),
    ("openapi", openapi_check),
];

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = project_root();
    let result = match cli.command {
        Task::Ci { skip, only } => ci(&root, &skip, &only),
        Task::Lint => fmt(&root)
            .and_then(|()| clippy(&root))
            .and_then(|()| architecture(&root)),
        Task::Migrate { args } => match args.as_slice() {
            [new, name] if new == "new" => migrations::new_migration(&root, name),
            _ => migrations::run_binary(&root, &args),
        },
{%- if auth %}
        Task::DevToken { args } => dev_token(&root, &args),
{%- endif %}
        Task::Openapi { action: OpenapiAction::Export } => openapi_export(&root),
        Task::Openapi { action: OpenapiAction::Check } => openapi_check(&root),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root. `cargo run` (and so `cargo xtask`) sets `CARGO_MANIFEST_DIR` when it
/// starts the program; the value baked in at compile time is only the fallback, because a
/// binary may be reused from a build of another checkout.
fn project_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn ci(root: &Path, skip: &[String], only: &[String]) -> anyhow::Result<()> {
    for name in skip.iter().chain(only) {
        if !STEPS.iter().any(|(step, _)| step == name) {
            let known: Vec<_> = STEPS.iter().map(|(step, _)| *step).collect();
            bail!("unknown step `{name}`; the steps are {}", known.join(", "));
        }
    }
    let mut results: Vec<(&str, Duration, Option<bool>)> = Vec::new();
    for (name, step) in STEPS {
        let selected = (only.is_empty() || only.iter().any(|o| o == name))
            && !skip.iter().any(|s| s == name);
        if !selected {
            results.push((name, Duration::ZERO, None));
            continue;
        }
        println!("\n==> {name}");
        let started = Instant::now();
        let outcome = step(root);
        if let Err(err) = &outcome {
            eprintln!("==> {name} failed: {err:#}");
        }
        results.push((name, started.elapsed(), Some(outcome.is_ok())));
    }
    println!("\n{:<14} {:>9}  result", "step", "time");
    for (name, elapsed, outcome) in &results {
        let result = match outcome {
            Some(true) => "ok",
            Some(false) => "FAILED",
            None => "skipped",
        };
        println!("{name:<14} {:>8.1}s  {result}", elapsed.as_secs_f64());
    }
    let failed = results.iter().filter(|(_, _, outcome)| *outcome == Some(false)).count();
    if failed > 0 {
        bail!("{failed} step(s) failed");
    }
    println!("all steps passed");
    Ok(())
}

fn cargo(root: &Path, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn fmt(root: &Path) -> anyhow::Result<()> {
    cargo(root, &["fmt", "--all", "--check"])
}

fn clippy(root: &Path) -> anyhow::Result<()> {
    cargo(root, &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])
}

fn test(root: &Path) -> anyhow::Result<()> {
    if std::env::var_os("TEST_DATABASE_URL").is_none() {
        println!("note: TEST_DATABASE_URL is not set, so the PostgreSQL half of the suite is skipped");
    }
    let has_nextest = Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if has_nextest {
        // The crates carry no doctests; add `cargo test --doc` here if yours do (nextest
        // does not run them).
        cargo(root, &["nextest", "run", "--workspace", "--no-fail-fast"])
    } else {
        cargo(root, &["test", "--workspace", "--no-fail-fast"])
    }
}

/// Crates the domain must never depend on, directly or through another crate.
const DOMAIN_FORBIDDEN: &[&str] = &[
    "poem", "poem-openapi", "sea-orm", "sqlx", "figment", "opentelemetry", "tokio", "hyper",
];

/// The dependency rule, read from `cargo metadata`: the domain stays pure and the API never
/// reaches persistence.
fn architecture(root: &Path) -> anyhow::Result<()> {
    let output = Command::new("cargo")
        .args(["metadata", "--format-version", "1"])
        .current_dir(root)
        .output()
        .context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let rules: &[(&str, &[&str])] = &[
        ("domain", DOMAIN_FORBIDDEN),
        ("api", &["persistence", "migration", "sea-orm", "sqlx"]),
        ("persistence", &["api", "poem", "poem-openapi"]),
    ];
    let mut violations = Vec::new();
    for (krate, forbidden) in rules {
        for path in normal_dependency_paths(&metadata, krate)? {
            if let Some(last) = path.last()
                && forbidden.contains(&last.as_str())
            {
                violations.push(format!("{krate} must not depend on {last}: {}", path.join(" -> ")));
            }
        }
    }
    if violations.is_empty() {
        println!("architecture: domain, api and persistence respect the dependency rule");
        Ok(())
    } else {
        bail!("dependency rule broken:\n  {}", violations.join("\n  "))
    }
}

/// Every normal (non-dev, non-build) dependency reachable from `krate`, with the path to it.
fn normal_dependency_paths(
    metadata: &serde_json::Value,
    krate: &str,
) -> anyhow::Result<Vec<Vec<String>>> {
    let nodes = metadata["resolve"]["nodes"].as_array().context("no resolve graph")?;
    let name_of = |id: &str| -> String {
        metadata["packages"]
            .as_array()
            .and_then(|packages| packages.iter().find(|p| p["id"] == id))
            .and_then(|p| p["name"].as_str())
            .unwrap_or(id)
            .to_owned()
    };
    let Some(start) = nodes.iter().find(|node| {
        node["id"].as_str().is_some_and(|id| name_of(id) == krate)
    }) else {
        return Ok(Vec::new());
    };
    let mut paths = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut queue = std::collections::VecDeque::from([(start, vec![krate.to_owned()])]);
    while let Some((node, path)) = queue.pop_front() {
        for dep in node["deps"].as_array().into_iter().flatten() {
            let is_normal = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|kind| kind["kind"].is_null());
            let Some(id) = dep["pkg"].as_str() else { continue };
            if !is_normal || !seen.insert(id.to_owned()) {
                continue;
            }
            let mut next = path.clone();
            next.push(name_of(id));
            paths.push(next.clone());
            if let Some(child) = nodes.iter().find(|n| n["id"] == id) {
                queue.push_back((child, next));
            }
        }
    }
    Ok(paths)
}

{%- if auth %}

/// `cargo run -p server -- dev-token <args>`: the token goes to stdout, ready for `$(...)`.
fn dev_token(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let status = Command::new("cargo")
        .args(["run", "--quiet", "--package", "server", "--", "dev-token"])
        .args(args)
        .current_dir(root)
        .status()
        .context("cannot run the service's `dev-token` command")?;
    if !status.success() {
        bail!("`dev-token` failed ({status})");
    }
    Ok(())
}
{%- endif %}

const OPENAPI_FILE: &str = "docs/openapi.yaml";

fn generated_openapi(root: &Path) -> anyhow::Result<String> {
    let output = Command::new("cargo")
        .args(["run", "--quiet", "--package", "server", "--", "openapi"])
        .current_dir(root)
        .output()
        .context("cannot run the service's `openapi` command")?;
    if !output.status.success() {
        bail!("generating the OpenAPI document failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    String::from_utf8(output.stdout).context("the OpenAPI document is not UTF-8")
}

fn openapi_export(root: &Path) -> anyhow::Result<()> {
    let spec = generated_openapi(root)?;
    std::fs::write(root.join(OPENAPI_FILE), spec)
        .with_context(|| format!("cannot write {OPENAPI_FILE}"))?;
    println!("wrote {OPENAPI_FILE}");
    Ok(())
}

fn openapi_check(root: &Path) -> anyhow::Result<()> {
    let spec = generated_openapi(root)?;
    let committed = std::fs::read_to_string(root.join(OPENAPI_FILE))
        .with_context(|| format!("cannot read {OPENAPI_FILE}; run `cargo xtask openapi export`"))?;
    if committed != spec {
        bail!("{OPENAPI_FILE} is out of date with the code; run `cargo xtask openapi export` and commit it");
    }
    println!("{OPENAPI_FILE} matches the code");
    validate_openapi(root)
}

/// Checks the document against the OpenAPI 3 schema with `openapi-spec-validator` (PyPI),
/// when it is installed; says how to install it when it is not.
fn validate_openapi(root: &Path) -> anyhow::Result<()> {
    let validator = Command::new("openapi-spec-validator")
        .arg(OPENAPI_FILE)
        .current_dir(root)
        .status();
    match validator {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => bail!("{OPENAPI_FILE} is not a valid OpenAPI document ({status})"),
        Err(_) => {
            println!(
                "note: openapi-spec-validator is not installed, so the document was not checked \
                 against the OpenAPI schema (pip install openapi-spec-validator)"
            );
            Ok(())
        }
    }
}
