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
    }
}
