//! Trace latency through the store (`TraceStore::trace`) on the bench's blended lots: the
//! quick way to measure the trace path without building the whole binary. Slow; run
//! explicitly:
//! `cargo test -p traceport-store --release --test trace_speed -- --ignored --nocapture`.
//! `TRACEPORT_BENCH_EVENTS` (default 100,000), `TRACEPORT_BENCH_TRACES` (500),
//! `TRACEPORT_BENCH_BLEND` (chains per blend, 250), `TRACEPORT_BENCH_MAX_NODES` (the
//! requests' node limit, 10,000: lower it to compare truncated traces); `TRACEPORT_TEST_BACKEND=postgres` runs
//! it on a scratch PostgreSQL database; `TRACEPORT_BENCH_DB=path` keeps the SQLite store
//! there and reuses it on the next run (same settings), to skip loading;
//! `TRACEPORT_BENCH_NO_HELPERS=1` (SQLite) also times, interleaved trace by trace, the same
//! store opened without trace helper threads (every step read by the tracing thread alone).
//! Prints a digest of every traced graph, so that two
//! builds can be checked to compute the same traces.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use demo::synthetic::{Generator, GeneratorConfig};
use serde_json::Value;
use store::postgres::scratch::ScratchDatabase;
use store::{AppendMode, Backend, NewEvent, PgStore, SqliteOptions, SqliteStore, TraceStore};
use trace::TraceRequest;

// The allocator of the traceport binary, so that the figures are the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn new_events(list: &[Value]) -> Vec<NewEvent> {
    list.iter()
        .map(|v| {
            let e = epcis::parse_event(v.to_string().as_bytes(), &epcis::Limits::default())
                .expect("a generated event is valid");
            NewEvent::from_event(e, 1_770_000_000_000)
        })
        .collect()
}

fn append(store: &dyn Backend, list: &[Value]) {
    let out = store
        .append(new_events(list), AppendMode::AllOrNothing)
        .unwrap();
    assert!(out.all_stored());
}

/// CPU time of this thread (user + system), at 100 ticks per second; Linux only.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn ms(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p / 100.0).round() as usize;
    sorted.get(i).map_or(f64::NAN, |&us| us as f64 / 1000.0)
}

#[test]
#[ignore]
fn blended_lot_trace_latency() {
    let events = env("TRACEPORT_BENCH_EVENTS", 100_000);
    let traces = env("TRACEPORT_BENCH_TRACES", 500);
    let per = env("TRACEPORT_BENCH_BLEND", 250);
    let max_nodes = env("TRACEPORT_BENCH_MAX_NODES", 10_000);
    let request = |key: &str| TraceRequest {
        max_nodes,
        ..TraceRequest::new(key)
    };
    let dir = tempfile::tempdir().unwrap();
    let path = std::env::var_os("TRACEPORT_BENCH_DB")
        .map_or_else(|| dir.path().join("traceport.sqlite"), Into::into);
    let reuse = path.exists();
    let postgres = std::env::var("TRACEPORT_TEST_BACKEND").is_ok_and(|b| b == "postgres");
    let scratch =
        postgres.then(|| ScratchDatabase::for_test("tp_trace_speed").expect("PostgreSQL"));
    let open = || -> Arc<dyn Backend> {
        match &scratch {
            Some(db) => Arc::new(PgStore::open(db.url()).unwrap()),
            None => Arc::new(SqliteStore::open(&path).unwrap()),
        }
    };
    let store = open();

    let config = GeneratorConfig {
        events: events as u64,
        events_per_document: 1000,
        ..GeneratorConfig::default()
    };
    let started = Instant::now();
    let generator = Generator::new(7, config.clone());
    let blends = generator.blends(per);
    if !reuse || postgres {
        for doc in Generator::new(7, config) {
            let list = doc["epcisBody"]["eventList"].as_array().unwrap();
            append(store.as_ref(), list);
        }
        append(store.as_ref(), &blends.events);
    }
    eprintln!(
        "loaded {} events in {:.1} s ({} blends of {per})",
        store.event_count().unwrap(),
        started.elapsed().as_secs_f64(),
        blends.lots.len()
    );
    assert!(
        blends.lots.len() >= 4,
        "too few complete chains for the blends"
    );
    let keys: Vec<String> = blends
        .lots
        .iter()
        .map(|l| gs1::canonical_id(l).into_owned())
        .collect();

    // A reopened store: nothing decoded by the loading run is left in memory.
    drop(store);
    let store = open();
    let mut digest = DefaultHasher::new();
    let mut nodes = 0;
    let cold = Instant::now();
    for key in &keys {
        let graph = store.trace(&request(key)).unwrap();
        serde_json::to_string(&graph).unwrap().hash(&mut digest);
        nodes = nodes.max(graph.nodes.len());
    }
    let cold = cold.elapsed().as_secs_f64() * 1e3 / keys.len() as f64;
    let one_reader =
        (!postgres && std::env::var("TRACEPORT_BENCH_NO_HELPERS").is_ok()).then(|| {
            let options = SqliteOptions {
                trace_helpers: 0,
                ..SqliteOptions::default()
            };
            SqliteStore::open_with(&path, options).unwrap()
        });
    if let Some(other) = &one_reader {
        for key in &keys {
            other.trace(&request(key)).unwrap();
        }
    }
    let mut us = Vec::with_capacity(traces);
    let mut us_one = Vec::with_capacity(traces);
    let time = |store: &dyn Backend, key: &str, into: &mut Vec<u64>| {
        let request = request(key);
        let t = Instant::now();
        let graph = store.trace(&request).unwrap();
        into.push(t.elapsed().as_micros() as u64);
        assert!(graph.nodes.len() > per.min(max_nodes - 1));
    };
    let cpu = thread_cpu();
    for i in 0..traces {
        let key = &keys[i % keys.len()];
        match &one_reader {
            // Each goes first every other time: the second finds the pages warm.
            Some(other) if i % 2 == 1 => {
                time(other, key, &mut us_one);
                time(store.as_ref(), key, &mut us);
            }
            Some(other) => {
                time(store.as_ref(), key, &mut us);
                time(other, key, &mut us_one);
            }
            None => time(store.as_ref(), key, &mut us),
        }
    }
    let cpu = match (cpu, thread_cpu()) {
        (Some(a), Some(b)) => (b - a).as_secs_f64() * 1e3 / traces as f64,
        _ => f64::NAN,
    };
    us.sort_unstable();
    us_one.sort_unstable();
    eprintln!(
        "{} blends, up to {nodes} identifiers: first pass {cold:.2} ms/trace; {traces} traces p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms; CPU {cpu:.2} ms/trace{}; digest {:016x}",
        keys.len(),
        ms(&us, 50.0),
        ms(&us, 95.0),
        ms(&us, 99.0),
        ms(&us, 100.0),
        if one_reader.is_some() { " (both stores)" } else { "" },
        digest.finish()
    );
    if one_reader.is_some() {
        eprintln!(
            "without helpers, interleaved: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            ms(&us_one, 50.0),
            ms(&us_one, 95.0),
            ms(&us_one, 99.0),
            ms(&us_one, 100.0),
        );
    }
}
