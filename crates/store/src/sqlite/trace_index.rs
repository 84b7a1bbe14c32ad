//! The SQLite trace index: `trace_records` (one compact record per event) and
//! `trace_nodes` (identifier → event), written by the writer with each event.

use std::sync::Arc;

use rusqlite::{params, Connection};
// The sets hold database sequence numbers, not sender-chosen text: a fast hash is safe.
use rustc_hash::FxHashSet as HashSet;

use trace::{EventRecord, EventSource, TraceError, TraceGraph, TraceRequest};

use crate::sql::trace as sql;
use crate::trace_store::RecordCache;
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
pub(super) fn records(
    conn: &Connection,
    cache: &RecordCache,
    nodes: &[String],
) -> Result<Vec<Arc<EventRecord>>, StoreError> {
    records_except(conn, cache, nodes, &mut HashSet::default())
}

/// The trace records of the events naming any of `nodes`, except those whose `seq` is in
/// `seen` (already given to this trace); adds the new ones to `seen`. Records are decoded
/// once per store: later traces take them from `cache`.
fn records_except(
    conn: &Connection,
    cache: &RecordCache,
    nodes: &[String],
    seen: &mut HashSet<i64>,
) -> Result<Vec<Arc<EventRecord>>, StoreError> {
    let mut seqs = Vec::new();
    for chunk in nodes.chunks(sql::CHUNK) {
        let mut stmt = conn.prepare_cached(&sql::seqs_sql(chunk.len()))?;
        let params = chunk.iter().map(String::as_str);
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            if seen.insert(seq) {
                seqs.push(seq);
            }
        }
    }
    let mut out = Vec::with_capacity(seqs.len());
    let missing = cache.lookup(&seqs, &mut out);
    let mut fresh = Vec::with_capacity(missing.len());
    for chunk in missing.chunks(sql::CHUNK) {
        let mut stmt = conn.prepare_cached(&sql::records_sql(chunk.len()))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(chunk))?;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            // Records of earlier builds are JSON text; today's are blobs.
            let bytes = match row.get_ref(1)? {
                rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => b,
                _ => &[],
            };
            fresh.push((seq, Arc::new(sql::record(bytes)?)));
        }
    }
    cache.insert(&fresh);
    out.extend(fresh.into_iter().map(|(_, r)| r));
    Ok(out)
}

/// The engine's view of one read transaction.
struct Source<'c> {
    conn: &'c Connection,
    cache: &'c RecordCache,
    seen: HashSet<i64>,
}

impl EventSource for Source<'_> {
    type Error = StoreError;
    fn events_touching(&mut self, nodes: &[String]) -> Result<Vec<Arc<EventRecord>>, StoreError> {
        records_except(self.conn, self.cache, nodes, &mut self.seen)
    }
}

/// Runs a trace over one connection (inside the caller's read transaction).
pub(super) fn run(
    conn: &Connection,
    cache: &RecordCache,
    request: &TraceRequest,
) -> Result<TraceGraph, StoreError> {
    let mut source = Source {
        conn,
        cache,
        seen: HashSet::default(),
    };
    trace::trace(&mut source, request).map_err(|TraceError::Source(e)| e)
}
