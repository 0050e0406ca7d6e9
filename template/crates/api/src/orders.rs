//! The orders API: the example resource, and the model to copy for the next one. DTOs are
//! separate from the domain types and converted here, at the boundary.

use chrono::{DateTime, Utc};
use domain::DomainError;
use domain::order::{
    Currency, Email, IdempotencyKey, Money, NewOrder, Note, Order, OrderId, OrderStatus,
};
use domain::order_service::{MAX_PAGE_SIZE, OrderService};
use domain::ports::OrderQuery;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
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

/// The strong validator of an order's current version.
fn etag(order: &Order) -> String {
    format!("\"{}\"", order.version())
}

/// The version an `If-Match` header names (`"3"`, `W/"3"`), or `None` for `*` or no header.
fn expected_version(if_match: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(value) = if_match.map(str::trim).filter(|value| *value != "*") else {
        return Ok(None);
    };
    value
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| ApiError::bad_request("If-Match must be an ETag of this API, like \"3\""))
}

/// Cursors are opaque to clients: base64url of `<created_at in µs>:<id>`.
mod cursor {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::DateTime;
    use domain::order::OrderId;
    use domain::ports::OrderCursor;
    use uuid::Uuid;

    pub fn encode(cursor: &OrderCursor) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", cursor.created_at.timestamp_micros(), cursor.id))
    }

    pub fn decode(raw: &str) -> Option<OrderCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (micros, id) = text.split_once(':')?;
        Some(OrderCursor {
            created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: OrderId::from_uuid(Uuid::parse_str(id).ok()?),
        })
    }
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
pub enum OrderResponse {
    /// The order, with its version as `ETag`.
    #[oai(status = 200)]
    Ok(Json<OrderDto>, #[oai(header = "ETag")] String),
}

impl OrderResponse {
    fn of(order: &Order) -> Self {
        Self::Ok(Json(OrderDto::from(order)), etag(order))
    }
}

#[derive(Debug)]
pub struct OrdersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Orders")]
impl OrdersApi {
    /// Place an order
    ///
    /// Creates a pending order. Every invalid field is reported at once (422). Send an
    /// `Idempotency-Key` to make retries safe.
    #[oai(path = "/orders", method = "post", operation_id = "create_order")]
    async fn create_order(
        &self,
        orders: Data<&OrderService>,
{%- if auth %}
        caller: BearerAuth,
{%- endif %}
        /// Makes the request safe to retry: the same key with the same body returns the order
        /// the first request created; with a different body it is refused (422).
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 255))]
        idempotency_key: Header<Option<String>>,
        body: Json<CreateOrderRequest>,
    ) -> Result<CreateOrderResponse, ApiError> {
{%- if auth %}
        caller.require_scope(ORDERS_WRITE)?;
{%- endif %}
        body.validate()?;
        let new = NewOrder::try_from(body.0)?;
        let order = match idempotency_key.0.as_deref() {
            Some(raw) => {
                let key = IdempotencyKey::parse(raw)?;
                orders.place_order_once(new, &key).await?.order
            }
            None => orders.place_order(new).await?,
        };
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
    ) -> Result<OrderResponse, ApiError> {
{%- if auth %}
        caller.require_scope(ORDERS_READ)?;
{%- endif %}
        let order = orders.get_order(OrderId::from_uuid(id.0)).await?;
        Ok(OrderResponse::of(&order))
    }

    /// List orders
    ///
    /// Newest first, `limit` at a time; follow `next_cursor` for the next page.
    #[oai(path = "/orders", method = "get", operation_id = "list_orders")]
    async fn list_orders(
        &self,
        orders: Data<&OrderService>,
{%- if auth %}
        caller: BearerAuth,
{%- endif %}
        /// Orders per page.
        #[oai(default = "default_page_size", validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<u32>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
        /// Only orders in this status.
        status: Query<Option<OrderStatusDto>>,
    ) -> Result<Json<OrderPageDto>, ApiError> {
{%- if auth %}
        caller.require_scope(ORDERS_READ)?;
{%- endif %}
        let after = match cursor.0.as_deref() {
            None => None,
            Some(raw) => Some(
                cursor::decode(raw)
                    .ok_or_else(|| ApiError::bad_request("cursor is not one this API issued"))?,
            ),
        };
        let query = OrderQuery {
            status: status.0.map(OrderStatus::from),
            after,
            limit: limit.0,
        };
        let page = orders.list_orders(query).await?;
        Ok(Json(OrderPageDto {
            items: page.orders.iter().map(OrderDto::from).collect(),
            next_cursor: page.next.as_ref().map(cursor::encode),
        }))
    }

    /// Pay an order
    ///
    /// Only a pending order can be paid. With `If-Match`, the order must still be at that
    /// version (412 otherwise).
    #[oai(path = "/orders/:id/pay", method = "post", operation_id = "pay_order")]
    async fn pay_order(
        &self,
        orders: Data<&OrderService>,
{%- if auth %}
        caller: BearerAuth,
{%- endif %}
        /// The order's id.
        id: Path<Uuid>,
        /// The `ETag` of the order as last read.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> Result<OrderResponse, ApiError> {
{%- if auth %}
        caller.require_scope(ORDERS_WRITE)?;
{%- endif %}
        let expected = expected_version(if_match.0.as_deref())?;
        let order = orders.pay_order(OrderId::from_uuid(id.0), expected).await?;
        Ok(OrderResponse::of(&order))
    }

    /// Cancel an order
    ///
    /// Only a pending order can be cancelled (a paid one answers 409). `If-Match` as for pay.
    #[oai(path = "/orders/:id/cancel", method = "post", operation_id = "cancel_order")]
    async fn cancel_order(
        &self,
        orders: Data<&OrderService>,
{%- if auth %}
        caller: BearerAuth,
{%- endif %}
        /// The order's id.
        id: Path<Uuid>,
        /// The `ETag` of the order as last read.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> Result<OrderResponse, ApiError> {
{%- if auth %}
        caller.require_scope(ORDERS_WRITE)?;
{%- endif %}
        let expected = expected_version(if_match.0.as_deref())?;
        let order = orders.cancel_order(OrderId::from_uuid(id.0), expected).await?;
        Ok(OrderResponse::of(&order))
    }
}

fn default_page_size() -> u32 {
    20.min(MAX_PAGE_SIZE)
}

#[cfg(test)]
mod tests {
    use domain::ports::OrderCursor;

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

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let at = chrono::DateTime::from_timestamp_micros(1_767_225_600_123_456).unwrap();
        let position = OrderCursor {
            created_at: at,
            id: OrderId::from_uuid(Uuid::from_u128(42)),
        };
        assert_eq!(cursor::decode(&cursor::encode(&position)), Some(position));
        for garbage in ["", "not base64!", "bm9jb2xvbg", "MTIzOm5vdC1hLXV1aWQ"] {
            assert_eq!(cursor::decode(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn if_match_names_a_version() {
        assert_eq!(expected_version(None).unwrap(), None);
        assert_eq!(expected_version(Some("*")).unwrap(), None);
        assert_eq!(expected_version(Some("\"3\"")).unwrap(), Some(3));
        assert_eq!(expected_version(Some("W/\"4\"")).unwrap(), Some(4));
        assert!(expected_version(Some("\"three\"")).is_err());
    }
}
