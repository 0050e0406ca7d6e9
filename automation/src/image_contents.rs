//! Part of the `deploy` step: the container image carries only what production needs, and
//! local secrets stay out of git. Checked on the files, without a container engine:
//!
//! - the `Dockerfile`'s runtime stage (after its last `FROM`) copies from the build context
//!   only `config/default.toml` and `config/production.toml`: `config/development.toml` and
//!   `config/test.toml` hold well-known secrets that must not ship;
//! - `.gitignore` ignores `.env`, where `deploy/README.md` has secrets put.

use std::path::Path;

use anyhow::{Context, bail};

/// What the runtime stage may copy from the build context.
const ALLOWED_CONTEXT_FILES: [&str; 2] = ["config/default.toml", "config/production.toml"];

pub fn check(root: &Path) -> anyhow::Result<()> {
    let dockerfile =
        std::fs::read_to_string(root.join("Dockerfile")).context("cannot read Dockerfile")?;
    let copied = runtime_context_copies(&dockerfile);
    let refused: Vec<&String> = copied
        .iter()
        .filter(|source| !ALLOWED_CONTEXT_FILES.contains(&source.as_str()))
        .collect();
    if !refused.is_empty() {
        bail!(
            "Dockerfile: the runtime image copies {refused:?} from the build context; only {ALLOWED_CONTEXT_FILES:?} \
             may ship (development and test configuration carry well-known secrets)"
        );
    }
    let gitignore = std::fs::read_to_string(root.join(".gitignore")).unwrap_or_default();
    if !ignores_dotenv(&gitignore) {
        bail!(".gitignore must ignore `.env` (local secrets, see deploy/README.md)");
    }
    println!(
        "image contents: only {ALLOWED_CONTEXT_FILES:?} from the context; .env is git-ignored"
    );
    Ok(())
}

/// The build-context sources of every `COPY`/`ADD` in the last stage (copies `--from` another
/// stage or image are not from the context). Continuation lines are joined first.
fn runtime_context_copies(dockerfile: &str) -> Vec<String> {
    let joined = dockerfile.replace("\\\n", " ");
    let instructions: Vec<&str> = joined
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let last_stage = instructions
        .iter()
        .rposition(|line| line.to_ascii_uppercase().starts_with("FROM "))
        .map_or(0, |index| index + 1);
    let mut sources = Vec::new();
    for line in &instructions[last_stage..] {
        let mut words = line.split_whitespace();
        let Some(instruction) = words.next() else {
            continue;
        };
        if !matches!(instruction.to_ascii_uppercase().as_str(), "COPY" | "ADD") {
            continue;
        }
        let arguments: Vec<&str> = words.collect();
        if arguments.iter().any(|word| word.starts_with("--from")) {
            continue;
        }
        let paths: Vec<&str> = arguments
            .into_iter()
            .filter(|word| !word.starts_with("--"))
            .collect();
        if let Some((_destination, context_sources)) = paths.split_last() {
            sources.extend(
                context_sources
                    .iter()
                    .map(|source| source.trim_start_matches("./").to_owned()),
            );
        }
    }
    sources
}

fn ignores_dotenv(gitignore: &str) -> bool {
    gitignore
        .lines()
        .map(str::trim)
        .any(|line| matches!(line, ".env" | "/.env" | ".env*" | "*.env"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const STAGES: &str = "FROM rust AS builder\nCOPY . .\nRUN cargo build\nFROM distroless\n";

    #[test]
    fn only_the_production_configuration_may_ship() {
        let whole_directory =
            format!("{STAGES}COPY --from=builder /out/app /app/app\nCOPY config /app/config\n");
        assert_eq!(runtime_context_copies(&whole_directory), ["config"]);
        let one_by_one = format!(
            "{STAGES}COPY --from=builder --chown=1:1 /out/data /app/data\n\
             COPY config/default.toml \\\n  config/production.toml /app/config/\n"
        );
        assert_eq!(
            runtime_context_copies(&one_by_one),
            ["config/default.toml", "config/production.toml"]
        );
    }

    #[test]
    fn the_committed_renderings_image_and_gitignore_pass() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/orders");
        check(&root).unwrap();
    }

    #[test]
    fn dotenv_must_be_ignored() {
        assert!(ignores_dotenv("/target\n.env\n"));
        assert!(!ignores_dotenv("/target\n.envrc\n"));
    }
}
