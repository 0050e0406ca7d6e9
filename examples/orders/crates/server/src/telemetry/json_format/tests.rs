// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

use super::{JsonFields, JsonLines};

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Lines {
    type Writer = Lines;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Runs `log` under a subscriber with the JSON format; every line, parsed.
fn logged(log: impl FnOnce()) -> Vec<Value> {
    parsed(&logged_text(log))
}

fn parsed(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}")))
        .collect()
}

/// Runs `log` under a subscriber with the JSON format; the text written.
fn logged_text(log: impl FnOnce()) -> String {
    let lines = Lines::default();
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(lines.clone())
            .event_format(JsonLines)
            .fmt_fields(JsonFields),
    );
    tracing::subscriber::with_default(subscriber, log);
    String::from_utf8(lines.0.lock().unwrap().clone()).unwrap()
}

/// A value whose `Debug` output needs escaping.
struct OddText;

impl std::fmt::Debug for OddText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("debug \"quoted\" \\ back\nslash")
    }
}

#[test]
fn every_kind_of_field_is_valid_json_with_the_value_it_had() {
    let nasty = "quote \" backslash \\ newline \n tab \t bell \u{7} nul \u{0} é 🦀 </script>";
    let error = std::io::Error::other("disk \"full\"");
    let text = logged_text(|| {
        tracing::info!(
            text = nasty,
            flag = true,
            count = 42_u64,
            delta = -7_i64,
            big = u128::MAX,
            ratio = 0.25_f64,
            huge = 1e300_f64,
            nan = f64::NAN,
            debugged = ?OddText,
            shown = %"display \"me\"",
            error = &error as &(dyn std::error::Error + 'static),
            log.target = "skipped",
            "the message with \"quotes\""
        );
    });
    // Integers are written in full: serde_json reads a u128 this large as a float.
    assert!(text.contains(&format!("\"big\":{},", u128::MAX)), "{text}");
    let lines = parsed(&text);
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["message"], "the message with \"quotes\"");
    assert_eq!(line["text"], nasty);
    assert_eq!(line["flag"], true);
    assert_eq!(line["count"], 42);
    assert_eq!(line["delta"], -7);
    assert_eq!(line["ratio"], 0.25);
    assert_eq!(line["huge"], 1e300);
    assert_eq!(line["nan"], "NaN");
    assert_eq!(line["debugged"], "debug \"quoted\" \\ back\nslash");
    assert_eq!(line["shown"], "display \"me\"");
    assert_eq!(line["error"], "disk \"full\"");
    assert!(line.get("log.target").is_none(), "{line}");
    assert_eq!(
        line["target"], "server::telemetry::json_format::tests",
        "{line}"
    );
    let timestamp = line["timestamp"].as_str().unwrap();
    assert!(
        timestamp.len() >= 20 && timestamp.ends_with('Z') && timestamp.contains('T'),
        "{timestamp}"
    );
    assert!(line.get("spans").is_none(), "outside any span: {line}");
}

#[test]
fn lines_inside_spans_list_them_outermost_first_with_their_fields() {
    let lines = logged(|| {
        let outer = tracing::info_span!("HTTP request", request_id = "req-\"1\"", attempt = 1_u64);
        let _outer = outer.enter();
        let empty = tracing::info_span!("no fields");
        let _empty = empty.enter();
        let inner = tracing::info_span!("inner", step = tracing::field::Empty);
        inner.record("step", "first");
        inner.record("step", "second");
        let _inner = inner.enter();
        tracing::warn!(reason = "testing", "inside");
    });
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["level"], "WARN");
    assert_eq!(line["reason"], "testing");
    assert_eq!(
        line["spans"],
        json!([
            {"request_id": "req-\"1\"", "attempt": 1, "name": "HTTP request"},
            {"name": "no fields"},
            // A field recorded twice: JSON parsers keep the last value.
            {"step": "second", "name": "inner"},
        ])
    );
}

#[test]
fn a_record_bridged_from_log_carries_its_own_target() {
    let lines = logged(|| {
        let record = log::Record::builder()
            .target("some_crate::module")
            .level(log::Level::Warn)
            .module_path(Some("some_crate::module"))
            .file(Some("src/module.rs"))
            .line(Some(7))
            .args(format_args!("from the log crate"))
            .build();
        tracing_log::format_trace(&record).unwrap();
    });
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["target"], "some_crate::module", "{line}");
    assert_eq!(line["level"], "WARN");
    assert_eq!(line["message"], "from the log crate");
    assert!(line.get("log.target").is_none(), "{line}");
    assert!(line.get("log.line").is_none(), "{line}");
}

#[test]
fn timestamps_are_written_as_the_system_time_formatter_writes_them() {
    use chrono::{TimeZone as _, Utc};
    let write = |at| {
        let mut text = String::new();
        super::write_timestamp(&mut text, at);
        text
    };
    for (seconds, nanos) in [
        (0, 0),
        (1_764_500_000, 123_456_789),
        (951_782_400, 999_999_999),
        (253_402_300_799, 1_000),
    ] {
        let at = Utc.timestamp_opt(seconds, nanos).unwrap();
        assert_eq!(
            write(at),
            at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            "{at:?}"
        );
    }
    // Beyond year 9999, the fallback writes the current time, still a timestamp.
    let far = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
    assert!(write(far).ends_with('Z'));
}

#[test]
fn the_word_at_a_time_check_finds_every_byte_that_needs_an_escape() {
    // Every byte value at every position of a text longer than two words.
    for byte in 0..=u8::MAX {
        for at in 0..19 {
            let mut text = [b'a'; 19];
            text[at] = byte;
            assert_eq!(
                super::json_string::is_json_safe(&text),
                !super::json_string::NEEDS_ESCAPE[usize::from(byte)],
                "byte {byte:#04x} at {at}"
            );
        }
    }
    // Bytes just above a limit do not hide the byte after them.
    assert!(!super::json_string::is_json_safe(b"\x80\x21\x00abcdefgh"));
    assert!(super::json_string::is_json_safe(
        "é 🦀 </script> ok, 8 bytes+".as_bytes()
    ));
}
