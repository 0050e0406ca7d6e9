//! What the templates are given: for each field, the Rust it needs in each layer (its domain
//! type, its column(s), its DTO member and rule, its conversions, sample values for tests).
//! The per-type decisions live here, in one `match` per concern; the templates only lay
//! files out.

use serde::Serialize;

use super::field::{FieldKind, FieldSpec, TEXT_MAX_CHARS, URL_MAX_CHARS};
use super::names::{Names, pascal};

/// The e-mail pattern of the schema: the same rule as `domain::values::Email`, kept equal by
/// the generated DTO test (and by orders' own).
const EMAIL_PATTERN: &str = r"^[!-?A-~]+@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$";
const URL_PATTERN: &str = "^https?://[!-~]+$";
/// No control characters (Unicode's Cc: what `check_free_text` refuses), written with the
/// `\uXXXX` escapes JSON Schema patterns understand.
const ONE_LINE_PATTERN: &str = r"^[^\u0000-\u001F\u007F-\u009F]*$";
/// The same, allowing tab and line breaks.
const MULTI_LINE_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";
/// A date as `NaiveDate` writes it.
const DATE_PATTERN: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
/// An RFC 3339 timestamp with a four-digit year, as `parse_timestamp` checks it.
const TIMESTAMP_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$";
/// 2^53 - 1, as `domain::values::MAX_AMOUNT_MINOR`.
const MAX_AMOUNT: &str = "9007199254740991";

/// Everything a template sees.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub names: Names,
    pub auth: bool,
    pub fields: Vec<Field>,
    /// The value objects generated for this resource (bounded strings, ints, URLs, enums).
    pub newtypes: Vec<Newtype>,
    /// Fields the list can be filtered by (enums and bools).
    pub filters: Vec<Filter>,
    /// Every boundary case of the DTO test, of every field.
    pub boundaries: Vec<Boundary>,
    /// The migration's module name, `m20261130_170501_create_customers`.
    pub migration: String,
    pub uses: Uses,
}

/// Which shared types the generated files need (so that no import is unused).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Uses {
    pub email: bool,
    pub money: bool,
    pub free_text: bool,
    pub date: bool,
    pub timestamp: bool,
    pub uuid: bool,
    pub optional_money: bool,
    pub newtype_int: bool,
    /// An enum value object (its `FromStr`).
    pub enums: bool,
    /// A value object with a property test (bounded strings and ints).
    pub proptest: bool,
    /// A request member parsed by a domain constructor while the request converts (a
    /// `Lenient` member, its errors collected by `FieldErrors`).
    pub validated: bool,
    /// An optional field.
    pub optional: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Newtype {
    /// `string`, `int`, `url` or `enum`.
    pub kind: &'static str,
    pub type_name: String,
    pub field: String,
    pub min: i64,
    pub max: i64,
    pub multi_line: bool,
    pub variants: Vec<Variant>,
    /// An example of a valid value, as a Rust expression of the raw type.
    pub valid_raw: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Variant {
    pub pascal: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Filter {
    pub name: String,
    /// The domain type (`CustomerTier`, `bool`).
    pub domain_type: String,
    /// The query parameter's type (`CustomerTierDto`, `bool`).
    pub dto_type: String,
    /// From the DTO value `value` to the domain's.
    pub to_domain: String,
    /// The column's value for the domain value `value`.
    pub column_value: String,
    pub column_pascal: String,
    /// A JSON value to filter by in tests, and the Rust domain value.
    pub sample_query: String,
    pub is_enum: bool,
    pub optional: bool,
}

/// One field, as each layer writes it.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub name: String,
    pub pascal: String,
    pub optional: bool,
    pub kind: &'static str,
    /// A sentence for documentation: what the field holds and its rule.
    pub doc: String,
    /// The domain type, without `Option`.
    pub value_type: String,
    /// The type in the state struct (with `Option` when optional).
    pub state_type: String,
    pub getter_type: String,
    pub getter_body: String,
    /// `ref` (`&T`), `opt_ref` (`Option<&T>`) or `copy`.
    pub getter_kind: &'static str,
    pub columns: Vec<Column>,
    /// `row` → the state's value (may use `?` with `corrupt`).
    pub from_row: String,
    pub request: Vec<DtoMember>,
    pub response: Vec<DtoMember>,
    /// `request` → the domain value, for a member that cannot be invalid once parsed from
    /// JSON (bools, UUIDs, enums).
    pub to_domain: String,
    /// `request` and `errors` (`FieldErrors`) → `Option` of the state's value: `None` after
    /// recording why a member is invalid. For members a domain constructor parses.
    pub parse: Option<String>,
    /// Domain test values: two different valid values (Rust expressions).
    pub domain_sample: [String; 2],
    /// JSON members of two different valid requests: `"name": "..."` pairs.
    pub json_sample: [Vec<(String, String)>; 2],
    /// JSON members that break this field's rule (type-correct), and the error's field.
    pub json_invalid: Vec<(String, String)>,
    /// Boundary cases for the DTO test: (member, schema keyword, accepted?, JSON value
    /// expression of the bound).
    pub boundaries: Vec<Boundary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub name: String,
    pub pascal: String,
    /// The entity field's Rust type.
    pub rust_type: String,
    /// The migration's column definition (sea-orm-migration `schema` helpers).
    pub definition: String,
    /// `customer` → the column value (for the `ActiveModel`).
    pub to_row: String,
    /// A `CHECK` constraint, if any, as an `Expr` on the column.
    pub check: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DtoMember {
    pub name: String,
    pub doc: String,
    pub ty: String,
    /// The `#[oai(...)]` contents, if any.
    pub oai: Option<String>,
    /// `customer` → the member (responses only).
    pub from_entity: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Boundary {
    pub member: String,
    pub keyword: &'static str,
    /// A Rust expression of the member's raw value at the boundary, given `bound` (the
    /// schema's number).
    pub value: String,
    pub accepted: bool,
}

impl Resource {
    pub fn new(names: Names, fields: &[FieldSpec], auth: bool, migration: String) -> Self {
        let mut uses = Uses::default();
        let mut newtypes = Vec::new();
        let mut filters = Vec::new();
        let models: Vec<Field> = fields
            .iter()
            .map(|spec| field(&names, spec, &mut uses, &mut newtypes, &mut filters))
            .collect();
        uses.validated = models_have_validators(&models);
        uses.enums = newtypes.iter().any(|t| t.kind == "enum");
        uses.proptest = newtypes.iter().any(|t| matches!(t.kind, "string" | "int"));
        let boundaries = models
            .iter()
            .flat_map(|field| field.boundaries.iter().cloned())
            .collect();
        uses.optional = models.iter().any(|field| field.optional);
        Self {
            names,
            auth,
            boundaries,
            fields: models,
            newtypes,
            filters,
            migration,
            uses,
        }
    }
}

fn models_have_validators(fields: &[Field]) -> bool {
    fields.iter().any(|field| field.parse.is_some())
}

fn opt(optional: bool, ty: &str) -> String {
    if optional {
        format!("Option<{ty}>")
    } else {
        ty.to_owned()
    }
}

fn quote(text: &str) -> String {
    format!("{text:?}")
}

#[allow(clippy::too_many_lines)]
fn field(
    names: &Names,
    spec: &FieldSpec,
    uses: &mut Uses,
    newtypes: &mut Vec<Newtype>,
    filters: &mut Vec<Filter>,
) -> Field {
    let name = spec.name.clone();
    let fpascal = pascal(&name);
    let optional = spec.optional;
    let table = &names.plural_pascal;
    let newtype_name = format!("{}{fpascal}", names.pascal);
    // `helper` is a `sea_orm_migration::schema` function; `args` follow the column name.
    let column =
        |rust: &str, helper: &str, args: &str, to_row: String, check: Option<String>| Column {
            name: name.clone(),
            pascal: fpascal.clone(),
            rust_type: opt(optional, rust),
            definition: format!(
                "{helper}{}({table}::{fpascal}{args})",
                if optional { "_null" } else { "" }
            ),
            to_row,
            check,
        };
    let getter_ref = |ty: &str| -> (String, String) {
        if optional {
            (
                format!("Option<&{ty}>"),
                format!("self.state.{name}.as_ref()"),
            )
        } else {
            (format!("&{ty}"), format!("&self.state.{name}"))
        }
    };
    let getter_copy =
        |ty: &str| -> (String, String) { (opt(optional, ty), format!("self.state.{name}")) };
    // For string-like values stored as text: `customer.name().as_str().to_owned()`.
    let text_to_row = || {
        if optional {
            format!("{name}().map(|value| value.as_str().to_owned())")
        } else {
            format!("{name}().as_str().to_owned()")
        }
    };
    let parse_text_from_row = |ty: &str| {
        if optional {
            format!("row.{name}.as_deref().map({ty}::parse).transpose().map_err(corrupt)?")
        } else {
            format!("{ty}::parse(&row.{name}).map_err(corrupt)?")
        }
    };
    let text_response = |doc: &str, oai: String| DtoMember {
        name: name.clone(),
        doc: doc.to_owned(),
        ty: opt(optional, "String"),
        oai: Some(if optional {
            format!("skip_serializing_if_is_none, {oai}")
        } else {
            oai
        }),
        from_entity: if optional {
            format!(
                "{}.{name}().map(|value| value.as_str().to_owned())",
                names.snake
            )
        } else {
            format!("{}.{name}().as_str().to_owned()", names.snake)
        },
    };
    let lenient_request = |doc: &str, raw: &str, oai: String| DtoMember {
        name: name.clone(),
        doc: doc.to_owned(),
        ty: opt(optional, &format!("Lenient<{raw}>")),
        oai: Some(oai),
        from_entity: String::new(),
    };
    let plain_request = |doc: &str, ty: &str| DtoMember {
        name: name.clone(),
        doc: doc.to_owned(),
        ty: opt(optional, ty),
        oai: None,
        from_entity: String::new(),
    };
    let plain_response = |doc: &str, ty: &str, from: String| DtoMember {
        name: name.clone(),
        doc: doc.to_owned(),
        ty: opt(optional, ty),
        oai: optional.then(|| "skip_serializing_if_is_none".to_owned()),
        from_entity: from,
    };
    let entity = &names.snake;
    let mut parse = None;
    // The member parsed by `call` (a constructor call with `RAW` for the member's value: an
    // `i64` when `number`, else a `&str`), its error recorded under `code`, absent or not.
    let check = |code: &str, number: bool, call: &str| {
        let (present, required) = if number {
            ("*raw".to_owned(), format!("*request.{name}"))
        } else {
            ("raw".to_owned(), format!("&request.{name}"))
        };
        Some(if optional {
            format!(
                "request\n.{name}\n.as_deref()\n.map_or(Some(None), |raw| errors.check(\"{name}\", \"{code}\", {}).map(Some))",
                call.replace("RAW", &present)
            )
        } else {
            format!(
                "errors.check(\"{name}\", \"{code}\", {})",
                call.replace("RAW", &required)
            )
        })
    };
    let mut boundaries = Vec::new();
    let mut json_invalid = Vec::new();

    let (doc, value_type, getter, columns, from_row, request, response, to_domain, samples, json) =
        match &spec.kind {
            FieldKind::String { .. } | FieldKind::Text => {
                let (min, max, multi_line) = match spec.kind {
                    FieldKind::String { min, max } => (min, max, false),
                    _ => (0, TEXT_MAX_CHARS, true),
                };
                let ty = newtype_name.clone();
                uses.free_text = true;
                newtypes.push(Newtype {
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
                        "Free text, at most {max} characters; no control characters but tab \
                         and line breaks."
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
                parse = check("length", false, &format!("{ty}::parse(RAW)"));
                boundaries.push(Boundary {
                    member: name.clone(),
                    keyword: "maxLength",
                    value: "\"é\".repeat(bound)".into(),
                    accepted: true,
                });
                boundaries.push(Boundary {
                    member: name.clone(),
                    keyword: "maxLength",
                    value: "\"é\".repeat(bound + 1)".into(),
                    accepted: false,
                });
                if min > 0 {
                    boundaries.push(Boundary {
                        member: name.clone(),
                        keyword: "minLength",
                        value: "\"é\".repeat(bound)".into(),
                        accepted: true,
                    });
                    boundaries.push(Boundary {
                        member: name.clone(),
                        keyword: "minLength",
                        value: "\"é\".repeat(bound - 1)".into(),
                        accepted: false,
                    });
                }
                json_invalid.push((name.clone(), format!("\"x\".repeat({})", max + 1)));
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
                let (gt, gb) = getter_ref(&ty);
                (
                    doc.clone(),
                    ty.clone(),
                    (gt, gb),
                    vec![if multi_line {
                        column("String", "text", "", text_to_row(), None)
                    } else {
                        column(
                            "String",
                            "string_len",
                            &format!(", {max}"),
                            text_to_row(),
                            None,
                        )
                    }],
                    parse_text_from_row(&ty),
                    vec![lenient_request(&doc, "String", format!("validator({oai})"))],
                    vec![text_response(&doc, format!("validator({oai})"))],
                    String::new(),
                    [
                        some(optional, format!("{ty}::parse({s1}).unwrap()")),
                        some(optional, format!("{ty}::parse({s2}).unwrap()")),
                    ],
                    [
                        vec![(name.clone(), format!("json!({s1})"))],
                        vec![(name.clone(), format!("json!({s2})"))],
                    ],
                )
            }
            FieldKind::Url => {
                let ty = newtype_name.clone();
                newtypes.push(Newtype {
                    kind: "url",
                    type_name: ty.clone(),
                    field: name.clone(),
                    min: 0,
                    max: i64::from(URL_MAX_CHARS),
                    multi_line: false,
                    variants: Vec::new(),
                    valid_raw: quote("https://example.com/"),
                });
                let doc = format!(
                    "An http or https URL of visible ASCII characters, at most {URL_MAX_CHARS}."
                );
                let oai =
                    format!("validator(max_length = {URL_MAX_CHARS}, pattern = {URL_PATTERN:?})");
                parse = check("url", false, &format!("{ty}::parse(RAW)"));
                boundaries.push(Boundary {
                    member: name.clone(),
                    keyword: "maxLength",
                    value: "format!(\"https://{}\", \"a\".repeat(bound - 8))".into(),
                    accepted: true,
                });
                boundaries.push(Boundary {
                    member: name.clone(),
                    keyword: "maxLength",
                    value: "format!(\"https://{}\", \"a\".repeat(bound - 7))".into(),
                    accepted: false,
                });
                json_invalid.push((name.clone(), "\"ftp://example.com\"".into()));
                let (gt, gb) = getter_ref(&ty);
                (
                    doc.clone(),
                    ty.clone(),
                    (gt, gb),
                    vec![column("String", "text", "", text_to_row(), None)],
                    parse_text_from_row(&ty),
                    vec![lenient_request(&doc, "String", oai.clone())],
                    vec![text_response(&doc, oai)],
                    String::new(),
                    [
                        some(
                            optional,
                            format!("{ty}::parse(\"https://example.com/1\").unwrap()"),
                        ),
                        some(
                            optional,
                            format!("{ty}::parse(\"http://example.org/2?q=a\").unwrap()"),
                        ),
                    ],
                    [
                        vec![(name.clone(), "json!(\"https://example.com/1\")".into())],
                        vec![(name.clone(), "json!(\"http://example.org/2?q=a\")".into())],
                    ],
                )
            }
            FieldKind::Int { min, max } => {
                let ty = newtype_name.clone();
                uses.newtype_int = true;
                newtypes.push(Newtype {
                    kind: "int",
                    type_name: ty.clone(),
                    field: name.clone(),
                    min: *min,
                    max: *max,
                    multi_line: false,
                    variants: Vec::new(),
                    valid_raw: min.to_string(),
                });
                let doc = format!("A whole number from {min} to {max}.");
                let oai =
                    format!("validator(minimum(value = \"{min}\"), maximum(value = \"{max}\"))");
                parse = check("range", true, &format!("{ty}::new(RAW)"));
                for (keyword, value, accepted) in [
                    ("minimum", "bound", true),
                    ("minimum", "bound - 1", false),
                    ("maximum", "bound", true),
                    ("maximum", "bound + 1", false),
                ] {
                    boundaries.push(Boundary {
                        member: name.clone(),
                        keyword,
                        value: value.into(),
                        accepted,
                    });
                }
                json_invalid.push((name.clone(), format!("{}", i128::from(*max) + 1)));
                let s2 = if max > min { min + 1 } else { *min };
                let (gt, gb) = getter_copy(&ty);
                let to_row = if optional {
                    format!("{name}().map(|value| value.get())")
                } else {
                    format!("{name}().get()")
                };
                (
                    doc.clone(),
                    ty.clone(),
                    (gt, gb),
                    vec![column(
                        "i64",
                        "big_integer",
                        "",
                        to_row,
                        Some(format!(
                            "Expr::col({table}::{fpascal}).between({min}i64, {max}i64)"
                        )),
                    )],
                    if optional {
                        format!("row.{name}.map({ty}::new).transpose().map_err(corrupt)?")
                    } else {
                        format!("{ty}::new(row.{name}).map_err(corrupt)?")
                    },
                    vec![lenient_request(&doc, "i64", oai.clone())],
                    vec![DtoMember {
                        name: name.clone(),
                        doc: doc.clone(),
                        ty: opt(optional, "i64"),
                        oai: Some(if optional {
                            format!("skip_serializing_if_is_none, {oai}")
                        } else {
                            oai
                        }),
                        from_entity: if optional {
                            format!("{entity}.{name}().map(|value| value.get())")
                        } else {
                            format!("{entity}.{name}().get()")
                        },
                    }],
                    String::new(),
                    [
                        some(optional, format!("{ty}::new({min}).unwrap()")),
                        some(optional, format!("{ty}::new({s2}).unwrap()")),
                    ],
                    [
                        vec![(name.clone(), format!("json!({min})"))],
                        vec![(name.clone(), format!("json!({s2})"))],
                    ],
                )
            }
            FieldKind::Email => {
                uses.email = true;
                let doc =
                    "An e-mail address in printable ASCII, at most 254 characters.".to_owned();
                let oai = format!("validator(max_length = 254, pattern = r\"{EMAIL_PATTERN}\")");
                parse = check("email", false, "Email::parse(RAW)");
                boundaries.push(Boundary {
                    member: name.clone(),
                    keyword: "maxLength",
                    value: "format!(\"{}@x.io\", \"a\".repeat(bound - 5))".into(),
                    accepted: true,
                });
                boundaries.push(Boundary {
                    member: name.clone(),
                    keyword: "maxLength",
                    value: "format!(\"{}@x.io\", \"a\".repeat(bound - 4))".into(),
                    accepted: false,
                });
                json_invalid.push((name.clone(), "\"not-an-email\"".into()));
                let (gt, gb) = getter_ref("Email");
                (
                    doc.clone(),
                    "Email".to_owned(),
                    (gt, gb),
                    vec![column("String", "string_len", ", 254", text_to_row(), None)],
                    parse_text_from_row("Email"),
                    vec![lenient_request(&doc, "String", oai.clone())],
                    vec![text_response(&doc, oai)],
                    String::new(),
                    [
                        some(
                            optional,
                            "Email::parse(\"ada@example.com\").unwrap()".into(),
                        ),
                        some(
                            optional,
                            "Email::parse(\"grace@example.org\").unwrap()".into(),
                        ),
                    ],
                    [
                        vec![(name.clone(), "json!(\"ada@example.com\")".into())],
                        vec![(name.clone(), "json!(\"grace@example.org\")".into())],
                    ],
                )
            }
            FieldKind::Money => {
                uses.money = true;
                if optional {
                    uses.optional_money = true;
                }
                let minor = format!("{name}_minor");
                let currency = format!("{name}_currency");
                let doc =
                    "An amount of money: minor units (cents for EUR) and currency.".to_owned();
                let minor_doc = format!(
                    "The amount of `{name}` in the currency's minor unit (cents for EUR); \
                     greater than zero and at most 2^53 - 1."
                );
                let currency_doc = format!(
                    "The ISO 4217 currency of `{name}`: three capital letters, like `EUR`."
                );
                let minor_oai =
                    format!("validator(minimum(value = \"1\"), maximum(value = \"{MAX_AMOUNT}\"))");
                let currency_oai = "validator(max_length = 3, pattern = \"^[A-Z]{3}$\")".to_owned();
                parse = Some(if optional {
                    format!(
                        "optional_money(\n&mut errors,\n(\"{minor}\", \"{currency}\"),\nrequest.{minor}.as_deref().copied(),\nrequest.{currency}.as_deref().map(String::as_str),\n)"
                    )
                } else {
                    format!(
                        "money(\n&mut errors,\n(\"{minor}\", \"{currency}\"),\n*request.{minor},\n&request.{currency},\n)"
                    )
                });
                for (keyword, value, accepted) in [
                    ("minimum", "bound", true),
                    ("minimum", "bound - 1", false),
                    ("maximum", "bound", true),
                    ("maximum", "bound + 1", false),
                ] {
                    boundaries.push(Boundary {
                        member: minor.clone(),
                        keyword,
                        value: value.into(),
                        accepted,
                    });
                }
                json_invalid.push((minor.clone(), "0".into()));
                json_invalid.push((currency.clone(), "\"euro\"".into()));
                let member = |member: &str, doc: &str, raw: &str, oai: &str| DtoMember {
                    name: member.to_owned(),
                    doc: doc.to_owned(),
                    ty: opt(optional, &format!("Lenient<{raw}>")),
                    oai: Some(oai.to_owned()),
                    from_entity: String::new(),
                };
                let out = |member: &str, doc: &str, raw: &str, oai: &str, from: String| DtoMember {
                    name: member.to_owned(),
                    doc: doc.to_owned(),
                    ty: opt(optional, raw),
                    oai: Some(if optional {
                        format!("skip_serializing_if_is_none, {oai}")
                    } else {
                        oai.to_owned()
                    }),
                    from_entity: from,
                };
                let (minor_row, currency_row, minor_out, currency_out) = if optional {
                    (
                        format!("{name}().map(|money| money.amount_minor())"),
                        format!("{name}().map(|money| money.currency().as_str().to_owned())"),
                        format!("{entity}.{name}().map(|money| money.amount_minor())"),
                        format!(
                            "{entity}.{name}().map(|money| money.currency().as_str().to_owned())"
                        ),
                    )
                } else {
                    (
                        format!("{name}().amount_minor()"),
                        format!("{name}().currency().as_str().to_owned()"),
                        format!("{entity}.{name}().amount_minor()"),
                        format!("{entity}.{name}().currency().as_str().to_owned()"),
                    )
                };
                let mpascal = pascal(&minor);
                let cpascal = pascal(&currency);
                let null = if optional { "_null" } else { "" };
                let (gt, gb) = getter_copy("Money");
                (
                    doc,
                    "Money".to_owned(),
                    (gt, gb),
                    vec![
                        Column {
                            name: minor.clone(),
                            pascal: mpascal.clone(),
                            rust_type: opt(optional, "i64"),
                            definition: format!("big_integer{null}({table}::{mpascal})"),
                            to_row: minor_row,
                            check: Some(format!(
                                "Expr::col({table}::{mpascal}).between(1i64, {MAX_AMOUNT}i64)"
                            )),
                        },
                        Column {
                            name: currency.clone(),
                            pascal: cpascal.clone(),
                            rust_type: opt(optional, "String"),
                            definition: format!("string_len{null}({table}::{cpascal}, 3)"),
                            to_row: currency_row,
                            check: None,
                        },
                    ],
                    if optional {
                        format!(
                            "match (row.{minor}, row.{currency}.as_deref()) {{\n\
                             (Some(minor), Some(currency)) => Some(\n\
                             Money::new(minor, Currency::parse(currency).map_err(corrupt)?)\n\
                             .map_err(corrupt)?,\n),\n\
                             (None, None) => None,\n\
                             _ => return Err(corrupt(DomainError::invalid(\"{name}\", \"has an amount without a currency or a currency without an amount\"))),\n}}"
                        )
                    } else {
                        format!(
                            "Money::new(\nrow.{minor},\nCurrency::parse(&row.{currency}).map_err(corrupt)?,\n)\n.map_err(corrupt)?"
                        )
                    },
                    vec![
                        member(&minor, &minor_doc, "i64", &minor_oai),
                        member(&currency, &currency_doc, "String", &currency_oai),
                    ],
                    vec![
                        out(&minor, &minor_doc, "i64", &minor_oai, minor_out),
                        out(
                            &currency,
                            &currency_doc,
                            "String",
                            &currency_oai,
                            currency_out,
                        ),
                    ],
                    String::new(),
                    [
                        some(
                            optional,
                            "Money::new(1250, Currency::parse(\"EUR\").unwrap()).unwrap()".into(),
                        ),
                        some(
                            optional,
                            "Money::new(99, Currency::parse(\"USD\").unwrap()).unwrap()".into(),
                        ),
                    ],
                    [
                        vec![
                            (minor.clone(), "json!(1250)".into()),
                            (currency.clone(), "json!(\"EUR\")".into()),
                        ],
                        vec![
                            (minor.clone(), "json!(99)".into()),
                            (currency.clone(), "json!(\"USD\")".into()),
                        ],
                    ],
                )
            }
            FieldKind::Bool => {
                let doc = "Yes or no.".to_owned();
                filters.push(Filter {
                    name: name.clone(),
                    domain_type: "bool".into(),
                    dto_type: "bool".into(),
                    to_domain: "value".into(),
                    column_value: "value".into(),
                    column_pascal: fpascal.clone(),
                    sample_query: "true".into(),
                    is_enum: false,
                    optional,
                });
                let (gt, gb) = getter_copy("bool");
                (
                    doc.clone(),
                    "bool".to_owned(),
                    (gt, gb),
                    vec![column("bool", "boolean", "", format!("{name}()"), None)],
                    format!("row.{name}"),
                    vec![plain_request(&doc, "bool")],
                    vec![plain_response(&doc, "bool", format!("{entity}.{name}()"))],
                    format!("request.{name}"),
                    [
                        some(optional, "true".into()),
                        some(optional, "false".into()),
                    ],
                    [
                        vec![(name.clone(), "json!(true)".into())],
                        vec![(name.clone(), "json!(false)".into())],
                    ],
                )
            }
            FieldKind::Date => {
                uses.date = true;
                let doc = "A calendar date, like 2026-11-30.".to_owned();
                let oai = format!("validator(max_length = 10, pattern = \"{DATE_PATTERN}\")");
                parse = check("date", false, &format!("parse_date(\"{name}\", RAW)"));
                json_invalid.push((name.clone(), "\"2026-02-30\"".into()));
                let (gt, gb) = getter_copy("NaiveDate");
                (
                    doc.clone(),
                    "NaiveDate".to_owned(),
                    (gt, gb),
                    vec![column("Date", "date", "", format!("{name}()"), None)],
                    format!("row.{name}"),
                    vec![lenient_request(&doc, "String", oai.clone())],
                    vec![DtoMember {
                        name: name.clone(),
                        doc: doc.clone(),
                        ty: opt(optional, "String"),
                        oai: Some(if optional {
                            format!("skip_serializing_if_is_none, {oai}")
                        } else {
                            oai
                        }),
                        from_entity: if optional {
                            format!("{entity}.{name}().map(|date| date.to_string())")
                        } else {
                            format!("{entity}.{name}().to_string()")
                        },
                    }],
                    String::new(),
                    [
                        some(
                            optional,
                            "NaiveDate::from_ymd_opt(1990, 12, 31).unwrap()".into(),
                        ),
                        some(
                            optional,
                            "NaiveDate::from_ymd_opt(2001, 1, 2).unwrap()".into(),
                        ),
                    ],
                    [
                        vec![(name.clone(), "json!(\"1990-12-31\")".into())],
                        vec![(name.clone(), "json!(\"2001-01-02\")".into())],
                    ],
                )
            }
            FieldKind::Timestamp => {
                uses.timestamp = true;
                let doc = "A point in time (RFC 3339, like 2026-11-30T17:05:00Z), kept to the \
                           microsecond."
                    .to_owned();
                let oai = format!("validator(max_length = 35, pattern = r\"{TIMESTAMP_PATTERN}\")");
                parse = check(
                    "timestamp",
                    false,
                    &format!("parse_timestamp(\"{name}\", RAW)"),
                );
                json_invalid.push((name.clone(), "\"2026-11-30T25:00:00Z\"".into()));
                let (gt, gb) = getter_copy("DateTime<Utc>");
                (
                    doc.clone(),
                    "DateTime<Utc>".to_owned(),
                    (gt, gb),
                    vec![column(
                        "DateTimeUtc",
                        "timestamp_with_time_zone",
                        "",
                        format!("{name}()"),
                        None,
                    )],
                    format!("row.{name}"),
                    vec![lenient_request(&doc, "String", oai)],
                    vec![plain_response(
                        &doc,
                        "DateTime<Utc>",
                        format!("{entity}.{name}()"),
                    )],
                    String::new(),
                    [
                        some(
                            optional,
                            "DateTime::from_timestamp_micros(1_767_225_600_123_456).unwrap()"
                                .into(),
                        ),
                        some(
                            optional,
                            "DateTime::from_timestamp_micros(1_700_000_000_000_000).unwrap()"
                                .into(),
                        ),
                    ],
                    [
                        vec![(
                            name.clone(),
                            "json!(\"2026-01-01T00:00:00.123456+00:00\")".into(),
                        )],
                        vec![(name.clone(), "json!(\"2023-11-14T22:13:20+00:00\")".into())],
                    ],
                )
            }
            FieldKind::Uuid => {
                uses.uuid = true;
                let doc = "A UUID.".to_owned();
                let (gt, gb) = getter_copy("Uuid");
                (
                    doc.clone(),
                    "Uuid".to_owned(),
                    (gt, gb),
                    vec![column("Uuid", "uuid", "", format!("{name}()"), None)],
                    format!("row.{name}"),
                    vec![plain_request(&doc, "Uuid")],
                    vec![plain_response(&doc, "Uuid", format!("{entity}.{name}()"))],
                    format!("request.{name}"),
                    [
                        some(optional, "Uuid::from_u128(0x1234)".into()),
                        some(optional, "Uuid::from_u128(0x5678)".into()),
                    ],
                    [
                        vec![(
                            name.clone(),
                            "json!(\"00000000-0000-0000-0000-000000001234\")".into(),
                        )],
                        vec![(
                            name.clone(),
                            "json!(\"00000000-0000-0000-0000-000000005678\")".into(),
                        )],
                    ],
                )
            }
            FieldKind::Enum { values } => {
                let ty = newtype_name.clone();
                let dto = format!("{ty}Dto");
                let variants: Vec<Variant> = values
                    .iter()
                    .map(|value| Variant {
                        pascal: pascal(value),
                        value: value.clone(),
                    })
                    .collect();
                let doc = format!("One of: {}.", values.join(", "));
                let first = &variants[0];
                let second = variants.get(1).unwrap_or(first);
                newtypes.push(Newtype {
                    kind: "enum",
                    type_name: ty.clone(),
                    field: name.clone(),
                    min: 0,
                    max: 0,
                    multi_line: false,
                    variants: variants.clone(),
                    valid_raw: quote(&first.value),
                });
                filters.push(Filter {
                    name: name.clone(),
                    domain_type: ty.clone(),
                    dto_type: dto.clone(),
                    to_domain: format!("{ty}::from(value)"),
                    column_value: "value.as_str()".into(),
                    column_pascal: fpascal.clone(),
                    sample_query: quote(&first.value),
                    is_enum: true,
                    optional,
                });
                let longest = values.iter().map(String::len).max().unwrap_or(1);
                let (gt, gb) = getter_copy(&ty);
                (
                    doc.clone(),
                    ty.clone(),
                    (gt, gb),
                    vec![Column {
                        name: name.clone(),
                        pascal: fpascal.clone(),
                        rust_type: opt(optional, "String"),
                        definition: format!(
                            "string_len{}({table}::{fpascal}, {longest})",
                            if optional { "_null" } else { "" }
                        ),
                        to_row: if optional {
                            format!("{name}().map(|value| value.as_str().to_owned())")
                        } else {
                            format!("{name}().as_str().to_owned()")
                        },
                        check: Some(format!(
                            "Expr::col({table}::{fpascal}).is_in([{}])",
                            values
                                .iter()
                                .map(|v| quote(v))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    }],
                    if optional {
                        format!(
                            "row.{name}.as_deref().map(str::parse).transpose().map_err(corrupt)?"
                        )
                    } else {
                        format!("row.{name}.parse().map_err(corrupt)?")
                    },
                    vec![plain_request(&doc, &dto)],
                    vec![plain_response(
                        &doc,
                        &dto,
                        if optional {
                            format!("{entity}.{name}().map({dto}::from)")
                        } else {
                            format!("{entity}.{name}().into()")
                        },
                    )],
                    if optional {
                        format!("request.{name}.map({ty}::from)")
                    } else {
                        format!("request.{name}.into()")
                    },
                    [
                        some(optional, format!("{ty}::{}", first.pascal)),
                        some(optional, format!("{ty}::{}", second.pascal)),
                    ],
                    [
                        vec![(name.clone(), format!("json!({})", quote(&first.value)))],
                        vec![(name.clone(), format!("json!({})", quote(&second.value)))],
                    ],
                )
            }
        };
    Field {
        name: name.clone(),
        pascal: fpascal,
        optional,
        kind: spec.kind.keyword(),
        doc,
        state_type: opt(optional, &value_type),
        value_type,
        getter_kind: if getter.0.starts_with('&') {
            "ref"
        } else if getter.0.starts_with("Option<&") {
            "opt_ref"
        } else {
            "copy"
        },
        getter_type: getter.0,
        getter_body: getter.1,
        columns,
        from_row,
        request,
        response,
        to_domain,
        parse,
        domain_sample: samples,
        json_sample: json,
        json_invalid,
        boundaries,
    }
}

fn some(optional: bool, expr: String) -> String {
    if optional {
        format!("Some({expr})")
    } else {
        expr
    }
}
