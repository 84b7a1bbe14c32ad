//! The SQLite trace index: `trace_records` (one compact record per event) and
//! `trace_nodes` (identifier → event), written by the writer with each event.

use std::collections::HashSet;

use rusqlite::types::Value;
use rusqlite::{params, Connection};

use trace::{EventRecord, EventSource, TraceError, TraceGraph, TraceRequest};

use crate::sql::trace as sql;
use crate::{StoreError, TraceEntry};

/// Writes the trace-index rows of one stored event.
pub(super) fn index_event(
    conn: &Connection,
    seq: i64,
    entry: &TraceEntry,
) -> Result<(), StoreError> {
    conn.prepare_cached(sql::INSERT_RECORD)?
        .execute(params![seq, entry.record])?;
    let mut insert = conn.prepare_cached(sql::INSERT_NODE)?;
    for node in &entry.nodes {
        insert.execute(params![node, seq])?;
    }
    Ok(())
}

/// Indexes the events stored before the trace index existed (or by an older build).
/// Returns how many events were looked at.
pub(super) fn catch_up(conn: &mut Connection) -> Result<u64, StoreError> {
    let tx = conn.transaction()?;
    let done: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM trace_records", [], |r| {
        r.get(0)
    })?;
    let last: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?;
    if last <= done {
        return Ok(0);
    }
    tracing::info!(from = done + 1, to = last, "building the trace index");
    let mut n = 0u64;
    {
        let mut stmt = tx.prepare("SELECT seq, body FROM events WHERE seq > ?1 ORDER BY seq")?;
        let mut rows = stmt.query([done])?;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let body: String = row.get(1)?;
            if let Some(entry) = TraceEntry::from_body(&body) {
                index_event(&tx, seq, &entry)?;
            }
            n += 1;
        }
    }
    tx.commit()?;
    Ok(n)
}

/// The trace records of the events naming any of `nodes`.
pub(super) fn records(conn: &Connection, nodes: &[String]) -> Result<Vec<EventRecord>, StoreError> {
    records_except(conn, nodes, &mut HashSet::new())
}

/// The trace records of the events naming any of `nodes`, except those whose `seq` is in
/// `seen` (already given to this trace: not decoded again); adds the new ones to `seen`.
fn records_except(
    conn: &Connection,
    nodes: &[String],
    seen: &mut HashSet<i64>,
) -> Result<Vec<EventRecord>, StoreError> {
    let mut out = Vec::new();
    for chunk in nodes.chunks(sql::CHUNK) {
        let mut stmt = conn.prepare_cached(&sql::records_sql(chunk.len()))?;
        let params = chunk.iter().map(|n| Value::Text(n.clone()));
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            if !seen.insert(row.get(0)?) {
                continue;
            }
            let text: String = row.get(1)?;
            out.push(sql::record(&text)?);
        }
    }
    Ok(out)
}

/// The engine's view of one read transaction.
struct Source<'c> {
    conn: &'c Connection,
    seen: HashSet<i64>,
}

impl EventSource for Source<'_> {
    type Error = StoreError;
    fn events_touching(&mut self, nodes: &[String]) -> Result<Vec<EventRecord>, StoreError> {
        records_except(self.conn, nodes, &mut self.seen)
    }
}

/// Runs a trace over one connection (inside the caller's read transaction).
pub(super) fn run(conn: &Connection, request: &TraceRequest) -> Result<TraceGraph, StoreError> {
    let mut source = Source {
        conn,
        seen: HashSet::new(),
    };
    trace::trace(&mut source, request).map_err(|TraceError::Source(e)| e)
}
