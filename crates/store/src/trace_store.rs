//! Storage for tracing: the trace index kept beside the events, read a level at a time.

use trace::{EventRecord, TraceGraph, TraceRequest};

use crate::StoreError;

/// What the trace engine needs from storage. The index is written with the events (in the
/// same commit), so a trace sees exactly the acknowledged events.
pub trait TraceStore: Send + Sync {
    /// The trace records of every event naming any of `nodes` (canonical identifiers), in
    /// any role, each once.
    fn trace_records(&self, nodes: &[String]) -> Result<Vec<EventRecord>, StoreError>;

    /// Computes a trace in one consistent read.
    fn trace(&self, request: &TraceRequest) -> Result<TraceGraph, StoreError>;
}

/// What the trace index keeps of one event: its trace record, serialised, and the
/// identifiers it names. Built when the event is prepared for storage (in parallel, on the
/// capturing thread), so that the single writer only inserts rows.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEntry {
    /// The serialised [`EventRecord`].
    pub record: String,
    /// The identifiers the event names, each once (the index keys).
    pub nodes: Vec<String>,
}

impl TraceEntry {
    /// The entry of an event's JSON-LD object; `None` when the event names no identifier
    /// (it cannot be reached by a trace).
    pub fn from_json(obj: &serde_json::Map<String, serde_json::Value>) -> Option<TraceEntry> {
        TraceEntry::from_record(&EventRecord::from_json(obj)?)
    }

    /// The entry of a stored event body (for indexing events stored before the index).
    pub fn from_body(body: &str) -> Option<TraceEntry> {
        TraceEntry::from_record(&EventRecord::from_body(body)?)
    }

    fn from_record(record: &EventRecord) -> Option<TraceEntry> {
        if record.links.is_empty() {
            return None;
        }
        // Serialising plain structs with string keys cannot fail.
        let text = serde_json::to_string(record).ok()?;
        Some(TraceEntry {
            record: text,
            nodes: record.index_keys().into_iter().map(str::to_owned).collect(),
        })
    }
}
