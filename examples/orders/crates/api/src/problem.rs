//! RFC 9457 problem details: the one shape of every error this API returns, and the one place
//! where a domain error becomes an HTTP status.

use domain::DomainError;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};
use validator::{ValidationErrors, ValidationErrorsKind};

/// Base of the `type` URIs: each kind of problem has a stable URI under it.
pub const PROBLEM_TYPE_BASE: &str = "https://problems.example.com/";

/// An RFC 9457 problem details object, served as `application/problem+json`.
#[derive(Debug, Clone, PartialEq, Object)]
pub struct Problem {
    /// A URI identifying the kind of problem; stable, safe to match on.
    #[oai(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence, for a human.
    pub detail: String,
    /// The request id (also in the `x-request-id` header): quote it when reporting a problem.
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
    /// Every invalid field, for validation problems (422).
    #[oai(skip_serializing_if_is_empty)]
    pub errors: Vec<FieldError>,
}

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct FieldError {
    /// The field's path in the request body, dotted for nested fields (`address.city`).
    pub field: String,
    /// A stable machine-readable code (`length`, `range`, `email`, ...).
    pub code: String,
    /// What is expected, for a human.
    pub message: String,
}

impl Problem {
    /// A problem of the given status; `kind` names its `type` URI (`not-found`, ...).
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("{PROBLEM_TYPE_BASE}{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
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
            409 => "conflict",
            411 => "length-required",
            412 => "precondition-failed",
            413 => "payload-too-large",
            415 => "unsupported-media-type",
            422 => "validation-failed",
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
    /// Authentication is missing or invalid.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Box<Problem>>),
    /// The credentials are valid but lack a required scope.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Box<Problem>>),
    /// The resource does not exist.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Box<Problem>>),
    /// The `If-Match` version is no longer the resource's current version.
    #[oai(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Json<Box<Problem>>),
    /// The request conflicts with the resource's current state.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Box<Problem>>),
    /// One or more fields are invalid; `errors` lists them all.
    #[oai(status = 422, content_type = "application/problem+json")]
    ValidationFailed(Json<Box<Problem>>),
    /// An unexpected fault; details are in the log under the request id.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Box<Problem>>),
    /// A dependency is unavailable; retry later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Box<Problem>>),
}

/// A boxed problem body: keeps `ApiError` (and every `Result` carrying it) small.
fn body(status: StatusCode, kind: &str, detail: impl Into<String>) -> Json<Box<Problem>> {
    Json(Box::new(Problem::new(status, kind, detail)))
}

impl ApiError {
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound(body(StatusCode::NOT_FOUND, "not-found", detail))
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest(body(StatusCode::BAD_REQUEST, "bad-request", detail))
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::Unavailable(body(
            StatusCode::SERVICE_UNAVAILABLE,
            "service-unavailable",
            detail,
        ))
    }

    /// A 422 listing every invalid field at once.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut problem = body(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            "the request body has invalid fields",
        );
        problem.errors = errors;
        Self::ValidationFailed(problem)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::Unauthorized(body(StatusCode::UNAUTHORIZED, "unauthorized", detail))
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden(body(StatusCode::FORBIDDEN, "forbidden", detail))
    }
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
            DomainError::Unavailable(detail) => Self::unavailable(detail),
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
                out.extend(field_errors.iter().map(|error| {
                    FieldError {
                        field: path.clone(),
                        code: error.code.to_string(),
                        message: error
                            .message
                            .as_ref()
                            .map_or_else(|| error.code.to_string(), ToString::to_string),
                    }
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
