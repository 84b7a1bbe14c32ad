//! The store's append path alone, as the HTTP capture bench drives it: the generator's
//! documents prepared beforehand (`NewEvent::from_event`), then appended 1,000 events at a
//! time by several threads at once, so their appends meet in the writer's group commits.
//! Slow; run explicitly:
//! `cargo test -p traceport-store --release --test append_probe -- --ignored --nocapture`.
//! `TRACEPORT_BENCH_EVENTS` (default 100,000), `TRACEPORT_BENCH_DOC` (events per append,
//! default 1,000), `TRACEPORT_BENCH_CLIENTS` (threads appending, default 4),
//! `TRACEPORT_TEST_PG_URL` with `TRACEPORT_BENCH_PG=1` to run it on PostgreSQL too.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use demo::synthetic::{Generator, GeneratorConfig};
use store::{AppendMode, NewEvent, SqliteStore, Store};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn prepared() -> Vec<Vec<NewEvent>> {
    let config = GeneratorConfig {
        events: env("TRACEPORT_BENCH_EVENTS", 100_000) as u64,
        events_per_document: env("TRACEPORT_BENCH_DOC", 1000),
        ..GeneratorConfig::default()
    };
    let limits = epcis::Limits::default();
    Generator::new(7, config)
        .map(|d| {
            let bytes = serde_json::to_vec(&d).unwrap();
            let doc = epcis::parse_document(&bytes, &limits).unwrap();
            doc.events
                .into_iter()
                .map(|e| NewEvent::from_event(e.unwrap(), 1_770_000_000_000))
                .collect()
        })
        .collect()
}

fn run(store: Arc<dyn Store>, batches: Vec<Vec<NewEvent>>) -> f64 {
    let n: usize = batches.iter().map(Vec::len).sum();
    let clients = env("TRACEPORT_BENCH_CLIENTS", 4);
    let queue = Arc::new(Mutex::new(batches.into_iter()));
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..clients {
            let (queue, store, done) = (queue.clone(), store.clone(), done.clone());
            s.spawn(move || loop {
                let next = queue.lock().unwrap().next();
                let Some(batch) = next else { break };
                let k = batch.len();
                assert!(store
                    .append(batch, AppendMode::AllOrNothing)
                    .unwrap()
                    .all_stored());
                done.fetch_add(k, Ordering::Relaxed);
            });
        }
    });
    n as f64 / start.elapsed().as_secs_f64()
}

#[test]
#[ignore]
fn append_rate_of_generated_documents() {
    let batches = prepared();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("s.sqlite")).unwrap());
    let eps = run(store.clone(), batches.clone());
    assert_eq!(
        store.event_count().unwrap(),
        batches.iter().map(Vec::len).sum::<usize>() as i64
    );
    println!("SQLite append: {eps:.0} events/s");
    if std::env::var_os("TRACEPORT_BENCH_PG").is_some() {
        let url = std::env::var("TRACEPORT_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let scratch =
            store::postgres::scratch::ScratchDatabase::create_on(&url, "append_probe").unwrap();
        let pg = Arc::new(store::PgStore::open(scratch.url()).unwrap());
        let eps = run(pg.clone(), batches);
        println!("PostgreSQL append: {eps:.0} events/s");
        drop(pg);
    }
}
