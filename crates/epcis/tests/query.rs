//! Query parameter parsing: every family, normalisation shared with facets, and errors.

use epcis::query::{
    from_definition, from_params, CmpOp, Condition, Direction, OrderBy, TimeColumn,
};
use epcis::EventType;
use serde_json::json;

fn q(pairs: &[(&str, &str)]) -> Result<epcis::Query, epcis::query::QueryParamError> {
    let owned: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    from_params(&owned)
}

fn one(name: &str, value: &str) -> Condition {
    let query = q(&[(name, value)]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(query.conditions.len(), 1);
    query.conditions.into_iter().next().unwrap()
}

fn text_in(field: &str, values: &[&str]) -> Condition {
    Condition::TextIn {
        fields: vec![field.into()],
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn num(field: &str, op: CmpOp, operand: f64) -> Condition {
    Condition::Number {
        field: field.into(),
        op,
        operand,
    }
}

fn fails(name: &str, value: &str) -> String {
    let e = q(&[(name, value)]).unwrap_err();
    assert_eq!(e.param, name);
    e.message
}

#[test]
fn event_type_and_times() {
    assert_eq!(
        one("eventType", "ObjectEvent|AggregationEvent"),
        Condition::EventTypeIn(vec![EventType::ObjectEvent, EventType::AggregationEvent])
    );
    assert_eq!(
        one("GE_eventTime", "1970-01-01T01:00:00+01:00"),
        Condition::Time {
            column: TimeColumn::EventTime,
            op: CmpOp::Ge,
            operand_ms: 0
        }
    );
    assert_eq!(
        one("LT_recordTime", "1970-01-01T00:00:01.5Z"),
        Condition::Time {
            column: TimeColumn::RecordTime,
            op: CmpOp::Lt,
            operand_ms: 1500
        }
    );
    assert!(fails("GE_eventTime", "2020-01-01T00:00:00").contains("no time zone"));
    assert!(fails("eventType", "Shipment").contains("not an event type"));
}

#[test]
fn vocabulary_values_normalise_like_facets() {
    let web = "https://ref.gs1.org/cbv/BizStep-shipping";
    for v in ["shipping", "urn:epcglobal:cbv:bizstep:shipping", web] {
        assert_eq!(one("EQ_bizStep", v), text_in("bizStep", &[web]));
    }
    assert_eq!(
        one("EQ_disposition", "in_transit|http://example.org/d"),
        text_in(
            "disposition",
            &[
                "https://ref.gs1.org/cbv/Disp-in_transit",
                "http://example.org/d"
            ]
        )
    );
    assert_eq!(
        one("EQ_persistentDisposition_set", "completeness_verified"),
        text_in(
            "persistentDisposition.set",
            &["https://ref.gs1.org/cbv/Disp-completeness_verified"]
        )
    );
    assert_eq!(
        one("EQ_persistentDisposition_unset", "active"),
        text_in(
            "persistentDisposition.unset",
            &["https://ref.gs1.org/cbv/Disp-active"]
        )
    );
    assert_eq!(
        one("EQ_action", "ADD|DELETE"),
        text_in("action", &["ADD", "DELETE"])
    );
    assert_eq!(
        one("EQ_errorReason", "did_not_occur"),
        text_in("errorReason", &["https://ref.gs1.org/cbv/ER-did_not_occur"])
    );
    assert!(fails("EQ_action", "UPDATE").contains("ADD, OBSERVE or DELETE"));
    assert!(fails("EQ_bizStep", "shiping").contains("business step"));
}

#[test]
fn locations_and_identifiers() {
    let rp = "https://id.gs1.org/414/0614141073467/254/1234";
    assert_eq!(
        one("EQ_readPoint", "urn:epc:id:sgln:0614141.07346.1234"),
        text_in("readPoint", &[rp])
    );
    assert_eq!(one("EQ_bizLocation", rp), text_in("bizLocation", &[rp]));
    assert_eq!(
        one("WD_bizLocation", "urn:epc:id:sgln:0012345.11111.0"),
        Condition::TextLike {
            fields: vec!["bizLocation".into()],
            patterns: vec![
                "https://id.gs1.org/414/0012345111112/254/%".into(),
                "https://id.gs1.org/414/0012345111112".into()
            ],
        }
    );
    assert_eq!(one("WD_readPoint", rp), text_in("readPoint", &[rp]));
    assert_eq!(
        one("EQ_transformationID", "urn:uuid:t1"),
        text_in("transformationID", &["urn:uuid:t1"])
    );
    assert_eq!(
        one("EQ_eventID", "urn:uuid:a|urn:uuid:b"),
        Condition::EventIdIn(vec!["urn:uuid:a".into(), "urn:uuid:b".into()])
    );
    assert!(fails("EQ_readPoint", "room 7").contains("not an absolute URI"));
}

#[test]
fn epc_matching() {
    let sgtin = "https://id.gs1.org/01/10614141073464/21/2017";
    assert_eq!(
        one("MATCH_epc", "urn:epc:id:sgtin:0614141.107346.2017"),
        Condition::TextIn {
            fields: vec!["epc".into(), "childEPC".into()],
            values: vec![sgtin.into()]
        }
    );
    assert_eq!(
        one("MATCH_anyEPC", "urn:epc:idpat:sgtin:0614141.107346.*"),
        Condition::TextLike {
            fields: ["epc", "childEPC", "parentID", "inputEPC", "outputEPC"]
                .map(String::from)
                .to_vec(),
            patterns: vec!["https://id.gs1.org/01/10614141073464/21/%".into()],
        }
    );
    // An exact value next to a pattern becomes an escaped LIKE literal.
    assert_eq!(
        one(
            "MATCH_parentID",
            "urn:epc:idpat:sgtin:0614141.107346.*|urn:uuid:a_b"
        ),
        Condition::TextLike {
            fields: vec!["parentID".into()],
            patterns: vec![
                "https://id.gs1.org/01/10614141073464/21/%".into(),
                "urn:uuid:a\\_b".into()
            ],
        }
    );
    for (name, fields) in [
        ("MATCH_inputEPC", vec!["inputEPC"]),
        ("MATCH_outputEPC", vec!["outputEPC"]),
        ("MATCH_epcClass", vec!["epcClass", "childEPCClass"]),
        ("MATCH_inputEPCClass", vec!["inputEPCClass"]),
        ("MATCH_outputEPCClass", vec!["outputEPCClass"]),
        (
            "MATCH_anyEPCClass",
            vec![
                "epcClass",
                "childEPCClass",
                "inputEPCClass",
                "outputEPCClass",
            ],
        ),
    ] {
        match one(name, "urn:epc:class:lgtin:4012345.012345.998877") {
            Condition::TextIn { fields: f, values } => {
                assert_eq!(f, fields, "{name}");
                assert_eq!(values, ["https://id.gs1.org/01/04012345123456/10/998877"]);
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn quantities_and_sensor_numbers() {
    assert_eq!(one("GT_quantity", "3.5"), num("quantity", CmpOp::Gt, 3.5));
    assert_eq!(one("EQ_quantity", "3"), num("quantity", CmpOp::Eq, 3.0));
    assert_eq!(one("LE_quantity", "3"), num("quantity", CmpOp::Le, 3.0));
    assert_eq!(one("GE_value", "-2"), num("sensor.value", CmpOp::Ge, -2.0));
    assert_eq!(
        one("LT_maxValue_CEL", "8"),
        num("sensor.maxValue:CEL", CmpOp::Lt, 8.0)
    );
    for m in ["minValue", "meanValue", "sDev", "percRank", "percValue"] {
        assert_eq!(
            one(&format!("EQ_{m}"), "1"),
            num(&format!("sensor.{m}"), CmpOp::Eq, 1.0)
        );
    }
    assert_eq!(
        one("GE_time", "1970-01-01T00:00:01Z"),
        num("sensor.time", CmpOp::Ge, 1000.0)
    );
    assert_eq!(
        one("LT_startTime", "1970-01-01T00:00:01Z"),
        num("sensor.startTime", CmpOp::Lt, 1000.0)
    );
    assert_eq!(
        one("GE_endTime", "1970-01-01T00:00:01Z"),
        num("sensor.endTime", CmpOp::Ge, 1000.0)
    );
    assert_eq!(
        one("GE_errorDeclarationTime", "1970-01-01T00:00:02Z"),
        num("errorDeclarationTime", CmpOp::Ge, 2000.0)
    );
    assert!(fails("GT_quantity", "lots").contains("not a number"));
    assert!(fails("GT_quantity", "1|2").contains("exactly one value"));
}

#[test]
fn sensor_text_parameters() {
    assert_eq!(
        one("EQ_type", "Temperature|gs1:Speed"),
        text_in(
            "sensor.type",
            &[
                "https://gs1.org/voc/Temperature",
                "https://gs1.org/voc/Speed"
            ]
        )
    );
    assert_eq!(
        one("EQ_deviceID", "urn:epc:id:giai:4000001.111"),
        text_in("sensor.deviceID", &["https://id.gs1.org/8004/4000001111"])
    );
    assert_eq!(
        one("EQ_booleanValue", "true"),
        text_in("sensor.booleanValue", &["true"])
    );
    assert_eq!(
        one("EQ_hexBinaryValue", "f0a1"),
        text_in("sensor.hexBinaryValue", &["F0A1"])
    );
    assert_eq!(one("EQ_uom", "CEL"), text_in("sensor.uom", &["CEL"]));
    for (p, f) in [
        ("EQ_dataProcessingMethod", "sensor.dataProcessingMethod"),
        ("EQ_microorganism", "sensor.microorganism"),
        ("EQ_chemicalSubstance", "sensor.chemicalSubstance"),
        ("EQ_bizRules", "sensor.bizRules"),
        ("EQ_uriValue", "sensor.uriValue"),
    ] {
        assert_eq!(
            one(p, "https://example.org/x"),
            text_in(f, &["https://example.org/x"])
        );
    }
    assert_eq!(
        one("EQ_stringValue", "abc"),
        text_in("sensor.stringValue", &["abc"])
    );
    assert!(fails("EQ_booleanValue", "yes").contains("true or false"));
}

#[test]
fn transactions_sources_destinations_errors() {
    assert_eq!(
        one(
            "EQ_bizTransaction_urn:epcglobal:cbv:btt:po",
            "http://transaction.acme.com/po/1"
        ),
        text_in(
            "bizTransaction:https://ref.gs1.org/cbv/BTT-po",
            &["http://transaction.acme.com/po/1"]
        )
    );
    assert_eq!(
        one("EQ_source_owning_party", "urn:epc:id:pgln:4012345.00225"),
        text_in(
            "source:https://ref.gs1.org/cbv/SDT-owning_party",
            &["https://id.gs1.org/417/4012345002256"]
        )
    );
    assert_eq!(
        one("EQ_destination_location", "urn:epc:id:sgln:0012345.11111.0"),
        text_in(
            "destination:https://ref.gs1.org/cbv/SDT-location",
            &["https://id.gs1.org/414/0012345111112"]
        )
    );
    assert_eq!(
        one("EXISTS_errorDeclaration", ""),
        Condition::Exists {
            fields: vec!["errorDeclaration".into()]
        }
    );
    assert_eq!(
        one("EQ_correctiveEventID", "urn:uuid:c1"),
        text_in("correctiveEventID", &["urn:uuid:c1"])
    );
}

#[test]
fn ilmd_and_extension_fields() {
    let lot = "http://ns.example.com/epcis/lot";
    assert_eq!(
        one(&format!("EQ_ILMD_{lot}"), "L1|L2"),
        text_in(&format!("ilmd:{lot}"), &["L1", "L2"])
    );
    assert_eq!(
        one(&format!("GT_ILMD_{lot}"), "3"),
        num(&format!("ilmd:{lot}"), CmpOp::Gt, 3.0)
    );
    assert_eq!(
        one(&format!("LE_ILMD_{lot}"), "1970-01-01T00:00:01Z"),
        num(&format!("ilmd:{lot}"), CmpOp::Le, 1000.0)
    );
    assert_eq!(
        one(&format!("EXISTS_ILMD_{lot}"), ""),
        Condition::Exists {
            fields: vec![format!("ilmd:{lot}")]
        }
    );
    assert_eq!(
        one(&format!("EQ_INNER_ILMD_{lot}"), "x"),
        text_in(&format!("inner-ilmd:{lot}"), &["x"])
    );
    assert_eq!(
        one(&format!("EXISTS_INNER_ILMD_{lot}"), ""),
        Condition::Exists {
            fields: vec![format!("inner-ilmd:{lot}")]
        }
    );
    assert_eq!(
        one(&format!("EQ_{lot}"), "x"),
        text_in(&format!("ext:{lot}"), &["x"])
    );
    assert_eq!(
        one(&format!("GE_{lot}"), "2"),
        num(&format!("ext:{lot}"), CmpOp::Ge, 2.0)
    );
    assert_eq!(
        one(&format!("EQ_INNER_{lot}"), "x"),
        text_in(&format!("inner:{lot}"), &["x"])
    );
    assert_eq!(
        one(&format!("EXISTS_INNER_{lot}"), ""),
        Condition::Exists {
            fields: vec![format!("inner:{lot}")]
        }
    );
    assert_eq!(
        one(&format!("EXISTS_{lot}"), "true"),
        Condition::Exists {
            fields: vec![format!("ext:{lot}")]
        }
    );
    assert!(fails("EQ_myField", "x").contains("unknown query parameter"));
    assert!(fails("EXISTS_myField", "").contains("unknown query parameter"));
}

#[test]
fn ordering_and_limits() {
    let query = q(&[("orderBy", "eventTime"), ("eventCountLimit", "5")]).unwrap();
    assert_eq!(
        (query.order_by, query.direction, query.event_count_limit),
        (OrderBy::EventTime, Direction::Desc, Some(5))
    );
    let query = q(&[
        ("orderBy", "recordTime"),
        ("orderDirection", "ASC"),
        ("maxEventCount", "10"),
    ])
    .unwrap();
    assert_eq!(
        (query.order_by, query.direction, query.max_event_count),
        (OrderBy::RecordTime, Direction::Asc, Some(10))
    );
    let query = q(&[]).unwrap();
    assert_eq!(
        (query.order_by, query.direction),
        (OrderBy::Sequence, Direction::Asc)
    );
    let e = q(&[("eventCountLimit", "5"), ("maxEventCount", "5")]).unwrap_err();
    assert_eq!(e.param, "eventCountLimit");
    assert!(fails("orderBy", "bizStep").contains("cannot order by"));
    assert!(fails("orderDirection", "UP").contains("ASC or DESC"));
    assert!(fails("maxEventCount", "-1").contains("non-negative integer"));
    assert!(q(&[("orderBy", "eventTime"), ("orderBy", "recordTime")])
        .unwrap_err()
        .message
        .contains("more than once"));
}

#[test]
fn unknown_and_paging_parameters_are_refused() {
    assert!(fails("EQ_colour", "red").contains("unknown query parameter"));
    assert!(fails("perPage", "10").contains("paging"));
    assert!(fails("EQ_bizStep", "").contains("needs a value"));
}

#[test]
fn repeated_parameters_are_conjunctions() {
    let query = q(&[("EQ_bizStep", "shipping"), ("EQ_bizStep", "receiving")]).unwrap();
    assert_eq!(query.conditions.len(), 2);
}

#[test]
fn definitions_take_arrays() {
    let query = from_definition(&json!({
        "eventType": ["ObjectEvent"],
        "EQ_bizStep": ["shipping", "receiving"],
        "GE_eventTime": "1970-01-01T00:00:00Z",
        "GT_quantity": 2,
        "EXISTS_errorDeclaration": true
    }))
    .unwrap();
    assert_eq!(
        query.conditions,
        vec![
            Condition::EventTypeIn(vec![EventType::ObjectEvent]),
            text_in(
                "bizStep",
                &[
                    "https://ref.gs1.org/cbv/BizStep-shipping",
                    "https://ref.gs1.org/cbv/BizStep-receiving"
                ]
            ),
            Condition::Time {
                column: TimeColumn::EventTime,
                op: CmpOp::Ge,
                operand_ms: 0
            },
            num("quantity", CmpOp::Gt, 2.0),
            Condition::Exists {
                fields: vec!["errorDeclaration".into()]
            },
        ]
    );
    assert_eq!(
        from_definition(&json!({"EQ_bizStep": [{"a": 1}]}))
            .unwrap_err()
            .param,
        "EQ_bizStep"
    );
    assert_eq!(from_definition(&json!([])).unwrap_err().param, "query");
}
