//! `Lenient<T>`: a request field whose constraints are *documented* by poem-openapi and
//! *checked* by the domain, when the request is converted into domain values.
//!
//! poem-openapi's `#[oai(validator(...))]` puts a field's constraints (lengths, ranges,
//! patterns) into the OpenAPI schema, but it also checks them while parsing and stops at the
//! first bad field with a 400. A `Lenient` field keeps the documentation without the check:
//! the schema shows the constraints, parsing only checks the JSON type, and the conversion
//! into domain values (through [`crate::fields::FieldErrors`]) parses each field once by its
//! value object and reports every rule broken, in one 422. A test in each DTO module proves
//! the schema and the conversion agree on boundary values, so the two declarations cannot
//! drift apart.
//!
//! ```text
//! #[oai(validator(max_length = 500))]            // documented
//! pub note: Option<Lenient<String>>,             // checked by `Note::parse` in the conversion
//! ```

use std::borrow::Cow;
use std::ops::Deref;

use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

/// A field parsed without poem-openapi's constraint checks; see the module documentation.
/// (`Serialize` lets a `validator` derive quote the rejected value in its errors.)
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Lenient<T>(pub T);

impl<T> Lenient<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Lenient<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Type> Type for Lenient<T> {
    const IS_REQUIRED: bool = T::IS_REQUIRED;
    type RawValueType = T::RawValueType;
    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    /// No raw value and no elements: poem-openapi's validators have nothing to check, so the
    /// constraints stay documentation and `validator` does the checking.
    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        None
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(std::iter::empty())
    }
}

impl<T: ParseFromJSON> ParseFromJSON for Lenient<T> {
    /// Only the JSON type is checked, strictly: poem-openapi turns a number or a boolean into
    /// a string, which the schema (`type: string`) does not allow.
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        if let (MetaSchemaRef::Inline(schema), Some(given)) = (T::schema_ref(), &value) {
            let fits = match schema.ty {
                "string" => given.is_string(),
                "integer" => given.is_i64() || given.is_u64(),
                "number" => given.is_number(),
                "boolean" => given.is_boolean(),
                _ => true,
            };
            if !fits && !given.is_null() {
                return Err(poem_openapi::types::ParseError::expected_type(given.clone()));
            }
        }
        T::parse_from_json(value)
            .map(Lenient)
            .map_err(poem_openapi::types::ParseError::propagate)
    }
}

impl<T: ToJSON> ToJSON for Lenient<T> {
    fn to_json(&self) -> Option<Value> {
        self.0.to_json()
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::Object;

    use super::*;

    #[derive(Debug, Object)]
    struct Probe {
        #[oai(validator(max_length = 3))]
        strict: Option<String>,
        #[oai(validator(max_length = 3))]
        lenient: Option<Lenient<String>>,
    }

    #[test]
    fn constraints_are_documented_but_not_enforced_while_parsing() {
        let mut registry = Registry::new();
        <Probe as Type>::register(&mut registry);
        let probe = serde_json::to_value(&registry.schemas["Probe"]).unwrap();
        assert_eq!(probe["properties"]["lenient"]["maxLength"], 3);
        assert_eq!(probe["properties"]["strict"]["maxLength"], 3);

        let long = Some(serde_json::json!({"lenient": "abcdef"}));
        let parsed = Probe::parse_from_json(long).unwrap();
        assert_eq!(
            parsed.lenient.map(Lenient::into_inner).as_deref(),
            Some("abcdef")
        );
        assert!(Probe::parse_from_json(Some(serde_json::json!({"strict": "abcdef"}))).is_err());
        assert!(Probe::parse_from_json(Some(serde_json::json!({"lenient": [1]}))).is_err());
        // The JSON type is the schema's: no number or boolean turned into a string.
        for wrong in [serde_json::json!(true), serde_json::json!(12)] {
            let body = Some(serde_json::json!({ "lenient": wrong }));
            assert!(Probe::parse_from_json(body).is_err(), "{wrong}");
        }
    }
}
