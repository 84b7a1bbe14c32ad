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
