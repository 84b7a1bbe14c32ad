//! Recalls, acknowledgements and recall webhook cursors, on SQLite and on PostgreSQL (a
//! scratch database; skipped with a message when PostgreSQL is unreachable outside CI).

use store::postgres::scratch::ScratchDatabase;
use store::{
    NoticeKind, PageRequest, PgStore, RecallStore, RecallWebhook, SqliteStore, StoreError,
};
use trace::recall::{
    Acknowledgement, Actor, AffectedOrg, Holding, Recall, RecallLot, RecallState, Severity, Site,
};

fn affected(org: &str) -> AffectedOrg {
    AffectedOrg {
        org: org.into(),
        name: format!("{org} name"),
        province: "01".into(),
        sites: vec![Site {
            location: format!("https://id.gs1.org/414/{org}"),
            name: String::new(),
            province: "01".into(),
            holdings: vec![Holding {
                node: "https://id.gs1.org/01/04012345123456/10/L1".into(),
                quantity: Some(12.0),
                uom: Some("KGM".into()),
            }],
            last_event_ms: 5,
        }],
    }
}

fn recall(id: &str, lot: &str, orgs: &[&str], declarer: Option<&str>) -> Recall {
    Recall {
        id: id.into(),
        lots: vec![RecallLot {
            gtin: "04012345123456".into(),
            lot: lot.into(),
        }],
        reason: "Listeria".into(),
        severity: Severity::ClassI,
        declared_by: Actor {
            name: "someone".into(),
            role: if declarer.is_some() {
                "member"
            } else {
                "nationalOfficial"
            }
            .into(),
            org: declarer.map(str::to_owned),
        },
        declared_ms: 1_000,
        state: RecallState::Open,
        closed_ms: None,
        closed_by: None,
        close_note: None,
        affected: orgs.iter().map(|o| affected(o)).collect(),
        unregistered_sites: Vec::new(),
        truncated: false,
    }
}

fn ack(org: &str) -> Acknowledgement {
    Acknowledgement {
        org: org.into(),
        at_ms: Some(2_000),
        by: Some("clerk".into()),
        note: Some("withdrawn from sale".into()),
    }
}

fn page(n: usize) -> PageRequest {
    PageRequest {
        per_page: n,
        after: None,
    }
}

/// The whole life of recalls, on any backend.
fn lifecycle(s: &dyn RecallStore) {
    s.create_recall(&recall("r1", "L1", &["shop", "dc"], Some("brand")))
        .unwrap();
    s.create_recall(&recall("r2", "L2", &["shop"], None))
        .unwrap();
    assert!(matches!(
        s.create_recall(&recall("r1", "L9", &[], None)),
        Err(StoreError::Conflict(_))
    ));

    // One recall with its acknowledgements in the order of `affected`.
    let r1 = s.recall("r1").unwrap().unwrap();
    assert_eq!(
        r1.recall,
        recall("r1", "L1", &["shop", "dc"], Some("brand"))
    );
    assert_eq!(
        r1.acknowledgements
            .iter()
            .map(|a| a.org.as_str())
            .collect::<Vec<_>>(),
        ["shop", "dc"]
    );
    assert_eq!(r1.progress(), (0, 2));
    assert!(s.recall("nope").unwrap().is_none());

    // Lists: newest first, paged, per organisation (declared or affected).
    let all = s.recalls(None, &page(1)).unwrap();
    assert_eq!(all.items[0].recall.id, "r2");
    let rest = s
        .recalls(
            None,
            &PageRequest {
                per_page: 1,
                after: all.next.clone(),
            },
        )
        .unwrap();
    assert_eq!(rest.items[0].recall.id, "r1");
    assert!(rest.next.is_none());
    let ids = |org: &str| -> Vec<String> {
        s.recalls(Some(org), &page(10))
            .unwrap()
            .items
            .into_iter()
            .map(|r| r.recall.id)
            .collect()
    };
    assert_eq!(ids("shop"), ["r2", "r1"]);
    assert_eq!(ids("dc"), ["r1"]);
    assert_eq!(ids("brand"), ["r1"]);
    assert!(ids("stranger").is_empty());
    assert!(matches!(
        s.recalls(
            None,
            &PageRequest {
                per_page: 1,
                after: Some("garbage".into())
            }
        ),
        Err(StoreError::InvalidCursor)
    ));

    // Lots.
    let of_l1 = s.open_recalls_of_lot("04012345123456", "L1").unwrap();
    assert_eq!(of_l1.len(), 1);
    assert_eq!(of_l1[0].id, "r1");
    assert!(s
        .open_recalls_of_lot("04012345123456", "L3")
        .unwrap()
        .is_empty());

    // Acknowledgements: once per affected organisation.
    s.acknowledge_recall("r1", &ack("shop")).unwrap();
    assert!(matches!(
        s.acknowledge_recall("r1", &ack("shop")),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.acknowledge_recall("r1", &ack("stranger")),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.acknowledge_recall("nope", &ack("shop")),
        Err(StoreError::NotFound(_))
    ));
    let r1 = s.recall("r1").unwrap().unwrap();
    assert_eq!(r1.progress(), (1, 2));
    assert_eq!(r1.acknowledgement_of("shop"), Some(&ack("shop")));

    // Closing: once; a closed recall takes no acknowledgement and leaves the lot unmarked.
    let official = Actor {
        name: "can-bo".into(),
        role: "nationalOfficial".into(),
        org: None,
    };
    s.close_recall("r1", &official, Some("all withdrawn"), 3_000)
        .unwrap();
    assert!(matches!(
        s.close_recall("r1", &official, None, 3_001),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.close_recall("nope", &official, None, 3_001),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.acknowledge_recall("r1", &ack("dc")),
        Err(StoreError::Conflict(_))
    ));
    let r1 = s.recall("r1").unwrap().unwrap();
    assert_eq!(r1.recall.state, RecallState::Closed);
    assert_eq!(r1.recall.closed_ms, Some(3_000));
    assert_eq!(r1.recall.closed_by, Some(official));
    assert_eq!(r1.recall.close_note.as_deref(), Some("all withdrawn"));
    assert!(s
        .open_recalls_of_lot("04012345123456", "L1")
        .unwrap()
        .is_empty());
}

/// Recall webhooks and their notices, on any backend.
fn webhooks(s: &dyn RecallStore) {
    let hook = RecallWebhook {
        org: "shop".into(),
        url: "http://127.0.0.1:9/recalls".into(),
        secret: Some("s3cret".into()),
        cursor: 0,
        failures: 0,
        last_error: None,
        created_ms: 10,
    };
    assert_eq!(s.put_recall_webhook(&hook).unwrap(), hook);
    assert!(s.recall_webhook("dc").unwrap().is_none());
    s.create_recall(&recall("r1", "L1", &["shop", "dc"], None))
        .unwrap();
    s.create_recall(&recall("r2", "L2", &["dc"], None)).unwrap();
    s.create_recall(&recall("r3", "L3", &["shop"], None))
        .unwrap();

    let notices = s.recall_notices_after("shop", 0, 10).unwrap();
    let ids: Vec<&str> = notices.iter().map(|n| n.recall.id.as_str()).collect();
    assert_eq!(ids, ["r1", "r3"]);
    assert!(notices[0].n < notices[1].n);
    assert!(notices.iter().all(|n| n.org == "shop"));
    assert!(notices.iter().all(|n| n.kind == NoticeKind::Declared));
    assert_eq!(notices[0].at_ms, 1_000);
    let first = notices[0].n;
    assert_eq!(s.recall_notices_after("shop", first, 10).unwrap().len(), 1);
    assert_eq!(s.recall_notices_after("shop", 0, 1).unwrap().len(), 1);

    // Closing r1 tells both its organisations, after everything before.
    let last_before = notices[1].n;
    let official = Actor {
        name: "o".into(),
        role: "nationalOfficial".into(),
        org: None,
    };
    s.close_recall("r1", &official, Some("done"), 7_000)
        .unwrap();
    let after = s.recall_notices_after("shop", last_before, 10).unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].kind, NoticeKind::Closed);
    assert_eq!(after[0].at_ms, 7_000);
    assert_eq!(after[0].recall.id, "r1");
    assert_eq!(after[0].recall.close_note.as_deref(), Some("done"));
    let dc: Vec<(String, NoticeKind)> = s
        .recall_notices_after("dc", 0, 10)
        .unwrap()
        .into_iter()
        .map(|n| (n.recall.id, n.kind))
        .collect();
    assert_eq!(
        dc,
        [
            ("r1".to_owned(), NoticeKind::Declared),
            ("r2".to_owned(), NoticeKind::Declared),
            ("r1".to_owned(), NoticeKind::Closed)
        ]
    );
    // A refused closing queues nothing.
    assert!(s.close_recall("r1", &official, None, 8_000).is_err());
    assert_eq!(s.recall_notices_after("dc", 0, 10).unwrap().len(), 3);

    // The delivery lease: granted while the webhook exists (on PostgreSQL, to one holder
    // at a time; see the PostgreSQL test below).
    assert!(s.claim_recall_delivery("shop", "a", 1_000, 2_000).unwrap());
    assert!(matches!(
        s.claim_recall_delivery("dc", "a", 1_000, 2_000),
        Err(StoreError::NotFound(_))
    ));

    s.record_recall_delivery_failure("shop", "connection refused")
        .unwrap();
    let failing = s.recall_webhook("shop").unwrap().unwrap();
    assert_eq!(failing.failures, 1);
    assert_eq!(failing.last_error.as_deref(), Some("connection refused"));

    s.acknowledge_recall_delivery("shop", first).unwrap();
    // The cursor never moves back.
    s.acknowledge_recall_delivery("shop", first - 1).unwrap();
    let acked = s.recall_webhook("shop").unwrap().unwrap();
    assert_eq!(acked.cursor, first);
    assert_eq!(acked.failures, 0);
    assert!(acked.last_error.is_none());

    // Replacing the URL keeps the cursor.
    let moved = s
        .put_recall_webhook(&RecallWebhook {
            url: "https://shop.example/hooks/recall".into(),
            secret: None,
            ..hook.clone()
        })
        .unwrap();
    assert_eq!(moved.cursor, first);
    assert_eq!(moved.url, "https://shop.example/hooks/recall");
    assert!(moved.secret.is_none());
    assert_eq!(s.recall_webhooks().unwrap().len(), 1);

    s.delete_recall_webhook("shop").unwrap();
    assert!(matches!(
        s.delete_recall_webhook("shop"),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.acknowledge_recall_delivery("shop", 99),
        Err(StoreError::NotFound(_))
    ));
    assert!(s.recall_webhooks().unwrap().is_empty());
}

fn sqlite() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("traceport.sqlite")).unwrap();
    (dir, store)
}

fn postgres() -> Option<(ScratchDatabase, PgStore)> {
    let db = ScratchDatabase::for_test("tp_recalls")?;
    let store = PgStore::open(db.url()).unwrap();
    Some((db, store))
}

#[test]
fn sqlite_recall_lifecycle() {
    let (_dir, s) = sqlite();
    lifecycle(&s);
}

#[test]
fn sqlite_recall_webhooks() {
    let (_dir, s) = sqlite();
    webhooks(&s);
}

#[test]
fn postgres_recall_lifecycle() {
    let Some((_db, s)) = postgres() else { return };
    lifecycle(&s);
}

#[test]
fn postgres_recall_webhooks() {
    let Some((_db, s)) = postgres() else { return };
    webhooks(&s);
}

/// On PostgreSQL, several processes share the store: one holder at a time delivers a
/// recall webhook, until its lease lapses; the lease is not a subscription's.
#[test]
fn postgres_recall_delivery_is_leased_to_one_holder() {
    let Some((_db, s)) = postgres() else { return };
    let hook = RecallWebhook {
        org: "shop".into(),
        url: "http://127.0.0.1:9/recalls".into(),
        secret: None,
        cursor: 0,
        failures: 0,
        last_error: None,
        created_ms: 10,
    };
    s.put_recall_webhook(&hook).unwrap();
    assert!(s.claim_recall_delivery("shop", "a", 1_000, 2_000).unwrap());
    assert!(s.claim_recall_delivery("shop", "a", 1_500, 2_500).unwrap());
    assert!(!s.claim_recall_delivery("shop", "b", 2_000, 3_000).unwrap());
    assert!(s.claim_recall_delivery("shop", "b", 2_600, 3_600).unwrap());
    assert!(!s.claim_recall_delivery("shop", "a", 2_700, 3_700).unwrap());
    s.delete_recall_webhook("shop").unwrap();
    assert!(matches!(
        s.claim_recall_delivery("shop", "b", 2_800, 3_800),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn recalls_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("traceport.sqlite");
    {
        let s = SqliteStore::open(&path).unwrap();
        s.create_recall(&recall("r1", "L1", &["shop"], None))
            .unwrap();
        s.acknowledge_recall("r1", &ack("shop")).unwrap();
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.recall("r1").unwrap().unwrap().progress(), (1, 1));
}

/// A store from before closing notices existed keeps its declaration notices, with their
/// numbers, so webhook cursors still point where they did.
#[test]
fn declaration_notices_survive_the_upgrade_to_closing_notices() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("traceport.sqlite");
    let before = {
        let s = SqliteStore::open(&path).unwrap();
        s.create_recall(&recall("r1", "L1", &["shop", "dc"], None))
            .unwrap();
        s.create_recall(&recall("r2", "L2", &["dc"], None)).unwrap();
        s.recall_notices_after("dc", 0, 10).unwrap()
    };
    assert_eq!(before.len(), 2);
    {
        // Back to the schema of that time: no notices table, migration 601 not applied.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "DROP TABLE recall_notices; DELETE FROM schema_migrations WHERE version = 601;",
        )
        .unwrap();
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.recall_notices_after("dc", 0, 10).unwrap(), before);
    assert_eq!(s.recall_notices_after("shop", 0, 10).unwrap().len(), 1);
    // New notices are numbered after them.
    let official = Actor {
        name: "o".into(),
        role: "nationalOfficial".into(),
        org: None,
    };
    s.close_recall("r2", &official, None, 9_000).unwrap();
    let after = s.recall_notices_after("dc", before[1].n, 10).unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].kind, NoticeKind::Closed);
}
