//! The store suite against SQLite, plus what only SQLite has.

mod suite;

all_cases!(suite::Kind::Sqlite);

#[test]
fn plain_insert_baseline_inserts_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<(String, String)> = (0..1000)
        .map(|i| (format!("id{i}"), "x".repeat(600)))
        .collect();
    let took = store::plain_insert_baseline(dir.path(), &rows, 100).unwrap();
    assert!(took.as_nanos() > 0);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// One process owns a SQLite database: a job left running by an earlier run is claimed
/// again after a reopen, but never twice within one run.
#[test]
fn a_running_job_of_an_earlier_run_is_claimed_again() {
    let db = suite::TestDb::new(suite::Kind::Sqlite).unwrap();
    let id = {
        let store = db.open();
        let job = store
            .create_capture_job(store::AppendMode::AllOrNothing, b"{}")
            .unwrap();
        assert!(store.claim_capture_job(&job.id).unwrap());
        job.id
    };
    let store = db.open();
    assert!(store.claim_capture_job(&id).unwrap());
    assert!(!store.claim_capture_job(&id).unwrap());
}
