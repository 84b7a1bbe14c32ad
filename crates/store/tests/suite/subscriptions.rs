//! Subscriptions and their delivery cursors.

use super::TestDb;
use epcis::query::Condition;
use epcis::{EventType, Facet, FacetValue, Query};
use serde_json::json;
use store::{AppendMode, NewEvent, NewSubscription, PageRequest, StoreError};

fn event(id: &str, epc: &str, record_time_ms: i64) -> NewEvent {
    NewEvent {
        event_id: id.into(),
        hash: format!("ni:///sha-256;{id}?ver=CBV2.0"),
        event_type: EventType::ObjectEvent,
        event_time_ms: 0,
        record_time_ms,
        body: format!(r#"{{"eventID":"{id}"}}"#),
        trace: None,
        facets: vec![Facet {
            field: "epc".into(),
            value: FacetValue::Text(epc.into()),
        }],
    }
}

fn spec(query_name: &str) -> NewSubscription {
    NewSubscription {
        query_name: query_name.into(),
        dest: "http://127.0.0.1:9/hook".into(),
        signature_token: Some("secret".into()),
        stream: true,
        schedule: None,
        report_if_empty: false,
        initial_record_time_ms: None,
        options: json!({"epcFormat": "Always_GS1_Digital_Link"}),
    }
}

pub fn cursor_starts_at_now_or_at_initial_record_time(db: &TestDb) {
    let store = db.open();
    store.create_named_query("q", &json!({})).unwrap();
    let events = (1..=5)
        .map(|i| event(&format!("e{i}"), "x", i * 100))
        .collect();
    store.append(events, AppendMode::AllOrNothing).unwrap();

    let now = store.create_subscription(spec("q")).unwrap();
    assert_eq!(now.cursor, 5);
    assert_eq!(now.spec, spec("q"));
    assert_eq!(now.failures, 0);

    let from_300 = store
        .create_subscription(NewSubscription {
            initial_record_time_ms: Some(300),
            ..spec("q")
        })
        .unwrap();
    assert_eq!(
        from_300.cursor, 2,
        "events recorded at 300 and later are reported"
    );
    let future = store
        .create_subscription(NewSubscription {
            initial_record_time_ms: Some(10_000),
            ..spec("q")
        })
        .unwrap();
    assert_eq!(future.cursor, 5);

    let missing = store.create_subscription(spec("nope"));
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

pub fn events_after_follow_the_query_in_capture_order(db: &TestDb) {
    let store = db.open();
    let events = (1..=10)
        .map(|i| event(&format!("e{i}"), if i % 2 == 0 { "even" } else { "odd" }, i))
        .collect();
    store.append(events, AppendMode::AllOrNothing).unwrap();
    let even = Query {
        conditions: vec![Condition::TextIn {
            fields: vec!["epc".into()],
            values: vec!["even".into()],
        }],
        ..Query::default()
    };
    let seqs = |after, limit| -> Vec<i64> {
        store
            .events_after(&even, after, limit)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect()
    };
    assert_eq!(seqs(0, 100), vec![2, 4, 6, 8, 10]);
    assert_eq!(seqs(4, 2), vec![6, 8]);
    assert_eq!(seqs(10, 2), Vec::<i64>::new());
    let unknown = Query {
        conditions: vec![Condition::TextIn {
            fields: vec!["nofield".into()],
            values: vec!["x".into()],
        }],
        ..Query::default()
    };
    assert!(store.events_after(&unknown, 0, 10).unwrap().is_empty());
}

pub fn acknowledgements_move_forward_only_and_survive_reopen(db: &TestDb) {
    let id = {
        let store = db.open();
        store.create_named_query("q", &json!({})).unwrap();
        let sub = store.create_subscription(spec("q")).unwrap();
        store.record_delivery_failure(&sub.id, "HTTP 500").unwrap();
        let failing = store.subscription("q", &sub.id).unwrap().unwrap();
        assert_eq!(
            (failing.failures, failing.last_error.as_deref()),
            (1, Some("HTTP 500"))
        );
        store.acknowledge_delivery(&sub.id, 7, 1234).unwrap();
        store.acknowledge_delivery(&sub.id, 3, 1235).unwrap();
        sub.id
    };
    let store = db.open();
    let sub = store.subscription("q", &id).unwrap().unwrap();
    assert_eq!(sub.cursor, 7);
    assert_eq!(sub.last_notified_ms, Some(1235));
    assert_eq!((sub.failures, sub.last_error), (0, None));
    assert!(matches!(
        store.acknowledge_delivery("gone", 1, 1),
        Err(StoreError::NotFound(_))
    ));
}

pub fn listing_paging_deleting_and_cascade_with_the_named_query(db: &TestDb) {
    let store = db.open();
    store.create_named_query("q", &json!({})).unwrap();
    store.create_named_query("other", &json!({})).unwrap();
    let ids: Vec<String> = (0..5)
        .map(|_| store.create_subscription(spec("q")).unwrap().id)
        .collect();
    let other = store.create_subscription(spec("other")).unwrap();

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .subscriptions(
                "q",
                &PageRequest {
                    per_page: 2,
                    after: after.clone(),
                },
            )
            .unwrap();
        seen.extend(page.items.into_iter().map(|s| s.id));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    assert!(store.subscription("other", &ids[0]).unwrap().is_none());

    store.delete_subscription("q", &ids[0]).unwrap();
    assert!(matches!(
        store.delete_subscription("q", &ids[0]),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.delete_subscription("q", &other.id),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.all_subscriptions().unwrap().len(), 5);

    store.delete_named_query("q").unwrap();
    let left: Vec<String> = store
        .all_subscriptions()
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(left, vec![other.id]);
}

/// A delivery claim: granted to a holder, renewed by it, refused to another one until the
/// lease lapses (on SQLite, the one process always holds it), `NotFound` once deleted.
pub fn a_delivery_is_claimed_by_one_holder_until_its_lease_lapses(db: &TestDb) {
    let store = db.open();
    store.create_named_query("q", &json!({})).unwrap();
    let id = store.create_subscription(spec("q")).unwrap().id;
    assert!(store.claim_delivery(&id, "a", 1_000, 2_000).unwrap());
    assert!(store.claim_delivery(&id, "a", 1_500, 2_500).unwrap());
    let other = store.claim_delivery(&id, "b", 2_000, 3_000).unwrap();
    assert_eq!(
        other,
        db.kind == super::Kind::Sqlite,
        "b while a's lease runs"
    );
    assert!(store.claim_delivery(&id, "b", 2_600, 3_600).unwrap());
    store.delete_subscription("q", &id).unwrap();
    assert!(matches!(
        store.claim_delivery(&id, "b", 2_700, 3_700),
        Err(StoreError::NotFound(_))
    ));
}
