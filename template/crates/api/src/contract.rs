//! The OpenAPI document as the service serves it (`/openapi.json`, `/openapi.yaml`, the UI at
//! `/docs`) and exports it (`<binary> openapi`): what poem-openapi generates from the typed
//! handlers, completed here with what the middleware stack does to every operation, declared
//! once:
//!
//! - every response carries the rate-limit fields `RateLimit` and `RateLimit-Policy` (but the
//!   probes', which are not limited), and may carry `Access-Control-Allow-Origin` (only for the
//!   configured origins); every operation may answer 429 (but the probes) and what the body
//!   layer answers whatever the route: 408, 413, 415 and 503 (see `rate_limit`,
//!   `request_body` and `middleware`);
//! - response header names in their registered spelling (`ETag`, `Retry-After`,
//!   `WWW-Authenticate`): poem-openapi writes them in capitals; and their bounds, which
//!   poem-openapi cannot declare on response headers;
//! - the length bound of strings whose format already fixes it (`uuid`, `date-time`, `date`):
//!   poem-openapi refuses any longer value while parsing;
//! - the server's audience (OWASP API9: public, `x-internal: false`).

use serde_json::{Map, Value, json};

use crate::rate_limit::PROBES;

/// Header names whose registered spelling is not plain title case.
const SPELLINGS: &[&str] = &["ETag", "WWW-Authenticate", "RateLimit", "RateLimit-Policy"];

/// The headers the middleware adds to every rate-limited response (`components.headers`).
const MIDDLEWARE_HEADERS: &[&str] = &["RateLimit", "RateLimit-Policy", "Access-Control-Allow-Origin"];

/// The headers the middleware adds to every response, as `components.headers`.
fn shared_headers() -> Value {
    json!({
        "RateLimit": {
            "description": "What is left of the caller's quota for this class of operation \
                (IETF draft-ietf-httpapi-ratelimit-headers): `\"reads\";r=<remaining>;t=<seconds \
                until the quota is full again>`.",
            "schema": { "type": "string", "maxLength": 64, "pattern": "^\"(reads|writes)\";r=[0-9]{1,10};t=[0-9]{1,10}$" }
        },
        "RateLimit-Policy": {
            "description": "The caller's quota for this class of operation: `\"reads\";q=<requests>;w=60` \
                (per 60 seconds, per caller, in each replica).",
            "schema": { "type": "string", "maxLength": 64, "pattern": "^\"(reads|writes)\";q=[0-9]{1,10};w=60$" }
        },
        "Access-Control-Allow-Origin": {
            "description": "Sent only when the request's `Origin` is one of `http.cors_allowed_origins` \
                (none by default): browsers on any other origin cannot read the response.",
            "schema": { "type": "string", "maxLength": 2048, "format": "uri" }
        }
    })
}

/// The schema of each response header the handlers set, by registered name.
fn header_schema(name: &str) -> Option<Value> {
    Some(match name {
        "ETag" => json!({ "type": "string", "maxLength": 20, "pattern": "^\"[0-9]{1,18}\"$" }),
        "Location" => json!({ "type": "string", "maxLength": 2048, "format": "uri-reference" }),
        "WWW-Authenticate" => json!({ "type": "string", "maxLength": 256, "pattern": "^Bearer( .+)?$" }),
        "Retry-After" => json!({ "type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_RETRY_AFTER_SECONDS }),
        _ => return None,
    })
}

/// The longest wait a `Retry-After` announces (a day).
pub const MAX_RETRY_AFTER_SECONDS: u64 = 86_400;

/// The exact longest length of a string in `format`, when the format fixes it.
fn format_max_length(format: &str) -> Option<u64> {
    match format {
        "uuid" => Some(36),
        // 2026-01-01T00:00:00.123456789+00:00
        "date-time" => Some(35),
        "date" => Some(10),
        _ => None,
    }
}

/// Gives every string schema of a length-fixing format its `maxLength`, anywhere.
fn bound_formatted_strings(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let max = (object.get("type") == Some(&json!("string")))
                .then(|| object.get("format").and_then(Value::as_str).and_then(format_max_length))
                .flatten();
            if let Some(max) = max {
                object.entry("maxLength").or_insert(json!(max));
            }
            object.values_mut().for_each(bound_formatted_strings);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_formatted_strings),
        _ => {}
    }
}

/// What the body layer may answer on any operation, as `components.responses`.
fn body_layer_responses() -> [(&'static str, &'static str, &'static str); 4] {
    [
        ("408", "RequestTimeout", "The request body did not arrive within `http.request_timeout`."),
        ("413", "PayloadTooLarge", "The request body (decoded) is larger than `http.body_limit_bytes`."),
        ("415", "UnsupportedContentEncoding", "The request body's `Content-Encoding` is not gzip, deflate, br or zstd."),
        ("503", "BodyMemoryFull", "The service holds `http.body_memory_bytes` of request bodies already; retry after `Retry-After` seconds."),
    ]
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {
            "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } }
        }
    })
}

/// The 429 every operation may answer.
fn too_many_requests() -> Value {
    json!({
        "description": "The caller sent more requests of this class than its quota allows; retry \
            after `Retry-After` seconds.",
        "headers": {
            "Retry-After": {
                "description": "Seconds until a request of this class is accepted again.",
                "required": true,
                "schema": { "type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_RETRY_AFTER_SECONDS }
            }
        },
        "content": {
            "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } }
        }
    })
}

/// Completes poem-openapi's document (JSON) as described in the module documentation.
pub fn complete(generated: &str) -> Value {
    let mut document: Value = serde_json::from_str(generated).unwrap_or_default();
    if let Some(components) = document["components"].as_object_mut() {
        components.insert("headers".to_owned(), shared_headers());
        let responses = components
            .entry("responses")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(responses) = responses.as_object_mut() {
            for (_, name, description) in body_layer_responses() {
                responses.insert(name.to_owned(), problem_response(description));
            }
        }
    }
    let operations = document["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.iter_mut())
        .filter_map(|(path, operations)| Some((path.starts_with(PROBES), operations.as_object_mut()?)))
        .flat_map(|(probe, operations)| operations.values_mut().map(move |operation| (probe, operation)));
    for (probe, operation) in operations {
        let Some(responses) = operation["responses"].as_object_mut() else {
            continue;
        };
        if !probe {
            responses.insert("429".to_owned(), json!({ "$ref": "#/components/responses/TooManyRequests" }));
        }
        for (status, name, _) in body_layer_responses() {
            responses
                .entry(status)
                .or_insert_with(|| json!({ "$ref": format!("#/components/responses/{name}") }));
        }
        for response in responses.values_mut() {
            if response.get("$ref").is_some() {
                continue;
            }
            let headers = response
                .as_object_mut()
                .map(|response| response.entry("headers").or_insert_with(|| Value::Object(Map::new())));
            if let Some(Value::Object(headers)) = headers {
                respell(headers);
                let shared: &[&str] = if probe {
                    &["Access-Control-Allow-Origin"]
                } else {
                    MIDDLEWARE_HEADERS
                };
                for name in shared {
                    headers.insert((*name).to_owned(), json!({ "$ref": format!("#/components/headers/{name}") }));
                }
            }
        }
    }
    if let Some(Value::Object(server)) = document.pointer_mut("/servers/0") {
        // Reached by clients outside the organisation (through a gateway): not internal.
        server.insert("x-internal".to_owned(), json!(false));
    }
    bound_formatted_strings(&mut document);
    // The 429, where an operation is rate limited (every operation but the probes).
    let limited = document["paths"]
        .as_object()
        .is_some_and(|paths| paths.keys().any(|path| !path.starts_with(PROBES)));
    if limited && let Some(Value::Object(responses)) = document.pointer_mut("/components/responses") {
        responses.insert("TooManyRequests".to_owned(), too_many_requests());
    }
    // The shared responses carry the middleware's headers too (the 503 also `Retry-After`).
    let shared = std::iter::once("TooManyRequests").chain(body_layer_responses().map(|(_, name, _)| name));
    for name in shared {
        if let Some(Value::Object(response)) = document.pointer_mut(&format!("/components/responses/{name}")) {
            let headers = response.entry("headers").or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(headers) = headers {
                for header in MIDDLEWARE_HEADERS {
                    headers.insert((*header).to_owned(), json!({ "$ref": format!("#/components/headers/{header}") }));
                }
                if name == "BodyMemoryFull" {
                    headers.insert("Retry-After".to_owned(), json!({
                        "description": "Seconds to wait before retrying.",
                        "required": true,
                        "schema": header_schema("Retry-After")
                    }));
                }
            }
        }
    }
    document
}

/// Renames capitalised header names (`ETAG`) to their registered spelling (`ETag`), keeping
/// their order, and declares their bounds.
fn respell(headers: &mut Map<String, Value>) {
    let original = std::mem::take(headers);
    for (name, mut header) in original {
        let spelled = spelling(&name);
        if let Some(schema) = header_schema(&spelled) {
            header["schema"] = schema;
        }
        headers.insert(spelled, header);
    }
}

fn spelling(name: &str) -> String {
    if let Some(known) = SPELLINGS.iter().find(|known| known.eq_ignore_ascii_case(name)) {
        return (*known).to_owned();
    }
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The document as YAML, for `/openapi.yaml` and the committed `docs/openapi.yaml`.
pub fn to_yaml(document: &Value) -> String {
    serde_yaml::to_string(document).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_get_their_registered_spelling() {
        for (raw, spelled) in [
            ("ETAG", "ETag"),
            ("RETRY-AFTER", "Retry-After"),
            ("WWW-AUTHENTICATE", "WWW-Authenticate"),
            ("LOCATION", "Location"),
            ("RATELIMIT-POLICY", "RateLimit-Policy"),
        ] {
            assert_eq!(spelling(raw), spelled);
        }
    }

    #[test]
    fn every_response_declares_the_middlewares_headers_and_every_operation_a_429() {
        let generated = r#"{ "paths": { "/items": { "get": { "responses": {
            "200": { "description": "ok", "headers": { "ETAG": { "schema": { "type": "string" } } } },
            "404": { "description": "missing" }
        } } } }, "components": { "schemas": {} } }"#;
        let document = complete(generated);
        let responses = &document["paths"]["/items"]["get"]["responses"];
        assert!(responses["200"]["headers"]["ETag"].is_object());
        for status in ["200", "404"] {
            for header in MIDDLEWARE_HEADERS {
                assert!(responses[status]["headers"][header]["$ref"].is_string(), "{status} {header}");
            }
        }
        assert_eq!(responses["429"]["$ref"], "#/components/responses/TooManyRequests");
        assert_eq!(responses["413"]["$ref"], "#/components/responses/PayloadTooLarge");
        assert!(document["components"]["headers"]["RateLimit"].is_object());
        assert!(to_yaml(&document).contains("RateLimit-Policy"));
    }
}
