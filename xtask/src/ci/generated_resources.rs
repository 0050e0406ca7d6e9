//! The resources `render-ci` generates into some renderings before their own ci runs, so that
//! the code `cargo xtask generate resource` writes is linted, tested and fuzzed like the
//! template's own.

use std::ffi::OsStr;
use std::path::Path;

use anyhow::Result;

use super::cargo;

/// The resources `render-ci` generates (`cargo xtask generate resource ...`) into the default
/// rendering (every option on) and the bare one (every option off) before their own ci runs:
/// together they use every field type and option (optional, bounds, enum, money ...), so the
/// generated code goes through lint, both databases' tests, the migration round trip, the
/// OpenAPI checks and the API fuzzing like the template's own.
const GENERATED_RESOURCES: &[&[&str]] = &[
    &[
        "customer",
        "name:string[1..100]",
        "email:email",
        "tier:enum[free,pro]",
        "credit_limit:money?",
        "active:bool",
        "born_on:date?",
        "external_ref:uuid?",
        "score:int[0..1000]",
    ],
    &[
        "invoice",
        "number:string[3..20]",
        "notes:text?",
        "homepage:url?",
        "total:money",
        "paid:bool?",
        "due_on:date",
        "sent_at:timestamp?",
        "stage:enum[draft,sent,settled]?",
        "lines:int[-5..500]?",
        "contact:email?",
        "reference:uuid",
    ],
];

/// Whether `render-ci` generates resources into this rendering: every option on, or every
/// option off (the combination's name is `<option>-on|off` joined by `.`).
pub(super) fn generates_resources(combo: &str) -> bool {
    let states: Vec<&str> = combo
        .split('.')
        .filter_map(|o| o.rsplit('-').next())
        .collect();
    states.iter().all(|s| *s == "on") || states.iter().all(|s| *s == "off")
}

/// Generates [`GENERATED_RESOURCES`] into the rendering at `dir`.
pub(super) fn generate_resources(dir: &Path, envs: &[(&str, &OsStr)]) -> Result<()> {
    for (index, resource) in GENERATED_RESOURCES.iter().enumerate() {
        // `--force`: a rerun of `--only render-ci` on the same renderings overwrites them.
        let mut args = vec!["xtask", "generate", "resource", "--force"];
        // The OpenAPI document is exported (which builds the service) after the last one only.
        if index + 1 < GENERATED_RESOURCES.len() {
            args.push("--no-export");
        }
        args.extend_from_slice(resource);
        cargo(dir, &args, envs)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_generated_into_the_default_and_the_bare_rendering_only() {
        assert!(generates_resources("example-on.auth-on"));
        assert!(generates_resources("example-off.auth-off"));
        assert!(!generates_resources("example-on.auth-off"));
        assert!(!generates_resources("example-off.auth-on"));
    }
}
