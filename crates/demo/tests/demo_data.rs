//! The demo data set: valid GS1 keys, complete events, time zones, linked chains.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// GS1 mod-10, written here independently of the crates under test.
fn mod10_ok(key: &str) -> bool {
    let digits: Vec<u32> = key.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != key.len() || digits.len() < 2 {
        return false;
    }
    let (body, check) = digits.split_at(digits.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    (10 - sum % 10) % 10 == check[0]
}

/// A GS1 identifier reduced to a spelling-independent key: (what, digits without check, lot/serial).
/// EPC URNs carry no check digit and Digital Links do; the body digits are the common ground.
fn key(uri: &str) -> Option<(String, String, String)> {
    if let Some(rest) = uri.strip_prefix("https://id.gs1.org/") {
        let parts: Vec<&str> = rest.split('/').collect();
        let body = |d: &str| d[..d.len() - 1].to_string();
        return match parts.as_slice() {
            ["01", g, "10", lot] => Some(("lot".into(), body(g), lot.to_string())),
            ["01", g, "21", s] => Some(("sgtin".into(), body(g), s.to_string())),
            ["01", g] => Some(("class".into(), body(g), String::new())),
            ["00", s] => Some(("sscc".into(), body(s), String::new())),
            ["414", g] => Some(("loc".into(), body(g), String::new())),
            ["417", g] => Some(("party".into(), body(g), String::new())),
            _ => None,
        };
    }
    let mut parts = uri.strip_prefix("urn:epc:")?.splitn(3, ':');
    let (ns, scheme, value) = (parts.next()?, parts.next()?, parts.next()?);
    let fields: Vec<&str> = value.split('.').collect();
    // EPC URNs put the indicator or extension digit first in the second field; GS1 keys put it first.
    let gs1 = |p: &str, r: &str| format!("{}{}{}", &r[..1], p, &r[1..]);
    match (ns, scheme, fields.as_slice()) {
        ("class", "lgtin", [p, r, lot]) => Some(("lot".into(), gs1(p, r), lot.to_string())),
        ("id", "sgtin", [p, r, s]) => Some(("sgtin".into(), gs1(p, r), s.to_string())),
        ("idpat", "sgtin", [p, r, "*"]) => Some(("class".into(), gs1(p, r), String::new())),
        ("id", "sscc", [p, s]) => Some(("sscc".into(), gs1(p, s), String::new())),
        ("id", "sgln", [p, l, "0"]) => Some(("loc".into(), format!("{p}{l}"), String::new())),
        ("id", "pgln", [p, l]) => Some(("party".into(), format!("{p}{l}"), String::new())),
        _ => None,
    }
}

fn all_events() -> Vec<Value> {
    demo::demo_documents()
        .iter()
        .flat_map(|d| d["epcisBody"]["eventList"].as_array().unwrap().clone())
        .collect()
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Identifiers an event moves: EPCs, parents, children, quantity classes.
fn objects(e: &Value) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for k in ["epcList", "childEPCs", "inputEPCList", "outputEPCList"] {
        for s in e[k].as_array().into_iter().flatten() {
            out.extend(key(s.as_str().unwrap()));
        }
    }
    out.extend(e["parentID"].as_str().and_then(key));
    for k in [
        "quantityList",
        "childQuantityList",
        "inputQuantityList",
        "outputQuantityList",
    ] {
        for q in e[k].as_array().into_iter().flatten() {
            out.extend(key(q["epcClass"].as_str().unwrap()));
        }
    }
    out
}

fn time_ms(e: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(e["eventTime"].as_str().unwrap())
        .unwrap()
        .timestamp_millis()
}

fn destination_location(e: &Value) -> Option<(String, String, String)> {
    e["destinationList"]
        .as_array()?
        .iter()
        .find(|d| d["type"] == "location")
        .and_then(|d| key(d["destination"].as_str()?))
}

#[test]
fn identifier_keys_are_read_independently() {
    // Known answers: GS1's own example keys.
    assert!(mod10_ok("00614141073467"));
    assert!(mod10_ok("106141412345678908"));
    assert!(!mod10_ok("106141412345678907"));
    assert_eq!(
        key("urn:epc:id:sscc:0614141.1234567890").unwrap().1,
        "10614141234567890"
    );
    assert_eq!(
        key("https://id.gs1.org/00/106141412345678908").unwrap().1,
        "10614141234567890"
    );
    assert_eq!(
        key("urn:epc:class:lgtin:4012345.012345.998877"),
        key("https://id.gs1.org/01/04012345123456/10/998877")
    );
}

#[test]
fn every_gtin_gln_and_sscc_has_a_valid_check_digit() {
    let mut checked = 0;
    let mut all = Vec::new();
    for doc in demo::demo_documents() {
        strings(&doc, &mut all);
    }
    for s in &all {
        if let Some(rest) = s.strip_prefix("https://id.gs1.org/") {
            let parts: Vec<&str> = rest.split('/').collect();
            let expected_len = match parts[0] {
                "01" => 14,
                "00" => 18,
                "414" | "417" => 13,
                "8004" => continue,
                other => panic!("unexpected AI {other} in {s}"),
            };
            assert_eq!(parts[1].len(), expected_len, "{s}");
            assert!(mod10_ok(parts[1]), "bad check digit in {s}");
            checked += 1;
        } else if s.starts_with("urn:epc:") && !s.starts_with("urn:epc:id:giai") {
            let (kind, body, _) = key(s).unwrap_or_else(|| panic!("unreadable EPC URN {s}"));
            let expected = match kind.as_str() {
                "lot" | "sgtin" | "class" => 13,
                "sscc" => 17,
                _ => 12,
            };
            assert_eq!(body.len(), expected, "{s}");
            checked += 1;
        }
    }
    for o in demo::organisations() {
        assert!(mod10_ok(&o.gln), "{}", o.gln);
        assert!(o.gln.starts_with(o.company_prefix));
    }
    for p in demo::products() {
        assert!(mod10_ok(&p.gtin.gtin14), "{}", p.gtin.gtin14);
        assert!(
            p.gtin.gtin14.starts_with("0893"),
            "Vietnamese GTINs carry 893: {}",
            p.gtin.gtin14
        );
    }
    for l in demo::locations() {
        assert!(mod10_ok(&l.gln.gln), "{}", l.gln.gln);
    }
    let ids = demo::demo_lots();
    for p in ids
        .longan_pallets
        .iter()
        .chain(&ids.coffee_pallets)
        .chain([&ids.pangasius_pallet])
    {
        assert!(mod10_ok(&p.sscc), "{}", p.sscc);
    }
    // Known answer worked by hand: 0893602003301 → check digit 3.
    assert_eq!(
        ids.coffee_roasted.digital_link(),
        "https://id.gs1.org/01/08936020033013/10/BM-2601-R07"
    );
    assert!(checked > 100, "only {checked} identifiers checked");
}

#[test]
fn identifiers_mix_epc_urns_and_digital_links() {
    let mut all = Vec::new();
    for doc in demo::demo_documents() {
        strings(&doc["epcisBody"], &mut all);
    }
    assert!(all.iter().any(|s| s.starts_with("urn:epc:class:lgtin:893")));
    assert!(all
        .iter()
        .any(|s| s.starts_with("https://id.gs1.org/01/0893")));
    assert!(all.iter().any(|s| s.starts_with("urn:epc:id:sscc:893")));
    assert!(all.iter().any(|s| s.starts_with("https://id.gs1.org/00/")));
}

#[test]
fn every_event_has_the_fields_its_type_requires() {
    let events = all_events();
    let mut types = BTreeMap::new();
    for e in &events {
        let t = e["type"].as_str().unwrap();
        *types.entry(t.to_string()).or_insert(0) += 1;
        for f in ["eventTime", "eventTimeZoneOffset", "eventID"] {
            assert!(e[f].is_string(), "{t} without {f}: {e}");
        }
        let has = |k: &str| e.get(k).is_some();
        let action = e["action"].as_str();
        match t {
            "ObjectEvent" => {
                assert!(matches!(action, Some("ADD" | "OBSERVE" | "DELETE")), "{e}");
                assert!(has("epcList") || has("quantityList"), "{e}");
            }
            "AggregationEvent" | "AssociationEvent" => {
                assert!(matches!(action, Some("ADD" | "DELETE")), "{e}");
                assert!(has("parentID"), "{e}");
                assert!(has("childEPCs") || has("childQuantityList"), "{e}");
            }
            "TransactionEvent" => {
                assert!(matches!(action, Some("ADD" | "OBSERVE" | "DELETE")), "{e}");
                assert!(
                    e["bizTransactionList"]
                        .as_array()
                        .is_some_and(|l| !l.is_empty()),
                    "{e}"
                );
            }
            "TransformationEvent" => {
                assert!(action.is_none(), "{e}");
                assert!(has("inputQuantityList") || has("inputEPCList"), "{e}");
                assert!(has("outputQuantityList") || has("outputEPCList"), "{e}");
            }
            other => panic!("unknown event type {other}"),
        }
        for q in [
            "quantityList",
            "childQuantityList",
            "inputQuantityList",
            "outputQuantityList",
        ] {
            for item in e[q].as_array().into_iter().flatten() {
                assert!(item["quantity"].as_f64().is_some_and(|x| x > 0.0), "{e}");
            }
        }
    }
    for t in [
        "ObjectEvent",
        "AggregationEvent",
        "TransactionEvent",
        "TransformationEvent",
        "AssociationEvent",
    ] {
        assert!(types.contains_key(t), "no {t} in the demo set");
    }
    let ids: BTreeSet<_> = events
        .iter()
        .filter(|e| e.get("errorDeclaration").is_none())
        .map(|e| e["eventID"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids.len(),
        events.len() - 1,
        "event ids are unique (the error declaration repeats one)"
    );
}

#[test]
fn event_times_carry_their_time_zone() {
    for e in all_events() {
        let t = e["eventTime"].as_str().unwrap();
        let parsed =
            chrono::DateTime::parse_from_rfc3339(t).unwrap_or_else(|err| panic!("{t}: {err}"));
        let offset = e["eventTimeZoneOffset"].as_str().unwrap();
        assert!(
            t.ends_with(offset),
            "{t} is not written in its zone {offset}"
        );
        let year = chrono::Datelike::year(&parsed);
        assert!((2025..=2026).contains(&year), "{t}");
        assert!(offset == "+07:00" || offset == "+02:00", "{offset}");
    }
}

#[test]
fn every_shipment_is_received_at_its_destination() {
    let events = all_events();
    let shipments: Vec<&Value> = events
        .iter()
        .filter(|e| e["bizStep"] == "shipping")
        .collect();
    assert!(shipments.len() >= 8);
    for ship in shipments {
        let dest = destination_location(ship)
            .unwrap_or_else(|| panic!("shipment without destination: {ship}"));
        for object in objects(ship) {
            let received = events.iter().any(|r| {
                r["bizStep"] == "receiving"
                    && time_ms(r) > time_ms(ship)
                    && r["readPoint"]["id"].as_str().and_then(key).as_ref() == Some(&dest)
                    && objects(r).contains(&object)
            });
            assert!(
                received,
                "{object:?} shipped by {} never received at {dest:?}",
                ship["eventID"]
            );
        }
    }
}

#[test]
fn transformation_inputs_were_produced_upstream() {
    let events = all_events();
    let plots: BTreeSet<_> = demo::locations()
        .into_iter()
        .filter(|l| l.kind == demo::LocationKind::Plot)
        .map(|l| {
            (
                "loc".to_string(),
                l.gln.gln[..12].to_string(),
                String::new(),
            )
        })
        .collect();
    let harvested: BTreeSet<_> = events
        .iter()
        .filter(|e| e["bizStep"] == "commissioning" && e["type"] == "ObjectEvent")
        .filter(|e| {
            e["readPoint"]["id"]
                .as_str()
                .and_then(key)
                .is_some_and(|k| plots.contains(&k))
        })
        .flat_map(objects)
        .collect();
    let transforms: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "TransformationEvent")
        .collect();
    assert_eq!(transforms.len(), 3);
    for t in transforms {
        for q in t["inputQuantityList"].as_array().unwrap() {
            let k = key(q["epcClass"].as_str().unwrap()).unwrap();
            assert!(
                harvested.contains(&k),
                "input {k:?} was not harvested on a plot"
            );
        }
    }
    // The roaster blends three farm lots from two cooperatives into the retail coffee lot.
    let ids = demo::demo_lots();
    let roast = events
        .iter()
        .find(|e| {
            e["type"] == "TransformationEvent"
                && objects(e).contains(&key(&ids.coffee_roasted.epc_class()).unwrap())
        })
        .unwrap();
    let inputs = objects(roast);
    for lot in &ids.coffee_green {
        assert!(
            inputs.contains(&key(&lot.digital_link()).unwrap()),
            "{lot:?}"
        );
    }
    let owners: BTreeSet<_> = ids
        .coffee_green
        .iter()
        .map(|l| l.gtin.prefix.clone())
        .collect();
    assert_eq!(owners.len(), 2);
}

#[test]
fn pallets_are_packed_before_they_ship() {
    let events = all_events();
    let ids = demo::demo_lots();
    for pallet in ids
        .longan_pallets
        .iter()
        .chain(&ids.coffee_pallets)
        .chain([&ids.pangasius_pallet])
    {
        let k = key(&pallet.uri(demo::ids::IdStyle::DigitalLink)).unwrap();
        let packed = events
            .iter()
            .find(|e| e["bizStep"] == "packing" && objects(e).contains(&k))
            .expect("packed");
        let shipped = events
            .iter()
            .find(|e| e["bizStep"] == "shipping" && objects(e).contains(&k))
            .expect("shipped");
        assert!(time_ms(packed) < time_ms(shipped));
    }
    // The cold-chain pallet carries its temperature logger and frozen readings.
    let k = key(&ids.pangasius_pallet.uri(demo::ids::IdStyle::EpcUrn)).unwrap();
    let assoc = events
        .iter()
        .find(|e| e["type"] == "AssociationEvent" && e["action"] == "ADD")
        .unwrap();
    assert_eq!(assoc["parentID"].as_str().and_then(key), Some(k));
    assert_eq!(assoc["childEPCs"][0], ids.temperature_logger.as_str());
    let readings: Vec<f64> = events
        .iter()
        .flat_map(|e| {
            e["sensorElementList"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|s| s["sensorReport"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["type"] == "Temperature")
        .map(|r| r["value"].as_f64().unwrap())
        .collect();
    assert!(readings.len() >= 5);
    assert!(readings.iter().all(|c| *c <= -18.0), "{readings:?}");
}

#[test]
fn the_error_declaration_points_at_a_captured_event_and_its_correction() {
    let docs = demo::demo_documents();
    let ids = demo::demo_lots();
    let events = all_events();
    let decl = events
        .iter()
        .find(|e| e.get("errorDeclaration").is_some())
        .unwrap();
    assert_eq!(decl["eventID"], ids.erroneous_event_id.as_str());
    assert_eq!(decl["errorDeclaration"]["reason"], "incorrect_data");
    assert_eq!(
        decl["errorDeclaration"]["correctiveEventIDs"][0],
        ids.corrective_event_id.as_str()
    );
    let original = docs[2]["epcisBody"]["eventList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["eventID"] == ids.erroneous_event_id.as_str())
        .unwrap();
    let mut stripped = decl.clone();
    stripped.as_object_mut().unwrap().remove("errorDeclaration");
    assert_eq!(
        &stripped, original,
        "an error declaration repeats the erroneous event"
    );
    let corrective = events
        .iter()
        .find(|e| e["eventID"] == ids.corrective_event_id.as_str())
        .unwrap();
    assert_eq!(corrective["quantityList"][0]["quantity"], 250);
}

#[test]
fn the_purchase_order_is_used_on_the_shipment() {
    let ids = demo::demo_lots();
    let events = all_events();
    let tx = events
        .iter()
        .find(|e| e["type"] == "TransactionEvent")
        .unwrap();
    assert_eq!(
        tx["bizTransactionList"][0]["bizTransaction"],
        ids.coffee_purchase_order.as_str()
    );
    let shipped_on_po = events.iter().any(|e| {
        e["bizStep"] == "shipping"
            && e["bizTransactionList"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|b| b["bizTransaction"] == ids.coffee_purchase_order.as_str())
    });
    assert!(shipped_on_po);
}

#[test]
fn master_data_names_products_and_places_in_vietnamese() {
    let docs = demo::demo_documents();
    let header = &docs[1]["epcisHeader"]["epcisMasterData"]["vocabularyList"];
    assert_eq!(header[0]["type"], "urn:epcglobal:epcis:vtype:EPCClass");
    assert_eq!(
        header[1]["type"],
        "urn:epcglobal:epcis:vtype:BusinessLocation"
    );
    let text = serde_json::to_string(header).unwrap();
    assert!(text.contains("Cà phê Robusta rang xay Ban Mê 500 g"));
    assert!(text.contains("VN-DLCF-0107"));
    assert!(text.contains("Đắk Lắk"));
    let longan = serde_json::to_string(&docs[0]).unwrap();
    assert!(longan.contains("VN-HYLO-0012"));
    // Every location used as a readPoint in a document is described in that document's master data.
    for doc in &docs[..3] {
        let described: BTreeSet<_> = doc["epcisHeader"]["epcisMasterData"]["vocabularyList"][1]
            ["vocabularyElementList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| key(v["id"].as_str().unwrap()).unwrap())
            .collect();
        for e in doc["epcisBody"]["eventList"].as_array().unwrap() {
            if let Some(k) = e["readPoint"]["id"].as_str().and_then(key) {
                assert!(described.contains(&k), "{k:?} has no master data");
            }
        }
    }
}

#[test]
fn registries_are_consistent() {
    let orgs = demo::organisations();
    let glns: BTreeSet<_> = orgs.iter().map(|o| o.gln.clone()).collect();
    assert_eq!(glns.len(), orgs.len());
    assert!(orgs
        .iter()
        .filter(|o| o.country == "VN")
        .all(|o| o.company_prefix.starts_with("893")));
    assert!(orgs
        .iter()
        .any(|o| o.role == demo::Role::Importer && o.country != "VN"));
    for p in demo::products() {
        assert!(orgs
            .iter()
            .any(|o| o.key == p.owner && p.gtin.prefix == o.company_prefix));
    }
    let locs = demo::locations();
    let glns: BTreeSet<_> = locs.iter().map(|l| l.gln.gln.clone()).collect();
    assert_eq!(glns.len(), locs.len());
    for l in &locs {
        if l.kind == demo::LocationKind::Plot {
            assert!(
                l.planting_area_code.is_some() && l.geo.is_some(),
                "{}",
                l.key
            );
        }
    }
}

#[test]
fn the_demo_set_is_deterministic() {
    assert_eq!(demo::demo_documents(), demo::demo_documents());
}
