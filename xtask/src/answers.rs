//! Placeholders and answers: what `template/cargo-generate.toml` asks, and the answers given.
//!
//! Reads the placeholders, turns `--define key=value` into answers (checked against the
//! template, with its defaults filled in), validates project names and enumerates the
//! combinations of the boolean placeholders that CI renders. Nothing here renders anything;
//! that is [`crate::render`].

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};

use crate::render::{CONFIG_FILE, TEMPLATE_DIR};

/// Values cargo-generate fills itself; `--define` may override them.
const BUILTINS: &[&str] = &[
    "authors",
    "username",
    "os-arch",
    "project-name",
    "crate_name",
    "crate_type",
    "within_cargo_project",
    "is_init",
];

/// A placeholder declared in `template/cargo-generate.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub name: String,
    pub is_bool: bool,
    pub default: Option<String>,
    /// The question cargo-generate asks; it says what is allowed.
    pub prompt: Option<String>,
    /// The regex every answer must match, if any.
    pub regex: Option<String>,
}

/// One `key=value` answer to a placeholder.
pub type Answer = (String, String);

/// Parses `--define key=value` (the value may be empty, the key may not).
pub fn parse_define(s: &str) -> Result<Answer> {
    let (key, value) = s
        .split_once('=')
        .with_context(|| format!("`{s}` is not of the form key=value"))?;
    let key = key.trim();
    let valid_key = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ensure!(
        valid_key,
        "`{key}` is not a valid placeholder name (letters, digits, `_`, `-`)"
    );
    Ok((key.to_owned(), value.trim().to_owned()))
}

/// Reads the placeholders (in file order) from `<root>/template/cargo-generate.toml`.
pub fn placeholders(template_root: &Path) -> Result<Vec<Placeholder>> {
    let path = template_root.join(TEMPLATE_DIR).join(CONFIG_FILE);
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    parse_placeholders(&text).with_context(|| format!("parsing {}", path.display()))
}

fn parse_placeholders(text: &str) -> Result<Vec<Placeholder>> {
    let config: toml::Table = toml::from_str(text)?;
    let Some(table) = config.get("placeholders") else {
        return Ok(Vec::new());
    };
    let table = table.as_table().context("`placeholders` is not a table")?;
    table
        .iter()
        .map(|(name, spec)| {
            let spec = spec
                .as_table()
                .with_context(|| format!("placeholder `{name}` is not a table"))?;
            let is_bool = spec.get("type").and_then(toml::Value::as_str) == Some("bool");
            let default = spec.get("default").map(|value| match value {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            let text = |key: &str| {
                spec.get(key)
                    .and_then(toml::Value::as_str)
                    .map(str::to_owned)
            };
            Ok(Placeholder {
                name: name.clone(),
                is_bool,
                default,
                prompt: text("prompt"),
                regex: text("regex"),
            })
        })
        .collect()
}

/// Every placeholder's answer: the `--define` if given, else the template's default.
///
/// Fails on a define for an unknown placeholder (a typo would otherwise be ignored silently),
/// on a non-boolean answer to a bool placeholder, and on a placeholder with neither.
pub fn resolve_answers(placeholders: &[Placeholder], defines: &[Answer]) -> Result<Vec<Answer>> {
    for (key, value) in defines {
        match placeholders.iter().find(|p| &p.name == key) {
            Some(p) if p.is_bool => ensure!(
                value == "true" || value == "false",
                "`{key}` is a bool placeholder: use {key}=true or {key}=false, not `{value}`"
            ),
            Some(Placeholder {
                regex: Some(pattern),
                prompt,
                ..
            }) => {
                let regex = regex::Regex::new(pattern)
                    .with_context(|| format!("the regex of placeholder `{key}` is invalid"))?;
                ensure!(
                    regex.is_match(value),
                    "`{value}` is not allowed for `{key}`: {}",
                    prompt.as_deref().unwrap_or(pattern)
                );
            }
            Some(_) => {}
            None if BUILTINS.contains(&key.as_str()) => {}
            None => {
                let known: Vec<_> = placeholders.iter().map(|p| p.name.as_str()).collect();
                bail!(
                    "unknown placeholder `{key}` (the template defines: {})",
                    known.join(", ")
                );
            }
        }
    }
    let lookup = |key: &str| defines.iter().rev().find(|(k, _)| k == key);
    let mut answers = Vec::new();
    for p in placeholders {
        let value = match (lookup(&p.name), &p.default) {
            (Some((_, value)), _) => value.clone(),
            (None, Some(default)) => default.clone(),
            (None, None) => bail!(
                "placeholder `{0}` has no default in {TEMPLATE_DIR}/{CONFIG_FILE}: \
                 pass --define {0}=...",
                p.name
            ),
        };
        answers.push((p.name.clone(), value));
    }
    for builtin in BUILTINS {
        if let Some(answer) = lookup(builtin) {
            answers.push(answer.clone());
        }
    }
    Ok(answers)
}

/// One combination of the template's boolean placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combo {
    /// Directory-friendly name, e.g. `example-on.auth-off`.
    pub name: String,
    pub defines: Vec<Answer>,
}

/// All 2^n combinations of the boolean placeholders, all-on first.
pub fn bool_combos(placeholders: &[Placeholder]) -> Vec<Combo> {
    let bools: Vec<&str> = placeholders
        .iter()
        .filter(|p| p.is_bool)
        .map(|p| p.name.as_str())
        .collect();
    (0..1usize << bools.len())
        .map(|bits| {
            let on = |i: usize| bits & (1 << (bools.len() - 1 - i)) == 0;
            let name = bools
                .iter()
                .enumerate()
                .map(|(i, b)| format!("{b}-{}", if on(i) { "on" } else { "off" }))
                .collect::<Vec<_>>()
                .join(".");
            let defines = bools
                .iter()
                .enumerate()
                .map(|(i, b)| ((*b).to_owned(), on(i).to_string()))
                .collect();
            Combo {
                name: if bools.is_empty() {
                    "default".into()
                } else {
                    name
                },
                defines,
            }
        })
        .collect()
}

/// The answers' summary line, e.g. `example=true auth=false`.
pub fn describe(answers: &[Answer]) -> String {
    answers
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A template config with every kind of placeholder (also used by `render`'s tests).
    pub(crate) const CONFIG: &str = r#"
[template]
exclude = [".github/workflows/ci.yml"]

[placeholders]
description = { type = "string", prompt = "Description?", default = "A service" }
http_port = { type = "string", prompt = "Port?", default = "8080", regex = "^[0-9]+$" }
example = { type = "bool", prompt = "Example?", default = true }
auth = { type = "bool", prompt = "Auth?", default = true }

[conditional.'!example']
ignore = ["src/example.rs"]
"#;

    pub(crate) fn define(k: &str, v: &str) -> Answer {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn parses_defines() {
        assert_eq!(parse_define("a=b").unwrap(), define("a", "b"));
        assert_eq!(parse_define("a=b=c").unwrap(), define("a", "b=c"));
        assert_eq!(parse_define("http_port=").unwrap(), define("http_port", ""));
        assert_eq!(parse_define(" x-y = 1 ").unwrap(), define("x-y", "1"));
        assert!(parse_define("novalue").is_err());
        assert!(parse_define("=v").is_err());
        assert!(parse_define("1a=v").is_err());
        assert!(parse_define("a b=v").is_err());
    }

    #[test]
    fn reads_placeholders_in_file_order() {
        let p = parse_placeholders(CONFIG).unwrap();
        let names: Vec<_> = p.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["description", "http_port", "example", "auth"]);
        assert!(p[2].is_bool && !p[0].is_bool);
        assert_eq!(p[2].default.as_deref(), Some("true"));
        assert_eq!(p[1].default.as_deref(), Some("8080"));
    }

    #[test]
    fn defines_override_defaults() {
        let p = parse_placeholders(CONFIG).unwrap();
        let answers =
            resolve_answers(&p, &[define("auth", "false"), define("authors", "Me")]).unwrap();
        assert_eq!(
            describe(&answers),
            "description=A service http_port=8080 example=true auth=false authors=Me"
        );
    }

    #[test]
    fn rejects_bad_defines() {
        let p = parse_placeholders(CONFIG).unwrap();
        assert!(resolve_answers(&p, &[define("auht", "false")]).is_err());
        assert!(resolve_answers(&p, &[define("auth", "no")]).is_err());
        let no_default = parse_placeholders("[placeholders]\nx = { type = \"string\" }").unwrap();
        let err = resolve_answers(&no_default, &[]).unwrap_err();
        assert!(err.to_string().contains("--define x="), "{err}");
        assert!(resolve_answers(&no_default, &[define("x", "1")]).is_ok());
    }

    #[test]
    fn combos_cover_every_bool() {
        let combos = bool_combos(&parse_placeholders(CONFIG).unwrap());
        let names: Vec<_> = combos.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "example-on.auth-on",
                "example-on.auth-off",
                "example-off.auth-on",
                "example-off.auth-off"
            ]
        );
        assert_eq!(
            combos[1].defines,
            [define("example", "true"), define("auth", "false")]
        );
        assert_eq!(bool_combos(&[]).len(), 1);
    }

    #[test]
    fn answers_must_match_the_placeholder_regex_and_the_error_quotes_the_prompt() {
        let placeholders = parse_placeholders(
            "[placeholders.http_port]\ntype = \"string\"\nprompt = \"Port (1024-65535)\"\n\
             default = \"8080\"\nregex = \"^[1-9][0-9]{3,4}$\"\n",
        )
        .unwrap();
        let defines = [("http_port".to_owned(), "80".to_owned())];
        let err = resolve_answers(&placeholders, &defines)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Port (1024-65535)"), "{err}");
        let defines = [("http_port".to_owned(), "9000".to_owned())];
        assert!(resolve_answers(&placeholders, &defines).is_ok());
    }
}
