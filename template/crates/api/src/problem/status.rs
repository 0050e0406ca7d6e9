//! The statuses an operation may answer with besides its successes, as flags for
//! [`Problems`](super::Problems). Combine them with `|`: `Problems<{ BAD_REQUEST | NOT_FOUND }>`.

pub const BAD_REQUEST: u32 = 1 << 0;
pub const UNAUTHORIZED: u32 = 1 << 1;
pub const FORBIDDEN: u32 = 1 << 2;
pub const NOT_FOUND: u32 = 1 << 3;
pub const CONFLICT: u32 = 1 << 4;
pub const PRECONDITION_FAILED: u32 = 1 << 5;
pub const PAYLOAD_TOO_LARGE: u32 = 1 << 6;
pub const UNSUPPORTED_MEDIA_TYPE: u32 = 1 << 7;
pub const UNPROCESSABLE: u32 = 1 << 8;
pub const UNAVAILABLE: u32 = 1 << 9;
/// Every operation can fail unexpectedly (500) or time out (504): always documented.
pub const ALWAYS: u32 = 1 << 10 | 1 << 11;
/// An operation that takes a JSON body: malformed (400), too large (413), not JSON (415),
/// invalid fields (422).
pub const JSON_BODY: u32 = BAD_REQUEST | PAYLOAD_TOO_LARGE | UNSUPPORTED_MEDIA_TYPE | UNPROCESSABLE;

pub const PRECONDITION_REQUIRED: u32 = 1 << 12;
/// An operation that changes a versioned resource and so requires `If-Match`
/// ([`crate::preconditions`]): malformed (400), stale or weak (412), missing (428).
pub const IF_MATCH: u32 = BAD_REQUEST | PRECONDITION_FAILED | PRECONDITION_REQUIRED;

/// The flag of an HTTP status code, 0 for a status without one.
pub const fn flag(code: u16) -> u32 {
    match code {
        400 => BAD_REQUEST,
        401 => UNAUTHORIZED,
        403 => FORBIDDEN,
        404 => NOT_FOUND,
        409 => CONFLICT,
        412 => PRECONDITION_FAILED,
        413 => PAYLOAD_TOO_LARGE,
        415 => UNSUPPORTED_MEDIA_TYPE,
        422 => UNPROCESSABLE,
        428 => PRECONDITION_REQUIRED,
        503 => UNAVAILABLE,
        500 => 1 << 10,
        504 => 1 << 11,
        _ => 0,
    }
}
