//! The command tree of a clap command line, read either from a live `clap::Command` (this
//! repository's xtask) or from the Rust source of a clap derive CLI (the template's xtask and
//! service binary, which cannot be compiled before rendering): used by the docs check to tell
//! whether a documented command exists.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

/// Command names, each with its own subcommands (empty when it takes free arguments).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CommandTree(pub BTreeMap<String, CommandTree>);

impl CommandTree {
    pub fn from_clap(command: &clap::Command) -> Self {
        Self(
            command
                .get_subcommands()
                .map(|sub| (sub.get_name().to_owned(), Self::from_clap(sub)))
                .collect(),
        )
    }

    /// Reads a clap derive CLI from Rust source (Liquid tag lines removed): the `Subcommand`
    /// enum of the `Parser` struct, each variant a command (kebab-case), nested through
    /// `#[command(subcommand)]` fields.
    pub fn from_source(file: &Path) -> Result<Self> {
        let source =
            fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let rust: String = source
            .lines()
            .filter(|line| !line.trim_start().starts_with("{%"))
            .map(|line| format!("{line}\n"))
            .collect();
        let parsed =
            syn::parse_file(&rust).with_context(|| format!("parsing {}", file.display()))?;
        let mut enums = BTreeMap::new();
        let mut top = None;
        for item in &parsed.items {
            match item {
                syn::Item::Enum(item) if derives(&item.attrs, "Subcommand") => {
                    enums.insert(item.ident.to_string(), item.clone());
                }
                syn::Item::Struct(item) if derives(&item.attrs, "Parser") => {
                    top = item
                        .fields
                        .iter()
                        .find(|f| is_subcommand(&f.attrs))
                        .map(|f| type_name(&f.ty));
                }
                _ => {}
            }
        }
        let top = top
            .flatten()
            .with_context(|| format!("no clap Parser with a subcommand in {}", file.display()))?;
        Self::from_enum(&top, &enums)
            .with_context(|| format!("no enum `{top}` in {}", file.display()))
    }

    fn from_enum(name: &str, enums: &BTreeMap<String, syn::ItemEnum>) -> Option<Self> {
        let item = enums.get(name)?;
        Some(Self(
            item.variants
                .iter()
                .map(|variant| {
                    let nested = variant
                        .fields
                        .iter()
                        .find(|field| is_subcommand(&field.attrs))
                        .and_then(|field| type_name(&field.ty))
                        .and_then(|nested| Self::from_enum(&nested, enums))
                        .unwrap_or_default();
                    (kebab_case(&variant.ident.to_string()), nested)
                })
                .collect(),
        ))
    }

    /// Problems with `args` (the words after the program): the first word that is not an
    /// option must be a command, and, when that command has subcommands, so must the next.
    pub fn check(&self, args: &[&str], what: &str) -> Vec<String> {
        let Some(first) = args.iter().find(|word| !word.starts_with('-')) else {
            return Vec::new();
        };
        match self.0.get(*first) {
            None if *first == "help" => Vec::new(),
            None => vec![format!(
                "`{first}` is not a command of {what} (it has: {})",
                self.0.keys().cloned().collect::<Vec<_>>().join(", ")
            )],
            Some(sub) if sub.0.is_empty() => Vec::new(),
            Some(sub) => {
                let rest: Vec<&str> = args
                    .iter()
                    .skip_while(|w| *w != first)
                    .skip(1)
                    .copied()
                    .collect();
                sub.check(&rest, &format!("`{first}`"))
            }
        }
    }
}

fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("derive")
            && attr
                .meta
                .require_list()
                .is_ok_and(|list| list.tokens.to_string().contains(name))
    })
}

fn is_subcommand(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("command")
            && attr
                .meta
                .require_list()
                .is_ok_and(|list| list.tokens.to_string().contains("subcommand"))
    })
}

/// The last segment of a type path: `Option<Command>` -> `Command`, `ci::Args` -> `Args`.
fn type_name(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return type_name(inner);
    }
    Some(last.ident.to_string())
}

/// `DevToken` -> `dev-token`, as clap names variants.
fn kebab_case(ident: &str) -> String {
    let mut out = String::new();
    for (index, c) in ident.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}
