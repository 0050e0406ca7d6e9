//! The JSON log line, one object per line, as log shippers expect:
//!
//! ```json
//! {"timestamp":"2026-11-30T10:00:00.123456Z","level":"INFO","message":"request",
//!  "http.method":"GET","http.status":200,"request_id":"…","target":"api::request_span",
//!  "spans":[{"http.request.method":"GET","request_id":"…","name":"HTTP request"}]}
//! ```
//!
//! The event's fields sit at the top level; `spans` lists the spans the event happened in:
//! first the request the task handles (every line inside a request carries its request id),
//! read from the task (`api::with_logged_request`) rather than from a span, then any span the
//! log's filter keeps.
//!
//! tracing-subscriber's own JSON format writes the same shape, at a cost measured on the
//! request path (the template repository's `docs/profiles.md`): it keeps each span's fields as
//! a JSON object that it parses back into a map for every line inside the span, and builds a
//! map of values to format a span's fields. Here fields are written straight into the line, escaped as they
//! are written, and a span keeps its fields as a ready JSON fragment: no parsing, no map,
//! no allocation per field.

use std::cell::Cell;
use std::fmt;

use chrono::{DateTime, Datelike as _, Timelike as _, Utc};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent as _;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use json_string::{push_json_formatted, push_json_string};

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
        // The line is built in a `String` of this thread's, then handed over in one write:
        // through `writer` (a `dyn fmt::Write`), each quote, colon and comma was a call of its
        // own, and the line cost 7 100 instructions (`docs/profiles.md`, stop 28).
        with_line_buffer(|line| {
            // A `log` record bridged into tracing names its own target, not the bridge's.
            let normalized = event.normalized_metadata();
            let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
            line.push_str("{\"timestamp\":\"");
            write_timestamp(line, Utc::now());
            line.push_str("\",\"level\":\"");
            line.push_str(metadata.level().as_str());
            line.push('"');
            let mut fields = FieldWriter::continuing(line);
            event.record(&mut fields);
            fields.result?;
            line.push_str(",\"target\":");
            push_json_string(line, metadata.target());
            let in_request = api::with_logged_request(|request| {
                line.push_str(",\"spans\":[{\"http.request.method\":");
                push_json_string(line, request.method());
                line.push_str(",\"request_id\":");
                push_json_string(line, request.request_id());
                line.push_str(",\"name\":");
                push_json_string(line, api::REQUEST_SPAN_NAME);
                line.push('}');
            })
            .is_some();
            let scope = ctx.event_scope();
            if let Some(scope) = scope {
                line.push_str(if in_request { "," } else { ",\"spans\":[" });
                for (index, span) in scope.from_root().enumerate() {
                    if index > 0 {
                        line.push(',');
                    }
                    line.push('{');
                    let extensions = span.extensions();
                    if let Some(fields) = extensions.get::<FormattedFields<N>>()
                        && !fields.fields.is_empty()
                    {
                        line.push_str(&fields.fields);
                        line.push(',');
                    }
                    line.push_str("\"name\":");
                    push_json_string(line, span.name());
                    line.push('}');
                }
                line.push(']');
            } else if in_request {
                line.push(']');
            }
            line.push_str("}\n");
            writer.write_str(line)
        })
    }
}

impl<'w> FormatFields<'w> for JsonFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        with_line_buffer(|fragment| {
            let mut visitor = FieldWriter::first(fragment);
            fields.record(&mut visitor);
            visitor.result?;
            writer.write_str(fragment)
        })
    }

    fn add_fields(
        &self,
        current: &'w mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut visitor = if current.fields.is_empty() {
            FieldWriter::first(&mut current.fields)
        } else {
            FieldWriter::continuing(&mut current.fields)
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

thread_local! {
    /// The buffer each thread builds its lines in, kept between lines.
    static LINE_BUFFER: Cell<String> = const { Cell::new(String::new()) };
}

/// Lends `build` this thread's line buffer, empty. The buffer is taken out of its slot while
/// lent, so a nested use gets a fresh one, never the one being written (tracing itself drops
/// an event logged while another is being handled on the same thread).
fn with_line_buffer<R>(build: impl FnOnce(&mut String) -> R) -> R {
    let mut line = LINE_BUFFER.take();
    line.clear();
    let result = build(&mut line);
    // An unusually long line does not keep its memory.
    if line.capacity() <= MAX_KEPT_LINE_BYTES {
        LINE_BUFFER.set(line);
    }
    result
}

/// Lines longer than this do not keep their buffer for the next line.
const MAX_KEPT_LINE_BYTES: usize = 16 * 1024;

/// Writes each field as `"name":value`, separated by commas, into a line.
struct FieldWriter<'a> {
    line: &'a mut String,
    /// Whether the next field needs a comma before it.
    comma: bool,
    result: fmt::Result,
}

impl<'a> FieldWriter<'a> {
    /// Fields that start a fragment.
    fn first(line: &'a mut String) -> Self {
        Self {
            line,
            comma: false,
            result: Ok(()),
        }
    }

    /// Fields that follow others already written.
    fn continuing(line: &'a mut String) -> Self {
        Self {
            comma: true,
            ..Self::first(line)
        }
    }

    /// Writes the name and colon, then the value with `value`.
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut String) -> fmt::Result) {
        // Fields of a bridged `log` record describe the record (its target is the line's).
        if self.result.is_err() || field.name().starts_with("log.") {
            return;
        }
        if self.comma {
            self.line.push(',');
        }
        push_json_string(self.line, field.name());
        self.line.push(':');
        self.result = value(self.line);
        self.comma = true;
    }
}

impl Visit for FieldWriter<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, |line| {
            push_json_string(line, value);
            Ok(())
        });
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |line| {
            line.push_str(if value { "true" } else { "false" });
            Ok(())
        });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |line| push_integer(line, value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |line| push_integer(line, value));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.field(field, |line| push_integer(line, value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.field(field, |line| push_integer(line, value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity. ryu writes the shortest digits that read back as the
        // same number (with an exponent when very large or small, which JSON reads too),
        // at a third of the formatter's cost.
        self.field(field, |line| {
            if value.is_finite() {
                line.push_str(ryu::Buffer::new().format_finite(value));
                Ok(())
            } else {
                push_json_formatted(line, format_args!("{value}"))
            }
        });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.field(field, |line| {
            push_json_formatted(line, format_args!("{value}"))
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, |line| {
            push_json_formatted(line, format_args!("{value:?}"))
        });
    }
}

/// Writes an integer: itoa's digits, without the formatter's machinery (600 instructions for
/// the status code of every access line).
fn push_integer(line: &mut String, value: impl itoa::Integer) -> fmt::Result {
    line.push_str(itoa::Buffer::new().format(value));
    Ok(())
}

/// Writes `at` as tracing-subscriber's `SystemTime` does, `2026-11-30T10:00:00.123456Z`
/// (microseconds, UTC), digit by digit: its formatter cost 2 150 of the 54 000 instructions of
/// a liveness probe (`docs/profiles.md`, stop 27). A year outside 0000–9999 or a leap second
/// goes through `SystemTime`.
fn write_timestamp(line: &mut String, at: DateTime<Utc>) {
    let Some(year) = u32::try_from(at.year()).ok().filter(|year| *year <= 9999) else {
        return write_system_time(line);
    };
    let micros = at.nanosecond() / 1_000;
    if micros >= 1_000_000 {
        return write_system_time(line);
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
    // Only ASCII digits and punctuation were written: never an error.
    if let Ok(text) = std::str::from_utf8(&text) {
        line.push_str(text);
    }
}

/// The time as tracing-subscriber's `SystemTime` writes it: for the years and seconds the
/// digit-by-digit writer leaves out.
fn write_system_time(line: &mut String) {
    // Writing into a `String` cannot fail; the timestamp is then left out, not the line.
    SystemTime.format_time(&mut Writer::new(line)).ok();
}

mod json_string;
#[cfg(test)]
mod tests;
