//! The opaque list cursor, shared by every listed resource: clients see base64url of
//! `<created_at in µs>:<id>` and send it back as `cursor`; only this module reads it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use domain::paging::Cursor;
use uuid::Uuid;

use crate::ApiError;

/// The `next_cursor` a page hands out.
pub fn encode(cursor: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", cursor.created_at.timestamp_micros(), cursor.id))
}

/// The position a cursor names, or `None` if this API did not issue it.
pub fn decode(raw: &str) -> Option<Cursor> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (micros, id) = text.split_once(':')?;
    Some(Cursor {
        created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        id: Uuid::parse_str(id).ok()?,
    })
}

/// The `cursor` query parameter: absent for the first page, else one this API issued (400
/// otherwise).
pub fn after(cursor: Option<&str>) -> Result<Option<Cursor>, ApiError> {
    cursor
        .map(|raw| decode(raw).ok_or_else(|| ApiError::bad_request("cursor is not one this API issued")))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let at = DateTime::from_timestamp_micros(1_767_225_600_123_456).unwrap();
        let position = Cursor {
            created_at: at,
            id: Uuid::from_u128(42),
        };
        assert_eq!(decode(&encode(&position)), Some(position));
        for garbage in ["", "not base64!", "bm9jb2xvbg", "MTIzOm5vdC1hLXV1aWQ"] {
            assert_eq!(decode(garbage), None, "{garbage:?}");
        }
        assert!(after(None).unwrap().is_none());
        assert!(after(Some("MTIzOm5vdC1hLXV1aWQ")).is_err());
    }
}
