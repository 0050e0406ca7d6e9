//! The JSON log line, one object per line, as log shippers expect:
//!
//! ```json
//! {"timestamp":"2026-11-30T10:00:00.123456Z","level":"INFO","message":"request",
//!  "http.method":"GET","http.status":200,"request_id":"…","target":"api::request_span",
//!  "spans":[{"http.request.method":"GET","request_id":"…","name":"HTTP request"}]}
//! ```
//!
//! The event's fields sit at the top level; `spans` lists the spans the event happened in
//! (the request span: every line inside a request carries its request id).
//!
//! tracing-subscriber's own JSON format writes the same shape, at a cost measured on the
//! request path (the template repository's `docs/profiles.md`): it keeps each span's fields as
//! a JSON object that it parses back into a map for every line inside the span, and builds a
//! map of values to format a span's fields. Here fields are written straight into the line, escaped as they
//! are written, and a span keeps its fields as a ready JSON fragment: no parsing, no map,
//! no allocation per field.

use std::fmt::{self, Write as _};

use chrono::{DateTime, Datelike as _, Timelike as _, Utc};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent as _;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats events as JSON lines (see the module documentation).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct JsonLines;

/// Formats a span's fields as a JSON fragment (`"a":1,"b":"x"`), which [`JsonLines`] puts
/// into the `spans` list of every line inside the span.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct JsonFields;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        // A `log` record bridged into tracing names its own target, not the bridge's.
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        writer.write_str("{\"timestamp\":\"")?;
        write_timestamp(&mut writer, Utc::now())?;
        write!(writer, "\",\"level\":\"{}\"", metadata.level())?;
        let mut fields = FieldWriter::continuing(&mut writer);
        event.record(&mut fields);
        fields.result?;
        writer.write_str(",\"target\":")?;
        write_json_string(&mut writer, metadata.target())?;
        if let Some(scope) = ctx.event_scope() {
            writer.write_str(",\"spans\":[")?;
            for (index, span) in scope.from_root().enumerate() {
                if index > 0 {
                    writer.write_char(',')?;
                }
                writer.write_char('{')?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.fields.is_empty()
                {
                    writer.write_str(&fields.fields)?;
                    writer.write_char(',')?;
                }
                writer.write_str("\"name\":")?;
                write_json_string(&mut writer, span.name())?;
                writer.write_char('}')?;
            }
            writer.write_char(']')?;
        }
        writer.write_str("}\n")
    }
}

impl<'w> FormatFields<'w> for JsonFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut visitor = FieldWriter::first(&mut writer);
        fields.record(&mut visitor);
        visitor.result
    }

    fn add_fields(
        &self,
        current: &'w mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let continuing = !current.fields.is_empty();
        let mut writer = current.as_writer();
        let mut visitor = if continuing {
            FieldWriter::continuing(&mut writer)
        } else {
            FieldWriter::first(&mut writer)
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

/// Writes each field as `"name":value`, separated by commas.
struct FieldWriter<'a, 'w> {
    writer: &'a mut Writer<'w>,
    /// Whether the next field needs a comma before it.
    comma: bool,
    result: fmt::Result,
}

impl<'a, 'w> FieldWriter<'a, 'w> {
    /// Fields that start a fragment.
    fn first(writer: &'a mut Writer<'w>) -> Self {
        Self {
            writer,
            comma: false,
            result: Ok(()),
        }
    }

    /// Fields that follow others already written.
    fn continuing(writer: &'a mut Writer<'w>) -> Self {
        Self {
            comma: true,
            ..Self::first(writer)
        }
    }

    /// Writes the name and colon, then the value with `value`.
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'w>) -> fmt::Result) {
        // Fields of a bridged `log` record describe the record (its target is the line's).
        if self.result.is_err() || field.name().starts_with("log.") {
            return;
        }
        self.result = (|| {
            if self.comma {
                self.writer.write_char(',')?;
            }
            write_json_string(self.writer, field.name())?;
            self.writer.write_char(':')?;
            value(self.writer)
        })();
        self.comma = true;
    }
}

impl Visit for FieldWriter<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, |writer| write_json_string(writer, value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |writer| write!(writer, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |writer| write!(writer, "{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |writer| write!(writer, "{value}"));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.field(field, |writer| write!(writer, "{value}"));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.field(field, |writer| write!(writer, "{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity; Rust writes finite floats without exponents, which
        // JSON reads as they are.
        self.field(field, |writer| {
            if value.is_finite() {
                write!(writer, "{value}")
            } else {
                write_json_formatted(writer, format_args!("{value}"))
            }
        });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.field(field, |writer| {
            write_json_formatted(writer, format_args!("{value}"))
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, |writer| {
            write_json_formatted(writer, format_args!("{value:?}"))
        });
    }
}

/// Writes `at` as tracing-subscriber's `SystemTime` does, `2026-11-30T10:00:00.123456Z`
/// (microseconds, UTC), digit by digit: its formatter cost 2 150 of the 54 000 instructions of
/// a liveness probe (`docs/profiles.md`, stop 27). A year outside 0000–9999 or a leap second
/// goes through `SystemTime`.
fn write_timestamp(writer: &mut Writer<'_>, at: DateTime<Utc>) -> fmt::Result {
    let Some(year) = u32::try_from(at.year()).ok().filter(|year| *year <= 9999) else {
        return SystemTime.format_time(writer);
    };
    let micros = at.nanosecond() / 1_000;
    if micros >= 1_000_000 {
        return SystemTime.format_time(writer);
    }
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    for (range, value) in [
        (0..4, year),
        (5..7, at.month()),
        (8..10, at.day()),
        (11..13, at.hour()),
        (14..16, at.minute()),
        (17..19, at.second()),
        (20..26, micros),
    ] {
        let mut value = value;
        for digit in text[range].iter_mut().rev() {
            // `value % 10` is below 10: the cast keeps every bit.
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    writer.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
}

/// Writes formatted text as a JSON string, quotes included, escaped as it is formatted.
fn write_json_formatted(writer: &mut Writer<'_>, text: fmt::Arguments<'_>) -> fmt::Result {
    writer.write_char('"')?;
    JsonEscaped(&mut *writer).write_fmt(text)?;
    writer.write_char('"')
}

/// Writes `text` as a JSON string, quotes included.
fn write_json_string(writer: &mut impl fmt::Write, text: &str) -> fmt::Result {
    writer.write_char('"')?;
    JsonEscaped(writer).write_str(text)?;
    writer.write_char('"')
}

/// Escapes what is written through it for the inside of a JSON string (RFC 8259, section 7).
struct JsonEscaped<'a, W: fmt::Write + ?Sized>(&'a mut W);

/// The bytes a JSON string cannot hold as they are: `"`, `\`, control characters and DEL. A
/// table: one load per byte of every string in every line.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[0x7f] = true;
    table
};

impl<W: fmt::Write + ?Sized> fmt::Write for JsonEscaped<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let bytes = text.as_bytes();
        let mut clean_from = 0;
        while let Some(offset) = bytes[clean_from..]
            .iter()
            .position(|&byte| NEEDS_ESCAPE[usize::from(byte)])
        {
            let at = clean_from + offset;
            self.0.write_str(&text[clean_from..at])?;
            match bytes[at] {
                b'"' => self.0.write_str("\\\"")?,
                b'\\' => self.0.write_str("\\\\")?,
                b'\n' => self.0.write_str("\\n")?,
                b'\r' => self.0.write_str("\\r")?,
                b'\t' => self.0.write_str("\\t")?,
                byte => write!(self.0, "\\u{byte:04x}")?,
            }
            clean_from = at + 1;
        }
        self.0.write_str(&text[clean_from..])
    }
}

#[cfg(test)]
mod tests;
