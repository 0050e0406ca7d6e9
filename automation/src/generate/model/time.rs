//! Dates and timestamps: `chrono` values in the domain and in their columns, taken by the DTO
//! as text (`Lenient<String>`) and parsed once by the DTO's `parse_date` and
//! `parse_timestamp`, which accept exactly what the schema's pattern describes.

use super::context::{Ctx, Parts};
use super::{Collected, DtoMember};

/// A date as `NaiveDate` writes it.
const DATE_PATTERN: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
/// An RFC 3339 timestamp with a four-digit year, as `parse_timestamp` checks it.
const TIMESTAMP_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$";

/// `date`: a calendar date, answered as `YYYY-MM-DD` text.
pub fn date(ctx: &Ctx, out: &mut Collected) -> Parts {
    let (name, entity) = (&ctx.name, ctx.entity());
    out.uses.date = true;
    let doc = "A calendar date, like 2026-11-30.".to_owned();
    let oai = format!("validator(max_length = 10, pattern = \"{DATE_PATTERN}\")");
    let from_entity = if ctx.optional {
        format!("{entity}.{name}().map(|date| date.to_string())")
    } else {
        format!("{entity}.{name}().to_string()")
    };
    Parts {
        getter: ctx.getter_copy("NaiveDate"),
        columns: vec![ctx.column("Date", "date", "", format!("{name}()"), None)],
        from_row: format!("row.{name}"),
        request: vec![ctx.lenient_request(&doc, "String", oai.clone())],
        response: vec![DtoMember {
            name: name.clone(),
            doc: doc.clone(),
            ty: ctx.opt("String"),
            oai: Some(ctx.skip_none(oai)),
            from_entity,
        }],
        to_domain: String::new(),
        parse: ctx.check("date", false, &format!("parse_date(\"{name}\", RAW)")),
        domain_sample: [
            ctx.some("NaiveDate::from_ymd_opt(1990, 12, 31).unwrap()".into()),
            ctx.some("NaiveDate::from_ymd_opt(2001, 1, 2).unwrap()".into()),
        ],
        json_sample: [ctx.json("\"1990-12-31\""), ctx.json("\"2001-01-02\"")],
        json_invalid: vec![(name.clone(), "\"2026-02-30\"".into())],
        boundaries: Vec::new(),
        doc,
        value_type: "NaiveDate".to_owned(),
    }
}

/// `timestamp`: a point in time, kept to the microsecond.
pub fn timestamp(ctx: &Ctx, out: &mut Collected) -> Parts {
    let (name, entity) = (&ctx.name, ctx.entity());
    out.uses.timestamp = true;
    out.uses.optional_timestamp |= ctx.optional;
    let doc = "A point in time (RFC 3339, like 2026-11-30T17:05:00Z), kept to the microsecond."
        .to_owned();
    let oai = format!("validator(max_length = 35, pattern = r\"{TIMESTAMP_PATTERN}\")");
    Parts {
        getter: ctx.getter_copy("DateTime<Utc>"),
        columns: vec![ctx.column(
            "DateTimeUtc",
            "timestamp_with_time_zone",
            "",
            format!("{name}()"),
            None,
        )],
        from_row: format!("row.{name}"),
        request: vec![ctx.lenient_request(&doc, "String", oai)],
        response: vec![ctx.plain_response(&doc, "DateTime<Utc>", format!("{entity}.{name}()"))],
        to_domain: String::new(),
        parse: ctx.check(
            "timestamp",
            false,
            &format!("parse_timestamp(\"{name}\", RAW)"),
        ),
        domain_sample: [
            ctx.some("DateTime::from_timestamp_micros(1_767_225_600_123_456).unwrap()".into()),
            ctx.some("DateTime::from_timestamp_micros(1_700_000_000_000_000).unwrap()".into()),
        ],
        json_sample: [
            ctx.json("\"2026-01-01T00:00:00.123456+00:00\""),
            ctx.json("\"2023-11-14T22:13:20+00:00\""),
        ],
        json_invalid: vec![(name.clone(), "\"2026-11-30T25:00:00Z\"".into())],
        boundaries: Vec::new(),
        doc,
        value_type: "DateTime<Utc>".to_owned(),
    }
}
