//! Hand-written vectors and properties for the Digital Link rules the resolver relies on:
//! strict data attributes, legacy short names, element string ⇄ Digital Link both ways.

use gs1::dl::encode_value;
use gs1::element::{digital_link_to_element_string, element_string_to_digital_link};
use gs1::{check_digit, DigitalLink, Gs1Error, ParseOptions};
use proptest::prelude::*;

fn strict(uri: &str) -> Result<DigitalLink, Gs1Error> {
    DigitalLink::parse_with(uri, ParseOptions::STRICT)
}

#[test]
fn strict_attributes_accept_data_attributes_and_other_keys() {
    let dl = strict("https://a.b/01/09520123456788/10/L1?17=261231&3103=000250&linkType=gs1:pip")
        .unwrap();
    assert_eq!(dl.attributes.len(), 3);
    assert_eq!(dl.ai_attributes().unwrap().len(), 2);
}

#[test]
fn strict_attributes_refusals_name_the_ai() {
    let refused = |uri: &str, want: &str| match strict(uri) {
        Err(Gs1Error::AttributeNotAllowed { ai, .. }) => assert_eq!(ai, want, "{uri}"),
        other => panic!("{uri}: {other:?}"),
    };
    // A serial is a key qualifier: it belongs in the path.
    refused("https://a.b/01/09520123456788?21=X", "21");
    // The lot is already in the path.
    refused("https://a.b/01/09520123456788/10/L?10=M", "10");
    // Repeated attribute.
    refused("https://a.b/01/09520123456788?17=261231&17=261230", "17");
    assert_eq!(
        strict("https://a.b/01/09520123456788?9999=1"),
        Err(Gs1Error::UnknownAi("9999".into()))
    );
    // Bad date in an attribute value.
    assert!(strict("https://a.b/01/09520123456788?17=261331").is_err());
    // The lenient parser keeps such queries (identities ignore them).
    assert!(DigitalLink::parse("https://a.b/01/09520123456788?21=X").is_ok());
}

#[test]
fn legacy_short_names_only_behind_the_option() {
    let uri = "https://brand.example/gtin/09520123456788/lot/L1/ser/S1";
    assert!(DigitalLink::parse(uri).is_err());
    let legacy = ParseOptions {
        legacy: true,
        ..ParseOptions::default()
    };
    assert_eq!(
        DigitalLink::parse_with(uri, legacy).unwrap().canonical(),
        "https://id.gs1.org/01/09520123456788/10/L1/21/S1"
    );
    assert_eq!(
        DigitalLink::parse_with("https://x.y/gln/0614141000005/glnx/7", legacy)
            .unwrap()
            .canonical(),
        "https://id.gs1.org/414/0614141000005/254/7"
    );
}

#[test]
fn element_string_both_ways() {
    let dl = element_string_to_digital_link("(01)09520123456788(17)261231(10)ABC(21)7").unwrap();
    assert_eq!(
        dl.canonical(),
        "https://id.gs1.org/01/09520123456788/10/ABC/21/7"
    );
    assert_eq!(
        dl.to_uri("https://id.gs1.org"),
        "https://id.gs1.org/01/09520123456788/10/ABC/21/7?17=261231"
    );
    assert_eq!(
        digital_link_to_element_string("https://a.b/01/09520123456788/10/ABC?17=261231").unwrap(),
        "(01)09520123456788(10)ABC(17)261231"
    );
}

fn gtin() -> impl Strategy<Value = String> {
    "[0-9]{13}".prop_map(|body| {
        let cd = check_digit(&body).unwrap_or_else(|_| unreachable!());
        format!("{body}{cd}")
    })
}

fn cset82(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::sample::select(
            "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
                .chars()
                .collect::<Vec<_>>(),
        ),
        1..=max,
    )
    .prop_map(|c| c.into_iter().collect())
}

proptest! {
    /// Building a URI from decoded values, parsing it back gives the same values, on any stem.
    #[test]
    fn digital_link_round_trip(gtin in gtin(), lot in cset82(20), serial in cset82(20),
                               stem in "(/[a-z]{1,8}){0,2}") {
        let uri = format!(
            "https://brand.example{stem}/01/{gtin}/10/{}/21/{}",
            encode_value(&lot),
            encode_value(&serial)
        );
        let dl = strict(&uri).unwrap();
        prop_assert_eq!(dl.qualifier("10"), Some(lot.as_str()));
        prop_assert_eq!(dl.qualifier("21"), Some(serial.as_str()));
        prop_assert_eq!(strict(&dl.canonical()).unwrap(), dl.clone());
        // Element string and back.
        let es = digital_link_to_element_string(&dl.canonical()).unwrap();
        prop_assert_eq!(element_string_to_digital_link(&es).unwrap(), dl);
    }

    /// Changing any single digit of a GTIN breaks its check digit.
    #[test]
    fn one_wrong_digit_is_caught(gtin in gtin(), pos in 0usize..14, delta in 1u8..10) {
        let mut digits: Vec<u8> = gtin.bytes().collect();
        digits[pos] = b'0' + (digits[pos] - b'0' + delta) % 10;
        let bad = String::from_utf8(digits).unwrap();
        let parsed = strict(&format!("https://a.b/01/{bad}"));
        prop_assert!(
            matches!(parsed, Err(Gs1Error::CheckDigit { .. })),
            "GTIN {} should fail", bad
        );
    }
}
