//! Output forms: identifiers per GS1-EPC-Format, CBV values per GS1-CBV-Format.

use epcis::format::{convert_event, CbvFormat, EpcFormat};
use serde_json::json;

struct Prefix7;

impl gs1::CompanyPrefixLookup for Prefix7 {
    fn prefix_len(&self, _key_digits: &str) -> Option<usize> {
        Some(7)
    }
}

fn sample() -> serde_json::Value {
    json!({
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "urn:epcglobal:cbv:disp:in_transit",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017", "urn:uuid:not-gs1"],
        "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
        "bizTransactionList": [{"type": "po", "bizTransaction": "http://transaction.acme.com/po/1"}],
        "sensorElementList": [{"sensorReport": [{"type": "Temperature", "component": "example:x"}]}]
    })
}

#[test]
fn never_translates_leaves_the_event_alone() {
    let mut ev = sample();
    convert_event(
        &mut ev,
        EpcFormat::NeverTranslates,
        CbvFormat::NeverTranslates,
        &gs1::NoPrefixes,
    );
    assert_eq!(ev, sample());
}

#[test]
fn digital_links_and_web_uris() {
    let mut ev = sample();
    convert_event(
        &mut ev,
        EpcFormat::AlwaysDigitalLink,
        CbvFormat::AlwaysWebUri,
        &gs1::NoPrefixes,
    );
    assert_eq!(
        ev["epcList"],
        json!([
            "https://id.gs1.org/01/10614141073464/21/2017",
            "urn:uuid:not-gs1"
        ])
    );
    assert_eq!(
        ev["readPoint"]["id"],
        "https://id.gs1.org/414/0614141073467/254/1234"
    );
    assert_eq!(ev["bizStep"], "https://ref.gs1.org/cbv/BizStep-shipping");
    assert_eq!(ev["disposition"], "https://ref.gs1.org/cbv/Disp-in_transit");
    assert_eq!(
        ev["bizTransactionList"][0]["type"],
        "https://ref.gs1.org/cbv/BTT-po"
    );
    assert_eq!(
        ev["sensorElementList"][0]["sensorReport"][0]["type"],
        "https://gs1.org/voc/Temperature"
    );
    assert_eq!(
        ev["sensorElementList"][0]["sensorReport"][0]["component"],
        "example:x"
    );
    assert_eq!(ev["action"], "OBSERVE");
}

#[test]
fn urns_when_the_prefix_is_known_else_unchanged() {
    let mut ev = sample();
    convert_event(
        &mut ev,
        EpcFormat::AlwaysDigitalLink,
        CbvFormat::NeverTranslates,
        &gs1::NoPrefixes,
    );
    let dl = ev.clone();
    convert_event(
        &mut ev,
        EpcFormat::AlwaysEpcUrn,
        CbvFormat::AlwaysUrn,
        &gs1::NoPrefixes,
    );
    assert_eq!(
        ev["epcList"], dl["epcList"],
        "without a prefix length a Digital Link stays"
    );
    assert_eq!(ev["bizStep"], "urn:epcglobal:cbv:bizstep:shipping");
    convert_event(
        &mut ev,
        EpcFormat::AlwaysEpcUrn,
        CbvFormat::NeverTranslates,
        &Prefix7,
    );
    assert_eq!(ev["epcList"][0], "urn:epc:id:sgtin:0614141.107346.2017");
    assert_eq!(ev["readPoint"]["id"], "urn:epc:id:sgln:0614141.07346.1234");
}
