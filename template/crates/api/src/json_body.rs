//! [`JsonBody`]: what handlers answer JSON with. It writes the DTO straight into the response
//! with serde.
//!
//! poem-openapi's `Json<T>` first builds the DTO as a `serde_json::Value` tree (`ToJSON`), then
//! writes the tree. Each object becomes a hashed map and each field its own `String`. On a page of
//! 20 orders, building and writing that tree took 29 % of the request's instructions (the
//! template repository's `docs/profiles.md`, stop 26).
//!
//! `JsonBody<T>` documents the same schema and content type as `Json<T>`, and writes the same bytes:
//! - a response DTO derives `serde::Serialize` beside `Object`;
//! - it gives serde the wire rules its `#[oai]` attributes give poem-openapi: an absent optional
//!   member is left out (`skip_serializing_if = "Option::is_none"`), a timestamp is written
//!   [`rfc3339`], an enum is renamed as in `#[oai(rename_all)]`.
//!
//! In debug builds, every `JsonBody` also writes the `ToJSON` bytes and asserts they are equal.
//! So every response of every test checks that the two sets of rules agree. Request bodies stay
//! `Json<T>`: parsing and validating them is poem-openapi's job.

use chrono::format::{Fixed, Item};
use chrono::{DateTime, Datelike, Timelike, Utc};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::{ToJSON, Type};
use serde::ser::Error as _;
use serde::{Serialize, Serializer};

/// A JSON response body written from `T` with serde (see the module's doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonBody<T>(pub T);

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = <Json<T> as Payload>::CONTENT_TYPE;

    fn check_content_type(content_type: &str) -> bool {
        <Json<T> as Payload>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: ToJSON + Serialize> IntoResponse for JsonBody<T> {
    fn into_response(self) -> Response {
        #[cfg(debug_assertions)]
        assert_same_as_to_json(&self.0);
        poem::web::Json(self.0).into_response()
    }
}

impl<T: ToJSON + Serialize> ApiResponse for JsonBody<T> {
    fn meta() -> MetaResponses {
        <Json<T> as ApiResponse>::meta()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// Writes a timestamp as poem-openapi's `ToJSON` does (`DateTime::to_rfc3339`: `+00:00`, and
/// 0, 3, 6 or 9 fractional digits), without building a `String` first. For
/// `#[serde(serialize_with = "...")]` on a `DateTime<Utc>` member.
///
/// Written digit by digit into a stack buffer: chrono's formatting machinery took about 2 500
/// instructions per timestamp, 13 % of a page of 20 orders (`docs/profiles.md`, stop 26). Years
/// outside 0000–9999 and leap seconds, which the database never holds in practice, go through
/// chrono.
pub fn rfc3339<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buffer = [0; RFC3339_MAX_LEN];
    match write_rfc3339(at, &mut buffer) {
        Some(len) => {
            let text = std::str::from_utf8(&buffer[..len]).map_err(S::Error::custom)?;
            serializer.serialize_str(text)
        }
        None => {
            const RFC3339: [Item<'static>; 1] = [Item::Fixed(Fixed::RFC3339)];
            serializer.collect_str(&at.format_with_items(RFC3339.iter()))
        }
    }
}

/// `2026-11-30T17:05:00.123456789+00:00`: the longest timestamp [`write_rfc3339`] writes.
const RFC3339_MAX_LEN: usize = 35;

/// Writes `at` as `to_rfc3339` does into `out` and returns its length; `None` for a year
/// outside 0000–9999 or a leap second.
fn write_rfc3339(at: &DateTime<Utc>, out: &mut [u8; RFC3339_MAX_LEN]) -> Option<usize> {
    let year = u32::try_from(at.year()).ok().filter(|year| *year <= 9999)?;
    let nanos = at.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    write_digits(&mut out[0..4], year);
    out[4] = b'-';
    write_digits(&mut out[5..7], at.month());
    out[7] = b'-';
    write_digits(&mut out[8..10], at.day());
    out[10] = b'T';
    write_digits(&mut out[11..13], at.hour());
    out[13] = b':';
    write_digits(&mut out[14..16], at.minute());
    out[16] = b':';
    write_digits(&mut out[17..19], at.second());
    // As chrono's `SecondsFormat::AutoSi`: the fewest of 0, 3, 6 or 9 digits that are exact.
    let (fraction, digits) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    };
    let mut len = 19;
    if digits > 0 {
        out[len] = b'.';
        write_digits(&mut out[len + 1..=len + digits], fraction);
        len += 1 + digits;
    }
    out[len..len + 6].copy_from_slice(b"+00:00");
    Some(len + 6)
}

/// Writes the last `out.len()` decimal digits of `value`, zero-padded.
fn write_digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        // `value % 10` is below 10: the cast keeps every bit.
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// [`rfc3339`] for an optional timestamp (with `skip_serializing_if = "Option::is_none"`).
pub fn rfc3339_option<S: Serializer>(
    at: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => rfc3339(at, serializer),
        None => serializer.serialize_none(),
    }
}

/// Asserts that serde writes `value` exactly as poem-openapi's `ToJSON` does: the same members,
/// in the same order, in the same format. Called for every response in debug builds.
///
/// # Panics
///
/// When the two differ: a serde attribute of the DTO disagrees with its `#[oai]` attribute.
pub fn assert_same_as_to_json<T: ToJSON + Serialize>(value: &T) {
    let by_serde = serde_json::to_string(value).ok();
    let by_to_json = value
        .to_json()
        .and_then(|tree| serde_json::to_string(&tree).ok());
    assert_eq!(
        by_serde, by_to_json,
        "serde and ToJSON write this DTO differently: give its serde attributes the rules of its #[oai] ones"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(at: DateTime<Utc>) -> String {
        let mut written = serde_json::Serializer::new(Vec::new());
        rfc3339(&at, &mut written).unwrap_or_else(|err| panic!("{err}"));
        String::from_utf8_lossy(&written.into_inner()).into_owned()
    }

    #[test]
    fn timestamps_are_written_as_to_rfc3339_writes_them() {
        let seconds = [
            0,
            1_767_225_600,
            951_782_400, // 2000-02-29
            -62_167_219_200, // 0000-01-01
            253_402_300_799, // 9999-12-31T23:59:59
            253_402_300_800, // 10000-01-01: through chrono
            -62_167_219_201, // -0001-12-31: through chrono
        ];
        let nanos = [0, 1, 999_999_999, 123_000_000, 123_456_000, 123_456_789, 100, 1_000, 1_000_000, 500_000_000];
        for second in seconds {
            for nano in nanos {
                let at = DateTime::from_timestamp(second, nano).unwrap_or_default();
                assert_eq!(written(at), format!("\"{}\"", at.to_rfc3339()), "{second}.{nano}");
            }
        }
    }

    #[test]
    fn a_leap_second_is_written_as_to_rfc3339_writes_it() {
        let at = DateTime::from_timestamp(1_483_228_799, 1_500_000_000).unwrap_or_default();
        assert_eq!(written(at), format!("\"{}\"", at.to_rfc3339()));
        assert!(written(at).contains(":60.5"), "{}", written(at));
    }

    #[test]
    fn every_second_of_a_leap_day_and_many_instants_are_written_as_to_rfc3339_writes_them() {
        // A day second by second, then instants spread over the four-digit years, each with a
        // fraction of another length.
        let leap_day = 1_709_164_800; // 2024-02-29
        let instants = (0..86_400).map(|second| (leap_day + second, 0)).chain(
            (0..20_000_i64).map(|step| {
                let nano = u32::try_from(step * 7_919 % 1_000_000_000).unwrap_or(0);
                (-62_167_219_200 + step * 12_700_000_007, nano)
            }),
        );
        for (second, nano) in instants {
            let at = DateTime::from_timestamp(second, nano).unwrap_or_default();
            assert_eq!(written(at), format!("\"{}\"", at.to_rfc3339()), "{second}.{nano}");
        }
    }

    /// A DTO whose serde attributes forgot one of its `#[oai]` rules.
    #[derive(Debug, poem_openapi::Object, Serialize)]
    struct Forgetful {
        #[oai(skip_serializing_if_is_none)]
        note: Option<String>,
    }

    /// A DTO with an optional timestamp, as the resource generator writes one.
    #[derive(Debug, poem_openapi::Object, Serialize)]
    struct Stamped {
        #[oai(skip_serializing_if_is_none)]
        #[serde(skip_serializing_if = "Option::is_none", serialize_with = "rfc3339_option")]
        at: Option<DateTime<Utc>>,
    }

    #[test]
    fn an_optional_timestamp_is_written_as_to_json_writes_it() {
        for at in [None, DateTime::from_timestamp(1_767_225_600, 0), DateTime::from_timestamp(1_767_225_600, 123_456_000)] {
            assert_same_as_to_json(&Stamped { at });
        }
    }

    #[test]
    #[should_panic(expected = "serde and ToJSON write this DTO differently")]
    fn a_rule_missing_from_the_serde_attributes_is_caught() {
        assert_same_as_to_json(&Forgetful { note: None });
    }

    #[test]
    fn the_content_type_and_schema_are_those_of_json() {
        assert_eq!(
            <JsonBody<String> as Payload>::CONTENT_TYPE,
            "application/json; charset=utf-8"
        );
        let meta = <JsonBody<String> as ApiResponse>::meta();
        assert_eq!(meta.responses.len(), 1);
        assert_eq!(meta.responses[0].status, Some(200));
    }
}
