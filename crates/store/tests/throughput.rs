//! Append throughput against the plain-insert baseline, and on PostgreSQL. Slow; run explicitly:
//! `cargo test -p traceport-store --release --test throughput -- --ignored --nocapture`.

use std::sync::Arc;
use std::time::Instant;

use epcis::{EventType, Facet, FacetValue};
use store::postgres::scratch::ScratchDatabase;
use store::{
    plain_insert_baseline, AppendMode, NewEvent, PgStore, SqliteOptions, SqliteStore, Store,
};

/// A synthetic event: six facets, a ~600-byte body.
fn synthetic(i: usize) -> NewEvent {
    let epc = format!("urn:epc:id:sgtin:0614141.{:06}.{i}", i % 977);
    let text = |field: &str, value: String| Facet {
        field: field.into(),
        value: FacetValue::Text(value),
    };
    let facets = vec![
        text("epc", epc.clone()),
        text(
            "bizStep",
            format!(
                "urn:epcglobal:cbv:bizstep:{}",
                ["shipping", "receiving", "commissioning"][i % 3]
            ),
        ),
        text("disposition", "urn:epcglobal:cbv:disp:in_transit".into()),
        text(
            "readPoint",
            format!("urn:epc:id:sgln:0614141.{:05}.0", i % 500),
        ),
        text(
            "bizLocation",
            format!("urn:epc:id:sgln:0614141.{:05}.0", i % 50),
        ),
        Facet {
            field: "quantity".into(),
            value: FacetValue::Number((i % 100) as f64),
        },
    ];
    let event_id = format!("urn:uuid:00000000-0000-4000-8000-{i:012}");
    let body = format!(
        r#"{{"type":"ObjectEvent","eventID":"{event_id}","eventTime":"2024-01-01T00:00:00.000Z","eventTimeZoneOffset":"+07:00","recordTime":"2024-01-01T00:00:01.000Z","epcList":["{epc}"],"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit","readPoint":{{"id":"urn:epc:id:sgln:0614141.00001.0"}},"bizLocation":{{"id":"urn:epc:id:sgln:0614141.00002.0"}},"quantityList":[{{"epcClass":"urn:epc:class:lgtin:4012345.012345.998877","quantity":200,"uom":"KGM"}}],"example:note":"{}"}}"#,
        "x".repeat(120)
    );
    NewEvent {
        event_id,
        hash: format!("ni:///sha-256;{i:064x}?ver=CBV2.0"),
        event_type: EventType::ObjectEvent,
        event_time_ms: 1_700_000_000_000 + i as i64,
        record_time_ms: 1_700_000_000_000 + i as i64,
        trace: store::TraceEntry::from_body(&body),
        body,
        facets,
    }
}

#[test]
#[ignore]
fn append_throughput_against_plain_baseline() {
    let total: usize = std::env::var("TRACEPORT_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let batch = env("TRACEPORT_BENCH_BATCH", 1000);
    let clients = env("TRACEPORT_BENCH_CLIENTS", 4);
    let mut options = SqliteOptions::default();
    options.cache_mib = env("TRACEPORT_BENCH_CACHE_MIB", options.cache_mib as usize) as i64;
    options.wal_autocheckpoint = env(
        "TRACEPORT_BENCH_WAL_PAGES",
        options.wal_autocheckpoint as usize,
    ) as i64;
    let events: Vec<NewEvent> = (0..total).map(synthetic).collect();
    let rows: Vec<(String, String)> = events
        .iter()
        .map(|e| (e.event_id.clone(), e.body.clone()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let plain = plain_insert_baseline(dir.path(), &rows, batch).unwrap();

    let store =
        Arc::new(SqliteStore::open_with(&dir.path().join("store.sqlite"), options).unwrap());
    let chunks: Vec<Vec<NewEvent>> = events.chunks(batch).map(<[NewEvent]>::to_vec).collect();
    let per_client: Vec<Vec<Vec<NewEvent>>> = (0..clients)
        .map(|c| chunks.iter().skip(c).step_by(clients).cloned().collect())
        .collect();
    let start = Instant::now();
    let threads: Vec<_> = per_client
        .into_iter()
        .map(|mine| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for b in mine {
                    assert!(store
                        .append(b, AppendMode::AllOrNothing)
                        .unwrap()
                        .all_stored());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let took = start.elapsed();
    assert_eq!(store.event_count().unwrap(), total as i64);
    let rate = total as f64 / took.as_secs_f64();
    let plain_rate = total as f64 / plain.as_secs_f64();
    println!(
        "store: {rate:.0} events/s ({took:?}); plain insert: {plain_rate:.0} rows/s ({plain:?}); ratio {:.2}",
        rate / plain_rate
    );
}

/// Appends `events` in batches of `batch` from `clients` threads; returns events per second.
fn append_rate(store: Arc<dyn Store>, events: &[NewEvent], batch: usize, clients: usize) -> f64 {
    let chunks: Vec<Vec<NewEvent>> = events.chunks(batch).map(<[NewEvent]>::to_vec).collect();
    let per_client: Vec<Vec<Vec<NewEvent>>> = (0..clients)
        .map(|c| chunks.iter().skip(c).step_by(clients).cloned().collect())
        .collect();
    let start = Instant::now();
    let threads: Vec<_> = per_client
        .into_iter()
        .map(|mine| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for b in mine {
                    assert!(store
                        .append(b, AppendMode::AllOrNothing)
                        .unwrap()
                        .all_stored());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let took = start.elapsed();
    assert_eq!(store.event_count().unwrap(), events.len() as i64);
    events.len() as f64 / took.as_secs_f64()
}

/// Store-level append throughput, PostgreSQL beside SQLite on the same events (no HTTP,
/// no parsing): what the backends themselves sustain. Needs `TRACEPORT_TEST_PG_URL`'s server.
#[test]
#[ignore]
fn append_throughput_postgres_beside_sqlite() {
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let total = env("TRACEPORT_BENCH_EVENTS", 200_000);
    let batch = env("TRACEPORT_BENCH_BATCH", 1000);
    let clients = env("TRACEPORT_BENCH_CLIENTS", 4);
    let events: Vec<NewEvent> = (0..total).map(synthetic).collect();
    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&dir.path().join("store.sqlite")).unwrap());
    let sqlite_rate = append_rate(sqlite, &events, batch, clients);
    let db = ScratchDatabase::for_test("tp_throughput").expect("PostgreSQL is needed");
    let pg: Arc<dyn Store> = Arc::new(PgStore::open(db.url()).unwrap());
    let pg_rate = append_rate(pg, &events, batch, clients);
    println!(
        "append {total} events, batches of {batch}, {clients} clients: SQLite {sqlite_rate:.0} events/s, PostgreSQL {pg_rate:.0} events/s, ratio {:.2}",
        pg_rate / sqlite_rate
    );
}
