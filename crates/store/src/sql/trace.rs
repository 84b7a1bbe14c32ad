//! The trace index (`trace_records`, `trace_nodes`), shared by both backends: what is
//! written for an event, and the statement a trace step reads.

use trace::EventRecord;

use crate::StoreError;

/// Stores an event's trace record (`?1` seq, `?2` record).
pub(crate) const INSERT_RECORD: &str = "INSERT INTO trace_records (seq, record) VALUES (?1, ?2)";
/// Indexes an identifier (`?1`) of an event (`?2`).
pub(crate) const INSERT_NODE: &str =
    "INSERT INTO trace_nodes (node, seq) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
/// Most identifiers per lookup statement (SQLite's default limit is 32,766 parameters).
pub(crate) const CHUNK: usize = 500;

/// The `seq` of the events naming any of `n` identifiers (`?` each) up to a bound (the last
/// `?`; SQLite): read from the index alone, so that records already decoded are not read
/// again. An event naming several of them comes once per identifier (the caller keeps each
/// once).
pub(crate) fn seqs_sql(n: usize) -> String {
    format!(
        "SELECT seq FROM trace_nodes WHERE node IN ({}) AND seq <= ?",
        placeholders(n)
    )
}

/// The newest `seq` in the trace index.
pub(crate) const NEWEST_SEQ: &str = "SELECT COALESCE(MAX(seq), 0) FROM trace_records";

/// The `seq, record` of `n` events by `seq` (`?` each; SQLite).
pub(crate) fn records_sql(n: usize) -> String {
    format!(
        "SELECT seq, record FROM trace_records WHERE seq IN ({})",
        placeholders(n)
    )
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Decodes a stored trace record (binary, or the JSON of earlier builds).
pub(crate) fn record(bytes: &[u8]) -> Result<EventRecord, StoreError> {
    EventRecord::decode(bytes).map_err(|e| StoreError::Database(e.to_string()))
}
