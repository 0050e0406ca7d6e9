//! Rendering the template with the cargo-generate library, without ever prompting.
//!
//! Layout this relies on (checked by [`check_layout`] before every rendering): the repository
//! root has NO `cargo-generate.toml`, and `template/cargo-generate.toml` is the only one. Then
//! cargo-generate 0.26 finds exactly one config below the root, takes its directory
//! (`template/`) as the template and reads the placeholders from it, with no "which template?"
//! prompt. A config at the root would stop that search at the root: either the whole repository
//! becomes the template, or (with `sub_templates`) the user is asked to pick one.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use cargo_generate::{GenerateArgs, TemplatePath, Vcs};

/// The directory, relative to the template root, that holds the template itself.
pub const TEMPLATE_DIR: &str = "template";
/// cargo-generate's configuration file name.
pub const CONFIG_FILE: &str = "cargo-generate.toml";

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

/// Checks a project name the way cargo checks a package name, so that a bad name is refused
/// before anything is written: ASCII letters, digits, `-` and `_`, starting with a letter,
/// and not a Rust keyword or a name cargo reserves.
pub fn validate_project_name(name: &str) -> Result<()> {
    const RESERVED: &[&str] = &[
        "as",
        "async",
        "await",
        "break",
        "const",
        "continue",
        "crate",
        "dyn",
        "else",
        "enum",
        "extern",
        "false",
        "fn",
        "for",
        "if",
        "impl",
        "in",
        "let",
        "loop",
        "match",
        "mod",
        "move",
        "mut",
        "pub",
        "ref",
        "return",
        "self",
        "static",
        "struct",
        "super",
        "trait",
        "true",
        "type",
        "unsafe",
        "use",
        "where",
        "while",
        "test",
        "core",
        "std",
        "alloc",
        "proc_macro",
        "proc-macro",
        "xtask",
        "domain",
        "persistence",
        "migration",
        "api",
        "server",
    ];
    let well_formed = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ensure!(
        well_formed,
        "`{name}` is not a valid project name: use ASCII letters, digits, `-` and `_`, \
         starting with a letter (e.g. `orders` or `billing-api`)"
    );
    ensure!(
        !RESERVED.contains(&name),
        "`{name}` is reserved (a Rust keyword, a name cargo reserves, or a crate of the \
         rendered workspace): pick another project name"
    );
    Ok(())
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

/// Fails unless `<root>/template/cargo-generate.toml` is the only cargo-generate config in the
/// tree (ignoring `.git` and cargo build directories, as cargo-generate does when it copies).
pub fn check_layout(template_root: &Path) -> Result<()> {
    let expected = Path::new(TEMPLATE_DIR).join(CONFIG_FILE);
    let mut found = Vec::new();
    let walk = walkdir::WalkDir::new(template_root)
        .into_iter()
        .filter_entry(|e| {
            !(e.file_type().is_dir()
                && (e.file_name() == ".git" || e.path().join("CACHEDIR.TAG").is_file()))
        });
    for entry in walk {
        let entry = entry.with_context(|| format!("walking {}", template_root.display()))?;
        if entry.file_type().is_file() && entry.file_name() == CONFIG_FILE {
            found.push(entry.path().strip_prefix(template_root)?.to_path_buf());
        }
    }
    found.sort();
    ensure!(
        found == [expected.clone()],
        "expected exactly one {CONFIG_FILE}, at {}, in {}; found: {:?}. Any other one makes \
         cargo-generate ask which template to expand (or expand the wrong directory).",
        expected.display(),
        template_root.display(),
        found
    );
    Ok(())
}

/// Renders the template at `template_root` as project `name` into `out_dir`, which must not exist.
///
/// Never prompts: every placeholder gets an answer from `answers` (see [`resolve_answers`]) and
/// cargo-generate runs in silent mode. The rendering happens in a staging directory next to
/// `out_dir` and is moved into place at the end, so a failed rendering leaves nothing behind.
pub fn render(template_root: &Path, name: &str, answers: &[Answer], out_dir: &Path) -> Result<()> {
    check_layout(template_root)?;
    // cargo-generate fills `authors` from these and fails without any of them.
    let user_vars = [
        "CARGO_NAME",
        "GIT_AUTHOR_NAME",
        "GIT_COMMITTER_NAME",
        "USER",
        "NAME",
    ];
    ensure!(
        user_vars.iter().any(|v| std::env::var_os(v).is_some()),
        "cargo-generate needs a user name: set $USER (`cargo xtask` sets it through \
         .cargo/config.toml when it is missing)"
    );
    ensure!(!out_dir.exists(), "{} already exists", out_dir.display());
    let parent = out_dir
        .parent()
        .with_context(|| format!("{} has no parent directory", out_dir.display()))?;
    fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".xtask-render-")
        .tempdir_in(parent)
        .with_context(|| format!("creating a staging directory in {}", parent.display()))?;

    let template_path = template_root
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", template_root.display()))?;
    let args = GenerateArgs {
        template_path: TemplatePath {
            path: Some(template_path.to_owned()),
            ..TemplatePath::default()
        },
        name: Some(name.to_owned()),
        // Never prompt: a missing answer is an error, not a question.
        silent: true,
        define: answers.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        destination: Some(staging.path().to_path_buf()),
        // The rendered project is its own workspace; never join an enclosing one.
        no_workspace: true,
        // What the `cargo generate` CLI does without --lib/--bin (the library defaults to lib).
        lib: false,
        bin: true,
        vcs: Some(Vcs::None),
        ..GenerateArgs::default()
    };
    let rendered = cargo_generate::generate(args)
        .with_context(|| format!("rendering {} as `{name}`", template_root.display()))?;
    fs::rename(&rendered, out_dir)
        .with_context(|| format!("moving {} to {}", rendered.display(), out_dir.display()))?;
    Ok(())
}

/// The answers' summary line, e.g. `example=true auth=false`.
pub fn describe(answers: &[Answer]) -> String {
    answers
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Absolute form of `path` (relative to the current directory).
pub fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
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

    fn define(k: &str, v: &str) -> Answer {
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

    /// A minimal template repository in the real layout.
    fn fake_template_root() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let tpl = root.path().join(TEMPLATE_DIR);
        fs::create_dir_all(tpl.join("src")).unwrap();
        fs::write(tpl.join(CONFIG_FILE), CONFIG).unwrap();
        fs::write(
            tpl.join("Cargo.toml"),
            "[package]\nname = \"{{project-name}}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
        )
        .unwrap();
        fs::write(
            tpl.join("src/main.rs"),
            "fn main() {\n    println!(\"{{description}} on {{http_port}} auth={{auth}}\");\n}\n",
        )
        .unwrap();
        fs::write(tpl.join("src/example.rs"), "// example\n").unwrap();
        fs::write(root.path().join("README.md"), "not part of the template\n").unwrap();
        root
    }

    #[test]
    fn layout_rejects_a_root_config() {
        let root = fake_template_root();
        check_layout(root.path()).unwrap();
        fs::write(root.path().join(CONFIG_FILE), "").unwrap();
        assert!(check_layout(root.path()).is_err());
    }

    #[test]
    fn renders_without_prompting() {
        let root = fake_template_root();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("demo");
        let p = placeholders(root.path()).unwrap();
        let answers = resolve_answers(
            &p,
            &[define("http_port", "9090"), define("example", "false")],
        )
        .unwrap();
        render(root.path(), "demo", &answers, &dest).unwrap();

        let main = fs::read_to_string(dest.join("src/main.rs")).unwrap();
        assert!(main.contains("A service on 9090 auth=true"), "{main}");
        let manifest = fs::read_to_string(dest.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("name = \"demo\""), "{manifest}");
        assert!(!dest.join("src/example.rs").exists(), "conditional ignore");
        assert!(!dest.join(CONFIG_FILE).exists());
        assert!(
            !dest.join("README.md").exists(),
            "only template/ is rendered"
        );
        // Nothing but the result is left next to it.
        assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);
        // An existing destination is refused.
        assert!(render(root.path(), "demo", &answers, &dest).is_err());
    }

    #[test]
    fn project_names_follow_cargo_rules() {
        for good in ["orders", "billing-api", "svc_2"] {
            assert!(validate_project_name(good).is_ok(), "{good}");
        }
        for bad in [
            "9lives",
            "two words",
            "",
            "-x",
            "fn",
            "test",
            "api",
            "naïve",
        ] {
            assert!(validate_project_name(bad).is_err(), "{bad:?}");
        }
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
