//! A deterministic generator of national-scale EPCIS data for benchmarks and load tests.
//!
//! Companies with 893 prefixes across the 34 provinces form chains (farms → processor →
//! distributor → retailer): harvest lots are shipped, received and transformed, the output
//! is palletised (SSCC), shipped, unpacked and sold. Chains run interleaved, so a document
//! mixes senders as a national repository would see them. The same seed and configuration
//! always yield the same events, and every event is distinct.
//!
//! ```
//! use demo::synthetic::{Generator, GeneratorConfig};
//! let config = GeneratorConfig { events: 1_000, events_per_document: 100, ..GeneratorConfig::default() };
//! let docs: Vec<_> = Generator::new(7, config).collect();
//! assert_eq!(docs.len(), 10);
//! ```

pub mod blend;
mod chain;
mod world;

use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::Value;

pub use world::{Category, Company, CATEGORIES, PROVINCES};

use crate::document::epcis_document;
use crate::registry::Role;
use chain::{Chain, Plan, Roles, MAX_STEPS};

/// What to generate.
#[derive(Debug, Clone)]
pub struct GeneratorConfig {
    /// Number of companies (at least 4: one per role).
    pub companies: usize,
    /// Total number of events.
    pub events: u64,
    /// Events per document (the last document may hold fewer).
    pub events_per_document: usize,
    /// Chains in progress at once; their events interleave.
    pub concurrent_chains: usize,
    /// Time of the first chain, epoch milliseconds.
    pub start_ms: i64,
    /// Days over which chain starts are spread.
    pub span_days: u32,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            companies: 2_000,
            events: 10_000,
            events_per_document: 500,
            concurrent_chains: 64,
            // 2025-07-01T00:00:00+07:00: the new provinces' first day.
            start_ms: 1_751_302_800_000,
            span_days: 270,
        }
    }
}

/// What has been generated so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Events emitted.
    pub events: u64,
    /// Documents emitted.
    pub documents: u64,
    /// Chains started.
    pub chains: u64,
}

/// The generator: an iterator of `EPCISDocument`s (or of single events via [`Generator::next_event`]).
pub struct Generator {
    seed: u64,
    config: GeneratorConfig,
    companies: Vec<Company>,
    roles: Roles,
    slots: Vec<Option<Chain>>,
    counts: Counts,
    spacing_ms: i64,
}

impl Generator {
    /// A generator for `seed` and `config`.
    pub fn new(seed: u64, config: GeneratorConfig) -> Generator {
        let mut rng = StdRng::seed_from_u64(seed);
        let companies = world::companies(config.companies, &mut rng);
        let ids = |role: Role| -> Vec<u32> {
            companies
                .iter()
                .filter(|c| c.role == role)
                .map(|c| c.index)
                .collect()
        };
        let farms = ids(Role::Farm);
        let farms_by_category = (0..CATEGORIES.len())
            .map(|cat| {
                farms
                    .iter()
                    .copied()
                    .filter(|&f| companies[f as usize].category == cat)
                    .collect()
            })
            .collect();
        let roles = Roles {
            farms_by_category,
            farms,
            processors: ids(Role::Processor),
            distributors: ids(Role::Distributor),
            retailers: ids(Role::Retailer),
        };
        // Spread chain starts over the span so times stay in a realistic window at any scale.
        let expected_chains = (config.events / 14).max(1) as i64;
        let spacing_ms = (i64::from(config.span_days) * 86_400_000 / expected_chains).max(1);
        let slots = (0..config.concurrent_chains.max(1)).map(|_| None).collect();
        Generator {
            seed,
            config,
            companies,
            roles,
            slots,
            counts: Counts::default(),
            spacing_ms,
        }
    }

    /// The companies of this run.
    pub fn companies(&self) -> &[Company] {
        &self.companies
    }

    /// The configuration.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// What has been generated so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    fn plan(&self, id: u64) -> Plan {
        Plan::new(
            self.seed,
            id,
            &self.roles,
            &self.companies,
            self.config.start_ms,
            self.spacing_ms,
        )
    }

    /// The next event, or `None` once `config.events` have been emitted.
    pub fn next_event(&mut self) -> Option<Value> {
        if self.counts.events >= self.config.events {
            return None;
        }
        // Round robin over the slots: each chain advances one step per turn, so a chain
        // started at event t is complete by t + slots × MAX_STEPS (see `sample_epcs`).
        let slot = (self.counts.events % self.slots.len() as u64) as usize;
        for _ in 0..2 {
            if self.slots[slot].is_none() {
                let plan = self.plan(self.counts.chains);
                self.counts.chains += 1;
                self.slots[slot] = Some(Chain::new(plan, &self.companies));
            }
            let event = self.slots[slot]
                .as_mut()
                .and_then(|c| c.next_event(&self.companies));
            if self.slots[slot].as_ref().is_none_or(Chain::done) {
                self.slots[slot] = None;
            }
            if let Some(e) = event {
                self.counts.events += 1;
                return Some(e);
            }
        }
        None
    }

    /// Identifiers that certainly occur in this run's events, spread over the run, written
    /// as their senders write them: farm lots, processed lots and pallets, in turn.
    pub fn sample_epcs(&self, n: usize) -> Vec<String> {
        let max = u64::from(MAX_STEPS);
        // Chain c has started by event (c + 1) × MAX_STEPS and finished slots × MAX_STEPS later.
        let complete = (self.config.events / max).saturating_sub(self.slots.len() as u64);
        if complete == 0 || n == 0 {
            return Vec::new();
        }
        (0..n as u64)
            .filter_map(|k| {
                let id = k * complete / n as u64 % complete;
                let plan = self.plan(id);
                let proc = self.companies.get(plan.processor as usize)?;
                match k % 3 {
                    0 => {
                        let farm = self.companies.get(plan.farms[0] as usize)?;
                        Some(farm.product.lot(farm.style, &plan.farm_lot(0)))
                    }
                    1 => Some(proc.product.lot(proc.style, &plan.output_lot())),
                    _ => Some(plan.pallet(&self.companies)?.uri(proc.style)),
                }
            })
            .collect()
    }
}

impl Iterator for Generator {
    type Item = Value;

    /// The next document of up to `events_per_document` events.
    fn next(&mut self) -> Option<Value> {
        let per_doc = self.config.events_per_document.max(1);
        let mut events = Vec::with_capacity(per_doc);
        while events.len() < per_doc {
            match self.next_event() {
                Some(e) => events.push(e),
                None => break,
            }
        }
        let created = events
            .last()?
            .get("eventTime")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        self.counts.documents += 1;
        Some(epcis_document(None, &created, None, events))
    }
}
