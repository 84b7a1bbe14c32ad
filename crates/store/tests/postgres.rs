//! The store suite against PostgreSQL (a scratch database on `TRACEPORT_TEST_PG_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`; required when `CI` is set),
//! plus what only several processes on one database need.

mod suite;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use epcis::{EventType, Facet, FacetValue};
use store::{AppendMode, NewEvent, PgOptions, PgStore, Store};

all_cases!(suite::Kind::Postgres);

fn pg() -> Option<suite::TestDb> {
    suite::TestDb::new(suite::Kind::Postgres)
}

fn event(id: &str) -> NewEvent {
    NewEvent {
        event_id: id.into(),
        hash: format!("ni:///sha-256;{id}?ver=CBV2.0"),
        event_type: EventType::ObjectEvent,
        event_time_ms: 1,
        record_time_ms: 1,
        body: "{}".into(),
        trace: None,
        facets: vec![Facet {
            field: "epc".into(),
            value: FacetValue::Text(format!("urn:epc:id:sgtin:0614141.107346.{id}")),
        }],
    }
}

/// Two stores on one database stand for two server processes: each has its own writer and
/// group commit, and only the database keeps them apart.
#[test]
fn two_stores_on_one_database_get_dense_distinct_seqs() {
    let Some(db) = pg() else { return };
    let stores = [db.open(), db.open()];
    let barrier = Arc::new(Barrier::new(6));
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let store = Arc::clone(&stores[t % 2]);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let mut seqs = Vec::new();
                for b in 0..15 {
                    let mut batch: Vec<NewEvent> =
                        (0..7).map(|i| event(&format!("t{t}-b{b}-{i}"))).collect();
                    // The same event from every thread: exactly one store keeps it.
                    batch.push(event(&format!("shared-{b}")));
                    let out = store.append(batch, AppendMode::SkipFailures).unwrap();
                    seqs.extend(out.results.into_iter().filter_map(Result::ok));
                }
                seqs
            })
        })
        .collect();
    let mut all: Vec<i64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort_unstable();
    let expected = 6 * 15 * 7 + 15;
    assert_eq!(all, (1..=expected).collect::<Vec<_>>());
    assert_eq!(
        all.iter().copied().collect::<HashSet<_>>().len() as i64,
        expected
    );
    for store in &stores {
        assert_eq!(store.event_count().unwrap(), expected);
    }
}

/// A claimed job belongs to its worker until the lease lapses; then another process takes it.
#[test]
fn a_job_is_claimed_once_until_its_lease_lapses() {
    let Some(db) = pg() else { return };
    let url = db.url().unwrap().to_owned();
    // Long enough that a loaded machine does not let a lease lapse between two claims.
    let short = PgOptions {
        job_lease: Duration::from_millis(2000),
        ..PgOptions::default()
    };
    let a = PgStore::open_with(&url, short.clone()).unwrap();
    let b = PgStore::open_with(&url, short).unwrap();
    let job = a
        .create_capture_job(AppendMode::AllOrNothing, b"{}")
        .unwrap();
    assert!(a.claim_capture_job(&job.id).unwrap());
    assert!(!b.claim_capture_job(&job.id).unwrap());
    assert!(!a.claim_capture_job(&job.id).unwrap());
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        b.claim_capture_job(&job.id).unwrap(),
        "the lapsed claim is taken over"
    );
    assert!(!a.claim_capture_job(&job.id).unwrap());
    b.finish_capture_job(&job.id, true, 0, &serde_json::json!([]))
        .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        !a.claim_capture_job(&job.id).unwrap(),
        "finished jobs stay finished"
    );
}

/// Many workers racing for the same pending jobs: each job is claimed exactly once.
#[test]
fn racing_claims_give_each_job_one_owner() {
    let Some(db) = pg() else { return };
    let stores = [db.open(), db.open()];
    let ids: Vec<String> = (0..40)
        .map(|_| {
            stores[0]
                .create_capture_job(AppendMode::SkipFailures, b"{}")
                .unwrap()
                .id
        })
        .collect();
    let ids = Arc::new(ids);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&stores[t % 2]);
            let ids = Arc::clone(&ids);
            std::thread::spawn(move || {
                ids.iter()
                    .filter(|id| store.claim_capture_job(id).unwrap())
                    .cloned()
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut claimed: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    claimed.sort();
    let mut expected = ids.to_vec();
    expected.sort();
    assert_eq!(claimed, expected);
}

/// Migrations are recorded once, and opening an up-to-date database applies nothing.
#[test]
fn migrations_are_recorded_once() {
    let Some(db) = pg() else { return };
    let url = db.url().unwrap();
    // Each feature owns a range of versions, so they are ascending but not contiguous.
    let applied = PgStore::migrate(url).unwrap();
    assert_eq!(applied.first(), Some(&1));
    assert_eq!(applied.last(), Some(&PgStore::schema_version()));
    assert!(applied.windows(2).all(|w| w[0] < w[1]), "{applied:?}");
    drop(db.open());
    assert_eq!(PgStore::migrate(url).unwrap(), Vec::<i64>::new());
}

/// A province outgrowing its laptop: the SQLite store copied into PostgreSQL answers the
/// same, and dumps of both are identical line for line.
#[test]
fn sqlite_store_copies_into_postgres() {
    let Some(target) = pg() else { return };
    let source = suite::TestDb::new(suite::Kind::Sqlite).unwrap();
    let store = source.open();
    let events: Vec<NewEvent> = (0..300).map(|i| event(&format!("c{i}"))).collect();
    store.append(events, AppendMode::AllOrNothing).unwrap();
    store
        .create_named_query("n", &serde_json::json!({"MATCH_epc": ["x"]}))
        .unwrap();
    let job = store
        .create_capture_job(AppendMode::AllOrNothing, b"doc")
        .unwrap();
    drop(store);
    let summary = source.location().copy_to(&target.location()).unwrap();
    assert_eq!(summary.rows("events"), 300);
    assert_eq!(summary.rows("facet_postings"), 300);
    let mut a = Vec::new();
    let mut b = Vec::new();
    source.location().backup(&mut a).unwrap();
    target.location().backup(&mut b).unwrap();
    // Both backends know the same schema versions: the dumps are identical, header included.
    assert_eq!(String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
    let pg = target.open();
    assert_eq!(pg.event_count().unwrap(), 300);
    assert!(
        pg.claim_capture_job(&job.id).unwrap(),
        "a copied pending job can run"
    );
    let out = pg
        .append(vec![event("next")], AppendMode::AllOrNothing)
        .unwrap();
    assert_eq!(out.results, vec![Ok(301)]);
    // Copying again into a store with data is refused.
    assert!(source.location().copy_to(&target.location()).is_err());
}

/// Master data on PostgreSQL: upserted per element, the newer description wins, and it is
/// there for a second store on the same database.
#[test]
fn master_data_is_upserted_and_shared() {
    use store::{MasterDataElement, MasterDataStore};
    let Some(db) = pg() else { return };
    let Some(url) = db.url() else { return };
    let location = "urn:epcglobal:epcis:vtype:BusinessLocation";
    let first = vec![serde_json::json!({
        "type": location,
        "vocabularyElementList": [
            {"id": "urn:epc:id:sgln:8934567.00001.0", "attributes": [{"id": "n", "attribute": "A"}]},
            {"id": "urn:epc:id:sgln:8934567.00002.0"}
        ]
    })];
    let renamed = vec![
        serde_json::json!({"type": location, "vocabularyElementList": [
            {"id": "urn:epc:id:sgln:8934567.00001.0", "attributes": [{"id": "n", "attribute": "A2"}]}
        ]}),
    ];
    {
        let store = store::PgStore::open(url).unwrap();
        store
            .put_master_data(MasterDataElement::from_vocabularies(&first, 1))
            .unwrap();
        store
            .put_master_data(MasterDataElement::from_vocabularies(&renamed, 2))
            .unwrap();
    }
    let other = store::PgStore::open(url).unwrap();
    let one = other
        .master_data_element(location, "urn:epc:id:sgln:8934567.00001.0")
        .unwrap()
        .unwrap();
    assert_eq!(one.element["attributes"][0]["attribute"], "A2");
    assert_eq!(one.updated_ms, 2);
    let all = other.master_data_of_type(location).unwrap();
    let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "urn:epc:id:sgln:8934567.00001.0",
            "urn:epc:id:sgln:8934567.00002.0"
        ]
    );
    assert!(other
        .master_data_element("urn:epcglobal:epcis:vtype:ReadPoint", "x")
        .unwrap()
        .is_none());
}
