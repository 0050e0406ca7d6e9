//! The orders API: the example resource, and the model to copy for the next one. Handlers
//! stay thin: parse and validate the DTO (`orders/dto.rs`), call a use case, map the result.

use domain::order::{Caller, IdempotencyKey, NewOrder, Order, OrderId, OrderStatus, Owner};
use domain::order_service::{MAX_PAGE_SIZE, OrderService};
use domain::ports::OrderQuery;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;
use validator::Validate;

use crate::ApiError;
use crate::auth::{BearerAuth, ORDERS_ADMIN, ORDERS_READ, ORDERS_WRITE, TokenRefusal};
use crate::problem::Problems;
use crate::problem::status::{
    BAD_REQUEST, CONFLICT, JSON_BODY, NOT_FOUND, PRECONDITION_FAILED, UNAVAILABLE, UNPROCESSABLE,
};
use crate::routes::ApiTags;

mod dto;

/// Every orders operation needs a bearer token: 401 without a valid one, 403 without the scope.
const GUARDED: u32 = crate::problem::status::UNAUTHORIZED | crate::problem::status::FORBIDDEN;

// What each operation may answer besides success: its documented problem responses.
// 409: two first uses of one idempotency key at the same moment.
type CreateProblems = Problems<{ GUARDED | JSON_BODY | CONFLICT | UNAVAILABLE }>;
type ReadProblems = Problems<{ GUARDED | BAD_REQUEST | NOT_FOUND | UNAVAILABLE }>;
type ListProblems = Problems<{ GUARDED | BAD_REQUEST | UNAVAILABLE }>;
type TransitionProblems =
    Problems<{ GUARDED | BAD_REQUEST | NOT_FOUND | CONFLICT | PRECONDITION_FAILED | UNAVAILABLE }>;
// Paying may also be declined (422 `payment-declined`).
type PayProblems = Problems<
    {
        GUARDED
            | BAD_REQUEST
            | NOT_FOUND
            | CONFLICT
            | PRECONDITION_FAILED
            | UNPROCESSABLE
            | UNAVAILABLE
    },
>;

use dto::{CreateOrderRequest, OrderDto, OrderPageDto, OrderStatusDto};

/// Who is calling (ADR 0008): the token's subject owns what it places and sees its own
/// orders; with `orders:admin` it sees and acts on every order.
fn caller_of(token: &BearerAuth) -> Result<Caller, ApiError> {
    // `anonymous` owns the orders placed before owners existed (ADR 0008): no token may
    // claim them by choosing that subject.
    if token.0.sub == Owner::ANONYMOUS {
        return Err(ApiError::unauthorized(
            "the token's subject is reserved",
            TokenRefusal::Invalid.challenge(),
        ));
    }
    let owner = Owner::parse(&token.0.sub).map_err(|_| {
        ApiError::unauthorized(
            "the token's subject must be 1 to 255 characters without control characters",
            TokenRefusal::Invalid.challenge(),
        )
    })?;
    Ok(if token.0.has_scope(ORDERS_ADMIN) {
        Caller::administrator(owner)
    } else {
        Caller::owner(owner)
    })
}

/// The strong validator of an order's current version.
fn etag(order: &Order) -> String {
    format!("\"{}\"", order.version())
}

/// The version an `If-Match` header names (`"3"`), or `None` for `*` or no header. A weak
/// tag (`W/"3"`) never matches: If-Match compares strongly (RFC 9110, section 13.1.1), so it
/// is a 412.
fn expected_version(if_match: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(value) = if_match.map(str::trim).filter(|value| *value != "*") else {
        return Ok(None);
    };
    if value.starts_with("W/") {
        return Err(ApiError::precondition_failed(
            "If-Match compares strongly: a weak ETag (W/\"...\") never matches",
        ));
    }
    value
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
        URL_SAFE_NO_PAD.encode(format!(
            "{}:{}",
            cursor.created_at.timestamp_micros(),
            cursor.id
        ))
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
        token: BearerAuth,
        /// Makes the request safe to retry: the same key with the same body returns the order
        /// the first request created; with a different body it is refused (422).
        #[oai(
            name = "Idempotency-Key",
            validator(min_length = 1, max_length = 255, pattern = "^[!-~]+$")
        )]
        idempotency_key: Header<Option<String>>,
        body: Json<CreateOrderRequest>,
    ) -> Result<CreateOrderResponse, CreateProblems> {
        token.require_scope(ORDERS_WRITE)?;
        let caller = caller_of(&token)?;
        body.validate()?;
        let new = NewOrder::try_from(body.0)?;
        let order = match idempotency_key.0.as_deref() {
            Some(raw) => {
                let key = IdempotencyKey::parse(raw)?;
                orders.place_order_once(&caller, new, &key).await?.order
            }
            None => orders.place_order(&caller, new).await?,
        };
        let location = format!("/api/v1/orders/{}", order.id());
        Ok(CreateOrderResponse::Created(
            Json(OrderDto::from(&order)),
            location,
            etag(&order),
        ))
    }

    /// Read an order
    ///
    /// Another caller's order answers 404, as a missing one does.
    #[oai(path = "/orders/:id", method = "get", operation_id = "get_order")]
    async fn get_order(
        &self,
        orders: Data<&OrderService>,
        token: BearerAuth,
        /// The order's id.
        id: Path<Uuid>,
    ) -> Result<OrderResponse, ReadProblems> {
        token.require_scope(ORDERS_READ)?;
        let caller = caller_of(&token)?;
        let order = orders.get_order(&caller, OrderId::from_uuid(id.0)).await?;
        Ok(OrderResponse::of(&order))
    }

    /// List orders
    ///
    /// The caller's own orders (every order with the `orders:admin` scope),
    /// newest first, `limit` at a time; follow `next_cursor` for the next page.
    #[oai(path = "/orders", method = "get", operation_id = "list_orders")]
    async fn list_orders(
        &self,
        orders: Data<&OrderService>,
        token: BearerAuth,
        /// Orders per page.
        #[oai(
            default = "default_page_size",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: Query<u32>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200, pattern = "^[A-Za-z0-9_-]+$"))]
        cursor: Query<Option<String>>,
        /// Only orders in this status.
        status: Query<Option<OrderStatusDto>>,
    ) -> Result<Json<OrderPageDto>, ListProblems> {
        token.require_scope(ORDERS_READ)?;
        let caller = caller_of(&token)?;
        let after = match cursor.0.as_deref() {
            None => None,
            Some(raw) => Some(
                cursor::decode(raw)
                    .ok_or_else(|| ApiError::bad_request("cursor is not one this API issued"))?,
            ),
        };
        let query = OrderQuery {
            owner: None,
            status: status.0.map(OrderStatus::from),
            after,
            limit: limit.0,
        };
        let page = orders.list_orders(&caller, query).await?;
        Ok(Json(OrderPageDto {
            items: page.orders.iter().map(OrderDto::from).collect(),
            next_cursor: page.next.as_ref().map(cursor::encode),
        }))
    }

    /// Pay an order
    ///
    /// Only a pending order can be paid; paying a `paying` order finishes its payment. With
    /// `If-Match`, the order must still be at that version (412 otherwise). The order is
    /// `paying` while the amount is charged through the payment gateway: a declined payment
    /// answers 422 (type `payment-declined`) and the order is pending again; an unavailable
    /// gateway answers 503, with `Retry-After` when known, and the order stays `paying` until
    /// it is paid again. Retrying is safe: one payment of an order is charged at most once.
    #[oai(path = "/orders/:id/pay", method = "post", operation_id = "pay_order")]
    async fn pay_order(
        &self,
        orders: Data<&OrderService>,
        token: BearerAuth,
        /// The order's id.
        id: Path<Uuid>,
        /// The `ETag` of the order as last read.
        #[oai(
            name = "If-Match",
            validator(max_length = 22, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#)
        )]
        if_match: Header<Option<String>>,
    ) -> Result<OrderResponse, PayProblems> {
        token.require_scope(ORDERS_WRITE)?;
        let caller = caller_of(&token)?;
        let expected = expected_version(if_match.0.as_deref())?;
        let order = orders
            .pay_order(&caller, OrderId::from_uuid(id.0), expected)
            .await?;
        Ok(OrderResponse::of(&order))
    }

    /// Cancel an order
    ///
    /// Only a pending order can be cancelled: a paid one, or one whose payment is in progress
    /// (`paying`), answers 409. `If-Match` as for pay.
    #[oai(
        path = "/orders/:id/cancel",
        method = "post",
        operation_id = "cancel_order"
    )]
    async fn cancel_order(
        &self,
        orders: Data<&OrderService>,
        token: BearerAuth,
        /// The order's id.
        id: Path<Uuid>,
        /// The `ETag` of the order as last read.
        #[oai(
            name = "If-Match",
            validator(max_length = 22, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#)
        )]
        if_match: Header<Option<String>>,
    ) -> Result<OrderResponse, TransitionProblems> {
        token.require_scope(ORDERS_WRITE)?;
        let caller = caller_of(&token)?;
        let expected = expected_version(if_match.0.as_deref())?;
        let order = orders
            .cancel_order(&caller, OrderId::from_uuid(id.0), expected)
            .await?;
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
        assert!(matches!(
            expected_version(Some("W/\"4\"")),
            Err(ApiError::PreconditionFailed(_))
        ));
        assert!(expected_version(Some("\"three\"")).is_err());
    }
}
