//! Fields whose JSON parse is their whole validation: bools, UUIDs and enums (a value object
//! and its DTO enum each). Bools and enums are also the list's filters.

use super::context::{Ctx, Parts, quote};
use super::{Collected, Column, Filter, Newtype, Variant};
use crate::generate::names::pascal;

/// `bool`.
pub fn boolean(ctx: &Ctx, out: &mut Collected) -> Parts {
    let (name, entity) = (&ctx.name, ctx.entity());
    let doc = "Yes or no.".to_owned();
    out.filters.push(Filter {
        name: name.clone(),
        domain_type: "bool".into(),
        dto_type: "bool".into(),
        to_domain: "value".into(),
        column_value: "value".into(),
        column_pascal: ctx.pascal.clone(),
        sample_query: "true".into(),
        is_enum: false,
        optional: ctx.optional,
    });
    Parts {
        getter: ctx.getter_copy("bool"),
        columns: vec![ctx.column("bool", "boolean", "", format!("{name}()"), None)],
        from_row: format!("row.{name}"),
        request: vec![ctx.plain_request(&doc, "bool")],
        response: vec![ctx.plain_response(&doc, "bool", format!("{entity}.{name}()"))],
        to_domain: format!("request.{name}"),
        parse: None,
        domain_sample: [ctx.some("true".into()), ctx.some("false".into())],
        json_sample: [ctx.json("true"), ctx.json("false")],
        json_invalid: Vec::new(),
        boundaries: Vec::new(),
        doc,
        value_type: "bool".to_owned(),
    }
}

/// `uuid`.
pub fn uuid(ctx: &Ctx, out: &mut Collected) -> Parts {
    let (name, entity) = (&ctx.name, ctx.entity());
    out.uses.uuid = true;
    let doc = "A UUID.".to_owned();
    Parts {
        getter: ctx.getter_copy("Uuid"),
        columns: vec![ctx.column("Uuid", "uuid", "", format!("{name}()"), None)],
        from_row: format!("row.{name}"),
        request: vec![ctx.plain_request(&doc, "Uuid")],
        response: vec![ctx.plain_response(&doc, "Uuid", format!("{entity}.{name}()"))],
        to_domain: format!("request.{name}"),
        parse: None,
        domain_sample: [
            ctx.some("Uuid::from_u128(0x1234)".into()),
            ctx.some("Uuid::from_u128(0x5678)".into()),
        ],
        json_sample: [
            ctx.json("\"00000000-0000-0000-0000-000000001234\""),
            ctx.json("\"00000000-0000-0000-0000-000000005678\""),
        ],
        json_invalid: Vec::new(),
        boundaries: Vec::new(),
        doc,
        value_type: "Uuid".to_owned(),
    }
}

/// `enum[a,b,...]`: stored as its value's text, with a `CHECK` naming every value.
pub fn enumeration(ctx: &Ctx, values: &[String], out: &mut Collected) -> Parts {
    let (name, entity, optional) = (&ctx.name, ctx.entity(), ctx.optional);
    let ty = ctx.newtype.clone();
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
    out.newtypes.push(Newtype {
        kind: "enum",
        type_name: ty.clone(),
        field: name.clone(),
        min: 0,
        max: 0,
        multi_line: false,
        variants: variants.clone(),
        valid_raw: quote(&first.value),
    });
    out.filters.push(Filter {
        name: name.clone(),
        domain_type: ty.clone(),
        dto_type: dto.clone(),
        to_domain: format!("{ty}::from(value)"),
        column_value: "value.as_str()".into(),
        column_pascal: ctx.pascal.clone(),
        sample_query: quote(&first.value),
        is_enum: true,
        optional,
    });
    let longest = values.iter().map(String::len).max().unwrap_or(1);
    let (table, column_pascal) = (ctx.table(), &ctx.pascal);
    let column = Column {
        name: name.clone(),
        pascal: column_pascal.clone(),
        rust_type: ctx.opt("String"),
        definition: format!(
            "string_len{}({table}::{column_pascal}, {longest})",
            ctx.null()
        ),
        to_row: ctx.text_to_row(),
        check: Some(format!(
            "Expr::col({table}::{column_pascal}).is_in([{}])",
            values
                .iter()
                .map(|v| quote(v))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    };
    let (from_row, from_entity, to_domain) = if optional {
        (
            format!("row.{name}.as_deref().map(str::parse).transpose().map_err(corrupt)?"),
            format!("{entity}.{name}().map({dto}::from)"),
            format!("request.{name}.map(Into::into)"),
        )
    } else {
        (
            format!("row.{name}.parse().map_err(corrupt)?"),
            format!("{entity}.{name}().into()"),
            format!("request.{name}.into()"),
        )
    };
    Parts {
        getter: ctx.getter_copy(&ty),
        columns: vec![column],
        from_row,
        request: vec![ctx.plain_request(&doc, &dto)],
        response: vec![ctx.plain_response(&doc, &dto, from_entity)],
        to_domain,
        parse: None,
        domain_sample: [
            ctx.some(format!("{ty}::{}", first.pascal)),
            ctx.some(format!("{ty}::{}", second.pascal)),
        ],
        json_sample: [
            ctx.json(&quote(&first.value)),
            ctx.json(&quote(&second.value)),
        ],
        json_invalid: Vec::new(),
        boundaries: Vec::new(),
        doc,
        value_type: ty,
    }
}
