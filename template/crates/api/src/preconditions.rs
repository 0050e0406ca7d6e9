//! Optimistic concurrency over HTTP, shared by every versioned resource: a resource's version is
//! its strong `ETag` (`"3"`), and `If-Match` names the version a change expects.

use crate::ApiError;

/// The strong validator of a resource at `version`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version an `If-Match` header names (`"3"`), or `None` for `*` or no header. A weak
/// tag (`W/"3"`) never matches: If-Match compares strongly (RFC 9110, section 13.1.1), so it
/// is a 412.
pub fn expected_version(if_match: Option<&str>) -> Result<Option<i64>, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_quote_the_version() {
        assert_eq!(etag(3), "\"3\"");
        assert_eq!(expected_version(Some(&etag(42))).unwrap(), Some(42));
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
