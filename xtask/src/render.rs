//! Rendering the template with the cargo-generate library, without ever prompting: every
//! placeholder is answered up front (see [`crate::answers`]).
//!
//! Layout this relies on (checked by [`check_layout`] before every rendering): the repository
//! root has NO `cargo-generate.toml`, and `template/cargo-generate.toml` is the only one. Then
//! cargo-generate 0.26 finds exactly one config below the root, takes its directory
//! (`template/`) as the template and reads the placeholders from it, with no "which template?"
//! prompt. A config at the root would stop that search at the root: either the whole repository
//! becomes the template, or (with `sub_templates`) the user is asked to pick one.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use cargo_generate::{GenerateArgs, TemplatePath, Vcs};

use crate::answers::Answer;

/// The directory, relative to the template root, that holds the template itself.
pub const TEMPLATE_DIR: &str = "template";
/// cargo-generate's configuration file name.
pub const CONFIG_FILE: &str = "cargo-generate.toml";

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
        "test-support",
        // Words YAML reads as something other than a string (the name is the OpenAPI title).
        "null",
        "yes",
        "no",
        "on",
        "off",
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

/// Renders the template at `template_root` as project `name` into `out_dir`, which must not exist.
///
/// Never prompts: every placeholder gets an answer from `answers` (see
/// [`crate::answers::resolve_answers`]) and cargo-generate runs in silent mode. The rendering
/// happens in a staging directory next to `out_dir` and is moved into place at the end, so a
/// failed rendering leaves nothing behind.
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

/// Absolute form of `path` (relative to the current directory).
pub fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::tests::{CONFIG, define};
    use crate::answers::{placeholders, resolve_answers};

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
}
