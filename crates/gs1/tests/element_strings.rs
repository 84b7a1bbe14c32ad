//! GS1 element strings: parsing, formatting, and translation to and from Digital Links.

use gs1::element::{digital_link_to_element_string, element_string_to_digital_link, GS};
use gs1::{format_bracketed, format_unbracketed, parse_element_string, AiValue, Gs1Error};

fn pairs(elements: &[AiValue]) -> Vec<(&str, &str)> {
    elements.iter().map(|e| (e.ai, e.value.as_str())).collect()
}

#[test]
fn bracketed_round_trip() {
    let text = "(01)09520123456788(10)ABC(17)261231";
    let els = parse_element_string(text).unwrap();
    assert_eq!(
        pairs(&els),
        [("01", "09520123456788"), ("10", "ABC"), ("17", "261231")]
    );
    assert_eq!(format_bracketed(&els), text);
    assert_eq!(
        format_unbracketed(&els),
        "0109520123456788".to_string() + "10ABC\u{1d}17261231"
    );
}

#[test]
fn unbracketed_with_fnc1() {
    let text = format!("]C10108934567012348{}21A(1)B{GS}10L1{GS}3103001250", "");
    let els = parse_element_string(&text).unwrap();
    assert_eq!(
        pairs(&els),
        [
            ("01", "08934567012348"),
            ("21", "A(1)B"),
            ("10", "L1"),
            ("3103", "001250")
        ]
    );
    assert_eq!(
        format_bracketed(&els),
        "(01)08934567012348(21)A\\(1)B(10)L1(3103)001250"
    );
    assert_eq!(parse_element_string(&format_bracketed(&els)).unwrap(), els);
    assert_eq!(
        parse_element_string(&format_unbracketed(&els)).unwrap(),
        els
    );
}

#[test]
fn element_errors() {
    assert!(matches!(
        parse_element_string("(01)09520123456787"),
        Err(Gs1Error::CheckDigit {
            key: "GTIN",
            expected: 8,
            found: 7,
            ..
        })
    ));
    assert_eq!(
        parse_element_string("(9999)x"),
        Err(Gs1Error::UnknownAi("9999".into()))
    );
    assert!(matches!(
        parse_element_string("(01"),
        Err(Gs1Error::ElementString { .. })
    ));
    assert!(matches!(
        parse_element_string("x(01)"),
        Err(Gs1Error::ElementString { pos: 0, .. })
    ));
    assert!(matches!(
        parse_element_string("010952012345"),
        Err(Gs1Error::ElementString { .. })
    ));
    assert!(matches!(
        parse_element_string("(17)261331"),
        Err(Gs1Error::AiRule { .. })
    ));
    assert!(matches!(
        parse_element_string("(10)123456789012345678901"),
        Err(Gs1Error::Length { .. })
    ));
    assert!(matches!(
        parse_element_string(""),
        Err(Gs1Error::ElementString { .. })
    ));
}

#[test]
fn element_string_to_and_from_digital_link() {
    let dl = element_string_to_digital_link("(01)09520123456788(17)261231(21)S1(10)ABC").unwrap();
    assert_eq!(
        dl.canonical(),
        "https://id.gs1.org/01/09520123456788/10/ABC/21/S1"
    );
    assert_eq!(
        dl.to_uri("https://id.gs1.org"),
        "https://id.gs1.org/01/09520123456788/10/ABC/21/S1?17=261231"
    );
    assert_eq!(
        digital_link_to_element_string(
            "https://example.com/01/09520123456788/10/ABC/21/S1?17=261231&linkType=gs1:pip"
        )
        .unwrap(),
        "(01)09520123456788(10)ABC(21)S1(17)261231"
    );
    let sscc = element_string_to_digital_link("(00)389345670000123458(403)R1").unwrap();
    assert_eq!(sscc.canonical(), "https://id.gs1.org/00/389345670000123458");
    let gln = element_string_to_digital_link("(414)8934567000109(254)K2").unwrap();
    assert_eq!(
        gln.canonical(),
        "https://id.gs1.org/414/8934567000109/254/K2"
    );
    assert!(matches!(
        element_string_to_digital_link("(10)ABC(17)261231"),
        Err(Gs1Error::NotDigitalLink { .. })
    ));
}
