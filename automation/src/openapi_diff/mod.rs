//! `cargo xtask openapi diff [OLD] [NEW]`: what changed between two versions of the OpenAPI
//! document, each change classified as breaking or compatible for existing clients.
//!
//! Breaking: a removed path, operation, response status, property or enum value; a request
//! parameter or property that became required (or a new required one); a changed type or
//! format; a request constraint narrowed (a lower `maxLength`, a higher `minimum`, a new or
//! changed `pattern`, ...); a response property that is no longer always present.
//! Compatible: anything added that clients may ignore, and constraints widened.
//!
//! The documents are parsed with `serde-saphyr` (YAML, JSON being a subset) into plain JSON
//! values and walked with OpenAPI 3.0 semantics, resolving `$ref`s into `components.schemas`.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

/// Whether existing clients keep working after the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Breaking,
    Compatible,
}

/// One difference between the documents.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub severity: Severity,
    /// Where: `POST /api/v1/orders request body .note`, ...
    pub location: String,
    pub message: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Breaking => "BREAKING",
            Severity::Compatible => "compatible",
        };
        write!(f, "{severity:<10}  {}: {}", self.location, self.message)
    }
}

/// Which side of the exchange a schema describes: clients send requests and read responses,
/// so the same change can break one and not the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// Parses an OpenAPI document in YAML or JSON.
pub fn parse(text: &str) -> anyhow::Result<Value> {
    serde_saphyr::from_str(text)
        .map_err(|err| anyhow::anyhow!("not a YAML or JSON document: {err}"))
}

/// The major version of `info.version` (`2` for `2.1.0`), if it has one.
pub fn major_version(document: &Value) -> Option<u64> {
    document["info"]["version"]
        .as_str()?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// Every change from `old` to `new`, breaking ones first.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut walk = Walk {
        old,
        new,
        changes: Vec::new(),
    };
    let empty = serde_json::Map::new();
    let old_paths = old["paths"].as_object().unwrap_or(&empty);
    let new_paths = new["paths"].as_object().unwrap_or(&empty);
    for (path, old_item) in old_paths {
        let Some(new_item) = new_paths.get(path) else {
            walk.push(Severity::Breaking, path, "path removed");
            continue;
        };
        for method in METHODS {
            let location = format!("{} {path}", method.to_uppercase());
            match (old_item.get(method), new_item.get(method)) {
                (Some(_), None) => walk.push(Severity::Breaking, &location, "operation removed"),
                (None, Some(_)) => walk.push(Severity::Compatible, &location, "operation added"),
                (Some(old_op), Some(new_op)) => walk.operation(&location, old_op, new_op),
                (None, None) => {}
            }
        }
    }
    for path in new_paths
        .keys()
        .filter(|path| !old_paths.contains_key(*path))
    {
        walk.push(Severity::Compatible, path, "path added");
    }
    walk.changes.sort();
    walk.changes.dedup();
    walk.changes
}

struct Walk<'a> {
    old: &'a Value,
    new: &'a Value,
    changes: Vec<Change>,
}

impl Walk<'_> {
    fn push(&mut self, severity: Severity, location: &str, message: impl Into<String>) {
        self.changes.push(Change {
            severity,
            location: location.to_owned(),
            message: message.into(),
        });
    }

    fn operation(&mut self, location: &str, old: &Value, new: &Value) {
        self.parameters(location, old, new);
        self.request_body(location, old, new);
        let empty = serde_json::Map::new();
        let old_responses = old["responses"].as_object().unwrap_or(&empty);
        let new_responses = new["responses"].as_object().unwrap_or(&empty);
        for (status, old_response) in old_responses {
            let here = format!("{location} response {status}");
            match new_responses.get(status) {
                None => self.push(Severity::Breaking, &here, "response status removed"),
                Some(new_response) => {
                    let old_schema = json_schema(old_response);
                    let new_schema = json_schema(new_response);
                    self.schema(
                        &here,
                        Side::Response,
                        old_schema,
                        new_schema,
                        &mut BTreeSet::new(),
                    );
                }
            }
        }
        for status in new_responses
            .keys()
            .filter(|status| !old_responses.contains_key(*status))
        {
            self.push(
                Severity::Compatible,
                &format!("{location} response {status}"),
                "response status added",
            );
        }
    }

    fn parameters(&mut self, location: &str, old: &Value, new: &Value) {
        let key = |parameter: &Value| {
            format!(
                "{} {}",
                parameter["in"].as_str().unwrap_or("?"),
                parameter["name"].as_str().unwrap_or("?")
            )
        };
        let listed = |operation: &Value| {
            operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        };
        let (old_list, new_list) = (listed(old), listed(new));
        for old_parameter in &old_list {
            let here = format!("{location} parameter {}", key(old_parameter));
            match new_list
                .iter()
                .find(|candidate| key(candidate) == key(old_parameter))
            {
                None => self.push(Severity::Breaking, &here, "parameter removed"),
                Some(new_parameter) => {
                    if is_true(&new_parameter["required"]) && !is_true(&old_parameter["required"]) {
                        self.push(Severity::Breaking, &here, "parameter became required");
                    }
                    let (old_schema, new_schema) =
                        (&old_parameter["schema"], &new_parameter["schema"]);
                    self.schema(
                        &here,
                        Side::Request,
                        old_schema,
                        new_schema,
                        &mut BTreeSet::new(),
                    );
                }
            }
        }
        for new_parameter in new_list
            .iter()
            .filter(|p| !old_list.iter().any(|o| key(o) == key(p)))
        {
            let here = format!("{location} parameter {}", key(new_parameter));
            if is_true(&new_parameter["required"]) {
                self.push(Severity::Breaking, &here, "required parameter added");
            } else {
                self.push(Severity::Compatible, &here, "optional parameter added");
            }
        }
    }

    fn request_body(&mut self, location: &str, old: &Value, new: &Value) {
        let here = format!("{location} request body");
        let (old_body, new_body) = (&old["requestBody"], &new["requestBody"]);
        match (old_body.is_null(), new_body.is_null()) {
            (true, false) if is_true(&new_body["required"]) => {
                self.push(Severity::Breaking, &here, "required request body added");
            }
            (true, false) => self.push(Severity::Compatible, &here, "optional request body added"),
            (false, true) => self.push(Severity::Breaking, &here, "request body removed"),
            (false, false) => {
                if is_true(&new_body["required"]) && !is_true(&old_body["required"]) {
                    self.push(Severity::Breaking, &here, "request body became required");
                }
                let (old_schema, new_schema) = (json_schema(old_body), json_schema(new_body));
                self.schema(
                    &here,
                    Side::Request,
                    old_schema,
                    new_schema,
                    &mut BTreeSet::new(),
                );
            }
            (true, true) => {}
        }
    }
}

/// The schema of the first JSON media type of a request body or response.
fn json_schema(content_holder: &Value) -> &Value {
    content_holder["content"]
        .as_object()
        .and_then(|content| {
            content
                .iter()
                .find(|(media_type, _)| media_type.contains("json"))
        })
        .map_or(&Value::Null, |(_, media)| &media["schema"])
}

/// Follows a local `$ref` (`#/components/schemas/Name`) in `document`.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"]
        .as_str()
        .and_then(|reference| reference.strip_prefix('#'))
    {
        Some(pointer) => document.pointer(pointer).unwrap_or(&Value::Null),
        None => schema,
    }
}

fn is_true(value: &Value) -> bool {
    value.as_bool() == Some(true)
}

fn show(value: &Value) -> String {
    match value {
        Value::Null => "none".to_owned(),
        other => other.to_string(),
    }
}

mod schema;
#[cfg(test)]
mod tests;
