//! The pieces every type family builds a field from: its names and optionality ([`Ctx`]),
//! the shapes its columns, getters and DTO members commonly take, and what a family decides
//! ([`Parts`]).

use super::{Boundary, Column, DtoMember};
use crate::generate::field::FieldSpec;
use crate::generate::names::{Names, pascal};

/// What a family decides for one field; [`super::Field`] is made of it.
#[derive(Debug)]
pub struct Parts {
    /// A sentence for documentation: what the field holds and its rule.
    pub doc: String,
    /// The domain type, without `Option`.
    pub value_type: String,
    /// The getter's type and body.
    pub getter: (String, String),
    pub columns: Vec<Column>,
    pub from_row: String,
    pub request: Vec<DtoMember>,
    pub response: Vec<DtoMember>,
    pub to_domain: String,
    pub parse: Option<String>,
    pub domain_sample: [String; 2],
    pub json_sample: [Vec<(String, String)>; 2],
    pub json_invalid: Vec<(String, String)>,
    pub boundaries: Vec<Boundary>,
}

/// One field's names, as the families use them.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub names: &'a Names,
    /// The field's name, `credit_limit`.
    pub name: String,
    /// `CreditLimit`.
    pub pascal: String,
    pub optional: bool,
    /// The name of the field's value object, for the types that have one: `CustomerTier`.
    pub newtype: String,
}

impl<'a> Ctx<'a> {
    pub fn new(names: &'a Names, spec: &FieldSpec) -> Self {
        let field_pascal = pascal(&spec.name);
        Self {
            names,
            newtype: format!("{}{field_pascal}", names.pascal),
            name: spec.name.clone(),
            pascal: field_pascal,
            optional: spec.optional,
        }
    }

    /// The table's `Iden` enum, `Customers`.
    pub fn table(&self) -> &str {
        &self.names.plural_pascal
    }

    /// The entity's variable name in conversions, `customer`.
    pub fn entity(&self) -> &str {
        &self.names.snake
    }

    /// `ty`, or `Option<ty>` when the field is optional.
    pub fn opt(&self, ty: &str) -> String {
        opt(self.optional, ty)
    }

    /// `expr`, or `Some(expr)` when the field is optional.
    pub fn some(&self, expr: String) -> String {
        if self.optional {
            format!("Some({expr})")
        } else {
            expr
        }
    }

    /// `"_null"` for an optional column's `schema` helper.
    pub fn null(&self) -> &'static str {
        if self.optional { "_null" } else { "" }
    }

    /// The field's one column: `helper` is a `sea_orm_migration::schema` function; `args`
    /// follow the column name.
    pub fn column(
        &self,
        rust: &str,
        helper: &str,
        args: &str,
        to_row: String,
        check: Option<String>,
    ) -> Column {
        Column {
            name: self.name.clone(),
            pascal: self.pascal.clone(),
            rust_type: self.opt(rust),
            definition: format!(
                "{helper}{}({}::{}{args})",
                self.null(),
                self.table(),
                self.pascal
            ),
            to_row,
            check,
        }
    }

    /// A getter returning a reference (`&T`, `Option<&T>`).
    pub fn getter_ref(&self, ty: &str) -> (String, String) {
        let name = &self.name;
        if self.optional {
            (
                format!("Option<&{ty}>"),
                format!("self.state.{name}.as_ref()"),
            )
        } else {
            (format!("&{ty}"), format!("&self.state.{name}"))
        }
    }

    /// A getter returning a copy.
    pub fn getter_copy(&self, ty: &str) -> (String, String) {
        (self.opt(ty), format!("self.state.{}", self.name))
    }

    /// For string-like values stored as text: `customer.name().as_str().to_owned()`.
    pub fn text_to_row(&self) -> String {
        let name = &self.name;
        if self.optional {
            format!("{name}().map(|value| value.as_str().to_owned())")
        } else {
            format!("{name}().as_str().to_owned()")
        }
    }

    /// The value object `ty` parsed back from its text column.
    pub fn parse_text_from_row(&self, ty: &str) -> String {
        let name = &self.name;
        if self.optional {
            format!("row.{name}.as_deref().map({ty}::parse).transpose().map_err(corrupt)?")
        } else {
            format!("{ty}::parse(&row.{name}).map_err(corrupt)?")
        }
    }

    /// The response member of a string-like value object.
    pub fn text_response(&self, doc: &str, oai: String) -> DtoMember {
        let (name, entity) = (&self.name, self.entity());
        DtoMember {
            name: name.clone(),
            doc: doc.to_owned(),
            ty: self.opt("String"),
            oai: Some(self.skip_none(oai)),
            from_entity: if self.optional {
                format!("{entity}.{name}().map(|value| value.as_str().to_owned())")
            } else {
                format!("{entity}.{name}().as_str().to_owned()")
            },
        }
    }

    /// A request member taken as it comes (`Lenient`) and parsed by a domain constructor.
    pub fn lenient_request(&self, doc: &str, raw: &str, oai: String) -> DtoMember {
        DtoMember {
            name: self.name.clone(),
            doc: doc.to_owned(),
            ty: self.opt(&format!("Lenient<{raw}>")),
            oai: Some(oai),
            from_entity: String::new(),
        }
    }

    /// A request member whose JSON parse is its whole validation.
    pub fn plain_request(&self, doc: &str, ty: &str) -> DtoMember {
        DtoMember {
            name: self.name.clone(),
            doc: doc.to_owned(),
            ty: self.opt(ty),
            oai: None,
            from_entity: String::new(),
        }
    }

    /// A response member without a schema constraint.
    pub fn plain_response(&self, doc: &str, ty: &str, from: String) -> DtoMember {
        DtoMember {
            name: self.name.clone(),
            doc: doc.to_owned(),
            ty: self.opt(ty),
            oai: self
                .optional
                .then(|| "skip_serializing_if_is_none".to_owned()),
            from_entity: from,
        }
    }

    /// A response member's `#[oai(...)]`: an absent optional member is left out.
    pub fn skip_none(&self, oai: String) -> String {
        if self.optional {
            format!("skip_serializing_if_is_none, {oai}")
        } else {
            oai
        }
    }

    /// The member parsed by `call` (a constructor call with `RAW` for the member's value: an
    /// `i64` when `number`, else a `&str`), its error recorded under `code`, absent or not.
    pub fn check(&self, code: &str, number: bool, call: &str) -> Option<String> {
        let name = &self.name;
        let (present, required) = if number {
            ("*raw".to_owned(), format!("*request.{name}"))
        } else {
            ("raw".to_owned(), format!("&request.{name}"))
        };
        Some(if self.optional {
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
    }

    /// A boundary case of the DTO test for this field's member.
    pub fn boundary(&self, keyword: &'static str, value: &str, accepted: bool) -> Boundary {
        self.boundary_of(&self.name, keyword, value, accepted)
    }

    /// A boundary case of the DTO test for `member`.
    pub fn boundary_of(
        &self,
        member: &str,
        keyword: &'static str,
        value: &str,
        accepted: bool,
    ) -> Boundary {
        Boundary {
            member: member.to_owned(),
            keyword,
            value: value.to_owned(),
            accepted,
        }
    }

    /// The four cases of a `minimum` and a `maximum`: each bound accepted, one past refused.
    pub fn range_boundaries(&self, member: &str) -> Vec<Boundary> {
        [
            ("minimum", "bound", true),
            ("minimum", "bound - 1", false),
            ("maximum", "bound", true),
            ("maximum", "bound + 1", false),
        ]
        .into_iter()
        .map(|(keyword, value, accepted)| self.boundary_of(member, keyword, value, accepted))
        .collect()
    }

    /// A JSON member as sent in a test request: `(name, json!(value))`.
    pub fn json(&self, value: &str) -> Vec<(String, String)> {
        vec![(self.name.clone(), format!("json!({value})"))]
    }
}

/// `ty`, or `Option<ty>` when `optional`.
pub fn opt(optional: bool, ty: &str) -> String {
    if optional {
        format!("Option<{ty}>")
    } else {
        ty.to_owned()
    }
}

/// `text` as a Rust string literal.
pub fn quote(text: &str) -> String {
    format!("{text:?}")
}
