//! The trace index: written with each event, rebuilt for older databases, read by the engine.

use super::{Kind, TestDb};
use serde_json::{json, Value};
use store::{AppendMode, NewEvent};
use trace::{Direction, TraceRequest};

pub fn c(id: &str) -> String {
    gs1::canonical_id(id).into_owned()
}

const LOT_A: &str = "urn:epc:class:lgtin:8934567.012345.A";
const LOT_B: &str = "urn:epc:class:lgtin:8934567.012345.B";
pub const LOT_C: &str = "urn:epc:class:lgtin:8934567.054321.C";
const PALLET: &str = "urn:epc:id:sscc:8934567.0000000001";

fn event(id: u32, day: u32, fields: Value) -> Value {
    let mut v = json!({
        "type": "ObjectEvent",
        "eventID": format!("urn:uuid:00000000-0000-4000-8000-{id:012}"),
        "eventTime": format!("2026-02-{day:02}T08:00:00.000+07:00"),
        "eventTimeZoneOffset": "+07:00",
    });
    for (k, x) in fields.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

/// A and B make C; C rides pallet 1 from day 5 to day 7; the pallet is reused for B on day 9.
pub fn chain() -> Vec<Value> {
    let q = |class: &str| json!([{"epcClass": class, "quantity": 10, "uom": "KGM"}]);
    vec![
        event(
            1,
            1,
            json!({"action": "ADD", "bizStep": "commissioning", "quantityList": q(LOT_A)}),
        ),
        event(
            2,
            1,
            json!({"action": "ADD", "bizStep": "commissioning", "quantityList": q(LOT_B)}),
        ),
        event(
            3,
            3,
            json!({"type": "TransformationEvent",
            "inputQuantityList": [{"epcClass": LOT_A, "quantity": 5}, {"epcClass": LOT_B, "quantity": 5}],
            "outputQuantityList": q(LOT_C)}),
        ),
        event(
            4,
            5,
            json!({"type": "AggregationEvent", "action": "ADD", "parentID": PALLET, "childQuantityList": q(LOT_C)}),
        ),
        event(
            5,
            6,
            json!({"action": "OBSERVE", "bizStep": "shipping", "epcList": [PALLET]}),
        ),
        event(
            6,
            7,
            json!({"type": "AggregationEvent", "action": "DELETE", "parentID": PALLET}),
        ),
        event(
            7,
            9,
            json!({"type": "AggregationEvent", "action": "ADD", "parentID": PALLET, "childQuantityList": q(LOT_B)}),
        ),
        event(
            8,
            10,
            json!({"action": "OBSERVE", "bizStep": "shipping", "epcList": [PALLET]}),
        ),
    ]
}

pub fn new_events(values: Vec<Value>) -> Vec<NewEvent> {
    values
        .into_iter()
        .map(|v| {
            let e = epcis::parse_event(v.to_string().as_bytes(), &epcis::Limits::default())
                .expect("a valid event");
            NewEvent::from_event(e, 1_770_000_000_000)
        })
        .collect()
}

fn event_numbers(graph: &trace::TraceGraph) -> Vec<u32> {
    let mut n: Vec<u32> = graph
        .events
        .iter()
        .map(|e| {
            e.record
                .event_id
                .rsplit('-')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    n.sort();
    n
}

pub fn traces_read_the_index_written_with_the_events(db: &TestDb) {
    let store = db.open();
    let out = store
        .append(new_events(chain()), AppendMode::AllOrNothing)
        .unwrap();
    assert!(out.all_stored());

    let graph = store.trace(&TraceRequest::new(c(LOT_C))).unwrap();
    // Backward to A and B; forward onto the pallet until it was emptied, not its reuse for B.
    assert_eq!(event_numbers(&graph), [1, 2, 3, 4, 5, 6]);
    let mut nodes: Vec<&str> = graph.nodes.iter().map(|n| n.id.as_str()).collect();
    nodes.sort();
    let mut expect = vec![c(LOT_A), c(LOT_B), c(LOT_C), c(PALLET)];
    expect.sort();
    assert_eq!(nodes, expect);

    let records = store.trace_records(&[c(PALLET)]).unwrap();
    assert_eq!(records.len(), 5, "every event naming the pallet, once");

    let back = TraceRequest {
        direction: Direction::Backward,
        ..TraceRequest::new(c(LOT_B))
    };
    // B's own events (its use in C included) and the pallet while it carried B; not C.
    let graph = store.trace(&back).unwrap();
    assert_eq!(event_numbers(&graph), [2, 3, 7, 8]);
    assert!(graph.node(&c(LOT_C)).is_none());
}

pub fn an_index_missing_rows_is_rebuilt_on_open(db: &TestDb) {
    let store = db.open();
    store
        .append(new_events(chain()), AppendMode::AllOrNothing)
        .unwrap();
    let before = store.trace(&TraceRequest::new(c(LOT_C))).unwrap();
    drop(store);
    // As if the events had been stored by a build without the trace index.
    db.execute("DELETE FROM trace_nodes; DELETE FROM trace_records;");
    let store = db.open();
    let after = store.trace(&TraceRequest::new(c(LOT_C))).unwrap();
    assert_eq!(before, after);
    assert!(!after.events.is_empty());
}

/// Records of builds before the binary form (schema 720) are JSON text: a store holding
/// them traces the same (the migration rewrites nothing).
pub fn records_stored_as_json_by_earlier_builds_are_still_read(db: &TestDb) {
    let store = db.open();
    store
        .append(new_events(chain()), AppendMode::AllOrNothing)
        .unwrap();
    let before = store.trace(&TraceRequest::new(c(LOT_C))).unwrap();
    let records = store
        .trace_records(&[c(LOT_A), c(LOT_B), c(LOT_C), c(PALLET)])
        .unwrap();
    assert!(records.len() >= 5);
    drop(store);
    // Every record replaced by its JSON: one that failed to be written back would be
    // missing from the trace below.
    let mut rewrite = String::from("DELETE FROM trace_records;");
    for r in &records {
        let json = serde_json::to_string(r.as_ref())
            .unwrap()
            .replace('\'', "''");
        let value = match db.kind {
            Kind::Sqlite => format!("'{json}'"),
            Kind::Postgres => format!("convert_to('{json}', 'UTF8')"),
        };
        rewrite.push_str(&format!(
            "INSERT INTO trace_records (seq, record) SELECT seq, {value} FROM events \
             WHERE event_id = '{}';",
            r.event_id
        ));
    }
    db.execute(&rewrite);
    // A fresh process: nothing decoded before is cached.
    let store = db.open();
    assert_eq!(store.trace(&TraceRequest::new(c(LOT_C))).unwrap(), before);
}

pub fn rolled_back_batches_leave_no_index_rows(db: &TestDb) {
    let store = db.open();
    let mut events = new_events(chain());
    let dup = events[0].clone();
    events.push(dup);
    let out = store.append(events, AppendMode::AllOrNothing).unwrap();
    assert!(!out.all_stored());
    assert!(store
        .trace_records(&[c(LOT_A), c(PALLET)])
        .unwrap()
        .is_empty());
    assert_eq!(store.event_count().unwrap(), 0);
}

/// Large trace steps are read partly by helper threads on connections of their own: the
/// traces are the same as when the tracing thread reads everything, the export-sized lot
/// (hundreds of identifiers, thousands of records) included.
pub fn traces_read_with_helper_threads_equal_traces_read_alone(db: &TestDb) {
    use demo::synthetic::{Generator, GeneratorConfig};
    let config = GeneratorConfig {
        events: 12_000,
        events_per_document: 1000,
        ..GeneratorConfig::default()
    };
    let blends = Generator::new(3, config.clone()).blends(30);
    {
        let store = db.open();
        let mut documents: Vec<Vec<Value>> = Generator::new(3, config)
            .map(|doc| doc["epcisBody"]["eventList"].as_array().unwrap().clone())
            .collect();
        documents.push(blends.events.clone());
        for list in documents {
            let out = store
                .append(new_events(list), store::AppendMode::AllOrNothing)
                .unwrap();
            assert!(out.all_stored());
        }
    }
    let (alone, helped) = (db.open_with_trace_helpers(0), db.open_with_trace_helpers(2));
    let mut lots: Vec<String> = blends.lots.iter().take(3).cloned().collect();
    lots.extend(blends.mega.clone());
    let mut largest = 0;
    for lot in lots {
        let request = trace::TraceRequest::new(gs1::canonical_id(&lot).into_owned());
        let expected = serde_json::to_value(alone.trace(&request).unwrap()).unwrap();
        // Several times: which chunks the helpers take varies from run to run.
        for _ in 0..5 {
            let graph = helped.trace(&request).unwrap();
            largest = largest.max(graph.events.len());
            assert_eq!(
                serde_json::to_value(graph).unwrap(),
                expected,
                "trace of {lot}"
            );
        }
    }
    // Large enough that the steps were split (several chunks of records on both backends).
    assert!(
        largest > 1_200,
        "the largest trace has only {largest} events"
    );
}
