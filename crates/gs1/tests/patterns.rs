//! EPC pattern URNs as SQL LIKE patterns over canonical Digital Links.

use gs1::{pattern_to_like, Gs1Error};

fn like(p: &str) -> String {
    match pattern_to_like(p) {
        Some(Ok(s)) => s,
        other => panic!("{p}: {other:?}"),
    }
}

#[test]
fn sgtin_patterns() {
    // Serial unknown: the GTIN is complete (indicator 1 leads).
    assert_eq!(
        like("urn:epc:idpat:sgtin:0614141.107346.*"),
        "https://id.gs1.org/01/10614141073464/21/%"
    );
    assert_eq!(
        like("urn:epc:idpat:sgtin:8934567.001234.*"),
        "https://id.gs1.org/01/08934567012348/21/%"
    );
    // Item reference unknown: indicator, item reference and check digit are one `_` each.
    assert_eq!(
        like("urn:epc:idpat:sgtin:0614141.*.*"),
        "https://id.gs1.org/01/_0614141______/21/%"
    );
    assert_eq!(
        like("urn:epc:idpat:sgtin:893456789.*.*"),
        "https://id.gs1.org/01/_893456789____/21/%"
    );
    assert_eq!(
        like("urn:epc:idpat:sgtin:*.*.*"),
        "https://id.gs1.org/01/______________/21/%"
    );
    // Nothing unknown; LIKE metacharacters in the serial are escaped after percent-encoding.
    assert_eq!(
        like("urn:epc:idpat:sgtin:0614141.107346.a_b%25"),
        "https://id.gs1.org/01/10614141073464/21/a\\_b\\%25"
    );
    assert_eq!(
        like("URN:EPC:IDPAT:sgtin:0614141.107346.2017"),
        "https://id.gs1.org/01/10614141073464/21/2017"
    );
}

#[test]
fn other_schemes() {
    assert_eq!(
        like("urn:epc:idpat:sscc:0614141.*"),
        "https://id.gs1.org/00/_0614141__________"
    );
    assert_eq!(
        like("urn:epc:idpat:sscc:*.*"),
        "https://id.gs1.org/00/__________________"
    );
    assert_eq!(
        like("urn:epc:idpat:sscc:0614141.1234567890"),
        "https://id.gs1.org/00/106141412345678908"
    );
    // An unknown extension matches the bare GLN and every /254/.
    assert_eq!(
        like("urn:epc:idpat:sgln:0614141.00888.*"),
        "https://id.gs1.org/414/0614141008889%"
    );
    assert_eq!(
        like("urn:epc:idpat:sgln:0614141.*.*"),
        "https://id.gs1.org/414/0614141______%"
    );
    assert_eq!(
        like("urn:epc:idpat:sgln:0614141.00888.0"),
        "https://id.gs1.org/414/0614141008889"
    );
    assert_eq!(
        like("urn:epc:idpat:sgln:0614141.12345.4_0"),
        "https://id.gs1.org/414/0614141123452/254/4\\_0"
    );
    assert_eq!(
        like("urn:epc:idpat:grai:0614141.12345.*"),
        "https://id.gs1.org/8003/00614141123452%"
    );
    assert_eq!(
        like("urn:epc:idpat:grai:0614141.*.*"),
        "https://id.gs1.org/8003/00614141______%"
    );
    assert_eq!(
        like("urn:epc:idpat:giai:0614141.*"),
        "https://id.gs1.org/8004/0614141%"
    );
    assert_eq!(like("urn:epc:idpat:giai:*.*"), "https://id.gs1.org/8004/%");
    assert_eq!(
        like("urn:epc:idpat:giai:0614141.A%2FB"),
        "https://id.gs1.org/8004/0614141A\\%2FB"
    );
    assert_eq!(
        like("urn:epc:idpat:gdti:0614141.12345.*"),
        "https://id.gs1.org/253/0614141123452%"
    );
    assert_eq!(
        like("urn:epc:idpat:gsrn:0614141.*"),
        "https://id.gs1.org/8018/0614141___________"
    );
    assert_eq!(
        like("urn:epc:idpat:lgtin:4012345.012345.*"),
        "https://id.gs1.org/01/04012345123456/10/%"
    );
    assert_eq!(
        like("urn:epc:idpat:itip:4012345.012345.01.*.*"),
        "https://id.gs1.org/8006/0401234512345601__/21/%"
    );
    assert_eq!(
        like("urn:epc:idpat:cpi:0614141.*.*"),
        "https://id.gs1.org/8010/0614141%/8011/%"
    );
}

#[test]
fn not_patterns_and_errors() {
    assert_eq!(
        pattern_to_like("urn:epc:id:sgtin:0614141.107346.2017"),
        None
    );
    assert_eq!(
        pattern_to_like("https://id.gs1.org/01/10614141073464"),
        None
    );
    assert_eq!(pattern_to_like(""), None);
    let err = |p: &str| match pattern_to_like(p) {
        Some(Err(e)) => e,
        other => panic!("{p}: {other:?}"),
    };
    assert!(matches!(
        err("urn:epc:idpat:sgtin:0614141.*.2017"),
        Gs1Error::InvalidEpcUrn { .. }
    ));
    assert!(matches!(
        err("urn:epc:idpat:sgtin:0614141.107346"),
        Gs1Error::InvalidEpcUrn { .. }
    ));
    assert!(matches!(
        err("urn:epc:idpat:sgtin:06141A1.*.*"),
        Gs1Error::InvalidEpcUrn { .. }
    ));
    assert!(matches!(
        err("urn:epc:idpat:sgtin:0614141234567.*.*"),
        Gs1Error::CompanyPrefixLength { .. }
    ));
    assert!(matches!(
        err("urn:epc:idpat:nope:1.*"),
        Gs1Error::UnsupportedScheme(_)
    ));
    assert!(matches!(
        err("urn:epc:idpat:sgtin:0614141.107346.a%zz"),
        Gs1Error::PercentEncoding { .. }
    ));
}
