//! The orders API's DTOs: the wire shapes, their validation, and their conversions to and
//! from the domain. Separate types from the domain's, converted only here.

use chrono::{DateTime, Utc};
use domain::DomainError;
use domain::order::{Currency, Email, Money, NewOrder, Note, Order, OrderStatus};
use poem_openapi::{Enum, Object};
use uuid::Uuid;
use validator::{Validate, ValidationError};

/// The body of `POST /api/v1/orders`.
///
/// Each rule is declared once, in the domain's value objects; the `validator` functions below
/// call them so that every invalid field is reported together (422) and the two cannot drift.
#[derive(Debug, Clone, Object, Validate)]
#[oai(rename = "CreateOrder")]
pub struct CreateOrderRequest {
    /// The customer's e-mail address (at most 254 characters).
    #[validate(custom(function = "valid_email"))]
    pub customer_email: String,
    /// The amount in the currency's minor unit (cents for EUR); greater than zero.
    #[validate(range(min = 1, message = "must be greater than zero"))]
    pub amount_minor: i64,
    /// ISO 4217 currency code: three capital letters, like `EUR`.
    #[validate(custom(function = "valid_currency"))]
    pub currency: String,
    /// A free-text note (at most 500 characters).
    #[validate(custom(function = "valid_note"))]
    pub note: Option<String>,
}

/// Adapts a domain constructor into a `validator` check with the domain's message.
fn domain_rule<T>(code: &'static str, parsed: Result<T, DomainError>) -> Result<(), ValidationError> {
    parsed.map(drop).map_err(|err| {
        let message = match err {
            DomainError::Invalid { message, .. } => message,
            other => other.to_string(),
        };
        ValidationError::new(code).with_message(message.into())
    })
}

fn valid_email(raw: &str) -> Result<(), ValidationError> {
    domain_rule("email", Email::parse(raw))
}

fn valid_currency(raw: &str) -> Result<(), ValidationError> {
    domain_rule("currency", Currency::parse(raw))
}

fn valid_note(raw: &str) -> Result<(), ValidationError> {
    domain_rule("length", Note::parse(raw))
}

impl TryFrom<CreateOrderRequest> for NewOrder {
    type Error = DomainError;

    fn try_from(request: CreateOrderRequest) -> Result<Self, Self::Error> {
        Ok(NewOrder {
            customer_email: Email::parse(&request.customer_email)?,
            amount: Money::new(request.amount_minor, Currency::parse(&request.currency)?)?,
            note: request.note.as_deref().map(Note::parse).transpose()?,
        })
    }
}

/// Where an order is in its life; `paid` and `cancelled` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "OrderStatus", rename_all = "lowercase")]
pub enum OrderStatusDto {
    Pending,
    Paid,
    Cancelled,
}

impl From<OrderStatusDto> for OrderStatus {
    fn from(status: OrderStatusDto) -> Self {
        match status {
            OrderStatusDto::Pending => Self::Pending,
            OrderStatusDto::Paid => Self::Paid,
            OrderStatusDto::Cancelled => Self::Cancelled,
        }
    }
}

impl From<OrderStatus> for OrderStatusDto {
    fn from(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Pending => Self::Pending,
            OrderStatus::Paid => Self::Paid,
            OrderStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// An order as clients see it.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Order")]
pub struct OrderDto {
    pub id: Uuid,
    pub customer_email: String,
    pub amount_minor: i64,
    pub currency: String,
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
    pub status: OrderStatusDto,
    /// Raised by every change; send it back in `If-Match` to update safely.
    pub version: i64,
    pub created_at: DateTime<Utc>,
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
#[derive(Debug, Clone, Object)]
#[oai(rename = "OrderPage")]
pub struct OrderPageDto {
    pub items: Vec<OrderDto>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiError;

    fn valid() -> CreateOrderRequest {
        CreateOrderRequest {
            customer_email: "ada@example.com".into(),
            amount_minor: 1250,
            currency: "EUR".into(),
            note: None,
        }
    }

    #[test]
    fn a_valid_request_passes_validation_and_converts() {
        let request = valid();
        assert!(request.validate().is_ok());
        let new = NewOrder::try_from(request).unwrap();
        assert_eq!(new.amount.amount_minor(), 1250);
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let request = CreateOrderRequest {
            customer_email: "nope".into(),
            amount_minor: 0,
            currency: "eur".into(),
            note: Some("x".repeat(501)),
        };
        let ApiError::ValidationFailed(problem) = ApiError::from(request.validate().unwrap_err())
        else {
            panic!("expected a 422");
        };
        let fields: Vec<_> = problem.0.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["amount_minor", "currency", "customer_email", "note"]);
    }

    #[test]
    fn validation_and_domain_agree_on_boundaries() {
        // The DTO's validation and the domain's value objects must accept and refuse the same
        // values, or a request could pass one and fail the other.
        let cases: Vec<(CreateOrderRequest, bool)> = vec![
            (CreateOrderRequest { amount_minor: 1, ..valid() }, true),
            (CreateOrderRequest { amount_minor: 0, ..valid() }, false),
            (CreateOrderRequest { note: Some("é".repeat(500)), ..valid() }, true),
            (CreateOrderRequest { note: Some("a".repeat(501)), ..valid() }, false),
            (CreateOrderRequest { currency: "USD".into(), ..valid() }, true),
            (CreateOrderRequest { currency: "US".into(), ..valid() }, false),
            (CreateOrderRequest { currency: "usd".into(), ..valid() }, false),
            (CreateOrderRequest { customer_email: "a@b.co".into(), ..valid() }, true),
            (CreateOrderRequest { customer_email: "a@b".into(), ..valid() }, false),
        ];
        for (request, expected) in cases {
            let by_validator = request.validate().is_ok();
            let by_domain = NewOrder::try_from(request.clone()).is_ok();
            assert_eq!(by_validator, expected, "validator on {request:?}");
            assert_eq!(by_domain, expected, "domain on {request:?}");
        }
    }
}
