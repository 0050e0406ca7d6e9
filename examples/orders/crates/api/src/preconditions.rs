//! Optimistic concurrency over HTTP, shared by every versioned resource: a resource's version is
//! its strong `ETag` (`"3"`), and `If-Match` names the version a change expects.
//!
//! The rule, for every operation that changes an existing versioned resource: `If-Match` is
//! required (RFC 6585, 428 without it), so that no client overwrites a change it has not seen
//! (a lost update). `If-Match: *` is the explicit unconditional form: it matches whatever version
//! is current (RFC 9110, section 13.1.1). Such an operation's problem responses include
//! [`IF_MATCH`](crate::problem::status::IF_MATCH).

use crate::ApiError;

/// The strong validator of a resource at `version`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// What a change without `If-Match` is told (428).
pub const IF_MATCH_REQUIRED: &str = "this change requires If-Match: send the ETag of the \
    resource as you last read it (GET), or If-Match: * to change whatever version is current";

/// The version an `If-Match` header names (`"3"`), or `None` for `*` (any current version).
/// No header is a 428: a change must name the version it expects. A weak tag (`W/"3"`) never
/// matches: If-Match compares strongly (RFC 9110, section 13.1.1), so it is a 412. A value
/// that is no ETag of this API is a 400.
pub fn expected_version(if_match: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(value) = if_match.map(str::trim) else {
        return Err(ApiError::precondition_required(IF_MATCH_REQUIRED));
    };
    if value == "*" {
        return Ok(None);
    }
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
    fn if_match_names_a_version_or_any() {
        assert_eq!(expected_version(Some("*")).unwrap(), None);
        assert_eq!(expected_version(Some(" * ")).unwrap(), None);
        assert_eq!(expected_version(Some("\"3\"")).unwrap(), Some(3));
        assert!(matches!(
            expected_version(Some("W/\"4\"")),
            Err(ApiError::PreconditionFailed(_))
        ));
        assert!(matches!(
            expected_version(Some("\"three\"")),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn a_change_without_if_match_is_refused_with_428() {
        let Err(ApiError::PreconditionRequired(problem)) = expected_version(None) else {
            panic!("no If-Match must be a 428");
        };
        assert_eq!(problem.status, 428);
        assert_eq!(
            problem.problem_type,
            "https://problems.example.com/precondition-required"
        );
        assert_eq!(problem.title, "Precondition Required");
        assert!(problem.detail.contains("If-Match: *"), "{}", problem.detail);
    }
}
