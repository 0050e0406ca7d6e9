//! Every type parses with its constraints; every mistake is explained.

use super::*;

fn parse(spec: &str) -> Result<FieldSpec, String> {
    parse_field(spec).map_err(|err| err.0)
}

#[test]
fn every_type_parses_with_its_constraints() {
    let cases = [
        (
            "name:string[1..100]",
            FieldKind::String { min: 1, max: 100 },
        ),
        ("bio:text", FieldKind::Text),
        ("email:email", FieldKind::Email),
        ("site:url", FieldKind::Url),
        ("score:int[-5..1000]", FieldKind::Int { min: -5, max: 1000 }),
        ("limit_eur:money", FieldKind::Money),
        ("active:bool", FieldKind::Bool),
        ("born_on:date", FieldKind::Date),
        ("seen_at:timestamp", FieldKind::Timestamp),
        ("external_ref:uuid", FieldKind::Uuid),
        (
            "tier:enum[free,pro,gold_plus]",
            FieldKind::Enum {
                values: vec!["free".into(), "pro".into(), "gold_plus".into()],
            },
        ),
    ];
    for (spec, kind) in cases {
        let field = parse(spec).unwrap();
        assert_eq!(field.kind, kind, "{spec}");
        assert!(!field.optional, "{spec}");
    }
    let optional = parse("born_on:date?").unwrap();
    assert!(optional.optional);
    assert_eq!(optional.kind, FieldKind::Date);
    let bounded = parse("code:string[3..3]?").unwrap();
    assert_eq!(bounded.kind, FieldKind::String { min: 3, max: 3 });
    assert!(bounded.optional);
}

#[test]
fn mistakes_are_explained() {
    let cases = [
        ("name", "is not a field"),
        ("name:strin[1..3]", "unknown type `strin`"),
        ("name:blob", "unknown type `blob`"),
        ("name:string", "needs its length bounds"),
        ("name:string[5..1]", "is not a range"),
        ("name:string[a..b]", "is not a range"),
        ("name:string[1..100", "unclosed"),
        ("name:string[0..0]", "1 to 10000"),
        ("name:string[-1..4]", "cannot be negative"),
        ("score:int", "needs its range"),
        ("score:int[0..9007199254740992]", "2^53 - 1"),
        ("active:bool[1..2]", "takes no constraint"),
        ("tier:enum", "needs its values"),
        ("tier:enum[]", "enum value ``"),
        ("tier:enum[Free,pro]", "lower snake case"),
        ("tier:enum[free,free]", "given twice"),
        ("Name:text", "lower snake case"),
        ("2fa:bool", "lower snake case"),
        ("a__b:bool", "lower snake case"),
        ("id:uuid", "reserved"),
        ("owner:text", "reserved"),
        ("version:int[0..1]", "reserved"),
        ("created_at:timestamp", "reserved"),
        ("type:text", "reserved"),
        ("match:bool", "reserved"),
    ];
    for (spec, expected) in cases {
        let err = parse(spec).unwrap_err();
        assert!(err.contains(expected), "{spec}: {err}");
    }
}

#[test]
fn duplicates_are_refused_including_the_columns_of_money() {
    let fields = |specs: &[&str]| {
        parse_fields(&specs.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
            .map_err(|err| err.0)
    };
    assert!(fields(&["a:bool", "b:text"]).is_ok());
    assert!(fields(&["a:bool", "a:text"]).unwrap_err().contains("twice"));
    let err = fields(&["price:money", "price_minor:int[0..1]"]).unwrap_err();
    assert!(err.contains("already taken by `price`"), "{err}");
    assert!(fields(&[]).unwrap_err().contains("at least one field"));
}
