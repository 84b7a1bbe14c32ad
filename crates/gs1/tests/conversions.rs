//! Known answers for EPC URN ⇄ Digital Link conversion and canonicalisation.
//! Expected check digits were computed by hand (mod 10, weights 3-1 from the right).

use gs1::{canonical_id, to_digital_link, to_epc_urn, Gs1Error, NoPrefixes, StaticPrefixes};

/// (EPC URN, canonical Digital Link) pairs, one or more per scheme.
const PAIRS: &[(&str, &str)] = &[
    // TDS: the first digit of "107346" is the indicator, so the GTIN is 1 0614141 07346 4
    // (as in the GS1 EPCIS event-hash examples).
    (
        "urn:epc:id:sgtin:0614141.107346.2017",
        "https://id.gs1.org/01/10614141073464/21/2017",
    ),
    (
        "urn:epc:id:sgtin:0614141.007346.2017",
        "https://id.gs1.org/01/00614141073467/21/2017",
    ),
    (
        "urn:epc:id:sgtin:0614141.812345.6789",
        "https://id.gs1.org/01/80614141123458/21/6789",
    ),
    (
        "urn:epc:id:sgtin:8934567.001234.A1",
        "https://id.gs1.org/01/08934567012348/21/A1",
    ),
    (
        "urn:epc:id:sgtin:8934567.001234.a%2Fb%25c!",
        "https://id.gs1.org/01/08934567012348/21/a%2Fb%25c%21",
    ),
    (
        "urn:epc:class:lgtin:4012345.012345.998877",
        "https://id.gs1.org/01/04012345123456/10/998877",
    ),
    (
        "urn:epc:idpat:sgtin:0614141.107346.*",
        "https://id.gs1.org/01/10614141073464",
    ),
    (
        "urn:epc:id:sscc:0614141.1234567890",
        "https://id.gs1.org/00/106141412345678908",
    ),
    (
        "urn:epc:id:sscc:8934567.3000012345",
        "https://id.gs1.org/00/389345670000123458",
    ),
    // The check digit of 061414100888 is 9.
    (
        "urn:epc:id:sgln:0614141.00888.0",
        "https://id.gs1.org/414/0614141008889",
    ),
    (
        "urn:epc:id:sgln:0614141.12345.400",
        "https://id.gs1.org/414/0614141123452/254/400",
    ),
    (
        "urn:epc:id:sgln:8934567.00010.0",
        "https://id.gs1.org/414/8934567000109",
    ),
    (
        "urn:epc:id:grai:0614141.12345.400",
        "https://id.gs1.org/8003/00614141123452400",
    ),
    (
        "urn:epc:id:giai:0614141.12345400",
        "https://id.gs1.org/8004/061414112345400",
    ),
    (
        "urn:epc:id:giai:0614141.A%2FB-1",
        "https://id.gs1.org/8004/0614141A%2FB-1",
    ),
    (
        "urn:epc:id:gsrn:0614141.1234567890",
        "https://id.gs1.org/8018/061414112345678902",
    ),
    (
        "urn:epc:id:gsrnp:0614141.1234567890",
        "https://id.gs1.org/8017/061414112345678902",
    ),
    (
        "urn:epc:id:gdti:0614141.12345.400",
        "https://id.gs1.org/253/0614141123452400",
    ),
    (
        "urn:epc:id:sgcn:4012345.67890.04711",
        "https://id.gs1.org/255/401234567890104711",
    ),
    (
        "urn:epc:id:ginc:0614141.xyz47%2F11",
        "https://id.gs1.org/401/0614141xyz47%2F11",
    ),
    (
        "urn:epc:id:gsin:0614141.123456789",
        "https://id.gs1.org/402/06141411234567890",
    ),
    (
        "urn:epc:id:cpi:0614141.5PQ7%2FZ43.12345",
        "https://id.gs1.org/8010/06141415PQ7%2FZ43/8011/12345",
    ),
    (
        "urn:epc:id:cpi:0614141.12%23AB.7",
        "https://id.gs1.org/8010/061414112%23AB/8011/7",
    ),
    (
        "urn:epc:id:itip:4012345.012345.01.02.987",
        "https://id.gs1.org/8006/040123451234560102/21/987",
    ),
    (
        "urn:epc:id:upui:1234567.089456.51qIgY)%3C%26Jp3*j7'SDB",
        "https://id.gs1.org/01/01234567894560/235/51qIgY%29%3C%26Jp3%2Aj7%27SDB",
    ),
    (
        "urn:epc:id:pgln:1234567.89012",
        "https://id.gs1.org/417/1234567890128",
    ),
];

fn prefixes() -> StaticPrefixes {
    StaticPrefixes::new(["0614141", "4012345", "1234567", "8934567"])
}

#[test]
fn urn_to_digital_link_known_answers() {
    for (urn, dl) in PAIRS {
        assert_eq!(to_digital_link(urn).as_deref(), Ok(*dl), "{urn}");
        assert_eq!(canonical_id(urn), *dl, "{urn}");
    }
}

#[test]
fn digital_link_to_urn_known_answers() {
    let p = prefixes();
    for (urn, dl) in PAIRS {
        assert_eq!(to_epc_urn(dl, &p).as_deref(), Ok(*urn), "{dl}");
        // A URN comes back as itself (canonical already).
        assert_eq!(to_epc_urn(urn, &NoPrefixes).as_deref(), Ok(*urn), "{urn}");
    }
}

#[test]
fn urn_is_canonicalised() {
    // Upper-case prefix, unneeded escape (%41 = A) are normalised.
    assert_eq!(
        to_epc_urn("URN:EPC:ID:sgtin:0614141.107346.%41", &NoPrefixes).as_deref(),
        Ok("urn:epc:id:sgtin:0614141.107346.A")
    );
}

#[test]
fn digital_link_on_other_domains_converts() {
    let p = prefixes();
    assert_eq!(
        to_epc_urn(
            "https://shop.example.vn/p/01/8934567012348/21/A1?17=261231",
            &p
        )
        .as_deref(),
        Ok("urn:epc:id:sgtin:8934567.001234.A1")
    );
    assert_eq!(
        to_digital_link("http://example.com/01/8934567012348/10/LOT%2042x").unwrap_err(),
        Gs1Error::InvalidChar {
            what: "AI (10)".into(),
            pos: 3,
            ch: ' ',
            charset: "GS1 character set 82"
        }
    );
}

#[test]
fn unknown_prefix_is_named() {
    assert_eq!(
        to_epc_urn("https://id.gs1.org/01/09520123456788/21/1", &NoPrefixes),
        Err(Gs1Error::UnknownCompanyPrefix {
            key: "GTIN",
            digits: "09520123456788".into()
        })
    );
    let msg = to_epc_urn("https://id.gs1.org/414/0614141000005", &NoPrefixes)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("company prefix length unknown"), "{msg}");
}

#[test]
fn digital_links_without_epc_form() {
    let p = prefixes();
    for dl in [
        "https://id.gs1.org/01/00614141073467/22/V1",
        "https://id.gs1.org/01/00614141073467/10/L/21/S",
        "https://id.gs1.org/8003/00614141123452",
        "https://id.gs1.org/253/0614141123452",
        "https://id.gs1.org/8006/040123451234560102",
    ] {
        assert!(
            matches!(to_epc_urn(dl, &p), Err(Gs1Error::NoEpcForm { .. })),
            "{dl}"
        );
    }
}

/// Recognises the expected error.
type ErrorCheck = fn(&Gs1Error) -> bool;

#[test]
fn bad_urns() {
    let cases: &[(&str, ErrorCheck)] = &[
        ("urn:epc:id:sgtin:0614141.10734.2017", |e| {
            matches!(e, Gs1Error::InvalidEpcUrn { .. })
        }),
        ("urn:epc:id:sgtin:0614141.107346", |e| {
            matches!(e, Gs1Error::InvalidEpcUrn { .. })
        }),
        ("urn:epc:id:sgtin:06141.4107346X.1", |e| {
            matches!(e, Gs1Error::CompanyPrefixLength { len: 5, .. })
        }),
        ("urn:epc:id:sgtin:0614141.107346.a%2", |e| {
            matches!(e, Gs1Error::PercentEncoding { .. })
        }),
        ("urn:epc:id:sgtin:0614141.107346.a b", |e| {
            matches!(e, Gs1Error::InvalidChar { .. })
        }),
        ("urn:epc:id:sgtin:0614141.107346.", |e| {
            matches!(e, Gs1Error::InvalidEpcUrn { .. })
        }),
        ("urn:epc:id:foo:1.2", |e| {
            matches!(e, Gs1Error::UnsupportedScheme(_))
        }),
        ("urn:epc:class:sgtin:0614141.107346.1", |e| {
            matches!(e, Gs1Error::UnsupportedScheme(_))
        }),
        ("urn:epc:idpat:sgtin:0614141.*.*", |e| {
            matches!(e, Gs1Error::InvalidEpcUrn { .. })
        }),
        ("urn:epc:id:itip:4012345.012345.00.02.9", |e| {
            matches!(e, Gs1Error::AiRule { .. })
        }),
        ("urn:epc:id:cpi:0614141.ab.1", |e| {
            matches!(e, Gs1Error::InvalidChar { .. })
        }),
        ("urn:isbn:123", |e| matches!(e, Gs1Error::NotGs1(_))),
    ];
    for (urn, want) in cases {
        let err = to_digital_link(urn).unwrap_err();
        assert!(want(&err), "{urn}: {err:?}");
    }
}

#[test]
fn canonical_id_never_fails() {
    for other in [
        "urn:epc:id:sgtin:0614141.107346",
        "https://example.com/products/42",
        "https://id.gs1.org/01/09520123456787",
        "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "",
        "http://",
        "urn:epc:",
        "urn:epc:idpat:sgtin:0614141.*.*",
        "https://x/01/%ZZ",
        "https://x/01/é",
    ] {
        assert_eq!(canonical_id(other), other);
    }
    assert_eq!(
        canonical_id("https://shop.example.vn/01/8934567012348/21/A1?linkType=all"),
        "https://id.gs1.org/01/08934567012348/21/A1"
    );
    let canonical = "https://id.gs1.org/01/08934567012348/21/A1";
    assert!(matches!(
        canonical_id(canonical),
        std::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn hand_built_digital_link_does_not_panic() {
    let dl = gs1::DigitalLink {
        primary: gs1::AiValue {
            ai: "01",
            value: "123".into(),
        },
        qualifiers: vec![],
        attributes: vec![],
    };
    let p = StaticPrefixes::new(["1234567"]);
    assert!(gs1::epc::digital_link_to_urn(&dl, &p).is_err());
}
