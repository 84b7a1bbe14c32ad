//! Đắk Lắk coffee: green beans from three plots of two cooperatives, roasted into one lot,
//! palletised, and sold through a Hà Nội distributor and a shop in TP. Hồ Chí Minh.

use serde_json::{json, Value};

use super::{biz_tx, event_id, harvest_ilmd, vn, DemoLots, World};
use crate::event::{EventBuilder, Qty};

const CHAIN: u32 = 0x1a_0002;
const KGM: Option<&str> = Some("KGM");

pub(super) fn document(w: &World, ids: &DemoLots) -> Value {
    let roaster = w.style("coffee-roaster");
    let dist = w.style("distributor-hn");
    let shop_hn = w.style("shop-hn");
    let shop_hcm = w.style("shop-hcm");
    let roasted = &ids.coffee_roasted;
    let [pallet_hn, pallet_hcm] = &ids.coffee_pallets;
    let roastery = w.loc("coffee-roastery");
    let roaster_party = w.party("coffee-roaster");
    let mut seq = 0u32;
    let mut next = || {
        seq += 1;
        event_id(CHAIN, seq)
    };
    let mut events = Vec::new();

    // Harvest: each plot's beans, dried and hulled by the cooperative, become one green lot.
    let harvests = [
        (
            &ids.coffee_green[0],
            "coffee-plot-eatu-1",
            "coffee-coop-eatu",
            "2025-11-20T07:00:00",
            2400.0,
            "2025-11-05",
        ),
        (
            &ids.coffee_green[1],
            "coffee-plot-eatu-2",
            "coffee-coop-eatu",
            "2025-11-21T07:30:00",
            1800.0,
            "2025-11-07",
        ),
        (
            &ids.coffee_green[2],
            "coffee-plot-cumgar-1",
            "coffee-coop-cumgar",
            "2025-11-24T08:00:00",
            2100.0,
            "2025-11-10",
        ),
    ];
    for (lot, plot, coop, time, kg, start) in harvests {
        let code = w.location(plot).planting_area_code.unwrap_or_default();
        let mut ilmd = harvest_ilmd(code, start, &time[..10], None);
        if let Some(m) = ilmd.as_object_mut() {
            m.insert("tp:speciesVi".into(), json!("Cà phê vối (Robusta)"));
            m.insert("tp:speciesScientificName".into(), json!("Coffea canephora"));
        }
        events.push(
            EventBuilder::new("ObjectEvent", vn(time), "+07:00")
                .id(next())
                .action("ADD")
                .step("commissioning", Some("active"))
                .at(&w.loc(plot))
                .quantities(
                    "quantityList",
                    vec![Qty(lot.gtin.lot(w.style(coop), lot.lot), kg, KGM)],
                )
                .set("ilmd", ilmd)
                .build(),
        );
    }

    // Each cooperative ships its lots to the roastery; the roaster records them on arrival.
    let shipments = [
        (
            "coffee-coop-eatu",
            "coffee-eatu-warehouse",
            &ids.coffee_green[..2],
            [2400.0, 1800.0].as_slice(),
            "2025-12-02T08:00:00",
            "2025-12-02T15:00:00",
            "DESADV-EATU-251202",
        ),
        (
            "coffee-coop-cumgar",
            "coffee-cumgar-warehouse",
            &ids.coffee_green[2..],
            [2100.0].as_slice(),
            "2025-12-03T09:00:00",
            "2025-12-03T14:30:00",
            "DESADV-CMG-251203",
        ),
    ];
    for (coop, warehouse, lots, kgs, sent, received, desadv) in shipments {
        let desadv = biz_tx(&w.org(coop).gln, desadv);
        let from = (w.party(coop), w.loc(warehouse));
        let qty = |style| {
            lots.iter()
                .zip(kgs)
                .map(|(l, kg)| Qty(l.gtin.lot(style, l.lot), *kg, KGM))
                .collect()
        };
        events.push(
            EventBuilder::new("ObjectEvent", vn(sent), "+07:00")
                .id(next())
                .action("OBSERVE")
                .step("shipping", Some("in_transit"))
                .set("readPoint", json!({ "id": from.1 }))
                .quantities("quantityList", qty(w.style(coop)))
                .transactions(&[("desadv", &desadv)])
                .hand_over((&from.0, &from.1), (&roaster_party, &roastery))
                .build(),
        );
        events.push(
            EventBuilder::new("ObjectEvent", vn(received), "+07:00")
                .id(next())
                .action("OBSERVE")
                .step("receiving", Some("in_progress"))
                .at(&roastery)
                .quantities("quantityList", qty(roaster))
                .transactions(&[("desadv", &desadv)])
                .hand_over((&from.0, &from.1), (&roaster_party, &roastery))
                .build(),
        );
    }

    // The distributor orders roasted coffee before the roast.
    let po = ids.coffee_purchase_order.clone();
    events.push(
        EventBuilder::new("TransactionEvent", vn("2026-01-05T09:00:00"), "+07:00")
            .id(next())
            .transactions(&[("po", &po)])
            .quantities(
                "quantityList",
                vec![Qty(roasted.gtin.class(dist), 2400.0, None)],
            )
            .action("ADD")
            .set("readPoint", json!({ "id": w.loc("distributor-hn-dc") }))
            .hand_over(
                (&roaster_party, &roastery),
                (&w.party("distributor-hn"), &w.loc("distributor-hn-dc")),
            )
            .build(),
    );

    // One roast blends 900 kg from each green lot into 4,400 bags of 500 g.
    let inputs = ids
        .coffee_green
        .iter()
        .map(|l| Qty(l.gtin.lot(roaster, l.lot), 900.0, KGM))
        .collect();
    events.push(
        EventBuilder::new("TransformationEvent", vn("2026-01-08T08:00:00"), "+07:00")
            .id(next())
            .quantities("inputQuantityList", inputs)
            .quantities(
                "outputQuantityList",
                vec![Qty(roasted.gtin.lot(roaster, roasted.lot), 4400.0, None)],
            )
            .step("commissioning", Some("active"))
            .at(&roastery)
            .set(
                "ilmd",
                json!({
                    "cbvmda:countryOfOrigin": "VN",
                    "cbvmda:bestBeforeDate": "2027-01-08",
                    "tp:productionDate": "2026-01-08",
                    "tp:roastLevel": "medium-dark",
                }),
            )
            .build(),
    );
    for (pallet, bags, time) in [
        (pallet_hn, 2400.0, "2026-01-09T10:00:00"),
        (pallet_hcm, 2000.0, "2026-01-09T10:20:00"),
    ] {
        events.push(
            EventBuilder::new("AggregationEvent", vn(time), "+07:00")
                .id(next())
                .str("parentID", pallet.uri(roaster))
                .quantities(
                    "childQuantityList",
                    vec![Qty(roasted.gtin.lot(roaster, roasted.lot), bags, None)],
                )
                .action("ADD")
                .step("packing", Some("in_progress"))
                .at(&roastery)
                .build(),
        );
    }

    // Pallet to Hà Nội (by road, two days) and pallet to the shop in TP. Hồ Chí Minh.
    let hn_dc = w.loc("distributor-hn-dc");
    let hn_party = w.party("distributor-hn");
    let hcm_store = w.loc("shop-hcm-store");
    let hcm_party = w.party("shop-hcm");
    let roaster_gln = w.org("coffee-roaster").gln.clone();
    let legs = [
        (
            pallet_hn,
            &hn_party,
            &hn_dc,
            dist,
            po.clone(),
            "2026-01-12T07:00:00",
            "2026-01-14T15:00:00",
            "0112A",
        ),
        (
            pallet_hcm,
            &hcm_party,
            &hcm_store,
            shop_hcm,
            biz_tx(&w.org("shop-hcm").gln, "PO-SGX-2026-007"),
            "2026-01-12T07:30:00",
            "2026-01-13T10:00:00",
            "0112B",
        ),
    ];
    let mut receipts = Vec::new();
    for (pallet, party, place, style, order, sent, received, doc) in legs {
        let desadv = biz_tx(&roaster_gln, &format!("DESADV-BM-26{doc}"));
        let inv = biz_tx(&roaster_gln, &format!("INV-BM-26{doc}"));
        events.push(
            EventBuilder::new("ObjectEvent", vn(sent), "+07:00")
                .id(next())
                .epcs("epcList", vec![pallet.uri(roaster)])
                .action("OBSERVE")
                .step("shipping", Some("in_transit"))
                .set("readPoint", json!({ "id": roastery }))
                .transactions(&[("po", &order), ("desadv", &desadv), ("inv", &inv)])
                .hand_over((&roaster_party, &roastery), (party, place))
                .build(),
        );
        receipts.push(
            EventBuilder::new("ObjectEvent", vn(received), "+07:00")
                .epcs("epcList", vec![pallet.uri(style)])
                .action("OBSERVE")
                .step("receiving", Some("in_progress"))
                .at(place)
                .transactions(&[("po", &order), ("desadv", &desadv)])
                .hand_over((&roaster_party, &roastery), (party, place))
                .build(),
        );
    }
    // Receipts carry their ids in time order: the HCM shop receives first.
    for receipt in receipts.into_iter().rev() {
        let id = next();
        if let Value::Object(mut m) = receipt {
            m.insert("eventID".into(), Value::String(id));
            events.push(Value::Object(m));
        }
    }

    // Hà Nội: unpack, send 400 bags to the Old Quarter shop, sell.
    let roasted_dist = roasted.gtin.lot(dist, roasted.lot);
    events.push(
        EventBuilder::new("AggregationEvent", vn("2026-01-15T08:00:00"), "+07:00")
            .id(next())
            .str("parentID", pallet_hn.uri(dist))
            .quantities(
                "childQuantityList",
                vec![Qty(roasted_dist.clone(), 2400.0, None)],
            )
            .action("DELETE")
            .step("unpacking", Some("sellable_not_accessible"))
            .at(&hn_dc)
            .build(),
    );
    let shop = w.loc("shop-hn-store");
    let shop_party = w.party("shop-hn");
    let desadv = biz_tx(&w.org("distributor-hn").gln, "DESADV-HT-260116-03");
    events.push(
        EventBuilder::new("ObjectEvent", vn("2026-01-16T08:00:00"), "+07:00")
            .id(next())
            .action("OBSERVE")
            .step("shipping", Some("in_transit"))
            .set("readPoint", json!({ "id": hn_dc }))
            .quantities("quantityList", vec![Qty(roasted_dist, 400.0, None)])
            .transactions(&[("desadv", &desadv)])
            .hand_over((&hn_party, &hn_dc), (&shop_party, &shop))
            .build(),
    );
    let roasted_shop = roasted.gtin.lot(shop_hn, roasted.lot);
    events.push(
        EventBuilder::new("ObjectEvent", vn("2026-01-16T11:00:00"), "+07:00")
            .id(next())
            .action("OBSERVE")
            .step("receiving", Some("sellable_accessible"))
            .at(&shop)
            .quantities("quantityList", vec![Qty(roasted_shop.clone(), 400.0, None)])
            .transactions(&[("desadv", &desadv)])
            .hand_over((&hn_party, &hn_dc), (&shop_party, &shop))
            .build(),
    );
    events.push(
        EventBuilder::new("ObjectEvent", vn("2026-01-17T18:00:00"), "+07:00")
            .id(next())
            .action("OBSERVE")
            .step("retail_selling", Some("retail_sold"))
            .at(&shop)
            .quantities("quantityList", vec![Qty(roasted_shop, 37.0, None)])
            .build(),
    );

    w.document(
        "urn:uuid:1a000002-0000-4000-8000-d0c000000001",
        "2026-01-17T18:30:00.000+07:00",
        &["coffee-green-eatu", "coffee-green-cumgar", "coffee-roasted"],
        &[
            "coffee-plot-eatu-1",
            "coffee-plot-eatu-2",
            "coffee-plot-cumgar-1",
            "coffee-eatu-warehouse",
            "coffee-cumgar-warehouse",
            "coffee-roastery",
            "distributor-hn-dc",
            "shop-hn-store",
            "shop-hcm-store",
        ],
        events,
    )
}
