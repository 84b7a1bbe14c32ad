//! Where the CPU of one capture goes, stage by stage, on the generator's documents, single
//! threaded and without HTTP: parsing and validation, the hash, the context, the body, the
//! facets, the trace entry, and the store's append. Slow; run explicitly:
//! `cargo test -p traceport-store --release --test capture_stages -- --ignored --nocapture`.
//! `TRACEPORT_BENCH_EVENTS` (default 50,000), `TRACEPORT_BENCH_DOC` (events per document and
//! per append, default 1,000).

use std::time::{Duration, Instant};

use demo::synthetic::{Generator, GeneratorConfig};
use store::{AppendMode, NewEvent, SqliteStore, Store, TraceEntry};

#[test]
#[ignore]
fn capture_stage_costs() {
    let env = |name: &str, default: usize| -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let config = GeneratorConfig {
        events: env("TRACEPORT_BENCH_EVENTS", 50_000) as u64,
        events_per_document: env("TRACEPORT_BENCH_DOC", 1000),
        ..GeneratorConfig::default()
    };
    let documents: Vec<Vec<u8>> = Generator::new(7, config)
        .map(|d| serde_json::to_vec(&d).unwrap())
        .collect();
    let limits = epcis::Limits::default();
    let mut t = [Duration::ZERO; 8];
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
    let (mut n, mut facets, mut nodes, mut body_bytes) = (0usize, 0usize, 0usize, 0usize);
    for bytes in &documents {
        let s = Instant::now();
        let doc = epcis::parse_document(bytes, &limits).unwrap();
        t[0] += s.elapsed();
        let mut batch = Vec::with_capacity(doc.events.len());
        for event in doc.events {
            let mut event = event.unwrap();
            n += 1;
            let s = Instant::now();
            let hash = event.hash();
            t[1] += s.elapsed();
            let s = Instant::now();
            event.embed_context();
            if event.event_id().is_none() {
                event.set_event_id(hash.clone());
            }
            event.set_record_time_ms(1_770_000_000_000);
            t[2] += s.elapsed();
            let s = Instant::now();
            let body = serde_json::to_string(event.json()).unwrap();
            t[3] += s.elapsed();
            let s = Instant::now();
            let facets = event.facets();
            t[4] += s.elapsed();
            let s = Instant::now();
            let trace = TraceEntry::from_json(event.json());
            t[5] += s.elapsed();
            let s = Instant::now();
            drop((hash, body, facets, trace));
            let prepared = NewEvent::from_event(event, 1_770_000_000_000);
            t[6] += s.elapsed();
            batch.push(prepared);
        }
        facets += batch.iter().map(|e| e.facets.len()).sum::<usize>();
        nodes += batch
            .iter()
            .map(|e| e.trace.as_ref().map_or(0, |t| t.nodes.len()))
            .sum::<usize>();
        body_bytes += batch.iter().map(|e| e.body.len()).sum::<usize>();
        let s = Instant::now();
        assert!(store
            .append(batch, AppendMode::AllOrNothing)
            .unwrap()
            .all_stored());
        t[7] += s.elapsed();
    }
    let names = [
        "parse+validate",
        "hash",
        "context+ids",
        "body",
        "facets",
        "trace entry",
        "from_event (all of the above after parse)",
        "store append",
    ];
    println!(
        "{n} events: {:.1} facets, {:.1} trace nodes, {:.0} body bytes per event",
        facets as f64 / n as f64,
        nodes as f64 / n as f64,
        body_bytes as f64 / n as f64
    );
    for (name, d) in names.iter().zip(t) {
        println!(
            "{name:45} {:8.1} µs/event",
            d.as_secs_f64() * 1e6 / n as f64
        );
    }
}
