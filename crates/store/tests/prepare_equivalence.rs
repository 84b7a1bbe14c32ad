//! `NewEvent::from_event` reads an event's view once and reuses the identifier
//! conversions validation made; what it prepares must be exactly what the separate,
//! self-contained paths give: the hash of the raw object, `Event::facets` and
//! `TraceEntry::from_json` of the stored object.

use std::path::Path;

use demo::synthetic::{Generator, GeneratorConfig};
use store::{NewEvent, TraceEntry};

fn check_document(bytes: &[u8]) -> usize {
    let Ok(doc) = epcis::parse_any_document(bytes, &epcis::Limits::default()) else {
        return 0;
    };
    let root: Option<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(bytes).ok();
    let mut checked = 0;
    for event in doc.events.into_iter().flatten() {
        let ignored = root
            .as_ref()
            .map(|r| epcis::hash::ignored_fields(r, event.namespaces()))
            .unwrap_or_default();
        let expected_hash = epcis::hash::hash_pre_hash_string(
            &epcis::hash::pre_hash_string_ignoring(event.json(), event.namespaces(), &ignored),
        );
        let prepared = NewEvent::from_event(event.clone(), 1_770_000_000_000);
        assert_eq!(prepared.hash, expected_hash);
        // The object as stored: what the separate paths read.
        let mut stored = event;
        stored.embed_context();
        if stored.event_id().is_none() {
            stored.set_event_id(prepared.hash.clone());
        }
        stored.set_record_time_ms(1_770_000_000_000);
        assert_eq!(prepared.body, serde_json::to_string(stored.json()).unwrap());
        assert_eq!(prepared.facets, stored.facets());
        assert_eq!(prepared.trace, TraceEntry::from_json(stored.json()));
        checked += 1;
    }
    checked
}

#[test]
fn prepared_events_match_the_separate_paths_on_generated_documents() {
    let config = GeneratorConfig {
        events: 3_000,
        events_per_document: 500,
        ..GeneratorConfig::default()
    };
    let mut checked = 0;
    for document in Generator::new(11, config) {
        checked += check_document(&serde_json::to_vec(&document).unwrap());
    }
    assert_eq!(checked, 3_000);
}

#[test]
fn prepared_events_match_the_separate_paths_on_the_shared_examples() {
    let dir = Path::new("/work/shared/gs1/epcis");
    if !dir.is_dir() {
        eprintln!("skipped: no shared EPCIS examples");
        return;
    }
    let mut stack = vec![dir.to_path_buf()];
    let mut checked = 0;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "jsonld" || e == "json" || e == "xml")
            {
                checked += check_document(&std::fs::read(&path).unwrap());
            }
        }
    }
    eprintln!("{checked} example events checked");
    assert!(checked > 0);
}
