//! Property tests: URN → Digital Link → URN is the identity (with the URN's prefix
//! known), and Digital Link canonicalisation is idempotent.

use gs1::{canonical_id, check_digit, to_digital_link, to_epc_urn, DigitalLink, StaticPrefixes};
use proptest::prelude::*;

/// A serial in GS1 character set 82, written with TDS escapes.
fn serial_max(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::sample::select(
            "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
                .chars()
                .collect::<Vec<_>>(),
        ),
        1..=max,
    )
    .prop_map(|chars| {
        chars
            .into_iter()
            .map(|c| match c {
                '"' | '%' | '&' | '/' | '<' | '>' | '?' => format!("%{:02X}", c as u32),
                c => c.to_string(),
            })
            .collect()
    })
}

/// A serial of up to 20 characters.
fn serial() -> impl Strategy<Value = String> {
    serial_max(20)
}

/// A company prefix of 6 to 12 digits and `total` key digits split after it.
fn prefix_and_ref(total: usize, min_ref: usize) -> impl Strategy<Value = (String, String)> {
    (6usize..=12.min(total - min_ref)).prop_flat_map(move |n| {
        (
            proptest::string::string_regex(&format!("[0-9]{{{n}}}"))
                .unwrap_or_else(|_| unreachable!()),
            proptest::string::string_regex(&format!("[0-9]{{{}}}", total - n))
                .unwrap_or_else(|_| unreachable!()),
        )
    })
}

fn urns() -> impl Strategy<Value = String> {
    prop_oneof![
        (prefix_and_ref(13, 1), serial())
            .prop_map(|((cp, r), s)| format!("urn:epc:id:sgtin:{cp}.{r}.{s}")),
        (prefix_and_ref(13, 1), serial())
            .prop_map(|((cp, r), s)| format!("urn:epc:class:lgtin:{cp}.{r}.{s}")),
        prefix_and_ref(13, 1).prop_map(|(cp, r)| format!("urn:epc:idpat:sgtin:{cp}.{r}.*")),
        prefix_and_ref(17, 1).prop_map(|(cp, r)| format!("urn:epc:id:sscc:{cp}.{r}")),
        (prefix_and_ref(12, 0), serial())
            .prop_map(|((cp, r), s)| format!("urn:epc:id:sgln:{cp}.{r}.{s}")),
        prefix_and_ref(12, 0).prop_map(|(cp, r)| format!("urn:epc:id:sgln:{cp}.{r}.0")),
        (prefix_and_ref(12, 0), serial_max(16))
            .prop_map(|((cp, r), s)| format!("urn:epc:id:grai:{cp}.{r}.{s}")),
        prefix_and_ref(17, 0).prop_map(|(cp, r)| format!("urn:epc:id:gsrn:{cp}.{r}")),
        prefix_and_ref(16, 0).prop_map(|(cp, r)| format!("urn:epc:id:gsin:{cp}.{r}")),
        (prefix_and_ref(12, 0), "[0-9]{1,12}")
            .prop_map(|((cp, r), s)| format!("urn:epc:id:sgcn:{cp}.{r}.{s}")),
        (prefix_and_ref(13, 1), 1u8..=9, serial())
            .prop_map(|((cp, r), p, s)| format!("urn:epc:id:itip:{cp}.{r}.0{p}.09.{s}")),
        ("[0-9]{6,12}", "[0-9A-Z]{1,10}").prop_map(|(cp, r)| format!("urn:epc:id:giai:{cp}.{r}")),
    ]
}

proptest! {
    #[test]
    fn urn_to_dl_to_urn_is_identity(urn in urns()) {
        let dl = to_digital_link(&urn);
        prop_assert!(dl.is_ok(), "{}: {:?}", urn, dl);
        let dl = dl.unwrap_or_default();
        let cp = urn.splitn(5, ':').nth(4).and_then(|b| b.split('.').next()).unwrap_or_default();
        let prefixes = StaticPrefixes::new([cp]);
        prop_assert_eq!(to_epc_urn(&dl, &prefixes), Ok(urn.clone()));
        prop_assert_eq!(canonical_id(&urn), dl);
    }

    #[test]
    fn canonicalisation_is_idempotent(
        item in "[0-9]{12}",
        host in "[a-z]{1,10}\\.(vn|com)",
        stem in proptest::option::of("[a-z]{1,8}"),
        lot in proptest::option::of("[A-Za-z0-9!*'()]{1,20}"),
        ser in proptest::option::of("[A-Za-z0-9%/&?]{1,6}"),
    ) {
        let gtin13 = format!("{item}{}", check_digit(&item).unwrap());
        let mut uri = format!("https://{host}/");
        if let Some(stem) = stem { uri.push_str(&stem); uri.push('/'); }
        uri.push_str(&format!("01/{gtin13}"));
        if let Some(lot) = lot { uri.push_str(&format!("/10/{lot}")); }
        if let Some(ser) = ser {
            uri.push_str("/21/");
            uri.push_str(&gs1::dl::encode_value(&ser));
        }
        let once = canonical_id(&uri).into_owned();
        prop_assert!(once.starts_with("https://id.gs1.org/01/0"), "{}", once);
        prop_assert_eq!(canonical_id(&once).into_owned(), once.clone());
        let parsed = DigitalLink::parse(&once).unwrap();
        prop_assert_eq!(parsed.canonical(), once);
    }
}
