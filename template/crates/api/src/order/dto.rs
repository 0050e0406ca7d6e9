//! The orders API's DTOs: the wire shapes and their conversions to and from the domain (the
//! conversion of a request is its validation). Separate types from the domain's, converted
//! only here.

use chrono::{DateTime, Utc};
use domain::order::{NewOrder, Note, Order, OrderStatus};
use domain::values::{Currency, Email, Money};
use poem_openapi::{Enum, Object};
use serde::Serialize;
use uuid::Uuid;

use crate::fields::FieldErrors;
use crate::json_body::rfc3339;
use crate::{ApiError, Lenient};

/// The body of `POST /api/v1/orders`. Every invalid field is reported at once (422).
//
// (A `//` comment: `///` text becomes the schema's description in the OpenAPI document.)
// Each rule is declared once, in the domain's value objects; converting this request into a
// `NewOrder` parses each field once through them and reports every invalid field together.
// The `#[oai(validator)]` attributes only document the same rules in the OpenAPI schema
// (`Lenient` fields are not checked while parsing), and `schema_and_validation_agree_on_boundaries`
// keeps the two in step.
#[derive(Debug, Clone, Object)]
#[oai(rename = "CreateOrder")]
pub struct CreateOrderRequest {
    /// The customer's e-mail address, in printable ASCII.
    // `[!-?A-~]` is printable ASCII without `@`; `[!-\-/-?A-~]` is that without `.` as well.
    #[oai(validator(
        max_length = 254,
        pattern = r"^[!-?A-~]+@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$"
    ))]
    pub customer_email: Lenient<String>,
    /// The amount in the currency's minor unit (cents for EUR); greater than zero and at most
    /// 2^53 - 1, the largest integer every JSON client represents exactly.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub amount_minor: Lenient<i64>,
    /// ISO 4217 currency code: three capital letters, like `EUR`.
    #[oai(validator(max_length = 3, pattern = "^[A-Z]{3}$"))]
    pub currency: Lenient<String>,
    /// A free-text note: no control characters but tab and line breaks.
    #[oai(validator(max_length = 500))]
    pub note: Option<Lenient<String>>,
}

/// The request as domain values: each field parsed once, under its wire name, every invalid
/// field reported in one 422.
impl TryFrom<CreateOrderRequest> for NewOrder {
    type Error = ApiError;

    fn try_from(request: CreateOrderRequest) -> Result<Self, Self::Error> {
        let mut errors = FieldErrors::default();
        let customer_email = errors.check(
            "customer_email",
            "email",
            Email::parse(&request.customer_email),
        );
        let currency = errors.check("currency", "currency", Currency::parse(&request.currency));
        let amount = match currency {
            Some(currency) => errors.check(
                "amount_minor",
                "range",
                Money::new(*request.amount_minor, currency),
            ),
            // No money without a currency, but a bad amount is reported with it all the same.
            None => errors
                .check("amount_minor", "range", Money::validate_amount(*request.amount_minor))
                .and(None),
        };
        let note = match &request.note {
            None => Some(None),
            Some(note) => errors.check("note", "length", Note::parse(note)).map(Some),
        };
        match (customer_email, amount, note) {
            (Some(customer_email), Some(amount), Some(note)) if errors.is_empty() => Ok(NewOrder {
                customer_email,
                amount,
                note,
            }),
            _ => Err(errors.into_problem()),
        }
    }
}

/// Where an order is in its life; `paying` while its charge is in progress; `paid` and
/// `cancelled` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename = "OrderStatus", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum OrderStatusDto {
    Pending,
    Paying,
    Paid,
    Cancelled,
}

impl From<OrderStatusDto> for OrderStatus {
    fn from(status: OrderStatusDto) -> Self {
        match status {
            OrderStatusDto::Pending => Self::Pending,
            OrderStatusDto::Paying => Self::Paying,
            OrderStatusDto::Paid => Self::Paid,
            OrderStatusDto::Cancelled => Self::Cancelled,
        }
    }
}

impl From<OrderStatus> for OrderStatusDto {
    fn from(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Pending => Self::Pending,
            OrderStatus::Paying => Self::Paying,
            OrderStatus::Paid => Self::Paid,
            OrderStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// An order as clients see it.
// Written by serde (`crate::json_body`): its serde attributes repeat its `#[oai]` wire rules.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(rename = "Order")]
pub struct OrderDto {
    pub id: Uuid,
    /// As placed (see `CreateOrder`).
    #[oai(validator(
        max_length = 254,
        pattern = r"^[!-?A-~]+@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$"
    ))]
    pub customer_email: String,
    /// As placed (see `CreateOrder`).
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub amount_minor: i64,
    /// As placed (see `CreateOrder`).
    #[oai(validator(max_length = 3, pattern = "^[A-Z]{3}$"))]
    pub currency: String,
    /// As placed (see `CreateOrder`).
    #[oai(skip_serializing_if_is_none, validator(max_length = 500))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub status: OrderStatusDto,
    /// Raised by every change; send it back in `If-Match` to update safely.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub version: i64,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl From<&Order> for OrderDto {
    fn from(order: &Order) -> Self {
        Self {
            id: order.id().as_uuid(),
            customer_email: order.customer_email().as_str().to_owned(),
            amount_minor: order.amount().amount_minor(),
            currency: order.amount().currency().as_str().to_owned(),
            note: order.note().map(|note| note.as_str().to_owned()),
            status: order.status().into(),
            version: order.version(),
            created_at: order.created_at(),
            updated_at: order.updated_at(),
        }
    }
}

/// A page of orders, newest first.
// Written by serde, as `OrderDto` is.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(rename = "OrderPage")]
pub struct OrderPageDto {
    /// At most `limit` orders (100 at most).
    #[oai(validator(max_items = 100))]
    pub items: Vec<OrderDto>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none, validator(max_length = 200, pattern = "^[A-Za-z0-9_-]+$"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use poem_openapi::registry::Registry;
    use poem_openapi::types::Type;
    use regex::Regex;
    use serde_json::Value;

    use super::*;

    fn valid() -> CreateOrderRequest {
        CreateOrderRequest {
            customer_email: Lenient("ada@example.com".into()),
            amount_minor: Lenient(1250),
            currency: Lenient("EUR".into()),
            note: None,
        }
    }

    /// The `CreateOrder` schema exactly as the OpenAPI document shows it.
    fn schema() -> Value {
        let mut registry = Registry::new();
        <CreateOrderRequest as Type>::register(&mut registry);
        serde_json::to_value(&registry.schemas["CreateOrder"]).unwrap()
    }

    fn accepted(request: &CreateOrderRequest) -> bool {
        NewOrder::try_from(request.clone()).is_ok()
    }

    #[test]
    fn a_valid_request_converts() {
        let new = NewOrder::try_from(valid()).unwrap();
        assert_eq!(new.amount.amount_minor(), 1250);
        assert_eq!(new.customer_email.as_str(), "ada@example.com");
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let request = CreateOrderRequest {
            customer_email: Lenient("nope".into()),
            amount_minor: Lenient(0),
            currency: Lenient("eur".into()),
            note: Some(Lenient("x".repeat(501))),
        };
        let Err(ApiError::ValidationFailed(problem)) = NewOrder::try_from(request) else {
            panic!("expected a 422");
        };
        let fields: Vec<_> = problem
            .0
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("amount_minor", "range"),
                ("currency", "currency"),
                ("customer_email", "email"),
                ("note", "length")
            ]
        );
    }

    /// The schema documents each rule; the conversion (through the domain) enforces it. Every
    /// constraint in the schema is tried on both sides of its boundary, and patterns on a set of
    /// samples: the schema and the validation must accept exactly the same values. A new
    /// constraint without a case here fails `every_schema_constraint_is_tested`.
    #[test]
    fn schema_and_validation_agree_on_boundaries() {
        let schema = schema();
        let property = |name: &str| schema["properties"][name].clone();
        let number = |name: &str, keyword: &str| property(name)[keyword].as_f64().unwrap();

        let max = number("customer_email", "maxLength") as usize;
        let email_of_length = |len: usize| format!("{}@x.io", "a".repeat(len - 5));
        let with_email = |email: String| CreateOrderRequest {
            customer_email: Lenient(email),
            ..valid()
        };
        assert!(accepted(&with_email(email_of_length(max))));
        assert!(!accepted(&with_email(email_of_length(max + 1))));

        let min = number("amount_minor", "minimum") as i64;
        assert!(accepted(&CreateOrderRequest {
            amount_minor: Lenient(min),
            ..valid()
        }));
        assert!(!accepted(&CreateOrderRequest {
            amount_minor: Lenient(min - 1),
            ..valid()
        }));

        let max = number("amount_minor", "maximum") as i64;
        assert_eq!(max, domain::values::MAX_AMOUNT_MINOR);
        assert!(accepted(&CreateOrderRequest {
            amount_minor: Lenient(max),
            ..valid()
        }));
        assert!(!accepted(&CreateOrderRequest {
            amount_minor: Lenient(max + 1),
            ..valid()
        }));

        let max = number("currency", "maxLength") as usize;
        let with_currency = |code: &str| CreateOrderRequest {
            currency: Lenient(code.to_owned()),
            ..valid()
        };
        assert!(accepted(&with_currency(&"EUR"[..max])));
        assert!(!accepted(&with_currency("EURO")));

        let max = number("note", "maxLength") as usize;
        let with_note = |len: usize| CreateOrderRequest {
            note: Some(Lenient("é".repeat(len))),
            ..valid()
        };
        assert!(accepted(&with_note(max)));
        assert!(!accepted(&with_note(max + 1)));

        let samples: &[(&str, &[&str])] = &[
            (
                "currency",
                &["EUR", "USD", "eur", "EU", "EURO", "E1R", "ÉUR", "", " EUR"],
            ),
            (
                "customer_email",
                &[
                    "ada@example.com", "a@b.co", "a..b@x.y", "a@b..c", "a+b!#@x-y.z", "",
                    "plain", "@x.io", "a@", "a@x", "a@.io", "a@x.", "a b@x.io", "a@b@x.io",
                    " a@x.io", "a@x.io ", "a@x.io\n", "a\t@x.io", "ü@ü.de", "a\u{85}@x.io",
                    "a@x.i\u{feff}o", "a@\u{1c}x.io",
                ],
            ),
        ];
        for (name, values) in samples {
            let pattern = property(name)["pattern"].as_str().unwrap().to_owned();
            let pattern = Regex::new(&pattern).unwrap();
            for value in *values {
                let mut request = valid();
                match *name {
                    "currency" => request.currency = Lenient((*value).to_owned()),
                    _ => request.customer_email = Lenient((*value).to_owned()),
                }
                assert_eq!(
                    pattern.is_match(value),
                    accepted(&request),
                    "{name} = {value:?}: schema pattern and validation disagree"
                );
            }
        }
    }

    #[test]
    fn every_schema_constraint_is_tested() {
        let tested = [
            ("customer_email", "maxLength"),
            ("customer_email", "pattern"),
            ("amount_minor", "minimum"),
            ("amount_minor", "maximum"),
            ("currency", "maxLength"),
            ("currency", "pattern"),
            ("note", "maxLength"),
        ];
        let keywords = [
            "maxLength",
            "minLength",
            "minimum",
            "maximum",
            "pattern",
            "enum",
        ];
        let schema = schema();
        let mut found = Vec::new();
        for (name, property) in schema["properties"].as_object().unwrap() {
            for keyword in keywords {
                if property.get(keyword).is_some() {
                    found.push((name.as_str(), keyword));
                }
            }
        }
        found.sort_unstable();
        let mut tested = tested.to_vec();
        tested.sort_unstable();
        assert_eq!(found, tested, "add a boundary case for each new constraint");
    }
}
