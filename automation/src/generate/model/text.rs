//! Text-like fields: bounded strings and free text (a value object each), URLs (a value
//! object) and e-mail addresses (the shared `Email`). Each is stored as text, taken by the
//! DTO as it comes (`Lenient<String>`) and parsed once by its domain constructor; the schema
//! documents the same rule with a length and a pattern.

use super::context::{Ctx, Parts, quote};
use super::{Collected, Newtype};
use crate::generate::field::URL_MAX_CHARS;

/// The e-mail pattern of the schema: the same rule as `domain::values::Email`, kept equal by
/// the generated DTO test (and by orders' own).
const EMAIL_PATTERN: &str = r"^[!-?A-~]+@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$";
const URL_PATTERN: &str = "^https?://[!-~]+$";
/// No control characters (Unicode's Cc: what `check_free_text` refuses), written with the
/// `\uXXXX` escapes JSON Schema patterns understand.
const ONE_LINE_PATTERN: &str = r"^[^\u0000-\u001F\u007F-\u009F]*$";
/// The same, allowing tab and line breaks.
const MULTI_LINE_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// `string[MIN..MAX]` (one line) or `text` (`multi_line`, `min` 0).
pub fn free_text(ctx: &Ctx, min: u32, max: u32, multi_line: bool, out: &mut Collected) -> Parts {
    let name = &ctx.name;
    let ty = ctx.newtype.clone();
    out.uses.free_text = true;
    out.newtypes.push(Newtype {
        kind: "string",
        type_name: ty.clone(),
        field: name.clone(),
        min: i64::from(min),
        max: i64::from(max),
        multi_line,
        variants: Vec::new(),
        valid_raw: quote(&"a".repeat(min.max(1) as usize)),
    });
    let doc = if multi_line {
        format!(
            "Free text, at most {max} characters; no control characters but tab and line \
             breaks."
        )
    } else {
        format!("{min} to {max} characters on one line, without control characters.")
    };
    let pattern = if multi_line {
        MULTI_LINE_PATTERN
    } else {
        ONE_LINE_PATTERN
    };
    let mut oai = format!("max_length = {max}, pattern = r\"{pattern}\"");
    if min > 0 {
        oai = format!("min_length = {min}, {oai}");
    }
    let mut boundaries = vec![
        ctx.boundary("maxLength", "\"é\".repeat(bound)", true),
        ctx.boundary("maxLength", "\"é\".repeat(bound + 1)", false),
    ];
    if min > 0 {
        boundaries.push(ctx.boundary("minLength", "\"é\".repeat(bound)", true));
        boundaries.push(ctx.boundary("minLength", "\"é\".repeat(bound - 1)", false));
    }
    let sample = |n: u32| {
        let base = format!("{} {n}", name.replace('_', " "));
        let text: String = base.chars().take(max as usize).collect();
        let text = if (text.chars().count() as u32) < min {
            format!(
                "{text}{}",
                "x".repeat((min as usize) - text.chars().count())
            )
        } else {
            text
        };
        quote(&text)
    };
    let (s1, s2) = (sample(1), sample(2));
    let column = if multi_line {
        ctx.column("String", "text", "", ctx.text_to_row(), None)
    } else {
        ctx.column(
            "String",
            "string_len",
            &format!(", {max}"),
            ctx.text_to_row(),
            None,
        )
    };
    Parts {
        getter: ctx.getter_ref(&ty),
        columns: vec![column],
        from_row: ctx.parse_text_from_row(&ty),
        request: vec![ctx.lenient_request(&doc, "String", format!("validator({oai})"))],
        response: vec![ctx.text_response(&doc, format!("validator({oai})"))],
        to_domain: String::new(),
        parse: ctx.check("length", false, &format!("{ty}::parse(RAW)")),
        domain_sample: [
            ctx.some(format!("{ty}::parse({s1}).unwrap()")),
            ctx.some(format!("{ty}::parse({s2}).unwrap()")),
        ],
        json_sample: [ctx.json(&s1), ctx.json(&s2)],
        json_invalid: vec![(name.clone(), format!("\"x\".repeat({})", max + 1))],
        boundaries,
        doc,
        value_type: ty,
    }
}

/// `url`: http or https, visible ASCII, at most [`URL_MAX_CHARS`].
pub fn url(ctx: &Ctx, out: &mut Collected) -> Parts {
    let ty = ctx.newtype.clone();
    out.newtypes.push(Newtype {
        kind: "url",
        type_name: ty.clone(),
        field: ctx.name.clone(),
        min: 0,
        max: i64::from(URL_MAX_CHARS),
        multi_line: false,
        variants: Vec::new(),
        valid_raw: quote("https://example.com/"),
    });
    let doc = format!("An http or https URL of visible ASCII characters, at most {URL_MAX_CHARS}.");
    let oai = format!("validator(max_length = {URL_MAX_CHARS}, pattern = {URL_PATTERN:?})");
    Parts {
        getter: ctx.getter_ref(&ty),
        columns: vec![ctx.column("String", "text", "", ctx.text_to_row(), None)],
        from_row: ctx.parse_text_from_row(&ty),
        request: vec![ctx.lenient_request(&doc, "String", oai.clone())],
        response: vec![ctx.text_response(&doc, oai)],
        to_domain: String::new(),
        parse: ctx.check("url", false, &format!("{ty}::parse(RAW)")),
        domain_sample: [
            ctx.some(format!("{ty}::parse(\"https://example.com/1\").unwrap()")),
            ctx.some(format!(
                "{ty}::parse(\"http://example.org/2?q=a\").unwrap()"
            )),
        ],
        json_sample: [
            ctx.json("\"https://example.com/1\""),
            ctx.json("\"http://example.org/2?q=a\""),
        ],
        json_invalid: vec![(ctx.name.clone(), "\"ftp://example.com\"".into())],
        boundaries: vec![
            ctx.boundary(
                "maxLength",
                "format!(\"https://{}\", \"a\".repeat(bound - 8))",
                true,
            ),
            ctx.boundary(
                "maxLength",
                "format!(\"https://{}\", \"a\".repeat(bound - 7))",
                false,
            ),
        ],
        doc,
        value_type: ty,
    }
}

/// `email`: the shared `domain::values::Email`.
pub fn email(ctx: &Ctx, out: &mut Collected) -> Parts {
    out.uses.email = true;
    let doc = "An e-mail address in printable ASCII, at most 254 characters.".to_owned();
    let oai = format!("validator(max_length = 254, pattern = r\"{EMAIL_PATTERN}\")");
    Parts {
        getter: ctx.getter_ref("Email"),
        columns: vec![ctx.column("String", "string_len", ", 254", ctx.text_to_row(), None)],
        from_row: ctx.parse_text_from_row("Email"),
        request: vec![ctx.lenient_request(&doc, "String", oai.clone())],
        response: vec![ctx.text_response(&doc, oai)],
        to_domain: String::new(),
        parse: ctx.check("email", false, "Email::parse(RAW)"),
        domain_sample: [
            ctx.some("Email::parse(\"ada@example.com\").unwrap()".into()),
            ctx.some("Email::parse(\"grace@example.org\").unwrap()".into()),
        ],
        json_sample: [
            ctx.json("\"ada@example.com\""),
            ctx.json("\"grace@example.org\""),
        ],
        json_invalid: vec![(ctx.name.clone(), "\"not-an-email\"".into())],
        boundaries: vec![
            ctx.boundary(
                "maxLength",
                "format!(\"{}@x.io\", \"a\".repeat(bound - 5))",
                true,
            ),
            ctx.boundary(
                "maxLength",
                "format!(\"{}@x.io\", \"a\".repeat(bound - 4))",
                false,
            ),
        ],
        doc,
        value_type: "Email".to_owned(),
    }
}
