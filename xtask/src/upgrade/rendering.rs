//! Rendering one commit of the template with a service's answers, through the same code path as
//! `cargo xtask new` ([`crate::render::render`] and [`crate::provenance`]): the commit's
//! `template/` is exported with `git archive`, its placeholders are answered from the recorded
//! answers (defaults for the options that were not recorded, reported), and the rendering gets
//! the commit in its `.template-answers.toml`.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::git;
use crate::answers::{self, Answer};
use crate::provenance::{self, ANSWERS_FILE};
use crate::render;

/// What a service's `.template-answers.toml` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub project_name: String,
    /// The placeholders' answers, `project-name` excluded.
    pub answers: Vec<Answer>,
    pub version: Option<String>,
    pub commit: Option<String>,
}

/// Reads `<project>/.template-answers.toml`.
pub fn read_recorded(project: &Path) -> Result<Recorded> {
    let file = project.join(ANSWERS_FILE);
    if !file.is_file() {
        bail!(
            "{} has no {ANSWERS_FILE}: it was generated before the template recorded its \
             answers. Write one from the project with `cargo xtask upgrade --project {} \
             --init-answers`, review it, commit it, then upgrade.",
            project.display(),
            project.display()
        );
    }
    let text = fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    parse_recorded(&text).with_context(|| format!("reading {}", file.display()))
}

pub fn parse_recorded(text: &str) -> Result<Recorded> {
    let table: toml::Table = toml::from_str(text)?;
    let template = table.get("template").and_then(toml::Value::as_table);
    let text_of = |key: &str| {
        template
            .and_then(|t| t.get(key))
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
    };
    let Some(recorded) = table.get("answers").and_then(toml::Value::as_table) else {
        bail!("no [answers] table");
    };
    let mut project_name = None;
    let mut answers = Vec::new();
    for (key, value) in recorded {
        let value = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Integer(i) => i.to_string(),
            other => bail!("answer `{key}` is neither a string, a bool nor a number: {other}"),
        };
        if key == "project-name" {
            project_name = Some(value);
        } else {
            answers.push((key.clone(), value));
        }
    }
    Ok(Recorded {
        project_name: project_name.context("[answers] has no `project-name`")?,
        answers,
        version: text_of("version"),
        commit: text_of("commit"),
    })
}

/// One rendering of a commit, and how its answers were arrived at.
#[derive(Debug, Default)]
pub struct Rendering {
    /// The options this commit's template has that the answers did not give: defaults used.
    pub defaulted: Vec<Answer>,
    /// Recorded answers this commit's template does not know (left out).
    pub unknown: Vec<String>,
    /// The template version this commit's rendering records.
    pub version: Option<String>,
}

/// Renders `template/` of `commit` (in the template repository `repo`) as `name` into `out`
/// with `recorded` answers, then `overrides` (`--define`, checked against this template).
/// `scratch` holds the exported template.
pub fn render_commit(
    repo: &Path,
    commit: &str,
    name: &str,
    recorded: &[Answer],
    overrides: &[Answer],
    scratch: &Path,
    out: &Path,
) -> Result<Rendering> {
    let root = scratch.join(format!("template-{commit}"));
    if !root.join(render::TEMPLATE_DIR).is_dir() {
        git::export_template(repo, commit, &root)?;
    }
    let placeholders = answers::placeholders(&root)?;
    let known = |key: &str| placeholders.iter().any(|p| p.name == key);
    let mut rendering = Rendering::default();
    let mut defines: Vec<Answer> = Vec::new();
    for (key, value) in recorded {
        if known(key) {
            defines.push((key.clone(), value.clone()));
        } else {
            rendering.unknown.push(key.clone());
        }
    }
    defines.extend(overrides.iter().cloned());
    let resolved = answers::resolve_answers(&placeholders, &defines)
        .with_context(|| format!("answering the template of {commit}"))?;
    for (key, value) in &resolved {
        if known(key) && !defines.iter().any(|(k, _)| k == key) {
            rendering.defaulted.push((key.clone(), value.clone()));
        }
    }
    render::render(&root, name, &resolved, out)?;
    provenance::record_commit(out, commit)?;
    rendering.version = fs::read_to_string(out.join(ANSWERS_FILE))
        .ok()
        .and_then(|text| parse_recorded(&text).ok())
        .and_then(|r| r.version);
    Ok(rendering)
}
