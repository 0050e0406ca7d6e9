//! What the templates are given: for each field, the Rust it needs in each layer (its domain
//! type, its column(s), its DTO member and rule, its conversions, sample values for tests).
//! The per-type decisions live in one module per family of types ([`text`], [`numbers`],
//! [`time`], [`plain`]), built from the pieces every type shares ([`context`]); the templates
//! only lay files out.

mod context;
mod numbers;
mod plain;
mod text;
mod time;

use serde::Serialize;

use self::context::{Ctx, Parts, opt};
use super::field::{FieldKind, FieldSpec, TEXT_MAX_CHARS};
use super::names::Names;

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
    /// An optional timestamp (its response member is written by `rfc3339_option`).
    pub optional_timestamp: bool,
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
    pub response: Vec<ResponseMember>,
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

/// A response member and its `#[serde(...)]`: the rendering writes responses with serde
/// (its `api::json_body`), so each `#[oai]` wire rule has its serde twin, derived here from the
/// member and never written twice by a family.
#[derive(Debug, Clone, Serialize)]
pub struct ResponseMember {
    #[serde(flatten)]
    pub member: DtoMember,
    /// The `#[serde(...)]` contents, if any.
    pub serde: Option<String>,
}

impl ResponseMember {
    fn new(member: DtoMember) -> Self {
        let skipped_when_absent = member
            .oai
            .as_deref()
            .is_some_and(|oai| oai.contains("skip_serializing_if_is_none"));
        let timestamp = member.ty.contains("DateTime<Utc>");
        let mut rules = Vec::new();
        if skipped_when_absent {
            rules.push(r#"skip_serializing_if = "Option::is_none""#);
        }
        match (timestamp, member.ty.starts_with("Option<")) {
            (true, true) => rules.push(r#"serialize_with = "rfc3339_option""#),
            (true, false) => rules.push(r#"serialize_with = "rfc3339""#),
            (false, _) => {}
        }
        let serde = (!rules.is_empty()).then(|| rules.join(", "));
        Self { member, serde }
    }
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

/// What the fields contribute to the resource besides themselves, in field order.
#[derive(Debug, Default)]
struct Collected {
    uses: Uses,
    newtypes: Vec<Newtype>,
    filters: Vec<Filter>,
}

impl Resource {
    pub fn new(names: Names, fields: &[FieldSpec], auth: bool, migration: String) -> Self {
        let mut collected = Collected::default();
        let models: Vec<Field> = fields
            .iter()
            .map(|spec| field(&names, spec, &mut collected))
            .collect();
        let Collected {
            mut uses,
            newtypes,
            filters,
        } = collected;
        uses.validated = models.iter().any(|field| field.parse.is_some());
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

/// One field in every layer: its family decides the parts, the rest follows from them.
fn field(names: &Names, spec: &FieldSpec, out: &mut Collected) -> Field {
    let ctx = Ctx::new(names, spec);
    let parts = match &spec.kind {
        FieldKind::String { min, max } => text::free_text(&ctx, *min, *max, false, out),
        FieldKind::Text => text::free_text(&ctx, 0, TEXT_MAX_CHARS, true, out),
        FieldKind::Url => text::url(&ctx, out),
        FieldKind::Email => text::email(&ctx, out),
        FieldKind::Int { min, max } => numbers::int(&ctx, *min, *max, out),
        FieldKind::Money => numbers::money(&ctx, out),
        FieldKind::Date => time::date(&ctx, out),
        FieldKind::Timestamp => time::timestamp(&ctx, out),
        FieldKind::Bool => plain::boolean(&ctx, out),
        FieldKind::Uuid => plain::uuid(&ctx, out),
        FieldKind::Enum { values } => plain::enumeration(&ctx, values, out),
    };
    let Parts {
        doc,
        value_type,
        getter: (getter_type, getter_body),
        columns,
        from_row,
        request,
        response,
        to_domain,
        parse,
        domain_sample,
        json_sample,
        json_invalid,
        boundaries,
    } = parts;
    Field {
        name: ctx.name,
        pascal: ctx.pascal,
        optional: ctx.optional,
        kind: spec.kind.keyword(),
        doc,
        state_type: opt(ctx.optional, &value_type),
        value_type,
        getter_kind: if getter_type.starts_with('&') {
            "ref"
        } else if getter_type.starts_with("Option<&") {
            "opt_ref"
        } else {
            "copy"
        },
        getter_type,
        getter_body,
        columns,
        from_row,
        request,
        response: response.into_iter().map(ResponseMember::new).collect(),
        to_domain,
        parse,
        domain_sample,
        json_sample,
        json_invalid,
        boundaries,
    }
}
