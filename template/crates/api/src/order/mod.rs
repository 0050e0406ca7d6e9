//! The orders API: the example resource, in the shape `cargo xtask generate resource` writes
//! (plus paying). Handlers stay thin: parse and validate the DTO (`order/dto.rs`), call a use
//! case, map the result.

use domain::idempotency::IdempotencyKey;
use domain::order::{NewOrder, Order, OrderId, OrderQuery, OrderService, OrderStatus};
use domain::paging::MAX_PAGE_SIZE;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use crate::caller::caller_of;
use crate::fields::on_the_wire;
use crate::json_body::JsonBody;
use crate::paging;
use crate::preconditions::{etag, expected_version};
use crate::problem::Problems;
use crate::problem::status::{
    BAD_REQUEST, CONFLICT, IF_MATCH, JSON_BODY, NOT_FOUND, UNAVAILABLE, UNPROCESSABLE,
};
{%- if auth %}
use crate::auth::{BearerAuth, ORDERS_ADMIN, ORDERS_READ, ORDERS_WRITE};
{%- endif %}
use crate::routes::ApiTags;

mod dto;
#[cfg(test)]
mod wire_tests;

{%- if auth %}

/// Every orders operation needs a bearer token: 401 without a valid one, 403 without the scope.
const GUARDED: u32 = crate::problem::status::UNAUTHORIZED | crate::problem::status::FORBIDDEN;
{%- else %}

/// Orders operations are open (the template was rendered without authentication).
const GUARDED: u32 = 0;
{%- endif %}

// What each operation may answer besides success: its documented problem responses.
// 409: two first uses of one idempotency key at the same moment.
type CreateProblems = Problems<{ GUARDED | JSON_BODY | CONFLICT | UNAVAILABLE }>;
type ReadProblems = Problems<{ GUARDED | BAD_REQUEST | NOT_FOUND | UNAVAILABLE }>;
type ListProblems = Problems<{ GUARDED | BAD_REQUEST | UNAVAILABLE }>;
// A change requires `If-Match` (`crate::preconditions`): 400, 412, 428.
type TransitionProblems = Problems<{ GUARDED | IF_MATCH | NOT_FOUND | CONFLICT | UNAVAILABLE }>;
// Paying may also be declined (422 `payment-declined`).
type PayProblems =
    Problems<{ GUARDED | IF_MATCH | NOT_FOUND | CONFLICT | UNPROCESSABLE | UNAVAILABLE }>;

use dto::{CreateOrderRequest, OrderDto, OrderPageDto, OrderStatusDto};

/// The wire's names for the fields the domain names otherwise.
const WIRE_NAMES: &[(&str, &str)] = &[("idempotency_key", "Idempotency-Key")];

#[derive(Debug, ApiResponse)]
pub enum CreateOrderResponse {
    /// The order was placed.
    #[oai(status = 201)]
    Created(
        JsonBody<OrderDto>,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
    /// A retry: an earlier request with the same `Idempotency-Key` and the same body placed
    /// this order; nothing new was placed.
    #[oai(status = 200)]
    Replayed(JsonBody<OrderDto>, #[oai(header = "ETag")] String),
}

impl CreateOrderResponse {
    fn created(order: &Order) -> Self {
        Self::Created(
            JsonBody(OrderDto::from(order)),
            format!("/api/v1/orders/{}", order.id()),
            etag(order.version()),
        )
    }
}

#[derive(Debug, ApiResponse)]
pub enum OrderResponse {
    /// The order, with its version as `ETag`.
    #[oai(status = 200)]
    Ok(JsonBody<OrderDto>, #[oai(header = "ETag")] String),
}

impl OrderResponse {
    fn of(order: &Order) -> Self {
        Self::Ok(JsonBody(OrderDto::from(order)), etag(order.version()))
    }
}

#[derive(Debug)]
pub struct OrdersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Orders")]
impl OrdersApi {
    /// Place an order
    ///
    /// Creates a pending order (201). Every invalid field is reported at once (422). Send an
    /// `Idempotency-Key` to make retries safe: a retry answers 200 with the order placed first.
    #[oai(path = "/orders", method = "post", operation_id = "create_order")]
    async fn create_order(
        &self,
        orders: Data<&OrderService>,
{%- if auth %}
        token: BearerAuth,
{%- endif %}
        /// Makes the request safe to retry: the same key with the same body answers 200 with the
        /// order the first request created; with a different body it is refused (422).
        #[oai(
            name = "Idempotency-Key",
            validator(min_length = 1, max_length = 255, pattern = "^[!-~]+$")
        )]
        idempotency_key: Header<Option<String>>,
        body: Json<CreateOrderRequest>,
    ) -> Result<CreateOrderResponse, CreateProblems> {
{%- if auth %}
        token.require_scope(ORDERS_WRITE)?;
        let caller = caller_of(&token, ORDERS_ADMIN)?;
{%- else %}
        let caller = caller_of();
{%- endif %}
        let new = NewOrder::try_from(body.0)?;
        let Some(raw_key) = idempotency_key.0.as_deref() else {
            let order = orders.place_order(&caller, new).await?;
            return Ok(CreateOrderResponse::created(&order));
        };
        let key = IdempotencyKey::parse(raw_key).map_err(|err| on_the_wire(err, WIRE_NAMES))?;
        let placement = orders
            .place_order_once(&caller, new, &key)
            .await
            .map_err(|err| on_the_wire(err, WIRE_NAMES))?;
        Ok(if placement.replayed {
            CreateOrderResponse::Replayed(
                JsonBody(OrderDto::from(&placement.order)),
                etag(placement.order.version()),
            )
        } else {
            CreateOrderResponse::created(&placement.order)
        })
    }

    /// Read an order
    ///
    /// Another caller's order answers 404, as a missing one does.
    #[oai(path = "/orders/:id", method = "get", operation_id = "get_order")]
    async fn get_order(
        &self,
        orders: Data<&OrderService>,
{%- if auth %}
        token: BearerAuth,
{%- endif %}
        /// The order's id.
        id: Path<Uuid>,
    ) -> Result<OrderResponse, ReadProblems> {
{%- if auth %}
        token.require_scope(ORDERS_READ)?;
        let caller = caller_of(&token, ORDERS_ADMIN)?;
{%- else %}
        let caller = caller_of();
{%- endif %}
        let order = orders.get_order(&caller, OrderId::from_uuid(id.0)).await?;
        Ok(OrderResponse::of(&order))
    }

    /// List orders
    ///
    /// The caller's own orders{% if auth %} (every order with the `orders:admin` scope){% endif %},
    /// newest first, `limit` at a time; follow `next_cursor` for the next page.
    #[oai(path = "/orders", method = "get", operation_id = "list_orders")]
    async fn list_orders(
        &self,
        orders: Data<&OrderService>,
{%- if auth %}
        token: BearerAuth,
{%- endif %}
        /// Orders per page.
        #[oai(default = "default_page_size", validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<u32>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200, pattern = "^[A-Za-z0-9_-]+$"))]
        cursor: Query<Option<String>>,
        /// Only orders in this status.
        status: Query<Option<OrderStatusDto>>,
    ) -> Result<JsonBody<OrderPageDto>, ListProblems> {
{%- if auth %}
        token.require_scope(ORDERS_READ)?;
        let caller = caller_of(&token, ORDERS_ADMIN)?;
{%- else %}
        let caller = caller_of();
{%- endif %}
        let query = OrderQuery {
            owner: None,
            status: status.0.map(OrderStatus::from),
            after: paging::after(cursor.0.as_deref())?,
            limit: limit.0,
        };
        let page = orders.list_orders(&caller, query).await?;
        Ok(JsonBody(OrderPageDto {
            items: page.orders.iter().map(OrderDto::from).collect(),
            next_cursor: page.next.as_ref().map(paging::encode),
        }))
    }

    /// Pay an order
    ///
    /// Only a pending order can be paid; paying a `paying` order finishes its payment.
    /// `If-Match` is required: the order must still be at that version (412 otherwise), or
    /// `*` for any version (428 without the header). The order is `paying` while the amount
    /// is charged through the payment gateway: a declined payment answers 422 (type
    /// `payment-declined`) and the order is pending again; an unavailable gateway answers 503,
    /// with `Retry-After` when known, and the order stays `paying` until it is paid again.
    /// Retrying is safe: one payment of an order is charged at most once (a retry reads the
    /// order's new `ETag` first, or sends `If-Match: *`).
    #[oai(path = "/orders/:id/pay", method = "post", operation_id = "pay_order")]
    async fn pay_order(
        &self,
        orders: Data<&OrderService>,
{%- if auth %}
        token: BearerAuth,
{%- endif %}
        /// The order's id.
        id: Path<Uuid>,
        /// Required (428 without it): the `ETag` of the order as last read, so that no change
        /// overwrites one you have not seen (412 if the order has changed since), or `*` to
        /// change whatever version is current.
        #[oai(name = "If-Match", validator(max_length = 22, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#))]
        if_match: Header<Option<String>>,
    ) -> Result<OrderResponse, PayProblems> {
{%- if auth %}
        token.require_scope(ORDERS_WRITE)?;
        let caller = caller_of(&token, ORDERS_ADMIN)?;
{%- else %}
        let caller = caller_of();
{%- endif %}
        let expected = expected_version(if_match.0.as_deref())?;
        let order = orders.pay_order(&caller, OrderId::from_uuid(id.0), expected).await?;
        Ok(OrderResponse::of(&order))
    }

    /// Cancel an order
    ///
    /// Only a pending order can be cancelled: a paid one, or one whose payment is in progress
    /// (`paying`), answers 409. `If-Match` as for pay.
    #[oai(path = "/orders/:id/cancel", method = "post", operation_id = "cancel_order")]
    async fn cancel_order(
        &self,
        orders: Data<&OrderService>,
{%- if auth %}
        token: BearerAuth,
{%- endif %}
        /// The order's id.
        id: Path<Uuid>,
        /// Required (428 without it): the `ETag` of the order as last read, so that no change
        /// overwrites one you have not seen (412 if the order has changed since), or `*` to
        /// change whatever version is current.
        #[oai(name = "If-Match", validator(max_length = 22, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#))]
        if_match: Header<Option<String>>,
    ) -> Result<OrderResponse, TransitionProblems> {
{%- if auth %}
        token.require_scope(ORDERS_WRITE)?;
        let caller = caller_of(&token, ORDERS_ADMIN)?;
{%- else %}
        let caller = caller_of();
{%- endif %}
        let expected = expected_version(if_match.0.as_deref())?;
        let order = orders.cancel_order(&caller, OrderId::from_uuid(id.0), expected).await?;
        Ok(OrderResponse::of(&order))
    }
}

fn default_page_size() -> u32 {
    20.min(MAX_PAGE_SIZE)
}
