//! Numbers: bounded integers (a value object each, stored as `BIGINT` with a `CHECK`) and
//! money (the shared `Money`: two members and two columns, the amount in minor units and the
//! ISO 4217 currency, given together or, when optional, not at all).

use super::context::{Ctx, Parts, opt};
use super::{Collected, Column, DtoMember, Newtype};
use crate::generate::names::pascal;

/// 2^53 - 1, as `domain::values::MAX_AMOUNT_MINOR`.
const MAX_AMOUNT: &str = "9007199254740991";

/// `int[MIN..MAX]`.
pub fn int(ctx: &Ctx, min: i64, max: i64, out: &mut Collected) -> Parts {
    let (name, entity) = (&ctx.name, ctx.entity());
    let ty = ctx.newtype.clone();
    out.uses.newtype_int = true;
    out.newtypes.push(Newtype {
        kind: "int",
        type_name: ty.clone(),
        field: name.clone(),
        min,
        max,
        multi_line: false,
        variants: Vec::new(),
        valid_raw: min.to_string(),
    });
    let doc = format!("A whole number from {min} to {max}.");
    let oai = format!("validator(minimum(value = \"{min}\"), maximum(value = \"{max}\"))");
    let s2 = if max > min { min + 1 } else { min };
    let (to_row, from_entity, from_row) = if ctx.optional {
        (
            format!("{name}().map(|value| value.get())"),
            format!("{entity}.{name}().map(|value| value.get())"),
            format!("row.{name}.map({ty}::new).transpose().map_err(corrupt)?"),
        )
    } else {
        (
            format!("{name}().get()"),
            format!("{entity}.{name}().get()"),
            format!("{ty}::new(row.{name}).map_err(corrupt)?"),
        )
    };
    let check = format!(
        "Expr::col({}::{}).between({min}i64, {max}i64)",
        ctx.table(),
        ctx.pascal
    );
    Parts {
        getter: ctx.getter_copy(&ty),
        columns: vec![ctx.column("i64", "big_integer", "", to_row, Some(check))],
        from_row,
        request: vec![ctx.lenient_request(&doc, "i64", oai.clone())],
        response: vec![DtoMember {
            name: name.clone(),
            doc: doc.clone(),
            ty: ctx.opt("i64"),
            oai: Some(ctx.skip_none(oai)),
            from_entity,
        }],
        to_domain: String::new(),
        parse: ctx.check("range", true, &format!("{ty}::new(RAW)")),
        domain_sample: [
            ctx.some(format!("{ty}::new({min}).unwrap()")),
            ctx.some(format!("{ty}::new({s2}).unwrap()")),
        ],
        json_sample: [ctx.json(&min.to_string()), ctx.json(&s2.to_string())],
        json_invalid: vec![(name.clone(), format!("{}", i128::from(max) + 1))],
        boundaries: ctx.range_boundaries(name),
        doc,
        value_type: ty,
    }
}

/// `money`: `NAME_minor` and `NAME_currency`.
pub fn money(ctx: &Ctx, out: &mut Collected) -> Parts {
    let (name, entity, optional) = (&ctx.name, ctx.entity(), ctx.optional);
    out.uses.money = true;
    if optional {
        out.uses.optional_money = true;
    }
    let minor = format!("{name}_minor");
    let currency = format!("{name}_currency");
    let doc = "An amount of money: minor units (cents for EUR) and currency.".to_owned();
    let minor_doc = format!(
        "The amount of `{name}` in the currency's minor unit (cents for EUR); greater than \
         zero and at most 2^53 - 1."
    );
    let currency_doc =
        format!("The ISO 4217 currency of `{name}`: three capital letters, like `EUR`.");
    let minor_oai = format!("validator(minimum(value = \"1\"), maximum(value = \"{MAX_AMOUNT}\"))");
    let currency_oai = "validator(max_length = 3, pattern = \"^[A-Z]{3}$\")".to_owned();
    let parse = if optional {
        format!(
            "optional_money(\n&mut errors,\n(\"{minor}\", \"{currency}\"),\nrequest.{minor}.as_deref().copied(),\nrequest.{currency}.as_deref().map(String::as_str),\n)"
        )
    } else {
        format!(
            "money(\n&mut errors,\n(\"{minor}\", \"{currency}\"),\n*request.{minor},\n&request.{currency},\n)"
        )
    };
    let member = |member: &str, doc: &str, raw: &str, oai: &str| DtoMember {
        name: member.to_owned(),
        doc: doc.to_owned(),
        ty: ctx.opt(&format!("Lenient<{raw}>")),
        oai: Some(oai.to_owned()),
        from_entity: String::new(),
    };
    let out_member = |member: &str, doc: &str, raw: &str, oai: &str, from: String| DtoMember {
        name: member.to_owned(),
        doc: doc.to_owned(),
        ty: ctx.opt(raw),
        oai: Some(ctx.skip_none(oai.to_owned())),
        from_entity: from,
    };
    let (minor_row, currency_row, minor_out, currency_out) = if optional {
        (
            format!("{name}().map(|money| money.amount_minor())"),
            format!("{name}().map(|money| money.currency().as_str().to_owned())"),
            format!("{entity}.{name}().map(|money| money.amount_minor())"),
            format!("{entity}.{name}().map(|money| money.currency().as_str().to_owned())"),
        )
    } else {
        (
            format!("{name}().amount_minor()"),
            format!("{name}().currency().as_str().to_owned()"),
            format!("{entity}.{name}().amount_minor()"),
            format!("{entity}.{name}().currency().as_str().to_owned()"),
        )
    };
    let (table, null) = (ctx.table(), ctx.null());
    let mpascal = pascal(&minor);
    let cpascal = pascal(&currency);
    let columns = vec![
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
    ];
    let from_row = if optional {
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
    };
    let boundaries = ctx.range_boundaries(&minor);
    Parts {
        getter: ctx.getter_copy("Money"),
        columns,
        from_row,
        request: vec![
            member(&minor, &minor_doc, "i64", &minor_oai),
            member(&currency, &currency_doc, "String", &currency_oai),
        ],
        response: vec![
            out_member(&minor, &minor_doc, "i64", &minor_oai, minor_out),
            out_member(
                &currency,
                &currency_doc,
                "String",
                &currency_oai,
                currency_out,
            ),
        ],
        to_domain: String::new(),
        parse: Some(parse),
        domain_sample: [
            ctx.some("Money::new(1250, Currency::parse(\"EUR\").unwrap()).unwrap()".into()),
            ctx.some("Money::new(99, Currency::parse(\"USD\").unwrap()).unwrap()".into()),
        ],
        json_sample: [
            vec![
                (minor.clone(), "json!(1250)".into()),
                (currency.clone(), "json!(\"EUR\")".into()),
            ],
            vec![
                (minor.clone(), "json!(99)".into()),
                (currency.clone(), "json!(\"USD\")".into()),
            ],
        ],
        json_invalid: vec![(minor, "0".into()), (currency, "\"euro\"".into())],
        boundaries,
        doc,
        value_type: "Money".to_owned(),
    }
}
