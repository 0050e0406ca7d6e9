//! RFC 9457 problem details: the one shape of every error this API returns, and the one place
//! where a domain error becomes an HTTP status.

use std::time::Duration;

use domain::DomainError;
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaResponses, Registry};
use poem_openapi::{ApiResponse, Object};
use validator::{ValidationErrors, ValidationErrorsKind};

/// Base of the `type` URIs: each kind of problem has a stable URI under it.
pub const PROBLEM_TYPE_BASE: &str = "https://problems.example.com/";

/// The longest `detail` a problem carries; longer texts are cut (the schema says so too).
pub const MAX_DETAIL_CHARS: usize = 1024;
/// The most field errors one 422 lists.
pub const MAX_FIELD_ERRORS: usize = 100;

/// An RFC 9457 problem details object, served as `application/problem+json`.
#[derive(Debug, Clone, PartialEq, Object)]
pub struct Problem {
    /// A URI identifying the kind of problem; stable, safe to match on.
    #[oai(rename = "type", validator(max_length = 200, pattern = "^https://[!-~]+$"))]
    pub problem_type: String,
    /// A short summary of the kind of problem (the status's reason phrase).
    #[oai(validator(max_length = 100, pattern = "^[A-Za-z0-9 '-]+$"))]
    pub title: String,
    /// The HTTP status code.
    #[oai(validator(minimum(value = "400"), maximum(value = "599")))]
    pub status: u16,
    /// What went wrong in this occurrence, for a human.
    #[oai(validator(max_length = 1024))]
    pub detail: String,
    /// The request id (also in the `x-request-id` header): quote it when reporting a problem.
    #[oai(skip_serializing_if_is_none, validator(max_length = 64, pattern = "^[A-Za-z0-9._:-]+$"))]
    pub request_id: Option<String>,
    /// Every invalid field, for validation problems (422).
    #[oai(skip_serializing_if_is_empty, default, validator(max_items = 100))]
    pub errors: Vec<FieldError>,
}

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct FieldError {
    /// The field's path in the request body, dotted for nested fields (`address.city`).
    #[oai(validator(max_length = 128, pattern = "^[A-Za-z0-9_.\\[\\]-]*$"))]
    pub field: String,
    /// A stable machine-readable code (`length`, `range`, `email`, ...).
    #[oai(validator(max_length = 64, pattern = "^[a-z0-9_]+$"))]
    pub code: String,
    /// What is expected, for a human.
    #[oai(validator(max_length = 1024))]
    pub message: String,
}

/// `text` cut to at most `max` characters.
fn bounded(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        text
    } else {
        text.chars().take(max).collect()
    }
}

impl Problem {
    /// A problem of the given status; `kind` names its `type` URI (`not-found`, ...).
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("{PROBLEM_TYPE_BASE}{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: bounded(detail.into(), MAX_DETAIL_CHARS),
            request_id: None,
            errors: Vec::new(),
        }
    }

    /// The stable `type` slug of a status that no handler produced itself (framework errors).
    pub fn kind_for_status(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 => "bad-request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not-found",
            405 => "method-not-allowed",
            406 => "not-acceptable",
            408 => "request-timeout",
            409 => "conflict",
            411 => "length-required",
            412 => "precondition-failed",
            413 => "payload-too-large",
            415 => "unsupported-media-type",
            422 => "validation-failed",
            428 => "precondition-required",
            431 => "header-too-large",
            429 => "too-many-requests",
            503 => "service-unavailable",
            504 => "timeout",
            500..=599 => "internal-error",
            _ => "client-error",
        }
    }
}

/// Every error a handler can return. Each variant is one status, documented in the OpenAPI
/// document with the problem schema.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Box<Problem>>),
    /// Authentication is missing or invalid; `WWW-Authenticate` says which (RFC 6750).
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Box<Problem>>, #[oai(header = "WWW-Authenticate")] String),
    /// The credentials are valid but lack a required scope.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Box<Problem>>),
    /// The resource does not exist.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Box<Problem>>),
    /// The `If-Match` version is no longer the resource's current version.
    #[oai(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Json<Box<Problem>>),
    /// The change names no version: send `If-Match` with the `ETag` of a read, or `*`.
    #[oai(status = 428, content_type = "application/problem+json")]
    PreconditionRequired(Json<Box<Problem>>),
    /// The request conflicts with the resource's current state.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Box<Problem>>),
    /// The request body is larger than the configured limit.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Box<Problem>>),
    /// The request body is not `application/json`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Box<Problem>>),
    /// One or more fields are invalid; `errors` lists them all.
{%- if example %} Or a payment was declined.{% endif %}
    #[oai(status = 422, content_type = "application/problem+json")]
    ValidationFailed(Json<Box<Problem>>),
    /// An unexpected fault; details are in the log under the request id.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Box<Problem>>),
    /// A dependency is unavailable; retry later (after `Retry-After` seconds when given).
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Box<Problem>>, #[oai(header = "Retry-After")] Option<u64>),
    /// The request took longer than the configured timeout.
    #[oai(status = 504, content_type = "application/problem+json")]
    Timeout(Json<Box<Problem>>),
}

pub mod status;

/// The error side of an operation's result: an [`ApiError`] whose OpenAPI documentation lists
/// only the statuses in `S` (flags from [`status`]), plus 500 and 504, which any operation can
/// answer. The contract then says exactly what each operation may return, and the API fuzzer in
/// CI fails when an operation answers with a status its documentation does not list.
#[derive(Debug)]
pub struct Problems<const S: u32>(pub ApiError);

impl<const S: u32> ApiResponse for Problems<S> {
    fn meta() -> MetaResponses {
        let mut meta = ApiError::meta();
        meta.responses.retain(|response| {
            response
                .status
                .is_some_and(|code| status::flag(code) & (S | status::ALWAYS) != 0)
        });
        meta
    }

    fn register(registry: &mut Registry) {
        ApiError::register(registry);
    }
}

impl<const S: u32> IntoResponse for Problems<S> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl<const S: u32> From<Problems<S>> for poem::Error {
    fn from(problems: Problems<S>) -> Self {
        problems.0.into()
    }
}

impl<const S: u32> From<ApiError> for Problems<S> {
    fn from(err: ApiError) -> Self {
        Self(err)
    }
}

impl<const S: u32> From<DomainError> for Problems<S> {
    fn from(err: DomainError) -> Self {
        Self(err.into())
    }
}

impl<const S: u32> From<ValidationErrors> for Problems<S> {
    fn from(errors: ValidationErrors) -> Self {
        Self(errors.into())
    }
}

/// A boxed problem body: keeps `ApiError` (and every `Result` carrying it) small.
fn body(status: StatusCode, kind: &str, detail: impl Into<String>) -> Json<Box<Problem>> {
    Json(Box::new(Problem::new(status, kind, detail)))
}

impl ApiError {
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound(body(StatusCode::NOT_FOUND, "not-found", detail))
    }

    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::PreconditionFailed(body(StatusCode::PRECONDITION_FAILED, "precondition-failed", detail))
    }

    pub fn precondition_required(detail: impl Into<String>) -> Self {
        Self::PreconditionRequired(body(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            detail,
        ))
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest(body(StatusCode::BAD_REQUEST, "bad-request", detail))
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::unavailable_retry_after(detail, None)
    }

    /// A 503 with `Retry-After` in whole seconds (rounded up), when the wait is known.
    pub fn unavailable_retry_after(detail: impl Into<String>, retry_after: Option<Duration>) -> Self {
        let seconds = retry_after.map(|wait| {
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
                .clamp(1, crate::contract::MAX_RETRY_AFTER_SECONDS)
        });
        Self::Unavailable(
            body(StatusCode::SERVICE_UNAVAILABLE, "service-unavailable", detail),
            seconds,
        )
    }

    /// A 422 listing every invalid field at once.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut problem = body(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            "the request body has invalid fields",
        );
        problem.errors = errors
            .into_iter()
            .take(MAX_FIELD_ERRORS)
            .map(|error| FieldError {
                message: bounded(error.message, MAX_DETAIL_CHARS),
                ..error
            })
            .collect();
        Self::ValidationFailed(problem)
    }
{%- if auth %}

    /// A 401 with its RFC 6750 `WWW-Authenticate` challenge.
    pub fn unauthorized(detail: impl Into<String>, challenge: impl Into<String>) -> Self {
        Self::Unauthorized(body(StatusCode::UNAUTHORIZED, "unauthorized", detail), challenge.into())
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden(body(StatusCode::FORBIDDEN, "forbidden", detail))
    }
{%- endif %}
}

/// The single mapping from domain outcomes to HTTP.
impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Invalid { field, message } => Self::validation(vec![FieldError {
                field: field.to_owned(),
                code: "invalid".to_owned(),
                message,
            }]),
            DomainError::NotFound { .. } => Self::not_found(err.to_string()),
            DomainError::RuleViolated(detail) => {
                Self::Conflict(body(StatusCode::CONFLICT, "rule-violated", detail))
            }
            DomainError::StaleVersion { .. } => Self::PreconditionFailed(body(
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                err.to_string(),
            )),
            DomainError::Conflict(detail) => {
                Self::Conflict(body(StatusCode::CONFLICT, "conflict", detail))
            }
            DomainError::Unavailable {
                detail,
                retry_after,
            } => Self::unavailable_retry_after(detail, retry_after),
{%- if example %}
            DomainError::PaymentDeclined(_) => Self::ValidationFailed(body(
                StatusCode::UNPROCESSABLE_ENTITY,
                "payment-declined",
                err.to_string(),
            )),
{%- endif %}
            DomainError::Internal(detail) => {
                // The cause goes to the log (with the request id from the current span), never
                // to the client.
                tracing::error!(error = %detail, "internal error");
                Self::Internal(body(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal-error",
                    "an unexpected error occurred",
                ))
            }
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        let mut fields = Vec::new();
        collect_field_errors("", &errors, &mut fields);
        fields.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
        Self::validation(fields)
    }
}

/// Flattens validator's tree into dotted paths (`items[2].sku`, `address.city`).
fn collect_field_errors(prefix: &str, errors: &ValidationErrors, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(field_errors) => {
                out.extend(field_errors.iter().map(|error| FieldError {
                    field: path.clone(),
                    code: error.code.to_string(),
                    message: error
                        .message
                        .as_ref()
                        .map_or_else(|| error.code.to_string(), ToString::to_string),
                }));
            }
            ValidationErrorsKind::Struct(nested) => collect_field_errors(&path, nested, out),
            ValidationErrorsKind::List(items) => {
                for (index, nested) in items {
                    collect_field_errors(&format!("{path}[{index}]"), nested, out);
                }
            }
        }
    }
}
