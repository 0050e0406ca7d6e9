//! The request id: every request gets one, carried in the `x-request-id` response header, the
//! access log line, the request span and every problem body, so a caller's report leads to the
//! log. A caller's own `x-request-id` (set by a gateway or a client library) is reused only
//! when it is short and made of safe characters; anything else (too long, spaces, quotes,
//! control characters, non-ASCII) is replaced by a fresh id, so a client can neither bloat
//! the log nor forge its fields.

use std::sync::Arc;

use poem::Request;
use poem::http::HeaderName;

/// The header that carries the request id, in and out.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest caller-supplied id that is reused (a UUID has 36 characters, a W3C trace id 32).
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// The id of the request being served, in the request's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// The caller's id when it is safe to reuse, else a new UUIDv7.
    pub(crate) fn for_request(request: &Request) -> Self {
        let reusable = request
            .headers()
            .get(&REQUEST_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .filter(|id| is_safe(id));
        match reusable {
            Some(id) => Self(Arc::from(id)),
            None => {
                // Written on the stack, then copied once into the shared id.
                let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
                Self(Arc::from(
                    uuid::Uuid::now_v7().hyphenated().encode_lower(&mut text) as &str,
                ))
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// 1 to [`MAX_REQUEST_ID_LEN`] characters among ASCII letters, digits and `-_.:`.
fn is_safe(id: &str) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_ids_of_safe_characters_are_reused() {
        for good in [
            "req-0042",
            "0190b7c2-7a1e-7cc0-9f3e-0b6f4d2a9c11",
            "a",
            "trace:1.2_x",
        ] {
            assert!(is_safe(good), "{good:?}");
        }
        let too_long = "a".repeat(MAX_REQUEST_ID_LEN + 1);
        for bad in [
            "",
            "has space",
            "quote\"",
            "new\nline",
            "é",
            "a=b",
            too_long.as_str(),
        ] {
            assert!(!is_safe(bad), "{bad:?}");
        }
    }
}
