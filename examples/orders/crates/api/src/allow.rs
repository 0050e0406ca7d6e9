//! What the OpenAPI document declares, read back for the middleware: the `Allow` header of
//! 405 responses (RFC 9110, section 15.5.6), so that it always lists exactly the methods each
//! path has, and the header parameters the operations read, so that one the framework cannot
//! decode is refused instead of silently treated as absent.

use poem::Request;
use poem::http::{HeaderName, Method};

/// Path templates (`/api/v1/orders/{id}`) and the methods each one accepts.
#[derive(Debug, Clone, Default)]
pub struct AllowedMethods {
    routes: Vec<(Vec<String>, String)>,
}

impl AllowedMethods {
    /// From the OpenAPI document in JSON, plus `extra` routes served outside it.
    pub fn from_spec(spec_json: &str, extra: &[(&str, &[Method])]) -> Self {
        let mut routes = Vec::new();
        let spec: serde_json::Value = serde_json::from_str(spec_json).unwrap_or_default();
        for (path, operations) in spec["paths"].as_object().into_iter().flatten() {
            let mut methods: Vec<String> = operations
                .as_object()
                .into_iter()
                .flat_map(|operations| operations.keys())
                .map(|method| method.to_uppercase())
                .collect();
            methods.sort();
            routes.push((segments(path), methods.join(", ")));
        }
        for (path, methods) in extra {
            let methods: Vec<&str> = methods.iter().map(Method::as_str).collect();
            routes.push((segments(path), methods.join(", ")));
        }
        Self { routes }
    }

    /// The `Allow` value for a request path, if the path is a known route.
    pub fn for_path(&self, path: &str) -> Option<&str> {
        let path = segments(path);
        self.routes
            .iter()
            .find(|(template, _)| {
                template.len() == path.len()
                    && template.iter().zip(&path).all(|(expected, actual)| {
                        expected == actual || (expected.starts_with('{') && !actual.is_empty())
                    })
            })
            .map(|(_, methods)| methods.as_str())
    }
}

/// The header parameters the document declares, on any operation.
#[derive(Debug, Clone, Default)]
pub struct DeclaredHeaders {
    names: Vec<HeaderName>,
}

impl DeclaredHeaders {
    /// From the OpenAPI document in JSON.
    pub fn from_spec(spec_json: &str) -> Self {
        let spec: serde_json::Value = serde_json::from_str(spec_json).unwrap_or_default();
        let mut names: Vec<HeaderName> = spec["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
            .filter_map(serde_json::Value::as_object)
            .flat_map(|operations| operations.values())
            .filter_map(|operation| operation["parameters"].as_array())
            .flatten()
            .filter(|parameter| parameter["in"] == "header")
            .filter_map(|parameter| parameter["name"].as_str())
            .filter_map(|name| HeaderName::try_from(name).ok())
            .collect();
        names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        names.dedup();
        Self { names }
    }

    /// The first declared header whose value is not visible ASCII (poem-openapi would read
    /// it as absent), if any.
    pub fn undecodable(&self, request: &Request) -> Option<&str> {
        self.names
            .iter()
            .find(|name| {
                request
                    .headers()
                    .get_all(*name)
                    .iter()
                    .any(|value| value.to_str().is_err())
            })
            .map(HeaderName::as_str)
    }
}

fn segments(path: &str) -> Vec<String> {
    path.trim_end_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_concrete_paths() {
        // (Spaced braces: the template must not contain two closing braces in a row.)
        let spec = r#"{ "paths": {
            "/items": { "get": {}, "post": {} },
            "/items/{id}/pay": { "post": {} }
        } }"#;
        let allowed = AllowedMethods::from_spec(spec, &[("/openapi.json", &[Method::GET])]);
        assert_eq!(allowed.for_path("/items"), Some("GET, POST"));
        assert_eq!(allowed.for_path("/items/42/pay"), Some("POST"));
        assert_eq!(allowed.for_path("/openapi.json"), Some("GET"));
        assert_eq!(allowed.for_path("/items/42"), None);
        assert_eq!(allowed.for_path("/items//pay"), None);
    }

    #[test]
    fn declared_headers_that_cannot_be_read_are_named() {
        let spec = r#"{ "paths": { "/items": { "post": { "parameters": [
            { "name": "Idempotency-Key", "in": "header" },
            { "name": "limit", "in": "query" }
        ] } } } }"#;
        let declared = DeclaredHeaders::from_spec(spec);
        let with = |name: &str, value: &[u8]| {
            Request::builder()
                .header(name, poem::http::HeaderValue::from_bytes(value).unwrap())
                .finish()
        };
        assert_eq!(
            declared.undecodable(&with("idempotency-key", b"ok-1")),
            None
        );
        assert_eq!(
            declared.undecodable(&with("idempotency-key", "clé".as_bytes())),
            Some("idempotency-key")
        );
        // Headers the document does not declare are not this check's business.
        assert_eq!(
            declared.undecodable(&with("x-other", "clé".as_bytes())),
            None
        );
    }
}
