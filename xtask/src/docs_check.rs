//! `cargo xtask ci` step `docs`: the shell commands in the documentation name things that exist.
//!
//! Every fenced ```` ```sh ```` block of `README.md`, `docs/*.md`, `template/README.md`,
//! `template/docs/**/*.md` and `template/deploy/README.md` is read (Liquid tags removed,
//! `{{project-name}}` read as `orders`, both branches of an `{% if %}` kept), and each command in
//! it is checked, without running it:
//!
//! - `cargo xtask <command> [<subcommand>]` must be a command of the right xtask: this
//!   repository's (read from its clap definition) in the repository's own docs, the rendered
//!   project's (read from `template/xtask/src/main.rs`) in the template's docs, and in a block
//!   of the repository's docs after a `# in the service:` line;
//! - `cargo run ... -- <command>`, `orders <command>` and `docker run ... orders:<tag> <command>`
//!   must be a command of the service binary (read from `template/crates/server/src/main.rs`);
//! - a relative path whose first part exists (`deploy/k8s/...`, `docs/...`) must exist entirely,
//!   in the repository or in `template/` for the service's docs; `target/` is left alone.
//!
//! Which commands CI also *executes* is listed in `docs/template.md`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::CommandFactory;

use crate::cli_tree::CommandTree;

/// The name `{{project-name}}` is read as: the binary in the service's docs.
const BINARY: &str = crate::EXAMPLE_NAME;
/// The line that switches a block of the repository's docs to the service's commands.
const SERVICE_MARKER: &str = "# in the service:";

/// Where a command runs: this repository, or a project rendered from the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Where {
    Repository,
    Service,
}

#[derive(Debug)]
struct Known {
    repository_xtask: CommandTree,
    service_xtask: CommandTree,
    binary: CommandTree,
}

/// Checks every documented command; fails listing each problem with its file and line.
pub fn run(root: &Path) -> Result<()> {
    let known = Known {
        repository_xtask: CommandTree::from_clap(&crate::Cli::command()),
        service_xtask: CommandTree::from_source(&root.join("template/xtask/src/main.rs"))?,
        binary: CommandTree::from_source(&root.join("template/crates/server/src/main.rs"))?,
    };
    let mut problems = Vec::new();
    let mut counts = Counts::default();
    for (file, context) in documents(root)? {
        let text =
            fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        let shown = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        for (line, problem) in check_document(&text, context, &known, root, &mut counts) {
            problems.push(format!("{shown}:{line}: {problem}"));
        }
        counts.files += 1;
    }
    println!(
        "docs: {} files, {} sh blocks, {} commands: {} xtask commands, {} service commands, {} paths checked",
        counts.files, counts.blocks, counts.commands, counts.xtask, counts.binary, counts.paths
    );
    if !problems.is_empty() {
        for problem in &problems {
            println!("  {problem}");
        }
        bail!(
            "{} problem(s) with the documented commands and paths",
            problems.len()
        );
    }
    Ok(())
}

#[derive(Debug, Default)]
struct Counts {
    files: usize,
    blocks: usize,
    commands: usize,
    xtask: usize,
    binary: usize,
    paths: usize,
}

/// The documents checked, with the context their commands run in by default.
fn documents(root: &Path) -> Result<Vec<(PathBuf, Where)>> {
    let mut found = vec![(root.join("README.md"), Where::Repository)];
    let mut docs: Vec<PathBuf> = fs::read_dir(root.join("docs"))
        .context("reading docs/")?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    found.extend(docs.into_iter().map(|path| (path, Where::Repository)));
    found.push((root.join("template/README.md"), Where::Service));
    let mut template_docs = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("template/docs")).sort_by_file_name() {
        let entry = entry.context("walking template/docs")?;
        if entry.path().extension().is_some_and(|ext| ext == "md") {
            template_docs.push((entry.into_path(), Where::Service));
        }
    }
    found.extend(template_docs);
    found.push((root.join("template/deploy/README.md"), Where::Service));
    Ok(found)
}

/// Problems in one document, each with its 1-based line number.
fn check_document(
    text: &str,
    default: Where,
    known: &Known,
    root: &Path,
    counts: &mut Counts,
) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    for block in sh_blocks(text) {
        counts.blocks += 1;
        let mut context = default;
        for (line, logical) in block {
            if logical.trim() == SERVICE_MARKER {
                context = Where::Service;
                continue;
            }
            let commands = match split_commands(&logical) {
                Ok(commands) => commands,
                Err(err) => {
                    problems.push((
                        line,
                        format!("cannot read `{logical}` as shell words: {err}"),
                    ));
                    continue;
                }
            };
            for words in commands {
                counts.commands += 1;
                for problem in check_command(&words, context, known, root, counts) {
                    problems.push((line, problem));
                }
            }
        }
    }
    problems
}

/// The logical lines (continuations joined) of every ```sh block, with their line numbers.
fn sh_blocks(text: &str) -> Vec<Vec<(usize, String)>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<(usize, String)>> = None;
    let mut pending: Option<(usize, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        match &mut current {
            None if trimmed == "```sh" || trimmed == "```bash" => current = Some(Vec::new()),
            None => {}
            Some(block) if trimmed.starts_with("```") => {
                block.extend(pending.take());
                blocks.extend(current.take());
            }
            Some(block) => {
                let line = strip_liquid(raw);
                let (start, mut joined) = pending.take().unwrap_or((index + 1, String::new()));
                match line.trim_end().strip_suffix('\\') {
                    Some(head) => {
                        joined.push_str(head);
                        joined.push(' ');
                        pending = Some((start, joined));
                    }
                    None => {
                        joined.push_str(&line);
                        if !joined.trim().is_empty() {
                            block.push((start, joined));
                        }
                    }
                }
            }
        }
    }
    blocks
}

/// Removes `{% ... %}` tags and reads `{{project-name}}` as the example name.
fn strip_liquid(line: &str) -> String {
    let mut out = line
        .replace("{{project-name}}", BINARY)
        .replace("{{http_port}}", "8080");
    while let (Some(start), Some(end)) = (out.find("{%"), out.find("%}")) {
        if end < start {
            break;
        }
        out.replace_range(start..end + 2, "");
    }
    out
}

/// Splits a shell line into simple commands at `&&`, `||`, `|`, `;` and `$( ... )`, without
/// leading `NAME=value` assignments.
fn split_commands(line: &str) -> Result<Vec<Vec<String>>> {
    let words = shell_words::split(&line.replace("$(", " $( "))?;
    let mut commands = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut open = 0_usize;
    for mut word in words {
        let mut ends = false;
        if word == "$(" {
            open += 1;
            ends = true;
            word.clear();
        } else if ["&&", "||", "|", ";"].contains(&word.as_str()) {
            ends = true;
            word.clear();
        } else if (open > 0 && word.ends_with(')')) || word.ends_with(';') {
            open = open.saturating_sub(usize::from(word.ends_with(')')));
            word.pop();
            ends = true;
        }
        if !word.is_empty() {
            current.push(word);
        }
        if ends {
            commands.push(std::mem::take(&mut current));
        }
    }
    commands.push(current);
    Ok(commands
        .into_iter()
        .map(|words| {
            let is_assignment = |w: &String| {
                w.split_once('=').is_some_and(|(name, _)| {
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
            };
            words
                .into_iter()
                .skip_while(is_assignment)
                .collect::<Vec<_>>()
        })
        .filter(|words| !words.is_empty())
        .collect())
}

fn check_command(
    words: &[String],
    context: Where,
    known: &Known,
    root: &Path,
    counts: &mut Counts,
) -> Vec<String> {
    let mut problems = Vec::new();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let program = Path::new(words[0])
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("");
    match (program, &words[1..]) {
        ("cargo", ["xtask", rest @ ..]) => {
            counts.xtask += 1;
            let (tree, which) = match context {
                Where::Repository => (&known.repository_xtask, "this repository's xtask"),
                Where::Service => (&known.service_xtask, "the service's xtask"),
            };
            problems.extend(tree.check(rest, &format!("cargo xtask ({which})")));
        }
        ("cargo", ["run", rest @ ..]) => {
            if let Some(position) = rest.iter().position(|w| *w == "--") {
                counts.binary += 1;
                problems.extend(
                    known
                        .binary
                        .check(&rest[position + 1..], "the service binary"),
                );
            }
        }
        ("docker", ["run", rest @ ..]) => {
            let image = format!("{BINARY}:");
            if let Some(position) = rest.iter().position(|w| w.starts_with(&image)) {
                counts.binary += 1;
                problems.extend(
                    known
                        .binary
                        .check(&rest[position + 1..], "the service binary"),
                );
            }
        }
        (BINARY, rest) => {
            counts.binary += 1;
            problems.extend(known.binary.check(rest, "the service binary"));
        }
        _ => {}
    }
    let base = match context {
        Where::Repository => root.to_path_buf(),
        Where::Service => root.join("template"),
    };
    for word in &words[1..] {
        if let Some(missing) = missing_path(&base, word) {
            counts.paths += 1;
            problems.push(format!(
                "`{missing}` does not exist (in {})",
                base.display()
            ));
        } else if looks_like_path(word) {
            counts.paths += 1;
        }
    }
    problems
}

fn looks_like_path(word: &str) -> bool {
    let path = word.split_once('=').map_or(word, |(_, value)| value);
    path.contains('/')
        && !path.contains("://")
        && !path.starts_with(['/', '~', '$', '-', '.', '<'])
        && !path.contains(['*', '<', '{', ':', '?', '&'])
}

/// A relative path whose first part exists under `base` but which does not exist entirely.
fn missing_path(base: &Path, word: &str) -> Option<String> {
    let path = word.split_once('=').map_or(word, |(_, value)| value);
    if !looks_like_path(path) {
        return None;
    }
    let first = path.split('/').next()?;
    if first == "target" || !base.join(first).exists() || base.join(path).exists() {
        return None;
    }
    Some(path.to_owned())
}

#[cfg(test)]
#[path = "docs_check_tests.rs"]
mod tests;
