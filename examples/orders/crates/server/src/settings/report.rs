//! The `config` command's report: every effective value, where it came from, secrets
//! redacted. Values are read back from the validated [`Settings`] through `Serialize`, so
//! secrets print as their types print them, and a key that no layer set shows as `default`.

use std::fmt;

use figment::Figment;
use figment::Profile as FigmentProfile;
use figment::Source;

use super::Settings;

/// One line per key, as `key = value  # source`: valid TOML, ready to copy into a file.
#[derive(Debug, Clone)]
pub struct ConfigReport {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    key: String,
    /// The value in TOML syntax; `None` for an optional key that is not set.
    value: Option<String>,
    source: String,
}

impl ConfigReport {
    pub fn new(settings: &Settings, figment: &Figment) -> anyhow::Result<Self> {
        let values = serde_json::to_value(settings)?;
        let mut entries = Vec::new();
        flatten("", &values, &mut entries);
        for entry in &mut entries {
            entry.source = source_of(figment, &entry.key);
        }
        Ok(Self { entries })
    }

    /// Where the value of `key` (`http.port`) came from, as the report shows it.
    pub fn source(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|entry| entry.key == key)
            .map(|entry| entry.source.as_str())
    }

    /// The value of `key` as the report shows it (TOML syntax, secrets redacted).
    pub fn value(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|entry| entry.key == key)
            .and_then(|entry| entry.value.as_deref())
    }
}

impl fmt::Display for ConfigReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .entries
            .iter()
            .map(|entry| entry.key.len() + entry.value.as_ref().map_or(12, String::len) + 3)
            .max()
            .unwrap_or(0);
        for Entry { key, value, source } in &self.entries {
            let assignment = match value {
                Some(value) => format!("{key} = {value}"),
                // TOML has no null: an unset optional key is a comment.
                None => format!("# {key} (not set)"),
            };
            writeln!(f, "{assignment:<width$}  # {source}")?;
        }
        Ok(())
    }
}

/// Leaves of `value` as dotted keys; arrays are leaves.
fn flatten(prefix: &str, value: &serde_json::Value, entries: &mut Vec<Entry>) {
    match value {
        serde_json::Value::Object(fields) => {
            for (name, field) in fields {
                let key = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                flatten(&key, field, entries);
            }
        }
        leaf => entries.push(Entry {
            key: prefix.to_owned(),
            value: (!leaf.is_null()).then(|| leaf.to_string()),
            source: String::new(),
        }),
    }
}

/// The layer that set `key`: a file, an environment variable, or `default` when none did.
pub(super) fn source_of(figment: &Figment, key: &str) -> String {
    let Some(metadata) = figment.find_metadata(key) else {
        return "default".to_owned();
    };
    match &metadata.source {
        Some(Source::File(path)) => {
            let shown = std::env::current_dir()
                .ok()
                .and_then(|dir| path.strip_prefix(dir).ok().map(|path| path.to_path_buf()))
                .unwrap_or_else(|| path.clone());
            shown.display().to_string()
        }
        _ => {
            let keys: Vec<&str> = key.split('.').collect();
            format!(
                "{} ({})",
                metadata.interpolate(&FigmentProfile::Default, &keys),
                metadata.name
            )
        }
    }
}
