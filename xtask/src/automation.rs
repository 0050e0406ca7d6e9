//! The automation crate a rendering's `cargo xtask` runs (`automation/`, package
//! `service-automation`): a rendering depends on it by this repository's git tag, and the
//! renderings made from a checkout are patched to that checkout's crate (`docs/template.md`,
//! "The automation crate and thin renderings").

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use crate::render::absolute;

/// The directory, relative to the template root, of the automation crate renderings run as
/// `cargo xtask` (package [`AUTOMATION_PACKAGE`]).
pub const AUTOMATION_DIR: &str = "automation";
/// The automation crate's package name; a rendering depends on it by the template
/// repository's git URL and tag (`[workspace.dependencies]` of its `Cargo.toml`).
pub const AUTOMATION_PACKAGE: &str = "service-automation";

/// Points the rendering at `out_dir` to the automation crate at `crate_path` (absolute, or
/// relative to `out_dir`) instead of its git tag: a `[patch."<repository url>"]` table added
/// to the rendering's `.cargo/config.toml`. With the rendering's `Cargo.lock` (which has the
/// crate's entry) cargo then never contacts the repository, so the rendering builds offline
/// against the crate of the same checkout. Returns the repository URL, `None` when the
/// rendering does not depend on the crate (a template from before it existed).
pub fn patch_automation(out_dir: &Path, crate_path: &str) -> Result<Option<String>> {
    let manifest_path = out_dir.join("Cargo.toml");
    let manifest: toml::Table = toml::from_str(
        &fs::read_to_string(&manifest_path)
            .with_context(|| format!("reading {}", manifest_path.display()))?,
    )
    .with_context(|| format!("parsing {}", manifest_path.display()))?;
    let url = manifest
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.get(AUTOMATION_PACKAGE))
        .and_then(|a| a.get("git"))
        .and_then(toml::Value::as_str);
    let Some(url) = url else {
        return Ok(None);
    };
    let config = out_dir.join(".cargo").join("config.toml");
    let mut text = fs::read_to_string(&config).unwrap_or_default();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "\n# Written by the template repository's xtask: the automation crate of the template \
         checkout\n# this project was rendered from, instead of its git tag, so that it builds \
         offline.\n# Delete this table to build against the tag.\n[patch.{}]\n\
         {AUTOMATION_PACKAGE} = {{ path = {} }}\n",
        toml::Value::String(url.to_owned()),
        toml::Value::String(crate_path.to_owned()),
    ));
    if let Some(parent) = config.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    fs::write(&config, text).with_context(|| format!("writing {}", config.display()))?;
    Ok(Some(url.to_owned()))
}

/// [`patch_automation`] to the crate of the template checkout at `template_root`, by its
/// absolute path.
pub fn patch_automation_to(template_root: &Path, out_dir: &Path) -> Result<Option<String>> {
    let crate_dir = absolute(&template_root.join(AUTOMATION_DIR))?;
    let crate_path = crate_dir
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", crate_dir.display()))?;
    patch_automation(out_dir, crate_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_automation_patch_goes_into_the_cargo_config() {
        let out = tempfile::tempdir().unwrap();
        fs::write(
            out.path().join("Cargo.toml"),
            "[workspace.dependencies]\nservice-automation = { git = \"https://example.test/t\", tag = \"v1.0.0\" }\n",
        )
        .unwrap();
        fs::create_dir_all(out.path().join(".cargo")).unwrap();
        fs::write(
            out.path().join(".cargo/config.toml"),
            "[alias]\nxtask = \"run -p xtask --\"",
        )
        .unwrap();
        let url = patch_automation(out.path(), "../../automation").unwrap();
        assert_eq!(url.as_deref(), Some("https://example.test/t"));
        let config: toml::Table =
            toml::from_str(&fs::read_to_string(out.path().join(".cargo/config.toml")).unwrap())
                .unwrap();
        assert_eq!(
            config["patch"]["https://example.test/t"]["service-automation"]["path"].as_str(),
            Some("../../automation")
        );
        assert!(config["alias"].get("xtask").is_some(), "the rest is kept");
        // No dependency on the crate: nothing to patch.
        fs::write(out.path().join("Cargo.toml"), "[workspace]\n").unwrap();
        assert_eq!(patch_automation(out.path(), "x").unwrap(), None);
    }

    /// The tag a rendering depends on is `v<template version>` (the version
    /// `.template-answers.toml` records and the crate's own), and `deny.toml` allows the
    /// repository it names.
    #[test]
    fn the_automation_tag_is_the_template_version() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let read = |path: &str| fs::read_to_string(root.join(path)).unwrap();
        let value_of = |text: &str, prefix: &str, key: &str| -> String {
            let line = text
                .lines()
                .find(|line| line.starts_with(prefix))
                .unwrap_or_else(|| panic!("no line starting with {prefix}"));
            let pattern = regex::Regex::new(&format!(r#"\b{key} = "([^"]+)""#)).unwrap();
            pattern.captures(line).unwrap()[1].to_owned()
        };
        let manifest = read("template/Cargo.toml.liquid");
        let prefix = format!("{AUTOMATION_PACKAGE} = ");
        let (url, tag) = (
            value_of(&manifest, &prefix, "git"),
            value_of(&manifest, &prefix, "tag"),
        );
        let answers = read("template/.template-answers.toml");
        let template_version = value_of(&answers, "version = ", "version");
        assert_eq!(tag, format!("v{template_version}"));
        let automation: toml::Table =
            toml::from_str(&read(&format!("{AUTOMATION_DIR}/Cargo.toml"))).unwrap();
        assert_eq!(
            automation["package"]["version"].as_str(),
            Some(template_version.as_str())
        );
        assert_eq!(
            automation["package"]["name"].as_str(),
            Some(AUTOMATION_PACKAGE)
        );
        let deny: toml::Table = toml::from_str(&read("template/deny.toml")).unwrap();
        let allowed = deny["sources"]["allow-git"].as_array().unwrap();
        assert!(
            allowed.iter().any(|git| git.as_str() == Some(url.as_str())),
            "{url}"
        );
    }
}
