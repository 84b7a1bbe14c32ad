//! Hưng Yên longan: harvest on two planting areas, drying, palletising and export to Hamburg.

use serde_json::{json, Value};

use super::{biz_tx, event_id, harvest_ilmd, vn, DemoLots, World};
use crate::event::{EventBuilder, Qty};

const CHAIN: u32 = 0x1a_0001;
const KGM: Option<&str> = Some("KGM");

pub(super) fn document(w: &World, ids: &DemoLots) -> Value {
    let coop = w.style("longan-coop");
    let proc = w.style("longan-processor");
    let imp = w.style("importer-de");
    let [fresh_a, fresh_b] = &ids.longan_fresh;
    let dried = &ids.longan_dried;
    let [pallet_1, pallet_2] = &ids.longan_pallets;
    let desadv = biz_tx(&w.org("longan-coop").gln, "DESADV-TL-250728-01");
    let po_export = biz_tx(&w.org("importer-de").gln, "PO-HFI-25-0815");
    let desadv_export = biz_tx(&w.org("longan-processor").gln, "DESADV-PH-250804-01");
    let inv_export = biz_tx(&w.org("longan-processor").gln, "INV-PH-2025-0317");
    let coop_from = (w.party("longan-coop"), w.loc("longan-collection"));
    let plant_to = (w.party("longan-processor"), w.loc("longan-drying-plant"));
    let export_from = (w.party("longan-processor"), w.loc("longan-drying-plant"));
    let importer_wh = w.loc("importer-warehouse");
    let export_to = (w.party("importer-de"), importer_wh.clone());

    let mut events = Vec::new();
    for (seq, lot, plot, time, kg) in [
        (1, fresh_a, "longan-plot-12", "2025-07-28T06:30:00", 1850.0),
        (2, fresh_b, "longan-plot-15", "2025-07-28T07:10:00", 1320.0),
    ] {
        let code = w.location(plot).planting_area_code.unwrap_or_default();
        events.push(
            EventBuilder::new("ObjectEvent", vn(time), "+07:00")
                .id(event_id(CHAIN, seq))
                .action("ADD")
                .step("commissioning", Some("active"))
                .at(&w.loc(plot))
                .quantities(
                    "quantityList",
                    vec![Qty(lot.gtin.lot(coop, lot.lot), kg, KGM)],
                )
                .set(
                    "ilmd",
                    harvest_ilmd(code, "2025-07-28", "2025-07-28", Some("2025-08-07")),
                )
                .build(),
        );
    }
    let fresh_both = |style| {
        vec![
            Qty(fresh_a.gtin.lot(style, fresh_a.lot), 1850.0, KGM),
            Qty(fresh_b.gtin.lot(style, fresh_b.lot), 1320.0, KGM),
        ]
    };
    events.push(
        EventBuilder::new("ObjectEvent", vn("2025-07-28T14:00:00"), "+07:00")
            .id(event_id(CHAIN, 3))
            .action("OBSERVE")
            .step("shipping", Some("in_transit"))
            .set("readPoint", json!({ "id": coop_from.1 }))
            .quantities("quantityList", fresh_both(coop))
            .transactions(&[("desadv", &desadv)])
            .hand_over((&coop_from.0, &coop_from.1), (&plant_to.0, &plant_to.1))
            .build(),
    );
    // The processor's system writes EPC URNs: the same lots arrive under another spelling.
    events.push(
        EventBuilder::new("ObjectEvent", vn("2025-07-28T16:45:00"), "+07:00")
            .id(event_id(CHAIN, 4))
            .action("OBSERVE")
            .step("receiving", Some("in_progress"))
            .at(&plant_to.1)
            .quantities("quantityList", fresh_both(proc))
            .transactions(&[("desadv", &desadv)])
            .hand_over((&coop_from.0, &coop_from.1), (&plant_to.0, &plant_to.1))
            .build(),
    );
    events.push(
        EventBuilder::new("TransformationEvent", vn("2025-07-31T10:00:00"), "+07:00")
            .id(event_id(CHAIN, 5))
            .quantities("inputQuantityList", fresh_both(proc))
            .quantities(
                "outputQuantityList",
                vec![Qty(dried.gtin.lot(proc, dried.lot), 1060.0, KGM)],
            )
            .step("commissioning", Some("active"))
            .at(&plant_to.1)
            .set(
                "ilmd",
                json!({
                    "cbvmda:countryOfOrigin": "VN",
                    "cbvmda:bestBeforeDate": "2026-07-31",
                    "tp:productionDate": "2025-07-31",
                    "tp:processVi": "Sấy nhãn nguyên quả bằng lò sấy nhiệt, 48 giờ",
                    "tp:processEn": "Whole-fruit longan drying in a heat kiln, 48 hours",
                }),
            )
            .build(),
    );
    for (seq, pallet, time) in [
        (6, pallet_1, "2025-08-02T08:00:00"),
        (7, pallet_2, "2025-08-02T08:25:00"),
    ] {
        events.push(
            EventBuilder::new("AggregationEvent", vn(time), "+07:00")
                .id(event_id(CHAIN, seq))
                .str("parentID", pallet.uri(proc))
                .quantities(
                    "childQuantityList",
                    vec![Qty(dried.gtin.lot(proc, dried.lot), 530.0, KGM)],
                )
                .action("ADD")
                .step("packing", Some("in_progress"))
                .at(&plant_to.1)
                .build(),
        );
    }
    events.push(
        EventBuilder::new("ObjectEvent", vn("2025-08-04T07:30:00"), "+07:00")
            .id(event_id(CHAIN, 8))
            .epcs("epcList", vec![pallet_1.uri(proc), pallet_2.uri(proc)])
            .action("OBSERVE")
            .step("shipping", Some("in_transit"))
            .set("readPoint", json!({ "id": export_from.1 }))
            .transactions(&[
                ("po", &po_export),
                ("desadv", &desadv_export),
                ("inv", &inv_export),
            ])
            .hand_over(
                (&export_from.0, &export_from.1),
                (&export_to.0, &export_to.1),
            )
            .build(),
    );
    // Summer time in Hamburg: the importer records in its own zone.
    events.push(
        EventBuilder::new(
            "ObjectEvent",
            "2025-08-29T09:15:00.000+02:00".to_string(),
            "+02:00",
        )
        .id(event_id(CHAIN, 9))
        .epcs("epcList", vec![pallet_1.uri(imp), pallet_2.uri(imp)])
        .action("OBSERVE")
        .step("receiving", Some("in_progress"))
        .at(&importer_wh)
        .transactions(&[("po", &po_export), ("desadv", &desadv_export)])
        .hand_over(
            (&export_from.0, &export_from.1),
            (&export_to.0, &export_to.1),
        )
        .build(),
    );
    w.document(
        "urn:uuid:1a000001-0000-4000-8000-d0c000000001",
        "2025-08-29T10:00:00.000+07:00",
        &["longan-fresh", "longan-dried"],
        &[
            "longan-plot-12",
            "longan-plot-15",
            "longan-collection",
            "longan-drying-plant",
            "importer-warehouse",
        ],
        events,
    )
}
