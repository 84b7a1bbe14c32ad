//! One synthetic supply chain: farms → processor → distributor → retailer. Its plan is a
//! pure function of the seed and the chain number, so query targets can be computed
//! without generating anything.

use chrono::{DateTime, SecondsFormat};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use super::world::{Company, CATEGORIES};
use crate::event::{obj, EventBuilder, Qty};
use crate::ids::{giai, IdStyle, Sscc};

/// Most farms feeding one chain.
pub const MAX_FARMS: usize = 3;
/// Most events one chain emits: three per farm, then the processor-to-shop steps.
pub const MAX_STEPS: u32 = 3 * MAX_FARMS as u32 + 9;

pub(crate) const HOUR_MS: i64 = 3_600_000;
const KGM: Option<&str> = Some("KGM");

/// Company indices by role, as the plan picks them.
pub struct Roles {
    /// Farms per product category (index = category).
    pub farms_by_category: Vec<Vec<u32>>,
    /// All farms.
    pub farms: Vec<u32>,
    /// All processors.
    pub processors: Vec<u32>,
    /// All distributors.
    pub distributors: Vec<u32>,
    /// All retailers.
    pub retailers: Vec<u32>,
}

fn pick(rng: &mut StdRng, from: &[u32]) -> u32 {
    from.get(rng.gen_range(0..from.len().max(1)))
        .copied()
        .unwrap_or(0)
}

/// Who and what one chain involves.
pub struct Plan {
    /// Chain number (unique in a run; lot numbers and SSCCs derive from it).
    pub id: u64,
    /// Farm company indices; the first `farm_count` are used.
    pub farms: [u32; MAX_FARMS],
    /// How many farms feed the processor.
    pub farm_count: usize,
    /// Processor, distributor and retailer company indices.
    pub processor: u32,
    /// Distributor.
    pub distributor: u32,
    /// Retailer.
    pub retailer: u32,
    /// Farm lot sizes in kg.
    pub farm_kg: [u32; MAX_FARMS],
    /// Start time, epoch ms.
    pub start_ms: i64,
    rng: StdRng,
}

impl Plan {
    /// The plan of chain `id` under `seed`; chains start `spacing_ms` apart from `base_ms`.
    pub fn new(
        seed: u64,
        id: u64,
        roles: &Roles,
        companies: &[Company],
        base_ms: i64,
        spacing_ms: i64,
    ) -> Plan {
        let mut rng = StdRng::seed_from_u64(seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let processor = pick(&mut rng, &roles.processors);
        let category = companies.get(processor as usize).map_or(0, |c| c.category);
        let pool = match roles.farms_by_category.get(category) {
            Some(f) if !f.is_empty() => f.as_slice(),
            _ => roles.farms.as_slice(),
        };
        let farm_count = rng.gen_range(1..=MAX_FARMS);
        let farms = [
            pick(&mut rng, pool),
            pick(&mut rng, pool),
            pick(&mut rng, pool),
        ];
        let lot_kg = CATEGORIES[category % CATEGORIES.len()].lot_kg;
        let farm_kg = [0; MAX_FARMS].map(|_| rng.gen_range(lot_kg / 2..=lot_kg * 3 / 2) / 10 * 10);
        let distributor = pick(&mut rng, &roles.distributors);
        let retailer = pick(&mut rng, &roles.retailers);
        let start_ms = base_ms + id as i64 * spacing_ms + rng.gen_range(0..spacing_ms.max(1));
        Plan {
            id,
            farms,
            farm_count,
            processor,
            distributor,
            retailer,
            farm_kg,
            start_ms,
            rng,
        }
    }

    /// Lot number of farm `i`'s harvest.
    pub fn farm_lot(&self, i: usize) -> String {
        format!("H{:X}-{}", self.id, i + 1)
    }

    /// Lot number of the processor's output.
    pub fn output_lot(&self) -> String {
        format!("P{:X}", self.id)
    }

    /// The pallet the output travels on, under the processor's prefix.
    pub fn pallet(&self, companies: &[Company]) -> Option<Sscc> {
        let p = companies.get(self.processor as usize)?;
        Some(Sscc::new(
            &p.prefix,
            ((self.id / 10_000_000) % 10) as u8,
            self.id % 10_000_000,
        ))
    }

    /// Events this chain emits.
    pub fn steps(&self, companies: &[Company]) -> u32 {
        3 * self.farm_count as u32 + 8 + u32::from(self.cold_chain(companies))
    }

    fn cold_chain(&self, companies: &[Company]) -> bool {
        companies
            .get(self.processor as usize)
            .is_some_and(|c| CATEGORIES[c.category % CATEGORIES.len()].cold_chain)
    }
}

/// A chain in progress, with the identifiers it reuses at every step worked out once.
pub struct Chain {
    plan: Plan,
    step: u32,
    steps: u32,
    clock_ms: i64,
    farm_lots: [String; MAX_FARMS],
    output_lot: String,
    pallet: Option<Sscc>,
    po: String,
}

/// RFC 3339 with milliseconds in Viet Nam time (`+07:00`): every synthetic event happens there.
pub(crate) fn time(ms: i64) -> String {
    // Shift to local wall time and relabel the offset: cheaper than a time-zone conversion.
    let mut s = DateTime::from_timestamp_millis(ms + 7 * HOUR_MS)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default();
    if s.ends_with('Z') {
        s.pop();
        s.push_str("+07:00");
    }
    s
}

impl Chain {
    /// Starts a chain from its plan.
    pub fn new(plan: Plan, companies: &[Company]) -> Chain {
        let steps = plan.steps(companies);
        let clock_ms = plan.start_ms;
        let farm_lots = [plan.farm_lot(0), plan.farm_lot(1), plan.farm_lot(2)];
        let output_lot = plan.output_lot();
        let pallet = plan.pallet(companies);
        let po = match companies.get(plan.distributor as usize) {
            Some(d) => format!("urn:epcglobal:cbv:bt:{}:PO-{:X}", d.prefix, plan.id),
            None => String::new(),
        };
        Chain {
            plan,
            step: 0,
            steps,
            clock_ms,
            farm_lots,
            output_lot,
            pallet,
            po,
        }
    }

    /// Whether every step has been emitted.
    pub fn done(&self) -> bool {
        self.step >= self.steps
    }

    /// Emits the next event (or `None` when done).
    pub fn next_event(&mut self, companies: &[Company]) -> Option<Value> {
        if self.done() {
            return None;
        }
        let step = self.step;
        self.step += 1;
        let p = &mut self.plan;
        let company = |i: u32| companies.get(i as usize);
        let proc = company(p.processor)?;
        let dist = company(p.distributor)?;
        let shop = company(p.retailer)?;
        let category = &CATEGORIES[proc.category % CATEGORIES.len()];
        let n = p.farm_count as u32;
        // Minutes of jitter keep events distinct and realistic; hours separate the steps.
        self.clock_ms += HOUR_MS * p.rng.gen_range(1..=30) + p.rng.gen_range(0..3_600_000);
        let t = time(self.clock_ms);
        let day = t[..10].to_owned();
        let b = EventBuilder::new("ObjectEvent", t, "+07:00");
        let out_kg: u32 = p.farm_kg[..p.farm_count].iter().sum::<u32>() * category.yield_pct / 100;
        let pallet = self.pallet.as_ref()?;
        let output_lot = &self.output_lot;
        let output = |style: IdStyle| proc.product.lot(style, output_lot);
        let farm_lots = &self.farm_lots;

        let event = if step < 3 * n {
            let i = (step / 3) as usize;
            let farm = company(p.farms[i])?;
            let kg = f64::from(p.farm_kg[i]);
            let lot = |style: IdStyle| farm.product.lot(style, &farm_lots[i]);
            match step % 3 {
                0 => b
                    .action("ADD")
                    .step("commissioning", Some("active"))
                    .at(&farm.site)
                    .quantities("quantityList", vec![Qty(lot(farm.style), kg, KGM)])
                    .set(
                        "ilmd",
                        obj(&[
                            ("cbvmda:countryOfOrigin", "VN"),
                            ("cbvmda:harvestEndDate", &day),
                            (
                                "tp:plantingAreaCode",
                                &format!(
                                    "VN-{}{}-{:04}",
                                    farm.province.0,
                                    category.code,
                                    farm.index % 10_000
                                ),
                            ),
                        ]),
                    ),
                1 => b
                    .action("OBSERVE")
                    .step("shipping", Some("in_transit"))
                    .read_point(&farm.site)
                    .quantities("quantityList", vec![Qty(lot(farm.style), kg, KGM)])
                    .hand_over((&farm.party, &farm.site), (&proc.party, &proc.site)),
                _ => b
                    .action("OBSERVE")
                    .step("receiving", Some("in_progress"))
                    .at(&proc.site)
                    .quantities("quantityList", vec![Qty(lot(proc.style), kg, KGM)])
                    .hand_over((&farm.party, &farm.site), (&proc.party, &proc.site)),
            }
        } else {
            let po = &self.po;
            let shop_kg = f64::from((out_kg / 4).max(1));
            let cold = category.cold_chain;
            // After the farm steps: transform, pack, ship, [sensor], receive, unpack, ship, receive, sell.
            let j = step - 3 * n;
            let k = j - u32::from(cold && j > 3);
            let sensor_step = cold && j == 3;
            if sensor_step {
                let logger = giai(proc.style, &proc.prefix, &format!("T{}", p.id % 1000));
                let c = -18.0 - f64::from(p.rng.gen_range(0..30u8)) / 10.0;
                b.epcs("epcList", vec![pallet.uri(proc.style)])
                    .action("OBSERVE")
                    .step("sensor_reporting", Some("in_transit"))
                    .set(
                        "sensorElementList",
                        json!([{ "sensorMetadata": { "deviceID": logger },
                                 "sensorReport": [{ "type": "Temperature", "value": c, "uom": "CEL" }] }]),
                    )
            } else {
                match k {
                    0 => {
                        let inputs = (0..p.farm_count)
                            .filter_map(|i| {
                                let farm = company(p.farms[i])?;
                                Some(Qty(
                                    farm.product.lot(proc.style, &farm_lots[i]),
                                    f64::from(p.farm_kg[i]),
                                    KGM,
                                ))
                            })
                            .collect();
                        b.kind("TransformationEvent")
                            .quantities("inputQuantityList", inputs)
                            .quantities(
                                "outputQuantityList",
                                vec![Qty(output(proc.style), f64::from(out_kg), KGM)],
                            )
                            .step("commissioning", Some("active"))
                            .at(&proc.site)
                            .set(
                                "ilmd",
                                obj(&[(
                                    "cbvmda:bestBeforeDate",
                                    &time(self.clock_ms + 300 * 24 * HOUR_MS)[..10],
                                )]),
                            )
                    }
                    1 => b
                        .kind("AggregationEvent")
                        .str("parentID", pallet.uri(proc.style))
                        .quantities(
                            "childQuantityList",
                            vec![Qty(output(proc.style), f64::from(out_kg), KGM)],
                        )
                        .action("ADD")
                        .step("packing", Some("in_progress"))
                        .at(&proc.site),
                    2 => b
                        .epcs("epcList", vec![pallet.uri(proc.style)])
                        .action("OBSERVE")
                        .step("shipping", Some("in_transit"))
                        .read_point(&proc.site)
                        .transactions(&[("po", po)])
                        .hand_over((&proc.party, &proc.site), (&dist.party, &dist.site)),
                    3 => b
                        .epcs("epcList", vec![pallet.uri(dist.style)])
                        .action("OBSERVE")
                        .step("receiving", Some("in_progress"))
                        .at(&dist.site)
                        .transactions(&[("po", po)])
                        .hand_over((&proc.party, &proc.site), (&dist.party, &dist.site)),
                    4 => b
                        .kind("AggregationEvent")
                        .str("parentID", pallet.uri(dist.style))
                        .quantities(
                            "childQuantityList",
                            vec![Qty(output(dist.style), f64::from(out_kg), KGM)],
                        )
                        .action("DELETE")
                        .step("unpacking", Some("in_progress"))
                        .at(&dist.site),
                    5 => b
                        .action("OBSERVE")
                        .step("shipping", Some("in_transit"))
                        .read_point(&dist.site)
                        .quantities("quantityList", vec![Qty(output(dist.style), shop_kg, KGM)])
                        .hand_over((&dist.party, &dist.site), (&shop.party, &shop.site)),
                    6 => b
                        .action("OBSERVE")
                        .step("receiving", Some("sellable_accessible"))
                        .at(&shop.site)
                        .quantities("quantityList", vec![Qty(output(shop.style), shop_kg, KGM)])
                        .hand_over((&dist.party, &dist.site), (&shop.party, &shop.site)),
                    _ => b
                        .action("OBSERVE")
                        .step("retail_selling", Some("retail_sold"))
                        .at(&shop.site)
                        .quantities(
                            "quantityList",
                            vec![Qty(
                                output(shop.style),
                                f64::from(p.rng.gen_range(1..=40u8)),
                                KGM,
                            )],
                        ),
                }
            }
        };
        Some(event.build())
    }
}
