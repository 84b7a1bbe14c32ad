//! The store suite: every case runs against each backend (see `sqlite.rs`, `postgres.rs`),
//! with hand-built events.

use std::collections::HashSet;
use std::sync::Arc;

use epcis::query::{CmpOp, Condition, Direction, OrderBy, TimeColumn};
use epcis::{EventType, Facet, FacetValue, Query};
use store::{
    AppendMode, JobStatus, NewEvent, PageRequest, RejectReason, Store, StoreError, StoredEvent,
};

use super::TestDb;

pub use super::links::links_scans_reports;
pub use super::masterdata::elements_are_upserted_and_survive_a_reopen;
pub use super::registries::{
    organisations_are_unique_by_id_tax_code_and_prefix, partners_marks_and_job_owners,
    places_and_codes, products_belong_to_one_owner, users_sessions_and_tokens,
};
pub use super::subscriptions::{
    a_delivery_is_claimed_by_one_holder_until_its_lease_lapses,
    acknowledgements_move_forward_only_and_survive_reopen,
    cursor_starts_at_now_or_at_initial_record_time, events_after_follow_the_query_in_capture_order,
    listing_paging_deleting_and_cascade_with_the_named_query,
};
pub use super::trace::{
    an_index_missing_rows_is_rebuilt_on_open,
    records_stored_as_json_by_earlier_builds_are_still_read,
    rolled_back_batches_leave_no_index_rows, traces_read_the_index_written_with_the_events,
    traces_read_with_helper_threads_equal_traces_read_alone,
};

fn text(field: &str, value: &str) -> Facet {
    Facet {
        field: field.into(),
        value: FacetValue::Text(value.into()),
    }
}

fn num(field: &str, value: f64) -> Facet {
    Facet {
        field: field.into(),
        value: FacetValue::Number(value),
    }
}

fn event(id: &str, event_type: EventType, event_time_ms: i64, facets: Vec<Facet>) -> NewEvent {
    NewEvent {
        event_id: id.into(),
        hash: format!("ni:///sha-256;{id}?ver=CBV2.0"),
        event_type,
        event_time_ms,
        record_time_ms: 1_000_000 - event_time_ms,
        body: format!(r#"{{"eventID":"{id}","type":"{}"}}"#, event_type.as_str()),
        trace: None,
        facets,
    }
}

fn simple(id: &str) -> NewEvent {
    event(
        id,
        EventType::ObjectEvent,
        1000,
        vec![text(
            "epc",
            &format!("urn:epc:id:sgtin:0614141.107346.{id}"),
        )],
    )
}

fn seqs(results: &[Result<i64, RejectReason>]) -> Vec<Option<i64>> {
    results.iter().map(|r| r.as_ref().ok().copied()).collect()
}

fn dup(id: &str) -> Result<i64, RejectReason> {
    Err(RejectReason::Duplicate {
        event_id: id.into(),
    })
}

pub fn seqs_are_dense_across_batches_and_after_a_rolled_back_batch(db: &TestDb) {
    let store = db.open();
    let a = store
        .append(
            vec![simple("a"), simple("b"), simple("c")],
            AppendMode::SkipFailures,
        )
        .unwrap();
    assert_eq!(a.results, vec![Ok(1), Ok(2), Ok(3)]);
    let rolled_back = store
        .append(
            vec![simple("d"), simple("a"), simple("e")],
            AppendMode::AllOrNothing,
        )
        .unwrap();
    assert!(!rolled_back.all_stored());
    assert_eq!(rolled_back.results, vec![Ok(0), dup("a"), Ok(0)]);
    assert_eq!(store.event_count().unwrap(), 3);
    assert!(store.event("d").unwrap().is_none());
    let b = store
        .append(vec![simple("d"), simple("e")], AppendMode::AllOrNothing)
        .unwrap();
    assert_eq!(b.results, vec![Ok(4), Ok(5)]);
    assert_eq!(store.event_count().unwrap(), 5);
    assert_eq!(
        store
            .append(vec![], AppendMode::AllOrNothing)
            .unwrap()
            .results,
        vec![]
    );
}

pub fn skip_failures_refuses_only_duplicates_by_id_hash_and_within_batch(db: &TestDb) {
    let store = db.open();
    store
        .append(vec![simple("a")], AppendMode::SkipFailures)
        .unwrap();
    let mut same_hash = simple("other-id");
    same_hash.hash = simple("a").hash;
    let mut same_id = simple("a");
    same_id.hash = "ni:///sha-256;different?ver=CBV2.0".into();
    let batch = vec![simple("b"), same_hash, same_id, simple("c"), simple("b")];
    let out = store.append(batch, AppendMode::SkipFailures).unwrap();
    assert_eq!(
        out.results,
        vec![Ok(2), dup("other-id"), dup("a"), Ok(3), dup("b")]
    );
    assert_eq!(store.event_count().unwrap(), 3);
    // The refused events left no facets behind.
    let q = Query {
        conditions: vec![Condition::TextIn {
            fields: vec!["epc".into()],
            values: vec!["urn:epc:id:sgtin:0614141.107346.other-id".into()],
        }],
        ..Query::default()
    };
    assert!(store.query(&q, &page(10)).unwrap().items.is_empty());
}

pub fn all_or_nothing_stores_nothing_on_any_duplicate(db: &TestDb) {
    let store = db.open();
    store
        .append(vec![simple("a")], AppendMode::AllOrNothing)
        .unwrap();
    let mut same_hash = simple("x");
    same_hash.hash = simple("a").hash;
    for batch in [
        vec![simple("b"), simple("a")],
        vec![simple("b"), same_hash],
        vec![simple("b"), simple("c"), simple("b")],
    ] {
        let out = store.append(batch, AppendMode::AllOrNothing).unwrap();
        assert!(!out.all_stored());
        assert_eq!(store.event_count().unwrap(), 1);
        assert!(store.event("b").unwrap().is_none());
    }
    let out = store
        .append(
            vec![simple("b"), simple("a"), simple("x")],
            AppendMode::AllOrNothing,
        )
        .unwrap();
    assert_eq!(seqs(&out.results), vec![Some(0), None, Some(0)]);
}

pub fn stored_event_round_trips(db: &TestDb) {
    let store = db.open();
    let e = event(
        "id-1",
        EventType::TransformationEvent,
        1_700_000_000_123,
        vec![],
    );
    store
        .append(vec![e.clone()], AppendMode::AllOrNothing)
        .unwrap();
    let got = store.event("id-1").unwrap().unwrap();
    assert_eq!(
        got,
        StoredEvent {
            seq: 1,
            event_id: "id-1".into(),
            event_type: EventType::TransformationEvent,
            event_time_ms: e.event_time_ms,
            record_time_ms: e.record_time_ms,
            body: e.body,
        }
    );
    assert!(store.event("missing").unwrap().is_none());
}

/// Ten events with known facets; event i (seq i) has eventTime `100 * ((i * 7) % 10)`.
fn fixture(store: &dyn Store) {
    let mut events = Vec::new();
    for i in 1..=10i64 {
        let ty = match i % 3 {
            0 => EventType::AggregationEvent,
            1 => EventType::ObjectEvent,
            _ => EventType::TransactionEvent,
        };
        let mut facets = vec![
            text("epc", &format!("urn:epc:id:sgtin:0614141.107346.{i}")),
            text("bizStep", if i % 2 == 0 { "shipping" } else { "receiving" }),
            num("quantity", i as f64 * 1.5),
        ];
        if i <= 3 {
            facets.push(text("parentID", &format!("urn:epc:id:sscc:0614141.{i}")));
            facets.push(text("childEPC", "urn:epc:id:sgtin:0614141.107346.1"));
        }
        if i == 10 {
            facets.push(text("epc", "urn:epc:id:sgtin:0614141.107346.ABC"));
            facets.push(text("epc", "urn:epc:id:sgtin:0614141.107346.abc"));
            facets.push(text("epc", "urn:epc:id:sgtin:0614141.107346.ABC"));
            facets.push(num("ilmd:temp", f64::NAN));
        }
        events.push(event(&format!("e{i}"), ty, 100 * ((i * 7) % 10), facets));
    }
    let out = store.append(events, AppendMode::AllOrNothing).unwrap();
    assert!(out.all_stored());
}

fn page(n: usize) -> PageRequest {
    PageRequest {
        per_page: n,
        after: None,
    }
}

/// All seqs matching, following cursors with pages of `per_page`.
fn all_seqs(store: &dyn Store, query: &Query, per_page: usize) -> Vec<i64> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let p = store
            .query(query, &PageRequest { per_page, after })
            .unwrap();
        assert!(p.items.len() <= per_page);
        out.extend(p.items.iter().map(|e| e.seq));
        match p.next {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

fn matching(db: &TestDb, conditions: Vec<Condition>) -> Vec<i64> {
    let store = db.open();
    fixture(&*store);
    all_seqs(
        &*store,
        &Query {
            conditions,
            ..Query::default()
        },
        100,
    )
}

fn s(v: &str) -> String {
    v.to_owned()
}

pub fn every_condition_gives_its_known_answer(db: &TestDb) {
    let store = db.open();
    fixture(&*store);
    let run = |conditions: Vec<Condition>| {
        all_seqs(
            &*store,
            &Query {
                conditions,
                ..Query::default()
            },
            100,
        )
    };
    assert_eq!(run(vec![]), (1..=10).collect::<Vec<_>>());
    assert_eq!(
        run(vec![Condition::EventTypeIn(vec![
            EventType::AggregationEvent
        ])]),
        vec![3, 6, 9]
    );
    assert_eq!(
        run(vec![Condition::EventTypeIn(vec![
            EventType::AggregationEvent,
            EventType::ObjectEvent
        ])]),
        vec![1, 3, 4, 6, 7, 9, 10]
    );
    assert_eq!(
        run(vec![Condition::EventTypeIn(vec![
            EventType::AssociationEvent
        ])]),
        Vec::<i64>::new()
    );
    assert_eq!(run(vec![Condition::EventTypeIn(vec![])]), Vec::<i64>::new());
    assert_eq!(
        run(vec![Condition::EventIdIn(vec![
            s("e2"),
            s("e5"),
            s("nope")
        ])]),
        vec![2, 5]
    );
    assert_eq!(
        run(vec![Condition::TextIn {
            fields: vec![s("epc")],
            values: vec![s("urn:epc:id:sgtin:0614141.107346.4")]
        }]),
        vec![4]
    );
    // anyEPC-style: several fields, several values.
    assert_eq!(
        run(vec![Condition::TextIn {
            fields: vec![s("epc"), s("childEPC"), s("parentID")],
            values: vec![
                s("urn:epc:id:sgtin:0614141.107346.1"),
                s("urn:epc:id:sscc:0614141.3")
            ],
        }]),
        vec![1, 2, 3]
    );
    assert_eq!(
        run(vec![Condition::TextIn {
            fields: vec![s("nosuchfield")],
            values: vec![s("x")]
        }]),
        Vec::<i64>::new()
    );
    // Pattern: the prefix range plus LIKE; `_` is one character, matching is case-sensitive.
    let like = |p: &str| Condition::TextLike {
        fields: vec![s("epc")],
        patterns: vec![p.to_owned()],
    };
    assert_eq!(
        run(vec![like("urn:epc:id:sgtin:0614141.107346.%")]),
        (1..=10).collect::<Vec<_>>()
    );
    assert_eq!(
        run(vec![like("urn:epc:id:sgtin:0614141.107346._")]),
        (1..=9).collect::<Vec<_>>()
    );
    assert_eq!(
        run(vec![like("urn:epc:id:sgtin:0614141.107346.AB%")]),
        vec![10]
    );
    assert_eq!(
        run(vec![like("urn:epc:id:sgtin:0614141.107346.ab_")]),
        vec![10]
    );
    assert_eq!(
        run(vec![like("urn:epc:id:sgtin:0614141.107346.aB%")]),
        Vec::<i64>::new()
    );
    assert_eq!(run(vec![like("%.1_")]), vec![10]);
    // No literal prefix: only LIKE itself decides, and it must be case-sensitive.
    assert_eq!(run(vec![like("%107346.Abc")]), Vec::<i64>::new());
    assert_eq!(run(vec![like("%107346.abc")]), vec![10]);
    assert_eq!(run(vec![like("%107346.a\\bc")]), vec![10]);
    assert_eq!(
        run(vec![like("urn:epc:id:sgtin:0614141.107346.7")]),
        vec![7]
    );
    assert_eq!(
        run(vec![Condition::TextLike {
            fields: vec![s("parentID"), s("epc")],
            patterns: vec![
                s("urn:epc:id:sscc:0614141.2%"),
                s("urn:epc:id:sgtin:0614141.107346.9")
            ]
        }]),
        vec![2, 9]
    );
    assert_eq!(
        run(vec![Condition::Exists {
            fields: vec![s("parentID")]
        }]),
        vec![1, 2, 3]
    );
    assert_eq!(
        run(vec![Condition::Exists {
            fields: vec![s("ilmd:temp"), s("childEPC")]
        }]),
        vec![1, 2, 3]
    );
    assert_eq!(
        run(vec![Condition::Exists {
            fields: vec![s("quantity")]
        }]),
        (1..=10).collect::<Vec<_>>()
    );
    assert_eq!(
        run(vec![Condition::Exists {
            fields: vec![s("nosuch")]
        }]),
        Vec::<i64>::new()
    );
    let qty = |op, operand| Condition::Number {
        field: s("quantity"),
        op,
        operand,
    };
    assert_eq!(run(vec![qty(CmpOp::Eq, 6.0)]), vec![4]);
    assert_eq!(run(vec![qty(CmpOp::Gt, 12.0)]), vec![9, 10]);
    assert_eq!(run(vec![qty(CmpOp::Ge, 12.0)]), vec![8, 9, 10]);
    assert_eq!(run(vec![qty(CmpOp::Lt, 3.0)]), vec![1]);
    assert_eq!(run(vec![qty(CmpOp::Le, 3.0)]), vec![1, 2]);
    // eventTime of seq i is 100 * (7i mod 10): 700, 400, 100, 800, 500, 200, 900, 600, 300, 0.
    let time = |column, op, operand_ms| Condition::Time {
        column,
        op,
        operand_ms,
    };
    assert_eq!(
        run(vec![time(TimeColumn::EventTime, CmpOp::Ge, 700)]),
        vec![1, 4, 7]
    );
    assert_eq!(
        run(vec![time(TimeColumn::EventTime, CmpOp::Lt, 200)]),
        vec![3, 10]
    );
    assert_eq!(
        run(vec![time(TimeColumn::EventTime, CmpOp::Eq, 500)]),
        vec![5]
    );
    // recordTime = 1_000_000 - eventTime.
    assert_eq!(
        run(vec![time(TimeColumn::RecordTime, CmpOp::Gt, 999_700)]),
        vec![3, 6, 10]
    );
    assert_eq!(
        run(vec![time(TimeColumn::RecordTime, CmpOp::Le, 999_200)]),
        vec![4, 7]
    );
    // Combinations are conjunctions.
    assert_eq!(
        run(vec![
            Condition::TextIn {
                fields: vec![s("bizStep")],
                values: vec![s("shipping")]
            },
            Condition::EventTypeIn(vec![EventType::ObjectEvent, EventType::TransactionEvent]),
            time(TimeColumn::EventTime, CmpOp::Ge, 300),
        ]),
        vec![2, 4, 8]
    );
    assert_eq!(
        run(vec![
            like("urn:epc:id:sgtin:0614141.107346.%"),
            qty(CmpOp::Lt, 9.0),
            Condition::Exists {
                fields: vec![s("parentID")]
            }
        ]),
        vec![1, 2, 3]
    );
}

pub fn unknown_fields_match_nothing_even_in_a_fresh_store(db: &TestDb) {
    assert_eq!(
        matching(
            db,
            vec![Condition::Number {
                field: s("nosuch"),
                op: CmpOp::Gt,
                operand: 0.0
            }]
        ),
        Vec::<i64>::new()
    );
}

pub fn every_order_and_direction_pages_through_all_results_without_loss_or_repeats(db: &TestDb) {
    let store = db.open();
    fixture(&*store);
    // Two more events sharing an eventTime with others, to exercise the (time, seq) tie-break.
    store
        .append(
            vec![
                event("t1", EventType::ObjectEvent, 400, vec![]),
                event("t2", EventType::ObjectEvent, 400, vec![]),
            ],
            AppendMode::AllOrNothing,
        )
        .unwrap();
    let all: Vec<(i64, i64, i64)> = store
        .query(&Query::default(), &page(100))
        .unwrap()
        .items
        .iter()
        .map(|e| (e.seq, e.event_time_ms, e.record_time_ms))
        .collect();
    assert_eq!(all.len(), 12);
    for order_by in [OrderBy::Sequence, OrderBy::EventTime, OrderBy::RecordTime] {
        for direction in [Direction::Asc, Direction::Desc] {
            let mut expected = all.clone();
            expected.sort_by_key(|(seq, et, rt)| match order_by {
                OrderBy::Sequence => (*seq, 0),
                OrderBy::EventTime => (*et, *seq),
                OrderBy::RecordTime => (*rt, *seq),
            });
            if direction == Direction::Desc {
                expected.reverse();
            }
            let expected: Vec<i64> = expected.iter().map(|(seq, _, _)| *seq).collect();
            let query = Query {
                order_by,
                direction,
                ..Query::default()
            };
            for per_page in [1, 2, 3, 5, 12, 50] {
                assert_eq!(
                    all_seqs(&*store, &query, per_page),
                    expected,
                    "{order_by:?} {direction:?} {per_page}"
                );
            }
        }
    }
}

pub fn paging_a_filtered_query_and_event_count_limit_spanning_pages(db: &TestDb) {
    let store = db.open();
    fixture(&*store);
    let shipping = Condition::TextIn {
        fields: vec![s("bizStep")],
        values: vec![s("shipping")],
    };
    let q = Query {
        conditions: vec![shipping.clone()],
        order_by: OrderBy::EventTime,
        ..Query::default()
    };
    // shipping = even seqs; eventTimes 400, 800, 200, 600, 0.
    assert_eq!(all_seqs(&*store, &q, 2), vec![10, 6, 2, 8, 4]);
    let limited = Query {
        event_count_limit: Some(3),
        ..q.clone()
    };
    assert_eq!(all_seqs(&*store, &limited, 2), vec![10, 6, 2]);
    assert_eq!(all_seqs(&*store, &limited, 3), vec![10, 6, 2]);
    assert_eq!(all_seqs(&*store, &limited, 10), vec![10, 6, 2]);
    let exact = Query {
        event_count_limit: Some(5),
        ..q
    };
    let first = store.query(&exact, &page(5)).unwrap();
    assert_eq!(first.items.len(), 5);
    assert!(first.next.is_none());
}

pub fn max_event_count_fails_when_more_match(db: &TestDb) {
    let store = db.open();
    fixture(&*store);
    let shipping = Condition::TextIn {
        fields: vec![s("bizStep")],
        values: vec![s("shipping")],
    };
    let q = |max| Query {
        conditions: vec![shipping.clone()],
        max_event_count: Some(max),
        ..Query::default()
    };
    assert!(matches!(
        store.query(&q(4), &page(2)),
        Err(StoreError::TooLarge { limit: 4 })
    ));
    assert!(matches!(
        store.query(&q(0), &page(2)),
        Err(StoreError::TooLarge { limit: 0 })
    ));
    assert_eq!(all_seqs(&*store, &q(5), 2), vec![2, 4, 6, 8, 10]);
}

pub fn garbage_cursors_are_invalid(db: &TestDb) {
    let store = db.open();
    fixture(&*store);
    let q = Query::default();
    for after in ["", "not a cursor", "AAAA", "%%%"] {
        let r = store.query(
            &q,
            &PageRequest {
                per_page: 2,
                after: Some(after.into()),
            },
        );
        assert!(matches!(r, Err(StoreError::InvalidCursor)), "{after}");
    }
    // A cursor from one order is refused by another.
    let next = store.query(&q, &page(2)).unwrap().next.unwrap();
    let by_time = Query {
        order_by: OrderBy::EventTime,
        ..Query::default()
    };
    assert!(matches!(
        store.query(
            &by_time,
            &PageRequest {
                per_page: 2,
                after: Some(next.clone())
            }
        ),
        Err(StoreError::InvalidCursor)
    ));
    assert!(matches!(
        store.distinct_values(
            &["epc"],
            &PageRequest {
                per_page: 2,
                after: Some(next.clone())
            }
        ),
        Err(StoreError::InvalidCursor)
    ));
    assert!(matches!(
        store.capture_jobs(&PageRequest {
            per_page: 2,
            after: Some(next)
        }),
        Err(StoreError::InvalidCursor)
    ));
}

pub fn distinct_values_are_sorted_merged_and_paged(db: &TestDb) {
    let store = db.open();
    fixture(&*store);
    let all = |fields: &[&str], per_page| {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let p = store
                .distinct_values(fields, &PageRequest { per_page, after })
                .unwrap();
            out.extend(p.items);
            match p.next {
                Some(n) => after = Some(n),
                None => return out,
            }
        }
    };
    assert_eq!(all(&["bizStep"], 1), vec![s("receiving"), s("shipping")]);
    let parents_and_children = all(&["parentID", "childEPC"], 2);
    assert_eq!(
        parents_and_children,
        vec![
            s("urn:epc:id:sgtin:0614141.107346.1"),
            s("urn:epc:id:sscc:0614141.1"),
            s("urn:epc:id:sscc:0614141.2"),
            s("urn:epc:id:sscc:0614141.3"),
        ]
    );
    let epcs = all(&["epc", "childEPC"], 3);
    assert_eq!(epcs.len(), 12);
    let mut sorted = epcs.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(epcs, sorted);
    assert_eq!(all(&["nosuch"], 3), Vec::<String>::new());
    assert_eq!(all(&["quantity"], 3), Vec::<String>::new());
}

/// A job whose append committed but whose worker stopped before finishing it (a crash, a
/// lapsed claim) is run again: the second attempt gets the first one's outcome, appends
/// nothing, and does not report the job's own events as duplicates; another job sending the
/// same events does get duplicates.
pub fn a_resumed_job_answers_with_its_committed_append(db: &TestDb) {
    // The job's events, sent again by the second attempt.
    let batch = || vec![simple("a"), simple("before"), simple("b")];
    let (job, first) = {
        let store = db.open();
        let job = store
            .create_capture_job(AppendMode::SkipFailures, b"{}")
            .unwrap();
        store
            .append(vec![simple("before")], AppendMode::AllOrNothing)
            .unwrap();
        let first = store
            .append_for_job(&job.id, batch(), AppendMode::SkipFailures)
            .unwrap();
        assert_eq!(seqs(&first.results), vec![Some(2), None, Some(3)]);
        assert_eq!(first.results[1], dup("before"));
        (job, first)
    };
    // Reopened, as after a crash: the job is unfinished and is run again.
    let store = db.open();
    assert_eq!(
        store.capture_job(&job.id).unwrap().unwrap().status,
        JobStatus::Pending
    );
    let again = store
        .append_for_job(&job.id, batch(), AppendMode::SkipFailures)
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(store.event_count().unwrap(), 3);
    let other = store
        .create_capture_job(AppendMode::AllOrNothing, b"{}")
        .unwrap();
    let refused = store
        .append_for_job(
            &other.id,
            vec![simple("c"), simple("a")],
            AppendMode::AllOrNothing,
        )
        .unwrap();
    assert_eq!(refused.results, vec![Ok(0), dup("a")]);
    // A refused all-or-nothing append records nothing: the retry is judged afresh.
    let retried = store
        .append_for_job(&other.id, vec![simple("c")], AppendMode::AllOrNothing)
        .unwrap();
    assert_eq!(seqs(&retried.results), vec![Some(4)]);
    // Finishing the job clears the record with no change to what it reports.
    store
        .finish_capture_job(&job.id, false, 2, &serde_json::json!([]))
        .unwrap();
    assert_eq!(store.capture_job(&job.id).unwrap().unwrap().stored, 2);
    assert!(matches!(
        store.append_for_job("nope", vec![simple("d")], AppendMode::AllOrNothing),
        Err(StoreError::NotFound(_))
    ));
}

pub fn capture_job_lifecycle_survives_reopen(db: &TestDb) {
    let (a, b) = {
        let store = db.open();
        let a = store
            .create_capture_job(AppendMode::AllOrNothing, b"{\"doc\":1}")
            .unwrap();
        let b = store
            .create_capture_job(AppendMode::SkipFailures, b"second")
            .unwrap();
        assert_ne!(a.id, b.id);
        assert!(a
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(a.status, JobStatus::Pending);
        assert!(store.claim_capture_job(&a.id).unwrap());
        assert!(!store.claim_capture_job(&a.id).unwrap(), "claimed twice");
        assert_eq!(
            store.capture_job(&a.id).unwrap().unwrap().status,
            JobStatus::Running
        );
        (a, b)
    };
    let store = db.open();
    assert_eq!(store.capture_job_document(&a.id).unwrap(), b"{\"doc\":1}");
    let unfinished: Vec<String> = store
        .unfinished_capture_jobs()
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(unfinished, vec![a.id.clone(), b.id.clone()]);
    let errors =
        serde_json::json!([{"type": "epcisException:ValidationException", "detail": "bad"}]);
    store.finish_capture_job(&a.id, false, 0, &errors).unwrap();
    store
        .finish_capture_job(&b.id, true, 7, &serde_json::json!([]))
        .unwrap();
    let done = store.capture_job(&a.id).unwrap().unwrap();
    assert_eq!(done.status, JobStatus::Finished);
    assert!(!done.success);
    assert_eq!(done.errors, errors);
    assert!(done.finished_ms.is_some());
    assert_eq!(done.mode, AppendMode::AllOrNothing);
    let b_done = store.capture_job(&b.id).unwrap().unwrap();
    assert!(b_done.success);
    assert_eq!(b_done.stored, 7);
    assert!(store.unfinished_capture_jobs().unwrap().is_empty());
    assert!(
        !store.claim_capture_job(&b.id).unwrap(),
        "a finished job is not claimed"
    );
    assert!(store.capture_job("nope").unwrap().is_none());
    assert!(matches!(
        store.capture_job_document("nope"),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.claim_capture_job("nope"),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.finish_capture_job("nope", true, 0, &errors),
        Err(StoreError::NotFound(_))
    ));
    // Newest first, paged.
    let c = store
        .create_capture_job(AppendMode::SkipFailures, b"third")
        .unwrap();
    let first = store.capture_jobs(&page(2)).unwrap();
    assert_eq!(
        first.items.iter().map(|j| j.id.clone()).collect::<Vec<_>>(),
        vec![c.id.clone(), b.id.clone()]
    );
    let second = store
        .capture_jobs(&PageRequest {
            per_page: 2,
            after: first.next,
        })
        .unwrap();
    assert_eq!(
        second
            .items
            .iter()
            .map(|j| j.id.clone())
            .collect::<Vec<_>>(),
        vec![a.id]
    );
    assert!(second.next.is_none());
}

pub fn named_queries_conflict_and_not_found(db: &TestDb) {
    let store = db.open();
    let def = serde_json::json!({"eventType": ["ObjectEvent"], "MATCH_epc": ["urn:epc:id:sgtin:0614141.107346.2018"]});
    let created = store.create_named_query("b-query", &def).unwrap();
    assert_eq!(created.definition, def);
    assert!(matches!(
        store.create_named_query("b-query", &def),
        Err(StoreError::Conflict(_))
    ));
    store
        .create_named_query("a-query", &serde_json::json!({}))
        .unwrap();
    store
        .create_named_query("c-query", &serde_json::json!({}))
        .unwrap();
    assert_eq!(store.named_query("b-query").unwrap().unwrap(), created);
    assert!(store.named_query("zzz").unwrap().is_none());
    let first = store.named_queries(&page(2)).unwrap();
    assert_eq!(
        first
            .items
            .iter()
            .map(|q| q.name.as_str())
            .collect::<Vec<_>>(),
        vec!["a-query", "b-query"]
    );
    let second = store
        .named_queries(&PageRequest {
            per_page: 2,
            after: first.next,
        })
        .unwrap();
    assert_eq!(
        second
            .items
            .iter()
            .map(|q| q.name.as_str())
            .collect::<Vec<_>>(),
        vec!["c-query"]
    );
    assert!(second.next.is_none());
    store.delete_named_query("b-query").unwrap();
    assert!(matches!(
        store.delete_named_query("b-query"),
        Err(StoreError::NotFound(_))
    ));
    assert!(store.named_query("b-query").unwrap().is_none());
}

pub fn appended_events_survive_reopen_and_numbering_continues(db: &TestDb) {
    {
        let store = db.open();
        fixture(&*store);
    }
    let store = db.open();
    assert_eq!(store.event_count().unwrap(), 10);
    assert_eq!(store.event("e7").unwrap().unwrap().seq, 7);
    assert_eq!(
        all_seqs(
            &*store,
            &Query {
                conditions: vec![Condition::Exists {
                    fields: vec![s("parentID")]
                }],
                ..Query::default()
            },
            2
        ),
        vec![1, 2, 3]
    );
    let out = store
        .append(vec![simple("new"), simple("e1")], AppendMode::SkipFailures)
        .unwrap();
    assert_eq!(out.results, vec![Ok(11), dup("e1")]);
}

pub fn concurrent_appends_get_distinct_dense_seqs(db: &TestDb) {
    let store = db.open();
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut seqs = Vec::new();
                for b in 0..20 {
                    let mut batch: Vec<NewEvent> =
                        (0..5).map(|i| simple(&format!("t{t}-b{b}-{i}"))).collect();
                    // Every fourth batch of each thread is rolled back by an in-batch duplicate.
                    let rollback = b % 4 == 3;
                    if rollback {
                        batch.push(simple(&format!("t{t}-b{b}-0")));
                    }
                    let out = store.append(batch, AppendMode::AllOrNothing).unwrap();
                    assert_eq!(out.all_stored(), !rollback);
                    if !rollback {
                        seqs.extend(out.results.into_iter().map(Result::unwrap));
                    }
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
    let expected: Vec<i64> = (1..=6 * 15 * 5).collect();
    assert_eq!(all, expected);
    assert_eq!(store.event_count().unwrap(), 450);
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(unique.len(), 450);
}

/// Everything a store can be asked, as one comparable value.
fn observe(store: &dyn Store) -> Vec<String> {
    let mut seen = vec![format!("count {}", store.event_count().unwrap())];
    let by_time = Query {
        order_by: OrderBy::EventTime,
        ..Query::default()
    };
    for e in store.query(&by_time, &page(1000)).unwrap().items {
        seen.push(format!("{e:?}"));
    }
    seen.push(format!(
        "{:?}",
        store
            .distinct_values(&["epc", "bizStep", "parentID"], &page(100))
            .unwrap()
            .items
    ));
    let qty = Query {
        conditions: vec![Condition::Number {
            field: s("quantity"),
            op: CmpOp::Ge,
            operand: 6.0,
        }],
        ..Query::default()
    };
    seen.push(format!("{:?}", all_seqs(store, &qty, 3)));
    for job in store.capture_jobs(&page(100)).unwrap().items {
        seen.push(format!(
            "{job:?} {:?}",
            store.capture_job_document(&job.id).unwrap()
        ));
    }
    seen.push(format!(
        "{:?}",
        store.named_queries(&page(100)).unwrap().items
    ));
    seen
}

pub fn backup_then_restore_gives_the_same_store(db: &TestDb) {
    let original = db.open();
    fixture(&*original);
    let job = original
        .create_capture_job(AppendMode::SkipFailures, &[0, 1, 2, 255])
        .unwrap();
    original
        .finish_capture_job(&job.id, false, 3, &serde_json::json!([{"detail": "x"}]))
        .unwrap();
    // A job whose events were appended when the backup was taken, not yet finished.
    let running = original
        .create_capture_job(AppendMode::AllOrNothing, b"{}")
        .unwrap();
    let appended = original
        .append_for_job(
            &running.id,
            vec![simple("running")],
            AppendMode::AllOrNothing,
        )
        .unwrap();
    original
        .create_named_query("q", &serde_json::json!({"eventType": ["ObjectEvent"]}))
        .unwrap();
    let before = observe(&*original);
    drop(original);
    let mut dump = Vec::new();
    let summary = db.location().backup(&mut dump).unwrap();
    assert_eq!(summary.rows("events"), 11);
    assert_eq!(summary.rows("capture_jobs"), 2);

    let copy = TestDb::new(db.kind).unwrap();
    let restored = copy.location().restore(&mut &dump[..]).unwrap();
    assert_eq!(restored, summary);
    let store = copy.open();
    assert_eq!(observe(&*store), before);
    // The running job, resumed on the restored store, answers with its append.
    assert_eq!(
        store
            .append_for_job(
                &running.id,
                vec![simple("running")],
                AppendMode::AllOrNothing
            )
            .unwrap(),
        appended
    );
    // Numbering continues after the restored rows.
    let out = store
        .append(vec![simple("after")], AppendMode::AllOrNothing)
        .unwrap();
    assert_eq!(out.results, vec![Ok(12)]);
    let newest = store
        .create_capture_job(AppendMode::AllOrNothing, b"new")
        .unwrap();
    assert_eq!(store.capture_jobs(&page(1)).unwrap().items[0].id, newest.id);
    drop(store);
    // A dump of the restored store, less what was added since, is the same dump.
    let again = TestDb::new(db.kind).unwrap();
    again.location().restore(&mut &dump[..]).unwrap();
    let mut second = Vec::new();
    again.location().backup(&mut second).unwrap();
    assert_eq!(
        String::from_utf8(second).unwrap(),
        String::from_utf8(dump).unwrap()
    );
}

/// A dump made before text facets were interned (schema 601: `facet_text` rows) restores
/// into today's terms and postings and answers the same.
pub fn a_dump_from_before_interned_facets_restores(db: &TestDb) {
    let original = db.open();
    fixture(&*original);
    let by_epc = Query {
        conditions: vec![Condition::TextLike {
            fields: vec![s("epc")],
            patterns: vec![s("urn:epc:id:sgtin:%")],
        }],
        ..Query::default()
    };
    let before = (observe(&*original), all_seqs(&*original, &by_epc, 4));
    drop(original);
    let mut dump = Vec::new();
    db.location().backup(&mut dump).unwrap();
    // Rewrite the dump as schema 601 wrote it: one facet_text row per posting.
    let text = String::from_utf8(dump).unwrap();
    let mut lines = text.lines();
    let mut header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    header["schemaVersion"] = serde_json::json!(601);
    let mut terms = std::collections::HashMap::new();
    let mut legacy = Vec::new();
    let mut other = Vec::new();
    for line in lines {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        match row["t"].as_str().unwrap() {
            "facet_terms" => {
                let r = &row["r"];
                terms.insert(
                    r[0].as_i64().unwrap(),
                    (r[1].as_i64().unwrap(), r[2].clone()),
                );
            }
            "facet_postings" => {
                legacy.push((row["r"][0].as_i64().unwrap(), row["r"][1].as_i64().unwrap()))
            }
            _ => other.push(line.to_owned()),
        }
    }
    let mut rows: Vec<(i64, String, i64)> = legacy
        .iter()
        .map(|(term, seq)| {
            let (field, value) = &terms[term];
            (*field, value.as_str().unwrap().to_owned(), *seq)
        })
        .collect();
    assert!(!rows.is_empty(), "the fixture has text facets");
    rows.sort();
    let mut old = format!("{header}\n");
    for (field, value, seq) in rows {
        old.push_str(&format!(
            "{}\n",
            serde_json::json!({"t": "facet_text", "r": [field, value, seq]})
        ));
    }
    for line in other {
        old.push_str(&line);
        old.push('\n');
    }
    let copy = TestDb::new(db.kind).unwrap();
    copy.location().restore(&mut old.as_bytes()).unwrap();
    let store = copy.open();
    assert_eq!((observe(&*store), all_seqs(&*store, &by_epc, 4)), before);
}

pub fn restore_refuses_a_store_with_data(db: &TestDb) {
    let store = db.open();
    store
        .append(vec![simple("a")], AppendMode::AllOrNothing)
        .unwrap();
    drop(store);
    let mut dump = Vec::new();
    db.location().backup(&mut dump).unwrap();
    assert!(matches!(
        db.location().restore(&mut &dump[..]),
        Err(StoreError::Conflict(_))
    ));
    let garbage = b"{\"format\":\"something else\"}\n";
    let fresh = TestDb::new(db.kind).unwrap();
    assert!(fresh.location().restore(&mut &garbage[..]).is_err());
    assert_eq!(fresh.open().event_count().unwrap(), 0);
}

/// A SQLite store with something in every table, copied into this backend: the copy's
/// dump is the source's dump, and it reads and goes on the same.
pub fn copy_from_sqlite_keeps_every_table(db: &TestDb) {
    use store::{NewSubscription, ProblemReport, Scan};
    let source = TestDb::new(super::Kind::Sqlite).unwrap();
    let gtin = "https://id.gs1.org/01/09520123456788";
    let sub = |name: &str| NewSubscription {
        query_name: name.into(),
        dest: "http://127.0.0.1:9/hook".into(),
        signature_token: None,
        stream: true,
        schedule: None,
        report_if_empty: false,
        initial_record_time_ms: None,
        options: serde_json::json!({}),
    };
    let trace_request = trace::TraceRequest::new(super::trace::c(super::trace::LOT_C));
    // Organisations a and b, a location, a plot and an export code.
    super::registries::places_and_codes(&source);
    let (sub_id, graph) = {
        let s = source.open();
        fixture(&*s);
        s.append(
            super::trace::new_events(super::trace::chain()),
            AppendMode::AllOrNothing,
        )
        .unwrap();
        let job = s
            .create_capture_job(AppendMode::SkipFailures, b"doc")
            .unwrap();
        s.set_capture_job_owner(&job.id, "a").unwrap();
        s.create_named_query("q", &serde_json::json!({})).unwrap();
        s.set_named_query_owner("q", "a").unwrap();
        s.put_master_data(vec![store::MasterDataElement {
            vocabulary_type: "urn:epcglobal:epcis:vtype:BusinessLocation".into(),
            id: "urn:epc:id:sgln:8934567.00001.0".into(),
            element: serde_json::json!({"id": "urn:epc:id:sgln:8934567.00001.0"}),
            updated_ms: 3,
        }])
        .unwrap();
        let sub_id = s.create_subscription(sub("q")).unwrap().id;
        let mut org = super::registries::org("c", "0100000003", "8934567");
        org.details.glns = vec!["8934567000017".into()];
        s.create_organisation(&org).unwrap();
        s.put_product(&super::registries::product("08934567000017", "a"))
            .unwrap();
        s.add_partners("a", &["b".to_owned()]).unwrap();
        let link = resolver::Link {
            id: "l1".into(),
            scope: resolver::Scope::new(gtin, None, None).unwrap(),
            link_type: "gs1:pip".into(),
            href: "https://b.example/p".into(),
            title: "p".into(),
            hreflang: vec!["vi".into()],
            media_type: None,
            context: None,
            default: true,
        };
        s.put_link(&link).unwrap();
        let scan = Scan {
            at_ms: 5,
            key: gtin.into(),
            identifier: gtin.into(),
            link_type: None,
            country: None,
            region: Some("VN-HN".into()),
            ua_class: "ios".into(),
            status: 307,
        };
        s.record_scans(&[scan]).unwrap();
        s.add_problem_report(&ProblemReport {
            id: "r1".into(),
            at_ms: 6,
            identifier: gtin.into(),
            category: "label".into(),
            message: "smudged".into(),
        })
        .unwrap();
        let user = registry::accounts::User {
            name: "lan".into(),
            password_hash: "h".into(),
            binding: registry::accounts::Binding {
                role: registry::accounts::AccountRole::Admin,
                org: Some("a".into()),
                province: None,
            },
            created_ms: 1,
            disabled: false,
        };
        s.create_user(&user).unwrap();
        s.create_session("secret", "lan", 1, i64::MAX).unwrap();
        s.create_token(&registry::accounts::ApiToken {
            id: "t1".into(),
            name: "erp".into(),
            secret_sha256: "abc".into(),
            binding: user.binding.clone(),
            scopes: vec![registry::Scope::Read],
            created_by: "lan".into(),
            created_ms: 1,
            expires_ms: None,
            revoked_ms: None,
            last_used_ms: Some(4),
        })
        .unwrap();
        s.record_audit(&registry::accounts::AuditEntry {
            at_ms: 7,
            actor: "lan".into(),
            role: "admin".into(),
            org: Some("a".into()),
            province: None,
            method: "POST".into(),
            path: "/capture".into(),
            status: 202,
            source: "token".into(),
        })
        .unwrap();
        // A recall (its lots and affected parties) and an organisation's recall webhook.
        let recall = trace::recall::Recall {
            id: "rc1".into(),
            lots: vec![trace::recall::RecallLot {
                gtin: "09520123456788".into(),
                lot: "L1".into(),
            }],
            reason: "Listeria".into(),
            severity: trace::recall::Severity::ClassI,
            declared_by: trace::recall::Actor {
                name: "can-bo".into(),
                role: "nationalOfficial".into(),
                org: None,
            },
            declared_ms: 8,
            state: trace::recall::RecallState::Open,
            closed_ms: None,
            closed_by: None,
            close_note: None,
            affected: vec![trace::recall::AffectedOrg {
                org: "b".into(),
                name: "B".into(),
                province: "01".into(),
                sites: Vec::new(),
            }],
            unregistered_sites: Vec::new(),
            truncated: false,
        };
        s.create_recall(&recall).unwrap();
        s.put_recall_webhook(&store::RecallWebhook {
            org: "b".into(),
            url: "http://127.0.0.1:9/recalls".into(),
            secret: None,
            cursor: 0,
            failures: 0,
            last_error: None,
            created_ms: 9,
        })
        .unwrap();
        (sub_id, s.trace(&trace_request).unwrap())
    };
    let mut before = Vec::new();
    let summary = source.location().backup(&mut before).unwrap();
    for table in store::dump::TABLES {
        assert!(summary.rows(table.name) > 0, "no rows in {}", table.name);
    }
    let copied = source.location().copy_to(&db.location()).unwrap();
    assert_eq!(copied, summary);
    let mut after = Vec::new();
    db.location().backup(&mut after).unwrap();
    assert_eq!(
        String::from_utf8(after).unwrap(),
        String::from_utf8(before).unwrap()
    );

    let s = db.open();
    assert_eq!(s.trace(&trace_request).unwrap(), graph);
    assert_eq!(s.session_user("secret", 2).unwrap().unwrap().name, "lan");
    assert_eq!(s.links_for_key(gtin).unwrap().len(), 1);
    assert_eq!(s.scan_summary(gtin, 0).unwrap().count, 1);
    // Every counter goes on after the copied rows.
    let next = s.create_subscription(sub("q")).unwrap();
    let ids: Vec<String> = s
        .all_subscriptions()
        .unwrap()
        .into_iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(ids, vec![sub_id, next.id]);
    let count = s.event_count().unwrap();
    let out = s
        .append(vec![simple("after-copy")], AppendMode::AllOrNothing)
        .unwrap();
    assert_eq!(out.results, vec![Ok(count + 1)]);
    s.record_audit(&registry::accounts::AuditEntry {
        at_ms: 8,
        actor: "lan".into(),
        role: "admin".into(),
        org: None,
        province: None,
        method: "GET".into(),
        path: "/".into(),
        status: 200,
        source: "session".into(),
    })
    .unwrap();
    let audit = s.audit_entries(None, &page(10)).unwrap().items;
    assert_eq!(
        audit.iter().map(|e| e.at_ms).collect::<Vec<_>>(),
        vec![8, 7]
    );
}
