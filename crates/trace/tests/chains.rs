//! Hand-built chains with known answers, one per kind of link.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::Arc;

use serde_json::{json, Value};
use trace::{trace, Direction, EdgeKind, EventRecord, EventSource, TraceGraph, TraceRequest};

/// An in-memory event source: every record that names a requested identifier.
struct Memory {
    records: Vec<EventRecord>,
    calls: usize,
    /// Leave out events given by an earlier call (as the store does).
    once: bool,
    given: BTreeSet<String>,
}

impl Memory {
    fn new(events: Vec<Value>) -> Memory {
        let records = events
            .into_iter()
            .map(|v| EventRecord::from_json(v.as_object().unwrap()).expect("a readable event"))
            .collect();
        Memory {
            records,
            calls: 0,
            once: false,
            given: BTreeSet::new(),
        }
    }
}

impl EventSource for Memory {
    type Error = Infallible;
    fn events_touching(&mut self, nodes: &[String]) -> Result<Vec<Arc<EventRecord>>, Infallible> {
        self.calls += 1;
        let out: Vec<Arc<EventRecord>> = self
            .records
            .iter()
            .filter(|r| r.index_keys().iter().any(|k| nodes.iter().any(|n| n == k)))
            .filter(|r| !self.once || !self.given.contains(&r.event_id))
            .map(|r| Arc::new(r.clone()))
            .collect();
        self.given.extend(out.iter().map(|r| r.event_id.clone()));
        Ok(out)
    }
}

fn c(id: &str) -> String {
    gs1::canonical_id(id).into_owned()
}

fn lot(l: &str) -> String {
    format!("urn:epc:class:lgtin:4012345.012345.{l}")
}

fn pallet(n: u32) -> String {
    format!("urn:epc:id:sscc:4012345.{n:010}")
}

fn item(s: &str) -> String {
    format!("urn:epc:id:sgtin:4012345.012345.{s}")
}

fn place(n: u32) -> String {
    format!("urn:epc:id:sgln:4012345.{n:05}.0")
}

fn party(n: u32) -> String {
    format!("urn:epc:id:pgln:4012345.{n:05}")
}

/// Day `d` of January 2026, UTC.
fn day(d: u32) -> String {
    format!("2026-01-{d:02}T08:00:00.000Z")
}

fn day_ms(d: u32) -> i64 {
    epcis::lexical::parse_time_ms(&day(d)).unwrap()
}

fn base(kind: &str, id: &str, d: u32) -> serde_json::Map<String, Value> {
    let v = json!({"type": kind, "eventID": format!("urn:x:{id}"), "eventTime": day(d), "eventTimeZoneOffset": "+07:00"});
    v.as_object().unwrap().clone()
}

fn with(mut m: serde_json::Map<String, Value>, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        m.insert(k.clone(), v.clone());
    }
    Value::Object(m)
}

fn commission(id: &str, d: u32, l: &str, at: u32) -> Value {
    with(
        base("ObjectEvent", id, d),
        json!({"action": "ADD", "bizStep": "commissioning",
               "quantityList": [{"epcClass": lot(l), "quantity": 100, "uom": "KGM"}],
               "bizLocation": {"id": place(at)}}),
    )
}

fn ship(id: &str, d: u32, epcs: Value, from: u32, to: u32) -> Value {
    let mut extra = json!({"action": "OBSERVE", "bizStep": "shipping",
        "readPoint": {"id": place(from)},
        "sourceList": [{"type": "owning_party", "source": party(from)}, {"type": "location", "source": place(from)}],
        "destinationList": [{"type": "owning_party", "destination": party(to)}, {"type": "location", "destination": place(to)}]});
    put_epcs(&mut extra, epcs);
    with(base("ObjectEvent", id, d), extra)
}

fn receive(id: &str, d: u32, epcs: Value, at: u32) -> Value {
    let mut extra =
        json!({"action": "OBSERVE", "bizStep": "receiving", "bizLocation": {"id": place(at)}});
    put_epcs(&mut extra, epcs);
    with(base("ObjectEvent", id, d), extra)
}

/// `epcs` is either an array of instance ids or an object {class: quantity}.
fn put_epcs(extra: &mut Value, epcs: Value) {
    let m = extra.as_object_mut().unwrap();
    match epcs {
        Value::Array(_) => {
            m.insert("epcList".into(), epcs);
        }
        Value::Object(classes) => {
            let list: Vec<Value> = classes
                .into_iter()
                .map(|(k, q)| json!({"epcClass": k, "quantity": q}))
                .collect();
            m.insert("quantityList".into(), Value::Array(list));
        }
        _ => unreachable!(),
    }
}

fn transform(id: &str, d: u32, inputs: &[&str], outputs: &[&str]) -> Value {
    let q = |ls: &[&str]| -> Vec<Value> {
        ls.iter()
            .map(|l| json!({"epcClass": lot(l), "quantity": 10, "uom": "KGM"}))
            .collect()
    };
    with(
        base("TransformationEvent", id, d),
        json!({"inputQuantityList": q(inputs), "outputQuantityList": q(outputs),
               "bizStep": "commissioning", "bizLocation": {"id": place(50)}}),
    )
}

fn aggregate(kind: &str, id: &str, d: u32, action: &str, parent: &str, children: Value) -> Value {
    let mut extra = json!({"action": action, "parentID": parent});
    let m = extra.as_object_mut().unwrap();
    match children {
        Value::Array(list) if !list.is_empty() => {
            m.insert("childEPCs".into(), Value::Array(list));
        }
        Value::Object(classes) => {
            let list: Vec<Value> = classes
                .into_iter()
                .map(|(k, q)| json!({"epcClass": k, "quantity": q}))
                .collect();
            m.insert("childQuantityList".into(), Value::Array(list));
        }
        _ => {}
    }
    with(base(kind, id, d), extra)
}

fn run(events: Vec<Value>, start: &str, direction: Direction) -> TraceGraph {
    let mut source = Memory::new(events);
    let mut request = TraceRequest::new(c(start));
    request.direction = direction;
    trace(&mut source, &request).unwrap()
}

fn node_ids(g: &TraceGraph) -> BTreeSet<String> {
    g.nodes.iter().map(|n| n.id.clone()).collect()
}

fn event_ids(g: &TraceGraph) -> BTreeSet<String> {
    g.events
        .iter()
        .map(|e| short(&e.record.event_id).to_owned())
        .collect()
}

fn short(id: &str) -> &str {
    id.strip_prefix("urn:x:").unwrap_or(id)
}

fn set<const N: usize>(items: [&str; N]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn ids<const N: usize>(items: [&str; N]) -> BTreeSet<String> {
    items.iter().map(|s| c(s)).collect()
}

#[test]
fn object_events_attach_parties_and_places() {
    let events = vec![
        commission("c1", 1, "A", 1),
        ship("s1", 2, json!({ lot("A"): 100 }), 1, 2),
        receive("r1", 3, json!({ lot("A"): 100 }), 2),
        commission("other", 1, "Z", 9),
    ];
    let g = run(events, &lot("A"), Direction::Both);
    assert_eq!(node_ids(&g), ids([&lot("A")]));
    assert_eq!(event_ids(&g), set(["c1", "s1", "r1"]));
    // Events come in time order, and the summaries name both parties and all three places.
    let order: Vec<&str> = g.events.iter().map(|e| short(&e.record.event_id)).collect();
    assert_eq!(order, ["c1", "s1", "r1"]);
    let parties: BTreeSet<String> = g.parties.iter().map(|p| p.id.clone()).collect();
    assert_eq!(parties, ids([&party(1), &party(2)]));
    let places: BTreeSet<String> = g.locations.iter().map(|p| p.id.clone()).collect();
    assert_eq!(places, ids([&place(1), &place(2)]));
    let origins = g.origins();
    assert_eq!(origins.len(), 1);
    assert_eq!(origins[0].location.as_deref(), Some(c(&place(1)).as_str()));
}

fn two_stage_chain() -> Vec<Value> {
    vec![
        commission("cA", 1, "A", 1),
        commission("cB", 1, "B", 2),
        commission("cE", 2, "E", 3),
        transform("t1", 5, &["A", "B"], &["C"]),
        transform("t2", 8, &["C", "E"], &["D"]),
        ship("sD", 9, json!({ lot("D"): 5 }), 50, 60),
        // B also went into an unrelated product: not downstream of A, not upstream of D.
        transform("t3", 6, &["B"], &["X"]),
    ]
}

#[test]
fn multi_input_transformation_backward_reaches_every_input() {
    let g = run(two_stage_chain(), &lot("D"), Direction::Backward);
    assert_eq!(
        node_ids(&g),
        ids([&lot("D"), &lot("C"), &lot("E"), &lot("A"), &lot("B")])
    );
    assert!(
        !event_ids(&g).contains("t3"),
        "B's later use is not D's history"
    );
    for e in ["cA", "cB", "cE", "t1", "t2", "sD"] {
        assert!(event_ids(&g).contains(e), "{e} missing");
    }
    let transformed: BTreeSet<(String, String)> = g
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Transformed)
        .map(|e| (e.from.clone(), e.to.clone()))
        .collect();
    let expect: BTreeSet<(String, String)> = [("A", "C"), ("B", "C"), ("C", "D"), ("E", "D")]
        .iter()
        .map(|(a, b)| (c(&lot(a)), c(&lot(b))))
        .collect();
    assert_eq!(transformed, expect);
    let origins: BTreeSet<String> = g.origins().into_iter().map(|o| o.node).collect();
    assert_eq!(origins, ids([&lot("A"), &lot("B"), &lot("E")]));
}

#[test]
fn forward_follows_outputs_only() {
    let g = run(two_stage_chain(), &lot("A"), Direction::Forward);
    assert_eq!(node_ids(&g), ids([&lot("A"), &lot("C"), &lot("D")]));
    assert!(event_ids(&g).contains("sD"));
    assert!(
        !event_ids(&g).contains("cB"),
        "a co-input's origin is not downstream"
    );
    let start = g.node(&c(&lot("A"))).unwrap();
    assert!(start.start && start.downstream && !start.upstream);
}

/// Lot A travels on pallet 1 from day 10 to day 13; the pallet is emptied, then reused
/// for the unrelated lot B from day 20 to day 23.
fn reused_pallet() -> Vec<Value> {
    let p = pallet(1);
    vec![
        commission("cA", 1, "A", 1),
        commission("cB", 2, "B", 2),
        aggregate(
            "AggregationEvent",
            "packA",
            10,
            "ADD",
            &p,
            json!({ lot("A"): 100 }),
        ),
        ship("shipP1", 11, json!([p]), 1, 3),
        receive("recvP1", 12, json!([p]), 3),
        aggregate("AggregationEvent", "unpackP1", 13, "DELETE", &p, json!([])),
        ship("shipA", 14, json!({ lot("A"): 40 }), 3, 4),
        aggregate(
            "AggregationEvent",
            "packB",
            20,
            "ADD",
            &p,
            json!({ lot("B"): 70 }),
        ),
        ship("shipP2", 21, json!([p]), 2, 5),
        receive("recvP2", 22, json!([p]), 5),
        aggregate(
            "AggregationEvent",
            "unpackP2",
            23,
            "DELETE",
            &p,
            json!({ lot("B"): 70 }),
        ),
    ]
}

#[test]
fn a_reused_pallet_does_not_leak_into_the_trace() {
    let g = run(reused_pallet(), &lot("A"), Direction::Both);
    assert_eq!(node_ids(&g), ids([&lot("A"), &pallet(1)]));
    assert_eq!(
        event_ids(&g),
        set(["cA", "packA", "shipP1", "recvP1", "unpackP1", "shipA"])
    );
    let p = g.node(&c(&pallet(1))).unwrap();
    assert!(p.carrier && !p.upstream && !p.downstream);
    let places: BTreeSet<String> = g.locations.iter().map(|l| l.id.clone()).collect();
    assert!(
        places.contains(&c(&place(4))),
        "where A went after unpacking"
    );
    assert!(!places.contains(&c(&place(5))), "where B went");

    let g = run(reused_pallet(), &lot("B"), Direction::Backward);
    assert_eq!(node_ids(&g), ids([&lot("B"), &pallet(1)]));
    assert_eq!(
        event_ids(&g),
        set(["cB", "packB", "shipP2", "recvP2", "unpackP2"])
    );
}

#[test]
fn tracing_a_container_opens_it() {
    let g = run(reused_pallet(), &pallet(1), Direction::Both);
    assert_eq!(node_ids(&g), ids([&pallet(1), &lot("A"), &lot("B")]));
    // Backward, the contents bring their origins; forward, their later journeys.
    assert!(event_ids(&g).is_superset(&set(["cA", "cB", "shipA"])));
    let contains = g
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Contains)
        .count();
    assert_eq!(contains, 2);
}

#[test]
fn items_belong_to_their_lot() {
    let raw = "R";
    let events = vec![
        commission("cR", 1, raw, 1),
        transform("make", 3, &[raw], &["L"]),
        with(
            base("ObjectEvent", "items", 4),
            json!({"action": "ADD", "bizStep": "commissioning",
                   "epcList": [item("1001"), item("1002")],
                   "ilmd": {"cbvmda:lotNumber": "L"}}),
        ),
        aggregate(
            "AggregationEvent",
            "case",
            5,
            "ADD",
            &pallet(7),
            json!([item("1001")]),
        ),
        ship("shipCase", 6, json!([pallet(7)]), 50, 8),
        ship("shipI2", 6, json!([item("1002")]), 50, 9),
    ];
    let g = run(events.clone(), &item("1001"), Direction::Backward);
    assert_eq!(
        node_ids(&g),
        ids([&item("1001"), &lot("L"), &lot(raw), &pallet(7)])
    );
    assert!(event_ids(&g).contains("cR"));
    assert!(
        !event_ids(&g).contains("shipI2"),
        "the sibling item's journey"
    );

    let g = run(events, &lot("L"), Direction::Forward);
    assert_eq!(
        node_ids(&g),
        ids([&lot("L"), &item("1001"), &item("1002"), &pallet(7)])
    );
    assert!(event_ids(&g).is_superset(&set(["shipCase", "shipI2"])));
    let lot_items = g
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::LotItem)
        .count();
    assert_eq!(lot_items, 2);
}

#[test]
fn association_brings_the_devices_readings_while_attached() {
    let p = pallet(3);
    let logger = "urn:epc:id:giai:4012345.LOGGER1";
    let reading = |id: &str, d: u32| {
        with(
            base("ObjectEvent", id, d),
            json!({"action": "OBSERVE", "bizStep": "sensor_reporting", "epcList": [logger]}),
        )
    };
    let events = vec![
        commission("cA", 1, "A", 1),
        aggregate(
            "AggregationEvent",
            "pack",
            2,
            "ADD",
            &p,
            json!({ lot("A"): 10 }),
        ),
        aggregate("AssociationEvent", "attach", 3, "ADD", &p, json!([logger])),
        reading("during", 4),
        aggregate(
            "AssociationEvent",
            "detach",
            5,
            "DELETE",
            &p,
            json!([logger]),
        ),
        reading("after", 6),
        ship("ship", 7, json!([p]), 1, 2),
    ];
    let g = run(events, &lot("A"), Direction::Forward);
    assert_eq!(node_ids(&g), ids([&lot("A"), &p, logger]));
    let ev = event_ids(&g);
    assert!(ev.contains("during") && ev.contains("ship"));
    assert!(
        !ev.contains("after"),
        "read after the logger left the pallet"
    );
    assert!(g.edges.iter().any(|e| e.kind == EdgeKind::Associated));
}

#[test]
fn time_window_bounds_the_trace() {
    let mut source = Memory::new(reused_pallet());
    let mut request = TraceRequest::new(c(&pallet(1)));
    request.from_ms = Some(day_ms(15));
    let g = trace(&mut source, &request).unwrap();
    assert_eq!(node_ids(&g), ids([&pallet(1), &lot("B")]));
    assert!(g.events.iter().all(|e| e.record.time_ms >= day_ms(15)));
}

#[test]
fn viewer_filter_is_one_call() {
    let mut g = run(two_stage_chain(), &lot("D"), Direction::Backward);
    let before = g.nodes.len();
    // A viewer who may not see transformation t1 loses its links and the inputs behind it.
    g.retain_events(|e| !["t1", "cA", "cB"].contains(&short(&e.record.event_id)));
    assert!(!event_ids(&g).contains("t1"));
    assert!(g.nodes.len() < before);
    assert!(g.node(&c(&lot("A"))).is_none());
    assert!(g.edges.iter().all(|e| e.event < g.events.len()));
    assert!(g
        .nodes
        .iter()
        .all(|n| n.events.iter().all(|&i| i < g.events.len())));
}

#[test]
fn node_limit_truncates() {
    let mut source = Memory::new(two_stage_chain());
    let mut request = TraceRequest::new(c(&lot("D")));
    request.max_nodes = 2;
    let g = trace(&mut source, &request).unwrap();
    assert!(g.truncated);
    assert!(g.nodes.len() <= 2);
}

#[test]
fn lookups_are_batched_per_level() {
    let mut source = Memory::new(two_stage_chain());
    let request = TraceRequest {
        direction: Direction::Backward,
        ..TraceRequest::new(c(&lot("D")))
    };
    trace(&mut source, &request).unwrap();
    // D; then C and E together; then A and B together.
    assert_eq!(source.calls, 3);
}

#[test]
fn fsma_rows_name_the_lot_of_every_critical_tracking_event() {
    let g = run(reused_pallet(), &lot("A"), Direction::Both);
    let rows = trace::fsma::rows(&g, &|gtin| {
        (gtin == "04012345123456").then(|| "Dried longan".to_owned())
    });
    let ctes: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.cte.as_str(), r.role.as_str()))
        .collect();
    assert_eq!(
        ctes,
        [
            ("Harvesting", "epc"),
            ("Packing", "child"),
            ("Shipping", "contents"),
            ("Receiving", "contents"),
            ("Unpacking", "contents"),
            ("Shipping", "epc"),
        ]
    );
    let a = trace::node::classify(&c(&lot("A")));
    let code = format!("(01){}(10)A", a.gtin.unwrap());
    assert!(rows.iter().all(|r| r.lot_code == code));
    assert!(rows.iter().all(|r| r.product == "Dried longan"));
    // Quantities come from the event, or from the packing event for a lot inside a pallet.
    assert_eq!(rows[0].quantity, Some(100.0));
    assert_eq!(rows[0].unit, "KGM");
    assert_eq!(rows[2].quantity, Some(100.0));
    assert_eq!(rows[5].quantity, Some(40.0));
    // Dates and times are the events' own, in their zone.
    assert_eq!(rows[0].date, "2026-01-01");
    assert_eq!(rows[0].time, "15:00:00.000+07:00");
    assert_eq!(rows[2].source, c(&place(1)));
    assert_eq!(rows[2].destination, c(&place(3)));

    let csv = trace::fsma::to_csv(&rows);
    assert_eq!(csv.lines().count(), rows.len() + 1);
    assert!(csv.starts_with("Traceability Lot Code,"));
    let xlsx = trace::fsma::to_xlsx(&rows).unwrap();
    assert_eq!(&xlsx[..2], b"PK", "an XLSX file is a zip archive");
}

#[test]
fn fsma_transformation_rows_carry_inputs_and_outputs() {
    let g = run(two_stage_chain(), &lot("D"), Direction::Backward);
    let rows = trace::fsma::rows(&g, &|_| None);
    let t2: Vec<&str> = rows
        .iter()
        .filter(|r| short(&r.event_id) == "t2")
        .map(|r| r.role.as_str())
        .collect();
    assert_eq!(t2.iter().filter(|r| **r == "input").count(), 2);
    assert_eq!(t2.iter().filter(|r| **r == "output").count(), 1);
    // Sorted by lot code, then time.
    let keys: Vec<(String, i64)> = rows
        .iter()
        .map(|r| {
            (
                r.lot_code.clone(),
                g.events
                    .iter()
                    .find(|e| e.record.event_id == r.event_id)
                    .unwrap()
                    .record
                    .time_ms,
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(rows.iter().all(|r| r.product.starts_with("GTIN ")));
}

#[test]
fn text_tree_reads_upstream_from_the_start() {
    let g = run(two_stage_chain(), &lot("D"), Direction::Backward);
    let text = trace::text::tree(&g);
    let pos = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("{s} missing in\n{text}"))
    };
    assert!(pos("Upstream") < pos("Lot D"));
    assert!(pos("Lot D") < pos("Lot C"));
    assert!(pos("Lot C") < pos("Lot A"));
    assert!(text.contains("commissioning"));
    assert!(!text.contains("Downstream"));
}

#[test]
fn a_source_may_leave_out_events_it_gave_before() {
    for (events, start) in [
        (two_stage_chain(), lot("D")),
        (reused_pallet(), pallet(1)),
        (reused_pallet(), lot("A")),
    ] {
        let full = run(events.clone(), &start, Direction::Both);
        let mut source = Memory::new(events);
        source.once = true;
        let lean = trace(&mut source, &TraceRequest::new(c(&start))).unwrap();
        assert_eq!(full, lean);
    }
}
