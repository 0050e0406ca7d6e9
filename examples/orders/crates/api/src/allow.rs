//! The `Allow` header of 405 responses (RFC 9110, section 15.5.6), read from the OpenAPI
//! document so that it always lists exactly the methods each path has.

use poem::http::Method;

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
            let methods: Vec<String> = operations
                .as_object()
                .into_iter()
                .flat_map(|operations| operations.keys())
                .map(|method| method.to_uppercase())
                .collect();
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
}
