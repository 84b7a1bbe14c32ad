//! Facets of a hand-built event of each type, asserted exactly.

use epcis::{parse_document, Event, Facet, FacetValue, Limits};
use serde_json::{json, Value};

fn t(field: &str, value: &str) -> Facet {
    Facet {
        field: field.into(),
        value: FacetValue::Text(value.into()),
    }
}

fn n(field: &str, value: f64) -> Facet {
    Facet {
        field: field.into(),
        value: FacetValue::Number(value),
    }
}

fn event(ev: Value) -> Event {
    let d = json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"example": "http://ns.example.com/epcis/"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-03-01T08:00:00Z",
        "epcisBody": {"eventList": [ev]}
    });
    let mut doc = parse_document(&serde_json::to_vec(&d).unwrap(), &Limits::default()).unwrap();
    doc.events.remove(0).unwrap()
}

const SGTIN_2017: &str = "https://id.gs1.org/01/10614141073464/21/2017";
const LGTIN: &str = "https://id.gs1.org/01/04012345123456/10/998877";
const SSCC: &str = "https://id.gs1.org/00/106141412345678908";
const RP: &str = "https://id.gs1.org/414/0614141073467/254/1234";
const BL: &str = "https://id.gs1.org/414/0012345111112";

#[test]
fn object_event_facets() {
    let ev = event(json!({
        "type": "ObjectEvent", "eventTime": "2024-03-01T08:00:00Z", "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
        "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 200, "uom": "KGM"}],
        "bizStep": "urn:epcglobal:cbv:bizstep:commissioning",
        "disposition": "active",
        "persistentDisposition": {"set": ["completeness_verified"], "unset": ["https://ref.gs1.org/cbv/Disp-completeness_inferred"]},
        "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
        "bizLocation": {"id": "urn:epc:id:sgln:0012345.11111.0", "example:room": "7"},
        "bizTransactionList": [{"type": "po", "bizTransaction": "http://transaction.acme.com/po/12345678"}],
        "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00225"}],
        "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:0012345.11111.0"}],
        "certificationInfo": "https://cert.example.org/1",
        "errorDeclaration": {"declarationTime": "1970-01-01T00:00:02Z", "reason": "incorrect_data", "correctiveEventIDs": ["urn:uuid:c1"]},
        "ilmd": {"example:lot": "L1", "cbvmda:netWeight": 3.5, "example:made": "1970-01-01T00:00:01Z", "example:o": {"example:in": true}},
        "example:myField": ["a", 7]
    }));
    let expected = vec![
        t("action", "ADD"),
        t("epc", SGTIN_2017),
        t("epcClass", LGTIN),
        n("quantity", 200.0),
        t("ilmd:http://ns.example.com/epcis/lot", "L1"),
        n("ilmd:urn:epcglobal:cbv:mda:netWeight", 3.5),
        t("ilmd:urn:epcglobal:cbv:mda:netWeight", "3.5"),
        t(
            "ilmd:http://ns.example.com/epcis/made",
            "1970-01-01T00:00:01Z",
        ),
        n("ilmd:http://ns.example.com/epcis/made", 1000.0),
        t("ilmd:http://ns.example.com/epcis/o", ""),
        t("inner-ilmd:http://ns.example.com/epcis/in", "true"),
        t("bizStep", "https://ref.gs1.org/cbv/BizStep-commissioning"),
        t("disposition", "https://ref.gs1.org/cbv/Disp-active"),
        t(
            "persistentDisposition.set",
            "https://ref.gs1.org/cbv/Disp-completeness_verified",
        ),
        t(
            "persistentDisposition.unset",
            "https://ref.gs1.org/cbv/Disp-completeness_inferred",
        ),
        t("readPoint", RP),
        t("bizLocation", BL),
        t("inner:http://ns.example.com/epcis/room", "7"),
        t(
            "bizTransaction:https://ref.gs1.org/cbv/BTT-po",
            "http://transaction.acme.com/po/12345678",
        ),
        t("bizTransaction", "http://transaction.acme.com/po/12345678"),
        t(
            "source:https://ref.gs1.org/cbv/SDT-owning_party",
            "https://id.gs1.org/417/4012345002256",
        ),
        t("destination:https://ref.gs1.org/cbv/SDT-location", BL),
        t("certificationInfo", "https://cert.example.org/1"),
        t("errorDeclaration", "true"),
        n("errorDeclarationTime", 2000.0),
        t("errorReason", "https://ref.gs1.org/cbv/ER-incorrect_data"),
        t("correctiveEventID", "urn:uuid:c1"),
        t("ext:http://ns.example.com/epcis/myField", "a"),
        n("ext:http://ns.example.com/epcis/myField", 7.0),
        t("ext:http://ns.example.com/epcis/myField", "7"),
    ];
    assert_eq!(ev.facets(), expected);
}

#[test]
fn aggregation_event_facets() {
    let ev = event(json!({
        "type": "AggregationEvent", "eventTime": "2024-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "action": "ADD", "parentID": "urn:epc:id:sscc:0614141.1234567890",
        "childEPCs": ["urn:epc:id:sgtin:0614141.107346.2017"],
        "childQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 2}],
        "bizStep": "packing"
    }));
    assert_eq!(
        ev.facets(),
        vec![
            t("action", "ADD"),
            t("parentID", SSCC),
            t("childEPC", SGTIN_2017),
            t("childEPCClass", LGTIN),
            n("quantity", 2.0),
            t("bizStep", "https://ref.gs1.org/cbv/BizStep-packing"),
        ]
    );
}

#[test]
fn association_event_facets() {
    let ev = event(json!({
        "type": "AssociationEvent", "eventTime": "2024-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "action": "DELETE", "parentID": "urn:epc:id:grai:4012345.55555.987", "childEPCs": ["urn:epc:id:giai:4000001.12345"]
    }));
    assert_eq!(
        ev.facets(),
        vec![
            t("action", "DELETE"),
            t("parentID", "https://id.gs1.org/8003/04012345555554987"),
            t("childEPC", "https://id.gs1.org/8004/400000112345"),
        ]
    );
}

#[test]
fn transaction_event_facets() {
    let ev = event(json!({
        "type": "TransactionEvent", "eventTime": "2024-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "action": "ADD", "epcList": ["https://id.gs1.org/01/10614141073464/21/2017"],
        "bizTransactionList": [{"bizTransaction": "urn:epc:id:gdti:0614141.00001.1618034"}]
    }));
    assert_eq!(
        ev.facets(),
        vec![
            t("action", "ADD"),
            t("epc", SGTIN_2017),
            t(
                "bizTransaction",
                "https://id.gs1.org/253/06141410000121618034"
            ),
        ]
    );
}

#[test]
fn transformation_event_facets() {
    let ev = event(json!({
        "type": "TransformationEvent", "eventTime": "2024-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "inputEPCList": ["urn:epc:id:sgtin:0614141.107346.2017"],
        "outputQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 10, "uom": "KGM"}],
        "transformationID": "urn:uuid:t1",
        "ilmd": {"example:bestBefore": "2025-01-01"}
    }));
    assert_eq!(
        ev.facets(),
        vec![
            t("inputEPC", SGTIN_2017),
            t("outputEPCClass", LGTIN),
            n("quantity", 10.0),
            t("transformationID", "urn:uuid:t1"),
            t("ilmd:http://ns.example.com/epcis/bestBefore", "2025-01-01"),
        ]
    );
}

#[test]
fn sensor_facets() {
    let ev = event(json!({
        "type": "ObjectEvent", "eventTime": "2024-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE", "epcList": [], "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
        "sensorElementList": [{
            "sensorMetadata": {"time": "1970-01-01T00:00:01Z", "deviceID": "urn:epc:id:giai:4000001.111", "bizRules": "https://example.com/rules"},
            "sensorReport": [{"type": "Temperature", "value": 26.5, "uom": "CEL", "exception": "ALARM_CONDITION",
                               "booleanValue": false, "hexBinaryValue": "f0a1", "component": "x", "example:extra": "e"}]
        }]
    }));
    assert_eq!(
        ev.facets(),
        vec![
            t("action", "OBSERVE"),
            t("readPoint", RP),
            n("sensor.time", 1000.0),
            t("sensor.deviceID", "https://id.gs1.org/8004/4000001111"),
            t("sensor.bizRules", "https://example.com/rules"),
            t("sensor.type", "https://gs1.org/voc/Temperature"),
            t("sensor.exception", "https://gs1.org/voc/ALARM_CONDITION"),
            t("sensor.component", "https://ref.gs1.org/cbv/Comp-x"),
            t("sensor.booleanValue", "false"),
            t("sensor.hexBinaryValue", "F0A1"),
            t("sensor.uom", "CEL"),
            n("sensor.value", 26.5),
            n("sensor.value:CEL", 26.5),
            t("inner:http://ns.example.com/epcis/extra", "e"),
        ]
    );
}
