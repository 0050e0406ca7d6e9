//! `cargo xtask openapi`: regenerates `template/docs/openapi.yaml`, the OpenAPI document each
//! rendering commits, from the code of every option combination.
//!
//! The document depends on the options (which APIs and security schemes exist), so the
//! template file holds one document per combination, chosen by nested Liquid `if`s on the
//! boolean placeholders; the project's name and description are the only placeholders inside.
//! Each rendering's own `cargo xtask ci` checks its document against its code, so a stale
//! template file fails CI.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::answers::{self, Answer, Combo};
use crate::{automation, render};

/// Where the template keeps the documents.
const TEMPLATE_FILE: &str = "template/docs/openapi.yaml";
/// The project name the documents are generated under (replaced by a placeholder).
const NAME: &str = "orders";

pub fn regenerate(root: &Path) -> Result<()> {
    let placeholders = answers::placeholders(root)?;
    let bools: Vec<String> = placeholders
        .iter()
        .filter(|p| p.is_bool)
        .map(|p| p.name.clone())
        .collect();
    let scratch = root.join("target/openapi-renders");
    if scratch.exists() {
        fs::remove_dir_all(&scratch).with_context(|| format!("removing {}", scratch.display()))?;
    }
    let mut documents = Vec::new();
    for combo in answers::bool_combos(&placeholders) {
        let answers = answers::resolve_answers(&placeholders, &combo.defines)?;
        let dir = scratch.join(&combo.name);
        render::render(root, NAME, &answers, &dir)?;
        automation::patch_automation_to(root, &dir)?;
        let spec = generate(root, &dir)?;
        let description = answer(&answers, "description")?;
        documents.push((combo, templatize(&spec, description)?));
        println!("generated the document of {}", dir.display());
    }
    let text = choose(&bools, &documents, &[])?;
    let path = root.join(TEMPLATE_FILE);
    fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {TEMPLATE_FILE} ({} combinations)", documents.len());
    Ok(())
}

fn answer<'a>(answers: &'a [Answer], key: &str) -> Result<&'a str> {
    answers
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .with_context(|| format!("no answer for `{key}`"))
}

/// The rendering's document, from its binary (`<binary> openapi`).
fn generate(root: &Path, dir: &Path) -> Result<String> {
    let output = Command::new("cargo")
        .args(["run", "--quiet", "--package", "server", "--", "openapi"])
        .env("CARGO_TARGET_DIR", root.join("target/renders-target"))
        .current_dir(dir)
        .output()
        .with_context(|| format!("running the binary of {}", dir.display()))?;
    ensure!(
        output.status.success(),
        "`openapi` failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).context("the document is not UTF-8")
}

/// Replaces the generated name and description in the `info` block by their placeholders.
fn templatize(spec: &str, description: &str) -> Result<String> {
    ensure!(
        !spec.contains("{{") && !spec.contains("{%"),
        "the generated document contains Liquid syntax"
    );
    let title = format!("  title: {NAME}\n");
    let described = format!("  description: {description}\n");
    let Some(info) = spec.find("\ninfo:\n") else {
        bail!("the generated document has no `info:` block");
    };
    let (head, tail) = spec.split_at(info);
    ensure!(
        tail.contains(&title) && tail.contains(&described),
        "the `info` block does not hold `{}` and `{}` as plain lines",
        title.trim(),
        described.trim()
    );
    let tail = tail
        .replacen(&title, "  title: {{project-name}}\n", 1)
        .replacen(&described, "  description: {{description}}\n", 1);
    Ok(format!("{head}{tail}"))
}

/// Nested `{% if %}`s over the boolean placeholders, one document at each leaf. Liquid has
/// no `and not`, so each level splits on one placeholder.
fn choose(
    bools: &[String],
    documents: &[(Combo, String)],
    fixed: &[(String, bool)],
) -> Result<String> {
    let Some((first, rest)) = bools.split_first() else {
        let matches = |combo: &Combo| {
            fixed.iter().all(|(name, on)| {
                combo
                    .defines
                    .iter()
                    .any(|(k, v)| k == name && *v == on.to_string())
            })
        };
        return documents
            .iter()
            .find(|(combo, _)| matches(combo))
            .map(|(_, document)| document.clone())
            .context("no document for a combination");
    };
    let branch = |on: bool| {
        let mut fixed = fixed.to_vec();
        fixed.push((first.clone(), on));
        choose(rest, documents, &fixed)
    };
    Ok(format!(
        "{{% if {first} %}}{}{{% else %}}{}{{% endif %}}",
        branch(true)?,
        branch(false)?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "openapi: 3.0.0\ninfo:\n  title: orders\n  description: A service\n  \
                        version: 0.1.0\npaths:\n  /api/v1/orders: {}\n";

    #[test]
    fn only_the_info_block_is_templatized() {
        let out = templatize(SPEC, "A service").unwrap();
        assert!(out.contains("  title: {{project-name}}\n"));
        assert!(out.contains("  description: {{description}}\n"));
        assert!(
            out.contains("/api/v1/orders"),
            "paths keep the word `orders`"
        );
        assert!(templatize(SPEC, "Another description").is_err());
    }

    #[test]
    fn each_combination_gets_its_branch() {
        let combo = |example: bool, auth: bool| Combo {
            name: String::new(),
            defines: vec![
                ("example".to_owned(), example.to_string()),
                ("auth".to_owned(), auth.to_string()),
            ],
        };
        let documents = vec![
            (combo(true, true), "A".to_owned()),
            (combo(true, false), "B".to_owned()),
            (combo(false, true), "C".to_owned()),
            (combo(false, false), "D".to_owned()),
        ];
        let bools = ["example".to_owned(), "auth".to_owned()];
        assert_eq!(
            choose(&bools, &documents, &[]).unwrap(),
            "{% if example %}{% if auth %}A{% else %}B{% endif %}{% else %}\
             {% if auth %}C{% else %}D{% endif %}{% endif %}"
        );
    }
}
