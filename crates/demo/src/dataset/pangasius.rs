//! An Giang pangasius: pond harvest, filleting and freezing, a cold-chain pallet with a
//! temperature logger, a supermarket distribution centre and two stores; then a receipt
//! recorded with the wrong quantity, declared erroneous and corrected.

use serde_json::{json, Value};

use super::{biz_tx, event_id, vn, DemoLots, World};
use crate::document::epcis_document;
use crate::event::{EventBuilder, Qty};

pub(super) const CHAIN: u32 = 0x1a_0003;
const KGM: Option<&str> = Some("KGM");

/// Temperature readings (time, °C) as the logger reports them.
fn temperatures(logger: &str, readings: &[(&str, f64)]) -> Value {
    let reports: Vec<Value> = readings
        .iter()
        .map(|(t, c)| json!({ "type": "Temperature", "value": c, "uom": "CEL", "time": vn(t) }))
        .collect();
    let first = readings.first().map(|(t, _)| vn(t)).unwrap_or_default();
    json!([{ "sensorMetadata": { "time": first, "deviceID": logger }, "sensorReport": reports }])
}

/// The store receipt as first recorded (520 kg, a typing error) or as corrected (250 kg).
fn store_receipt(w: &World, ids: &DemoLots, seq: u32, kg: f64) -> EventBuilder {
    let sm = w.style("supermarket");
    let fillet = &ids.pangasius_fillet;
    let dc = w.loc("supermarket-dc");
    let store = w.loc("supermarket-store-hn");
    let party = w.party("supermarket");
    EventBuilder::new("ObjectEvent", vn("2026-03-07T08:00:00"), "+07:00")
        .id(event_id(CHAIN, seq))
        .action("OBSERVE")
        .step("receiving", Some("sellable_accessible"))
        .at(&store)
        .quantities(
            "quantityList",
            vec![Qty(fillet.gtin.lot(sm, fillet.lot), kg, KGM)],
        )
        .hand_over((&party, &dc), (&party, &store))
}

pub(super) fn document(w: &World, ids: &DemoLots) -> Value {
    let farm = w.style("pangasius-farm");
    let proc = w.style("pangasius-processor");
    let sm = w.style("supermarket");
    let whole = &ids.pangasius_whole;
    let fillet = &ids.pangasius_fillet;
    let pallet = &ids.pangasius_pallet;
    let logger = &ids.temperature_logger;
    let pond = w.loc("pangasius-pond-7");
    let plant = w.loc("pangasius-plant");
    let dc = w.loc("supermarket-dc");
    let farm_party = w.party("pangasius-farm");
    let proc_party = w.party("pangasius-processor");
    let sm_party = w.party("supermarket");
    let mut events = Vec::new();
    let id = |seq| event_id(CHAIN, seq);

    let code = w
        .location("pangasius-pond-7")
        .planting_area_code
        .unwrap_or_default();
    events.push(
        EventBuilder::new("ObjectEvent", vn("2026-03-02T05:30:00"), "+07:00")
            .id(id(1))
            .action("ADD")
            .step("commissioning", Some("active"))
            .at(&pond)
            .quantities(
                "quantityList",
                vec![Qty(whole.gtin.lot(farm, whole.lot), 12500.0, KGM)],
            )
            .set(
                "ilmd",
                json!({
                    "cbvmda:countryOfOrigin": "VN",
                    "cbvmda:harvestStartDate": "2026-03-02",
                    "cbvmda:harvestEndDate": "2026-03-02",
                    "cbvmda:productionMethodForFishAndSeafoodCode": "AQUACULTURE",
                    "tp:speciesScientificName": "Pangasianodon hypophthalmus",
                    "tp:plantingAreaCode": code,
                }),
            )
            .build(),
    );
    let desadv = biz_tx(&w.org("pangasius-farm").gln, "DESADV-TS-260302");
    for (seq, time, step, disposition, style) in [
        (2, "2026-03-02T07:00:00", "shipping", "in_transit", farm),
        (3, "2026-03-02T10:30:00", "receiving", "in_progress", proc),
    ] {
        let b = EventBuilder::new("ObjectEvent", vn(time), "+07:00")
            .id(id(seq))
            .action("OBSERVE")
            .step(step, Some(disposition));
        let b = if step == "shipping" {
            b.set("readPoint", json!({ "id": pond }))
        } else {
            b.at(&plant)
        };
        events.push(
            b.quantities(
                "quantityList",
                vec![Qty(whole.gtin.lot(style, whole.lot), 12500.0, KGM)],
            )
            .transactions(&[("desadv", &desadv)])
            .hand_over((&farm_party, &pond), (&proc_party, &plant))
            .build(),
        );
    }
    events.push(
        EventBuilder::new("TransformationEvent", vn("2026-03-02T16:00:00"), "+07:00")
            .id(id(4))
            .quantities(
                "inputQuantityList",
                vec![Qty(whole.gtin.lot(proc, whole.lot), 12500.0, KGM)],
            )
            .quantities(
                "outputQuantityList",
                vec![Qty(fillet.gtin.lot(proc, fillet.lot), 4300.0, KGM)],
            )
            .step("commissioning", Some("active"))
            .at(&plant)
            .set(
                "ilmd",
                json!({
                    "cbvmda:countryOfOrigin": "VN",
                    "cbvmda:firstFreezeDate": "2026-03-02",
                    "cbvmda:itemExpirationDate": "2028-03-02",
                    "cbvmda:productionMethodForFishAndSeafoodCode": "AQUACULTURE",
                    "tp:productionDate": "2026-03-02",
                    "tp:storageTemperatureVi": "Bảo quản ở -18 °C hoặc thấp hơn",
                }),
            )
            .build(),
    );
    events.push(
        EventBuilder::new("AggregationEvent", vn("2026-03-03T09:00:00"), "+07:00")
            .id(id(5))
            .str("parentID", pallet.uri(proc))
            .quantities(
                "childQuantityList",
                vec![Qty(fillet.gtin.lot(proc, fillet.lot), 1000.0, KGM)],
            )
            .action("ADD")
            .step("packing", Some("in_progress"))
            .at(&plant)
            .build(),
    );
    events.push(
        EventBuilder::new("AssociationEvent", vn("2026-03-03T09:10:00"), "+07:00")
            .id(id(6))
            .str("parentID", pallet.uri(proc))
            .epcs("childEPCs", vec![logger.clone()])
            .action("ADD")
            .step("assembling", None)
            .at(&plant)
            .build(),
    );
    let po = biz_tx(&w.org("supermarket").gln, "PO-XV-2026-1184");
    let desadv = biz_tx(&w.org("pangasius-processor").gln, "DESADV-LX-260303");
    let inv = biz_tx(&w.org("pangasius-processor").gln, "INV-LX-2026-0211");
    events.push(
        EventBuilder::new("ObjectEvent", vn("2026-03-03T13:00:00"), "+07:00")
            .id(id(7))
            .epcs("epcList", vec![pallet.uri(proc)])
            .action("OBSERVE")
            .step("shipping", Some("in_transit"))
            .set("readPoint", json!({ "id": plant }))
            .transactions(&[("po", &po), ("desadv", &desadv), ("inv", &inv)])
            .hand_over((&proc_party, &plant), (&sm_party, &dc))
            .set(
                "sensorElementList",
                temperatures(logger, &[("2026-03-03T12:55:00", -19.6)]),
            )
            .build(),
    );
    events.push(
        EventBuilder::new("ObjectEvent", vn("2026-03-04T01:00:00"), "+07:00")
            .id(id(8))
            .epcs("epcList", vec![pallet.uri(proc)])
            .action("OBSERVE")
            .step("sensor_reporting", Some("in_transit"))
            .set(
                "sensorElementList",
                temperatures(
                    logger,
                    &[
                        ("2026-03-03T16:00:00", -19.2),
                        ("2026-03-03T19:00:00", -18.7),
                        ("2026-03-03T22:00:00", -18.9),
                        ("2026-03-04T01:00:00", -19.0),
                    ],
                ),
            )
            .build(),
    );
    events.push(
        EventBuilder::new("ObjectEvent", vn("2026-03-04T06:40:00"), "+07:00")
            .id(id(9))
            .epcs("epcList", vec![pallet.uri(sm)])
            .action("OBSERVE")
            .step("receiving", Some("in_progress"))
            .at(&dc)
            .transactions(&[("po", &po), ("desadv", &desadv)])
            .hand_over((&proc_party, &plant), (&sm_party, &dc))
            .set(
                "sensorElementList",
                temperatures(logger, &[("2026-03-04T06:35:00", -18.4)]),
            )
            .build(),
    );
    events.push(
        EventBuilder::new("AssociationEvent", vn("2026-03-04T06:50:00"), "+07:00")
            .id(id(10))
            .str("parentID", pallet.uri(sm))
            .epcs("childEPCs", vec![logger.clone()])
            .action("DELETE")
            .step("disassembling", None)
            .at(&dc)
            .build(),
    );
    events.push(
        EventBuilder::new("AggregationEvent", vn("2026-03-04T08:00:00"), "+07:00")
            .id(id(11))
            .str("parentID", pallet.uri(sm))
            .quantities(
                "childQuantityList",
                vec![Qty(fillet.gtin.lot(sm, fillet.lot), 1000.0, KGM)],
            )
            .action("DELETE")
            .step("unpacking", Some("in_progress"))
            .at(&dc)
            .build(),
    );
    // The chain moves stock from its DC to its stores: same owner, different places.
    for (seq, store, kg, time) in [
        (12, "supermarket-store-hcm", 300.0, "2026-03-05T05:00:00"),
        (13, "supermarket-store-hn", 250.0, "2026-03-05T05:30:00"),
    ] {
        let place = w.loc(store);
        events.push(
            EventBuilder::new("ObjectEvent", vn(time), "+07:00")
                .id(id(seq))
                .action("OBSERVE")
                .step("shipping", Some("in_transit"))
                .set("readPoint", json!({ "id": dc }))
                .quantities(
                    "quantityList",
                    vec![Qty(fillet.gtin.lot(sm, fillet.lot), kg, KGM)],
                )
                .hand_over((&sm_party, &dc), (&sm_party, &place))
                .build(),
        );
    }
    let hcm_store = w.loc("supermarket-store-hcm");
    events.push(
        EventBuilder::new("ObjectEvent", vn("2026-03-05T09:00:00"), "+07:00")
            .id(id(14))
            .action("OBSERVE")
            .step("receiving", Some("sellable_accessible"))
            .at(&hcm_store)
            .quantities(
                "quantityList",
                vec![Qty(fillet.gtin.lot(sm, fillet.lot), 300.0, KGM)],
            )
            .hand_over((&sm_party, &dc), (&sm_party, &hcm_store))
            .build(),
    );
    events.push(store_receipt(w, ids, 15, 520.0).build());

    w.document(
        "urn:uuid:1a000003-0000-4000-8000-d0c000000001",
        "2026-03-07T08:30:00.000+07:00",
        &["pangasius-whole", "pangasius-fillet"],
        &[
            "pangasius-pond-7",
            "pangasius-plant",
            "supermarket-dc",
            "supermarket-store-hcm",
            "supermarket-store-hn",
        ],
        events,
    )
}

/// The error declaration of the wrong receipt (same event, same id, plus `errorDeclaration`)
/// and the corrective event, sent the same day.
pub(super) fn corrections(w: &World, ids: &DemoLots) -> Value {
    let declaration = store_receipt(w, ids, 15, 520.0)
        .set(
            "errorDeclaration",
            json!({
                "declarationTime": vn("2026-03-07T10:00:00"),
                "reason": "incorrect_data",
                "correctiveEventIDs": [ids.corrective_event_id],
                "tp:noteVi": "Nhập sai số lượng: 520 kg thay vì 250 kg",
            }),
        )
        .build();
    let corrective = store_receipt(w, ids, 16, 250.0).build();
    epcis_document(
        Some("urn:uuid:1a000003-0000-4000-8000-d0c000000002"),
        "2026-03-07T10:05:00.000+07:00",
        None,
        vec![declaration, corrective],
    )
}
