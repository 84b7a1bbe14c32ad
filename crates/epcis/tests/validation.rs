//! Invalid documents, one per error class, with the exact pointer of the error.

use epcis::{parse_document, parse_event, DocumentError, EventType, Limits};
use serde_json::{json, Value};

fn ok_event() -> Value {
    json!({
        "type": "ObjectEvent",
        "eventTime": "2024-03-01T08:00:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
        "bizStep": "shipping"
    })
}

fn doc(events: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"example": "http://ns.example.com/epcis/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-01T08:00:00Z",
        "epcisBody": {"eventList": events}
    }))
    .unwrap()
}

/// Errors of the event at index 1 (index 0 is always a valid event).
fn errors_of(event: Value) -> Vec<(String, String)> {
    let d = parse_document(&doc(vec![ok_event(), event]), &Limits::default()).unwrap();
    assert!(d.events[0].is_ok());
    match &d.events[1] {
        Ok(_) => Vec::new(),
        Err(errs) => errs
            .iter()
            .map(|e| (e.pointer.clone(), e.message.clone()))
            .collect(),
    }
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base[key] = value;
    base
}

fn without(mut base: Value, key: &str) -> Value {
    base.as_object_mut().unwrap().remove(key);
    base
}

fn assert_one(errors: Vec<(String, String)>, pointer: &str, needle: &str) {
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, pointer, "{errors:?}");
    assert!(
        errors[0].1.contains(needle),
        "message {:?} lacks {needle:?}",
        errors[0].1
    );
}

#[test]
fn valid_event_reads() {
    let d = parse_document(&doc(vec![ok_event()]), &Limits::default()).unwrap();
    let ev = d.events[0].as_ref().unwrap();
    assert_eq!(ev.event_type(), EventType::ObjectEvent);
    assert_eq!(ev.event_time_ms(), 1_709_254_800_000);
    assert_eq!(ev.event_id(), None);
}

#[test]
fn event_time_without_zone() {
    let e = errors_of(with(ok_event(), "eventTime", json!("2020-01-01T00:00:00")));
    assert_one(e, "/epcisBody/eventList/1/eventTime", "no time zone");
}

#[test]
fn missing_event_time() {
    assert_one(
        errors_of(without(ok_event(), "eventTime")),
        "/epcisBody/eventList/1/eventTime",
        "required",
    );
}

#[test]
fn bad_time_zone_offset() {
    let e = errors_of(with(ok_event(), "eventTimeZoneOffset", json!("+7:00")));
    assert_one(e, "/epcisBody/eventList/1/eventTimeZoneOffset", "±hh:mm");
}

#[test]
fn bad_action() {
    assert_one(
        errors_of(with(ok_event(), "action", json!("UPDATE"))),
        "/epcisBody/eventList/1/action",
        "ADD, OBSERVE or DELETE",
    );
    assert_one(
        errors_of(without(ok_event(), "action")),
        "/epcisBody/eventList/1/action",
        "required",
    );
}

#[test]
fn wrong_json_type() {
    let e = errors_of(with(
        ok_event(),
        "epcList",
        json!("urn:epc:id:sgtin:0614141.107346.2017"),
    ));
    assert_one(
        e,
        "/epcisBody/eventList/1/epcList",
        "expected an array, found a string",
    );
    let e = errors_of(with(
        ok_event(),
        "quantityList",
        json!([{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": "5"}]),
    ));
    assert_one(
        e,
        "/epcisBody/eventList/1/quantityList/0/quantity",
        "expected a number",
    );
}

#[test]
fn unknown_event_type() {
    assert_one(
        errors_of(with(ok_event(), "type", json!("ShippingEvent"))),
        "/epcisBody/eventList/1/type",
        "unknown event type",
    );
}

#[test]
fn unknown_unnamespaced_field() {
    let e = errors_of(with(ok_event(), "myField", json!("x")));
    assert_one(e, "/epcisBody/eventList/1/myField", "must be namespaced");
    assert!(errors_of(with(ok_event(), "example:myField", json!({"a": 1}))).is_empty());
}

#[test]
fn field_of_another_type() {
    let e = errors_of(with(
        ok_event(),
        "childEPCs",
        json!(["urn:epc:id:sgtin:0614141.107346.2018"]),
    ));
    assert_one(
        e,
        "/epcisBody/eventList/1/childEPCs",
        "not a field of ObjectEvent",
    );
}

#[test]
fn bad_check_digit_in_digital_link() {
    let e = errors_of(with(
        ok_event(),
        "epcList",
        json!([
            "https://id.gs1.org/01/09506000134352/21/1",
            "https://id.gs1.org/01/09506000134353/21/1"
        ]),
    ));
    assert_one(
        e,
        "/epcisBody/eventList/1/epcList/1",
        "not a valid GS1 identifier",
    );
}

#[test]
fn bad_epc_urn() {
    let e = errors_of(with(
        ok_event(),
        "readPoint",
        json!({"id": "urn:epc:id:sgln:0614141.1234"}),
    ));
    assert_one(
        e,
        "/epcisBody/eventList/1/readPoint/id",
        "not a valid GS1 identifier",
    );
}

#[test]
fn identifier_not_a_uri() {
    let e = errors_of(with(ok_event(), "epcList", json!(["lot 42"])));
    assert_one(e, "/epcisBody/eventList/1/epcList/0", "not an absolute URI");
}

#[test]
fn cbv_values_in_three_spellings() {
    for step in [
        "shipping",
        "urn:epcglobal:cbv:bizstep:shipping",
        "https://ref.gs1.org/cbv/BizStep-shipping",
        "https://example.org/steps/x",
    ] {
        assert!(
            errors_of(with(ok_event(), "bizStep", json!(step))).is_empty(),
            "{step}"
        );
    }
    assert_one(
        errors_of(with(ok_event(), "bizStep", json!("shiping"))),
        "/epcisBody/eventList/1/bizStep",
        "neither a CBV 2.0 business step nor a URI",
    );
    assert_one(
        errors_of(with(
            ok_event(),
            "disposition",
            json!("urn:epcglobal:cbv:disp:in_transitt"),
        )),
        "/epcisBody/eventList/1/disposition",
        "not a CBV 2.0 disposition",
    );
}

#[test]
fn required_fields_per_type() {
    let agg = json!({"type": "AggregationEvent", "eventTime": "2024-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "action": "ADD", "childEPCs": ["urn:epc:id:sgtin:0614141.107346.2018"]});
    assert_one(
        errors_of(agg.clone()),
        "/epcisBody/eventList/1/parentID",
        "unless action is OBSERVE",
    );
    assert!(errors_of(with(agg.clone(), "action", json!("OBSERVE"))).is_empty());
    let agg_no_children = with(
        without(agg, "childEPCs"),
        "parentID",
        json!("urn:epc:id:sscc:0614141.1234567890"),
    );
    assert_one(
        errors_of(agg_no_children),
        "/epcisBody/eventList/1/childEPCs",
        "required",
    );

    let tx = json!({"type": "TransactionEvent", "eventTime": "2024-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "action": "ADD", "epcList": []});
    assert_one(
        errors_of(tx),
        "/epcisBody/eventList/1/bizTransactionList",
        "TransactionEvent",
    );

    let tf = json!({"type": "TransformationEvent", "eventTime": "2024-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "inputEPCList": ["urn:epc:id:sgtin:0614141.107346.2018"]});
    assert_one(
        errors_of(tf.clone()),
        "/epcisBody/eventList/1/outputEPCList",
        "TransformationEvent",
    );
    assert!(errors_of(with(tf, "transformationID", json!("urn:uuid:1"))).is_empty());

    let assoc = json!({"type": "AssociationEvent", "eventTime": "2024-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "action": "ADD", "childEPCs": ["urn:epc:id:giai:4000001.12345"]});
    assert_one(
        errors_of(assoc),
        "/epcisBody/eventList/1/parentID",
        "AssociationEvent",
    );

    let obj = without(ok_event(), "epcList");
    assert_one(errors_of(obj), "/epcisBody/eventList/1/epcList", "required");
    let ilmd = with(ok_event(), "ilmd", json!({"example:lot": "A1"}));
    assert_one(
        errors_of(ilmd),
        "/epcisBody/eventList/1/ilmd",
        "only allowed when action is ADD",
    );
}

#[test]
fn nested_errors_point_inside() {
    let e = errors_of(with(
        ok_event(),
        "sourceList",
        json!([{"type": "owning_party"}]),
    ));
    assert_one(e, "/epcisBody/eventList/1/sourceList/0/source", "required");
    let e = errors_of(with(
        ok_event(),
        "errorDeclaration",
        json!({"declarationTime": "2024-03-01T08:00:00Z", "reason": "oops"}),
    ));
    assert_one(
        e,
        "/epcisBody/eventList/1/errorDeclaration/reason",
        "error reason",
    );
    let e = errors_of(with(
        ok_event(),
        "sensorElementList",
        json!([{"sensorReport": [{"type": "Temperature", "value": 3}, {"type": "Temperature", "value": "warm"}]}]),
    ));
    assert_one(
        e,
        "/epcisBody/eventList/1/sensorElementList/0/sensorReport/1/value",
        "expected a number",
    );
    let e = errors_of(with(
        ok_event(),
        "quantityList",
        json!([{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 5, "uom": "kg"}]),
    ));
    assert_one(e, "/epcisBody/eventList/1/quantityList/0/uom", "UN/CEFACT");
}

#[test]
fn several_errors_are_all_reported() {
    let ev = with(
        with(ok_event(), "action", json!("X")),
        "eventTime",
        json!(5),
    );
    let e = errors_of(ev);
    let pointers: Vec<&str> = e.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/epcisBody/eventList/1/eventTime",
            "/epcisBody/eventList/1/action"
        ]
    );
}

#[test]
fn syntax_errors_have_line_and_column() {
    match parse_document(
        b"{\n  \"type\": \"EPCISDocument\",\n  oops\n}",
        &Limits::default(),
    ) {
        Err(DocumentError::Syntax { line, column, .. }) => assert_eq!((line, column), (3, 3)),
        other => panic!("{other:?}"),
    }
    match parse_document(b"{\"type\": \"EPCIS\xff\"}", &Limits::default()) {
        Err(DocumentError::Syntax { line: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn limits_are_enforced() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(
        parse_document(deep.as_bytes(), &Limits::default()),
        Err(DocumentError::TooDeep { max_depth: 32, .. })
    ));
    let small = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    assert!(matches!(
        parse_document(&doc(vec![ok_event()]), &small),
        Err(DocumentError::TooLarge(_))
    ));
    let few = Limits {
        max_events: 1,
        ..Limits::default()
    };
    assert!(matches!(
        parse_document(&doc(vec![ok_event(), ok_event()]), &few),
        Err(DocumentError::TooLarge(_))
    ));
    // Brackets inside strings do not count as nesting (the document itself is 5 deep).
    let shallow = Limits {
        max_depth: 5,
        ..Limits::default()
    };
    let ev = with(ok_event(), "example:x", json!("[[[[[[[[[[{{{{{{{"));
    assert!(parse_document(&doc(vec![ev]), &shallow).is_ok());
}

#[test]
fn document_level_errors() {
    let mut d: Value = serde_json::from_slice(&doc(vec![ok_event()])).unwrap();
    d["type"] = json!("EPCISThing");
    match parse_document(&serde_json::to_vec(&d).unwrap(), &Limits::default()) {
        Err(DocumentError::Invalid(e)) => assert_eq!(e[0].pointer, "/type"),
        other => panic!("{other:?}"),
    }
    d["type"] = json!("EPCISDocument");
    d["creationDate"] = json!("2024-03-01T08:00:00");
    d["header"] = json!(1);
    match parse_document(&serde_json::to_vec(&d).unwrap(), &Limits::default()) {
        Err(DocumentError::Invalid(e)) => {
            let p: Vec<&str> = e.iter().map(|e| e.pointer.as_str()).collect();
            assert_eq!(p, ["/creationDate", "/header"]);
        }
        other => panic!("{other:?}"),
    }
    d["creationDate"] = json!("2024-03-01T08:00:00Z");
    d.as_object_mut().unwrap().remove("header");
    d["epcisBody"] = json!({"eventList": {}});
    match parse_document(&serde_json::to_vec(&d).unwrap(), &Limits::default()) {
        Err(DocumentError::Invalid(e)) => assert_eq!(e[0].pointer, "/epcisBody/eventList"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn single_event_and_record_time() {
    let bytes = serde_json::to_vec(&ok_event()).unwrap();
    let mut ev = parse_event(&bytes, &Limits::default()).unwrap();
    ev.set_record_time_ms(1_709_254_800_123);
    assert_eq!(ev.json()["recordTime"], json!("2024-03-01T01:00:00.123Z"));
    ev.set_event_id("urn:uuid:abc".into());
    assert_eq!(ev.event_id(), Some("urn:uuid:abc"));
    let bad = serde_json::to_vec(&with(ok_event(), "eventTime", json!("soon"))).unwrap();
    match parse_event(&bad, &Limits::default()) {
        Err(DocumentError::Invalid(e)) => assert_eq!(e[0].pointer, "/eventTime"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn query_document_events_are_read() {
    let d = json!({"type": "EPCISQueryDocument", "schemaVersion": "2.0", "creationDate": "2024-03-01T08:00:00Z",
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": [ok_event(), {"type": "ObjectEvent"}]}}}});
    let d = parse_document(&serde_json::to_vec(&d).unwrap(), &Limits::default()).unwrap();
    assert!(d.events[0].is_ok());
    let errs = d.events[1].as_ref().unwrap_err();
    assert_eq!(
        errs[0].pointer,
        "/epcisBody/queryResults/resultsBody/eventList/1/eventTime"
    );
}
