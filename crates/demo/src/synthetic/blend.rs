//! Blends: one transformation that combines the output lots of many chains into a new lot
//! (an exporter filling a container with coffee from many processors). Appended to a
//! generated run, blends make trace graphs of hundreds or thousands of identifiers, which
//! the independent chains alone never do.

use serde_json::Value;

use super::chain::{time, HOUR_MS};
use super::Generator;
use crate::event::{EventBuilder, Qty};
use crate::ids::{Gtin, IdStyle};

/// One chain's processed output lot, as its processor writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainOutput {
    /// The output lot (LGTIN class, in the processor's identifier style).
    pub lot: String,
    /// The processor's product.
    pub product: Gtin,
    /// The processor's identifier style.
    pub style: IdStyle,
    /// The processor's site.
    pub site: String,
    /// When the chain started, epoch ms.
    pub start_ms: i64,
}

impl Generator {
    /// How many chains (numbered from 0) are certainly complete once the configured events
    /// have been generated.
    pub fn complete_chains(&self) -> u64 {
        let max = u64::from(super::chain::MAX_STEPS);
        (self.config.events / max).saturating_sub(self.slots.len() as u64)
    }

    /// The output of chain `id`.
    pub fn chain_output(&self, id: u64) -> Option<ChainOutput> {
        let plan = self.plan(id);
        let proc = self.companies.get(plan.processor as usize)?;
        Some(ChainOutput {
            lot: proc.product.lot(proc.style, &plan.output_lot()),
            product: proc.product.clone(),
            style: proc.style,
            site: proc.site.clone(),
            start_ms: plan.start_ms,
        })
    }
}

/// The blends appended to a generated run: what to append, and which lots to trace.
#[derive(Debug, Clone)]
pub struct Blends {
    /// The blend events (`TransformationEvent`s), the export-sized one last.
    pub events: Vec<Value>,
    /// The output lot of each blend of `per` chains.
    pub lots: Vec<String>,
    /// The output lot of the export-sized blend (the first four blends blended again);
    /// `None` with fewer than four blends.
    pub mega: Option<String>,
}

impl Generator {
    /// Blends of `per` consecutive complete chains each (as many as there are complete
    /// groups), and one export-sized blend of the first four blends a day after the last.
    pub fn blends(&self, per: usize) -> Blends {
        let per = per.max(1);
        let groups = self.complete_chains() as usize / per;
        let mut lots = Vec::with_capacity(groups);
        let mut events = Vec::with_capacity(groups + 1);
        let mut last_time = 0;
        for g in 0..groups {
            let outputs: Vec<ChainOutput> = (g * per..(g + 1) * per)
                .filter_map(|id| self.chain_output(id as u64))
                .collect();
            let Some(first) = outputs.first() else {
                continue;
            };
            let inputs: Vec<String> = outputs.iter().map(|o| o.lot.clone()).collect();
            let lot = first.product.lot(first.style, &format!("BLEND-{g}"));
            let time = blend_time(outputs.iter().map(|o| o.start_ms).max().unwrap_or(0));
            last_time = last_time.max(time);
            events.push(blend_event(g as u64, time, &inputs, &lot, &first.site));
            lots.push(lot);
        }
        let mega = match (self.chain_output(0), lots.get(..4)) {
            (Some(first), Some(four)) => {
                let lot = first.product.lot(first.style, "MEGA-0");
                events.push(blend_event(
                    groups as u64,
                    last_time + 86_400_000,
                    four,
                    &lot,
                    &first.site,
                ));
                Some(lot)
            }
            _ => None,
        };
        Blends { events, lots, mega }
    }
}

/// A `TransformationEvent` at `time_ms` turning every input lot (10 kg each) into `output`
/// at `site`, with eventID `urn:uuid:…` derived from `n`.
pub fn blend_event(n: u64, time_ms: i64, inputs: &[String], output: &str, site: &str) -> Value {
    let inputs = inputs
        .iter()
        .map(|lot| Qty(lot.clone(), 10.0, Some("KGM")))
        .collect();
    EventBuilder::new("TransformationEvent", time(time_ms), "+07:00")
        .id(format!("urn:uuid:b1e4d000-0000-4000-8000-{n:012x}"))
        .quantities("inputQuantityList", inputs)
        .quantities(
            "outputQuantityList",
            vec![Qty(output.to_owned(), 10.0 * 0.98, Some("KGM"))],
        )
        .step("commissioning", Some("active"))
        .at(site)
        .build()
}

/// When a blend of chains that started by `last_start_ms` can happen: after every one of
/// them is complete (a chain spans at most `MAX_STEPS` steps of at most 31 hours).
pub fn blend_time(last_start_ms: i64) -> i64 {
    last_start_ms + i64::from(super::chain::MAX_STEPS + 2) * 31 * HOUR_MS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::GeneratorConfig;

    #[test]
    fn blends_name_complete_chains_outputs() {
        let config = GeneratorConfig {
            events: 2_000,
            ..GeneratorConfig::default()
        };
        let gen = Generator::new(5, config);
        let n = gen.complete_chains();
        assert!(n > 10);
        let outputs: Vec<ChainOutput> = (0..10).filter_map(|i| gen.chain_output(i)).collect();
        assert_eq!(outputs.len(), 10);
        let inputs: Vec<String> = outputs.iter().map(|o| o.lot.clone()).collect();
        let last = outputs.iter().map(|o| o.start_ms).max().unwrap();
        let e = blend_event(1, blend_time(last), &inputs, &inputs[0], &outputs[0].site);
        assert_eq!(e["inputQuantityList"].as_array().unwrap().len(), 10);
        // A valid EPCIS event.
        epcis::parse_event(e.to_string().as_bytes(), &epcis::Limits::default()).unwrap();

        let blends = gen.blends(3);
        assert_eq!(blends.lots.len(), n as usize / 3);
        assert_eq!(blends.events.len(), blends.lots.len() + 1);
        assert!(blends.mega.is_some());
    }
}
