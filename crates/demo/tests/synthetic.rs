//! The synthetic generator: deterministic, exact counts, unique events, realistic sizes,
//! valid keys, linked chains and query targets that really occur.

use std::collections::{HashMap, HashSet};

use demo::synthetic::{Generator, GeneratorConfig};
use serde_json::Value;

fn config(events: u64, per_doc: usize) -> GeneratorConfig {
    GeneratorConfig {
        events,
        events_per_document: per_doc,
        companies: 300,
        ..GeneratorConfig::default()
    }
}

fn events(seed: u64, cfg: GeneratorConfig) -> Vec<Value> {
    Generator::new(seed, cfg)
        .flat_map(|d| d["epcisBody"]["eventList"].as_array().unwrap().clone())
        .collect()
}

fn mod10_ok(key: &str) -> bool {
    let digits: Vec<u32> = key.chars().filter_map(|c| c.to_digit(10)).collect();
    let (body, check) = digits.split_at(digits.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    digits.len() == key.len() && (10 - sum % 10) % 10 == check[0]
}

#[test]
fn yields_the_requested_count_in_documents() {
    let mut g = Generator::new(3, config(1_234, 100));
    let docs: Vec<Value> = g.by_ref().collect();
    assert_eq!(docs.len(), 13);
    let sizes: Vec<usize> = docs
        .iter()
        .map(|d| d["epcisBody"]["eventList"].as_array().unwrap().len())
        .collect();
    assert!(sizes[..12].iter().all(|&n| n == 100));
    assert_eq!(sizes[12], 34);
    assert_eq!(g.counts().events, 1_234);
    assert_eq!(g.counts().documents, 13);
    assert!(g.next().is_none());
    for d in &docs {
        assert_eq!(d["type"], "EPCISDocument");
        assert_eq!(d["schemaVersion"], "2.0");
        assert!(d["creationDate"]
            .as_str()
            .is_some_and(|t| t.ends_with("+07:00")));
    }
}

#[test]
fn is_deterministic_for_a_seed() {
    assert_eq!(
        events(42, config(2_000, 500)),
        events(42, config(2_000, 500))
    );
    assert_ne!(events(42, config(500, 500)), events(43, config(500, 500)));
}

#[test]
fn every_event_is_distinct_and_of_realistic_size() {
    let all = events(5, config(20_000, 1_000));
    let texts: Vec<String> = all
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let unique: HashSet<&String> = texts.iter().collect();
    assert_eq!(unique.len(), all.len());
    let avg = texts.iter().map(String::len).sum::<usize>() / texts.len();
    assert!((450..=750).contains(&avg), "average event is {avg} bytes");
    let mut types = HashMap::new();
    for e in &all {
        *types
            .entry(e["type"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
        assert!(e["eventTime"].as_str().unwrap().ends_with("+07:00"));
        let t = chrono::DateTime::parse_from_rfc3339(e["eventTime"].as_str().unwrap()).unwrap();
        assert!((2025..=2026).contains(&chrono::Datelike::year(&t)), "{t}");
    }
    assert!(types.len() >= 3, "{types:?}");
}

#[test]
fn keys_have_valid_check_digits_and_the_893_prefix() {
    for e in events(9, config(3_000, 1_000)) {
        let text = serde_json::to_string(&e).unwrap();
        for part in text.split('"') {
            if let Some(rest) = part.strip_prefix("https://id.gs1.org/") {
                let mut it = rest.split('/');
                let ai = it.next().unwrap();
                let key = it.next().unwrap();
                if ai != "8004" {
                    assert!(mod10_ok(key), "{part}");
                    assert!(
                        key.trim_start_matches('0').starts_with("893") || ai == "00",
                        "{part}"
                    );
                }
            } else if part.starts_with("urn:epc:") {
                assert!(part.contains(":893"), "{part}");
            }
        }
    }
}

#[test]
fn pallets_shipped_are_received_and_sample_targets_occur() {
    let cfg = config(30_000, 1_000);
    let g = Generator::new(17, cfg.clone());
    let targets = g.sample_epcs(30);
    assert_eq!(targets.len(), 30);
    let all = events(17, cfg);
    let text: String = all
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    for t in &targets {
        assert!(text.contains(&format!("\"{t}\"")), "{t} never occurs");
    }
    // Pallets written as their processor writes them appear in exactly one packing and one shipping event.
    let pallet = targets
        .iter()
        .find(|t| t.contains("sscc") || t.contains("/00/"))
        .unwrap();
    let uses: Vec<&str> = all
        .iter()
        .filter(|e| serde_json::to_string(e).unwrap().contains(pallet.as_str()))
        .map(|e| e["bizStep"].as_str().unwrap())
        .collect();
    assert!(
        uses.contains(&"packing") && uses.contains(&"shipping"),
        "{uses:?}"
    );
    // Every shipping of a pallet is followed by a receiving of the same SSCC.
    let sscc_digits = |e: &Value| -> Option<String> {
        let epc = e["epcList"][0].as_str()?;
        match epc.strip_prefix("urn:epc:id:sscc:") {
            Some(urn) => {
                let (prefix, ext_serial) = urn.split_once('.')?;
                Some(format!("{}{prefix}{}", &ext_serial[..1], &ext_serial[1..]))
            }
            None => Some(epc.strip_prefix("https://id.gs1.org/00/")?[..17].to_string()),
        }
    };
    let received: HashSet<String> = all
        .iter()
        .filter(|e| e["bizStep"] == "receiving")
        .filter_map(sscc_digits)
        .collect();
    let shipped: Vec<String> = all
        .iter()
        .filter(|e| e["bizStep"] == "shipping")
        .filter_map(sscc_digits)
        .collect();
    let missing = shipped.iter().filter(|s| !received.contains(*s)).count();
    // Only chains still in flight at the end of the run may lack their receipt.
    assert!(
        missing <= 64,
        "{missing} of {} shipped pallets never received",
        shipped.len()
    );
}

/// Run with `cargo test --release -p traceport-demo -- --ignored` to see the rate.
#[test]
#[ignore]
fn one_million_events_rate() {
    let start = std::time::Instant::now();
    let n: usize = Generator::new(
        1,
        GeneratorConfig {
            events: 1_000_000,
            ..GeneratorConfig::default()
        },
    )
    .map(|d| d["epcisBody"]["eventList"].as_array().map_or(0, Vec::len))
    .sum();
    let secs = start.elapsed().as_secs_f64();
    eprintln!("{n} events in {secs:.2} s: {:.0} events/s", n as f64 / secs);
    assert_eq!(n, 1_000_000);
}
