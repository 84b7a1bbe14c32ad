//! The synthetic generator of the `demo` crate, as the stream of documents the CLI needs.

use demo::synthetic::{Generator, GeneratorConfig};
use serde_json::Value;

/// One generated EPCISDocument and how many events it holds.
pub struct SynthDocument {
    /// The document.
    pub value: Value,
    /// Events in it.
    pub events: usize,
}

/// `events` events in documents of `per_document` (the last one may be smaller), deterministic for `seed`.
pub fn documents(
    seed: u64,
    events: usize,
    per_document: usize,
) -> impl Iterator<Item = SynthDocument> {
    let config = GeneratorConfig {
        events: events as u64,
        events_per_document: per_document,
        ..GeneratorConfig::default()
    };
    Generator::new(seed, config).map(|value| {
        let events = value
            .pointer("/epcisBody/eventList")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        SynthDocument { value, events }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yields_the_requested_events_in_documents_of_the_requested_size() {
        let docs: Vec<SynthDocument> = documents(3, 250, 100).collect();
        assert_eq!(
            docs.iter().map(|d| d.events).collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
        assert_eq!(docs[0].value["type"], "EPCISDocument");
    }
}
