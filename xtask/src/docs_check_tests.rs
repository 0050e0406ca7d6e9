//! Tests of the documentation check: block extraction, shell splitting, reading clap CLIs
//! from source, and the verdicts.

use super::*;

fn tree(commands: &[(&str, &[&str])]) -> CommandTree {
    CommandTree(
        commands
            .iter()
            .map(|(name, subs)| {
                let nested = subs
                    .iter()
                    .map(|s| ((*s).to_owned(), CommandTree::default()))
                    .collect();
                ((*name).to_owned(), CommandTree(nested))
            })
            .collect(),
    )
}

fn known() -> Known {
    Known {
        repository_xtask: tree(&[("new", &[]), ("ci", &[])]),
        service_xtask: tree(&[
            ("ci", &[]),
            ("openapi", &["export", "check"]),
            ("dev-token", &[]),
        ]),
        binary: tree(&[
            ("serve", &[]),
            ("migrate", &["up", "down"]),
            ("healthcheck", &[]),
        ]),
    }
}

fn problems(markdown: &str, context: Where) -> Vec<(usize, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    check_document(markdown, context, &known(), root, &mut Counts::default())
}

#[test]
fn blocks_join_continuations_and_drop_liquid() {
    let text = "intro\n```sh\ncargo xtask new demo \\\n  --force\n{%- if auth %}\n{{project-name}} migrate up{% endif %}\n```\n```rust\nnot shell\n```\n";
    let blocks = sh_blocks(text);
    assert_eq!(blocks.len(), 1);
    assert_eq!(
        blocks[0][0],
        (3, "cargo xtask new demo    --force".to_owned())
    );
    assert_eq!(blocks[0][1], (6, "orders migrate up".to_owned()));
}

#[test]
fn commands_are_split_at_operators_and_substitutions() {
    let commands =
        split_commands("TOKEN=$(cargo xtask dev-token) && cd /tmp/x; A=1 orders serve | tee log")
            .unwrap();
    let expected: Vec<Vec<String>> = [
        vec!["cargo", "xtask", "dev-token"],
        vec!["cd", "/tmp/x"],
        vec!["orders", "serve"],
        vec!["tee", "log"],
    ]
    .iter()
    .map(|words| words.iter().map(|w| (*w).to_owned()).collect())
    .collect();
    assert_eq!(commands, expected);
    assert!(split_commands("echo 'unclosed").is_err());
}

#[test]
fn real_commands_pass_and_unknown_ones_are_named() {
    let ok = "```sh\ncargo xtask new orders --destination /tmp\ncargo xtask ci\n```\n";
    assert_eq!(problems(ok, Where::Repository), []);
    let service = "```sh\ncargo xtask openapi export\nTOKEN=$(cargo xtask dev-token)\ncargo run -- migrate up\norders healthcheck --port 1\ndocker run --rm orders:0.1.0 migrate down\n```\n";
    assert_eq!(problems(service, Where::Service), []);

    let bad = "```sh\ncargo xtask deploy\ncargo xtask openapi publish\ncargo run -- migrate sideways\norders serv\n```\n";
    let found = problems(bad, Where::Service);
    let lines: Vec<usize> = found.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [2, 3, 4, 5], "{found:?}");
    assert!(
        found[0].1.contains("`deploy`") && found[0].1.contains("service's xtask"),
        "{found:?}"
    );
    assert!(found[1].1.contains("`publish`"), "{found:?}");
}

#[test]
fn the_service_marker_switches_a_repository_block_to_the_service() {
    let text = "```sh\ncargo xtask new orders\n# in the service:\ncargo xtask openapi export\ncargo xtask new x\n```\n";
    let found = problems(text, Where::Repository);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, 5);
}

#[test]
fn paths_that_start_in_the_repository_must_exist() {
    let text = "```sh\nls xtask/src/main.rs docs/template.md\ncat xtask/src/nope.rs\nls target/anything /tmp/x data/y.db\n```\n";
    let found = problems(text, Where::Repository);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.contains("xtask/src/nope.rs"), "{found:?}");
}

#[test]
fn clap_definitions_are_read_from_source() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.rs");
    let source = r#"
#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}
#[derive(Debug, Subcommand)]
enum Command {
    Serve,
{%- if auth %}
    DevToken { #[arg(long)] subject: String },
{%- endif %}
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    LoadTest(load_test::Options),
}
#[derive(Debug, Subcommand)]
enum MigrateAction { Up, Down { steps: u32 } }
"#;
    fs::write(&file, source).unwrap();
    let read = CommandTree::from_source(&file).unwrap();
    let expected = tree(&[
        ("serve", &[]),
        ("dev-token", &[]),
        ("migrate", &["up", "down"]),
        ("load-test", &[]),
    ]);
    assert_eq!(read, expected);
}

#[test]
fn the_template_clis_are_read() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let binary =
        CommandTree::from_source(&root.join("template/crates/server/src/main.rs")).unwrap();
    for command in [
        "serve",
        "migrate",
        "openapi",
        "config",
        "healthcheck",
        "dev-token",
    ] {
        assert!(binary.0.contains_key(command), "{command}: {binary:?}");
    }
    assert!(binary.0["migrate"].0.contains_key("up"));
    let xtask = CommandTree::from_source(&root.join("template/xtask/src/main.rs")).unwrap();
    for command in ["ci", "lint", "migrate", "openapi"] {
        assert!(xtask.0.contains_key(command), "{command}: {xtask:?}");
    }
    assert!(xtask.0["openapi"].0.contains_key("export"));
}
