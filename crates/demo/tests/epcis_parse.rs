//! Every demo document and a sample of synthetic documents parse with the epcis crate's
//! validating parser without a single field error.

use demo::synthetic::{Generator, GeneratorConfig};

fn assert_parses(doc: &serde_json::Value, what: &str) -> usize {
    let bytes = serde_json::to_vec(doc).unwrap();
    let parsed = match epcis::parse_document(&bytes, &epcis::Limits::default()) {
        Ok(p) => p,
        Err(e) => panic!("{what}: document refused: {e}"),
    };
    let errors: Vec<String> = parsed
        .events
        .iter()
        .filter_map(|e| e.as_ref().err())
        .flatten()
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: {} validation errors:\n{}",
        errors.len(),
        errors.join("\n")
    );
    parsed.events.len()
}

#[test]
fn demo_documents_parse_without_errors() {
    let docs = demo::demo_documents();
    let mut events = 0;
    for (i, doc) in docs.iter().enumerate() {
        let n = assert_parses(doc, &format!("demo document {i}"));
        assert_eq!(n, doc["epcisBody"]["eventList"].as_array().unwrap().len());
        events += n;
    }
    assert!(events >= 40, "only {events} events parsed");
}

#[test]
fn synthetic_documents_parse_without_errors() {
    let config = GeneratorConfig {
        events: 3_000,
        events_per_document: 500,
        ..GeneratorConfig::default()
    };
    let mut events = 0;
    for (i, doc) in Generator::new(11, config).enumerate() {
        events += assert_parses(&doc, &format!("synthetic document {i}"));
    }
    assert_eq!(events, 3_000);
}
