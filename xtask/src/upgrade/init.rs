//! `cargo xtask upgrade --init-answers`: a `.template-answers.toml` for a service generated
//! before the template wrote one, read from the service's own files, for the team to review.
//!
//! What is read: the binary's name (`crates/server/Cargo.toml`, `[[bin]]`), the description
//! (the same manifest), the port (`config/default.toml`, `[http] port`), and which options are
//! present (`crates/api/src/order/mod.rs`, or `orders.rs` before issue 14, for `example`;
//! `crates/api/src/auth.rs` for `auth`). The starting commit is a guess: the newest template
//! commit before the service's first commit.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::git;
use crate::provenance::ANSWERS_FILE;

/// The answers read from a service's files.
#[derive(Debug, PartialEq, Eq)]
pub struct Found {
    pub project_name: String,
    pub description: Option<String>,
    pub http_port: Option<String>,
    pub example: bool,
    pub auth: bool,
}

pub fn read_project(project: &Path) -> Result<Found> {
    let manifest_path = project.join("crates/server/Cargo.toml");
    let manifest: toml::Table = toml::from_str(
        &fs::read_to_string(&manifest_path)
            .with_context(|| format!("reading {}", manifest_path.display()))?,
    )
    .with_context(|| format!("parsing {}", manifest_path.display()))?;
    let project_name = manifest
        .get("bin")
        .and_then(toml::Value::as_array)
        .and_then(|bins| bins.first())
        .and_then(|bin| bin.get("name"))
        .and_then(toml::Value::as_str)
        .context("crates/server/Cargo.toml has no [[bin]] name: is this a service rendered from the template?")?
        .to_owned();
    let description = manifest
        .get("package")
        .and_then(|p| p.get("description"))
        .and_then(toml::Value::as_str)
        .map(str::to_owned);
    let config = project.join("config/default.toml");
    let http_port = fs::read_to_string(&config)
        .ok()
        .and_then(|text| toml::from_str::<toml::Table>(&text).ok())
        .and_then(|t| t.get("http")?.get("port")?.as_integer())
        .map(|port| port.to_string());
    Ok(Found {
        project_name,
        description,
        http_port,
        // `orders.rs` in services rendered before each resource had its own folder.
        example: project.join("crates/api/src/order/mod.rs").is_file()
            || project.join("crates/api/src/orders.rs").is_file(),
        auth: project.join("crates/api/src/auth.rs").is_file(),
    })
}

/// The newest commit of the template repository before the service's first commit, if both
/// are git repositories.
fn guess_commit(repo: &Path, project: &Path) -> Option<(String, String)> {
    let roots = git::git(project, &["rev-list", "--max-parents=0", "HEAD"]).ok()?;
    let first = roots.lines().last()?;
    let date = git::git(project, &["show", "-s", "--format=%cI", first]).ok()?;
    let commit = git::git(
        repo,
        &["rev-list", "-1", &format!("--before={date}"), "HEAD"],
    )
    .ok()?;
    (!commit.is_empty()).then_some((commit, date))
}

pub fn render_answers(found: &Found, guess: Option<&(String, String)>) -> String {
    let mut text = String::from(
        "# Written by `cargo xtask upgrade --init-answers` from this project's files: REVIEW IT.\n\
         # The answers this project was generated with, from the rust-service-template; with\n\
         # them the template repository renders what this project started from, and\n\
         # `cargo xtask upgrade` merges the template's later changes into it.\n\n[template]\n\
         # Unknown: this project was generated before the template recorded its version.\n\
         version = \"0.0.0\"\n",
    );
    match guess {
        Some((commit, date)) => {
            let _ = write!(
                text,
                "# A GUESS: the newest template commit before this project's first commit ({date}).\n\
                 # Check it: render it (`cargo xtask new`) and compare with the first commit.\n\
                 commit = \"{commit}\"\n"
            );
        }
        None => text.push_str(
            "# Unknown: set the template commit this project was generated from, or pass\n\
             # `cargo xtask upgrade --from <commit>`.\n",
        ),
    }
    let _ = write!(
        text,
        "\n[answers]\nproject-name = \"{}\"\n",
        found.project_name
    );
    match &found.description {
        Some(d) => {
            let _ = writeln!(text, "description = \"{}\"", d.replace('"', "\\\""));
        }
        None => text.push_str("# description: not found; the template's default applies\n"),
    }
    match &found.http_port {
        Some(port) => {
            let _ = writeln!(text, "http_port = \"{port}\"");
        }
        None => text.push_str("# http_port: not found; the template's default applies\n"),
    }
    let _ = write!(
        text,
        "# From whether crates/api/src/order/mod.rs (or orders.rs) and crates/api/src/auth.rs exist.\n\
         example = {}\nauth = {}\n",
        found.example, found.auth
    );
    text
}

/// Writes the answers file into `project` (never over an existing one).
pub fn write_answers(repo: &Path, project: &Path) -> Result<()> {
    let file = project.join(ANSWERS_FILE);
    if file.exists() {
        bail!(
            "{} already exists: it is what `cargo xtask upgrade` reads; edit it instead",
            file.display()
        );
    }
    let found = read_project(project)?;
    let guess = guess_commit(repo, project);
    let text = render_answers(&found, guess.as_ref());
    fs::write(&file, &text).with_context(|| format!("writing {}", file.display()))?;
    println!("{text}");
    println!(
        "wrote {}: review every value (above), commit it, then run `cargo xtask upgrade --project {}`",
        file.display(),
        project.display()
    );
    Ok(())
}
