//! The orders API: the example resource, and the model to copy for the next one. DTOs are
//! separate from the domain types and converted here, at the boundary.

use chrono::{DateTime, Utc};
use domain::DomainError;
use domain::order::{Currency, Email, Money, NewOrder, Note, Order, OrderId, OrderStatus};
use domain::order_service::OrderService;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::ApiError;
{%- if auth %}
use crate::auth::{BearerAuth, ORDERS_READ, ORDERS_WRITE};
{%- endif %}
use crate::routes::ApiTags;

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

/// The strong validator of an order's current version.
fn etag(order: &Order) -> String {
    format!("\"{}\"", order.version())
}

#[derive(Debug, ApiResponse)]
pub enum CreateOrderResponse {
    /// The order was placed.
    #[oai(status = 201)]
    Created(
        Json<OrderDto>,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
}

#[derive(Debug, ApiResponse)]
pub enum GetOrderResponse {
    /// The order.
    #[oai(status = 200)]
    Ok(Json<OrderDto>, #[oai(header = "ETag")] String),
}

#[derive(Debug)]
pub struct OrdersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Orders")]
impl OrdersApi {
    /// Place an order
    ///
    /// Creates a pending order. Every invalid field is reported at once (422).
    #[oai(path = "/orders", method = "post", operation_id = "create_order")]
    async fn create_order(
        &self,
        orders: Data<&OrderService>,
{%- if auth %}
        caller: BearerAuth,
{%- endif %}
        body: Json<CreateOrderRequest>,
    ) -> Result<CreateOrderResponse, ApiError> {
{%- if auth %}
        caller.require_scope(ORDERS_WRITE)?;
{%- endif %}
        body.validate()?;
        let order = orders.place_order(NewOrder::try_from(body.0)?).await?;
        let location = format!("/api/v1/orders/{}", order.id());
        Ok(CreateOrderResponse::Created(
            Json(OrderDto::from(&order)),
            location,
            etag(&order),
        ))
    }

    /// Read an order
    #[oai(path = "/orders/:id", method = "get", operation_id = "get_order")]
    async fn get_order(
        &self,
        orders: Data<&OrderService>,
{%- if auth %}
        caller: BearerAuth,
{%- endif %}
        /// The order's id.
        id: Path<Uuid>,
    ) -> Result<GetOrderResponse, ApiError> {
{%- if auth %}
        caller.require_scope(ORDERS_READ)?;
{%- endif %}
        let order = orders.get_order(OrderId::from_uuid(id.0)).await?;
        Ok(GetOrderResponse::Ok(Json(OrderDto::from(&order)), etag(&order)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
