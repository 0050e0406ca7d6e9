//! JSON strings written straight into a log line: quoted and escaped for the inside of a JSON
//! string (RFC 8259, section 7), without an intermediate `String`.

use std::fmt::{self, Write as _};

/// Writes formatted text as a JSON string, quotes included, escaped as it is formatted.
pub(super) fn push_json_formatted(line: &mut String, text: fmt::Arguments<'_>) -> fmt::Result {
    line.push('"');
    JsonEscaped(&mut *line).write_fmt(text)?;
    line.push('"');
    Ok(())
}

/// Writes `text` as a JSON string, quotes included.
pub(super) fn push_json_string(line: &mut String, text: &str) {
    line.push('"');
    push_json_escaped(line, text);
    line.push('"');
}

/// Writes `text` escaped for the inside of a JSON string.
fn push_json_escaped(line: &mut String, text: &str) {
    let bytes = text.as_bytes();
    // Most text needs no escape at all: checked eight bytes at a time, it is copied whole.
    // Byte by byte, the check cost 11 instructions per byte, 2 800 per access line.
    if is_json_safe(bytes) {
        line.push_str(text);
        return;
    }
    let mut clean_from = 0;
    while let Some(offset) = bytes[clean_from..]
        .iter()
        .position(|&byte| NEEDS_ESCAPE[usize::from(byte)])
    {
        let at = clean_from + offset;
        line.push_str(&text[clean_from..at]);
        match bytes[at] {
            b'"' => line.push_str("\\\""),
            b'\\' => line.push_str("\\\\"),
            b'\n' => line.push_str("\\n"),
            b'\r' => line.push_str("\\r"),
            b'\t' => line.push_str("\\t"),
            byte => {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                line.push_str("\\u00");
                line.push(char::from(DIGITS[usize::from(byte >> 4)]));
                line.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
            }
        }
        clean_from = at + 1;
    }
    line.push_str(&text[clean_from..]);
}

/// Whether no byte of `bytes` needs an escape ([`NEEDS_ESCAPE`]), tested a word of eight
/// bytes at a time with the bit tricks for "some byte is zero" and "some byte is below n".
pub(super) fn is_json_safe(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH_BITS: u64 = u64::from_ne_bytes([0x80; 8]);
    // A byte of `word` below `limit` (at most 0x80) sets its high bit in the result.
    let below = |word: u64, limit: u8| word.wrapping_sub(ONES * u64::from(limit)) & !word;
    let equal = |word: u64, byte: u8| below(word ^ (ONES * u64::from(byte)), 1);
    let mut words = bytes.chunks_exact(8);
    for chunk in &mut words {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            return false;
        };
        let word = u64::from_ne_bytes(chunk);
        let unsafe_bytes =
            below(word, 0x20) | equal(word, b'"') | equal(word, b'\\') | equal(word, 0x7f);
        if unsafe_bytes & HIGH_BITS != 0 {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&byte| !NEEDS_ESCAPE[usize::from(byte)])
}

/// Escapes what is formatted through it for the inside of a JSON string (RFC 8259,
/// section 7): for values written with their `Debug` or `Display` implementation.
struct JsonEscaped<'a>(&'a mut String);

/// The bytes a JSON string cannot hold as they are: `"`, `\`, control characters and DEL. A
/// table: one load per byte of every string in every line.
pub(super) const NEEDS_ESCAPE: [bool; 256] = {
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

impl fmt::Write for JsonEscaped<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        push_json_escaped(self.0, text);
        Ok(())
    }
}
