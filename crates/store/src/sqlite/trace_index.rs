//! The SQLite trace index: `trace_records` (one compact record per event) and
//! `trace_nodes` (identifier → event), written by the writer with each event.

use std::sync::Arc;

use rusqlite::types::ToSqlOutput;
use rusqlite::{params, Connection};
// The sets hold database sequence numbers, not sender-chosen text: a fast hash is safe.
use rustc_hash::FxHashSet as HashSet;

use trace::{EventRecord, EventSource, TraceError, TraceGraph, TraceRequest};

use crate::sql::trace as sql;
use crate::trace_split::{ChunkReader, Helpers, NODE_CHUNK, RECORD_CHUNK};
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
    let mut source = Source::new(conn, None, cache)?;
    source.records_except(nodes)
}

/// A helper thread's read connection (see [`crate::trace_split`]): reads in autocommit,
/// each statement bounded as the trace's own.
pub(super) struct HelperReader(pub(super) Connection);

impl ChunkReader for HelperReader {
    fn seqs(&mut self, nodes: &[String], bound: i64) -> Result<Vec<i64>, StoreError> {
        seqs_of(&self.0, nodes, bound)
    }
    fn records(&mut self, seqs: &[i64]) -> Result<Vec<(i64, Arc<EventRecord>)>, StoreError> {
        fetch(&self.0, seqs)
    }
}

/// The `seq`s (up to `bound`) of the events naming any of `nodes`, an event once per
/// identifier it names, in the order of `nodes`.
fn seqs_of(conn: &Connection, nodes: &[String], bound: i64) -> Result<Vec<i64>, StoreError> {
    let mut seqs = Vec::new();
    for chunk in nodes.chunks(sql::CHUNK) {
        let mut stmt = conn.prepare_cached(&sql::seqs_sql(chunk.len()))?;
        let params = chunk
            .iter()
            .map(|n| ToSqlOutput::from(n.as_str()))
            .chain(std::iter::once(ToSqlOutput::from(bound)));
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            seqs.push(row.get(0)?);
        }
    }
    Ok(seqs)
}

/// The decoded trace records of `seqs` (ascending), in `seq` order.
fn fetch(conn: &Connection, seqs: &[i64]) -> Result<Vec<(i64, Arc<EventRecord>)>, StoreError> {
    let mut fresh = Vec::with_capacity(seqs.len());
    for chunk in seqs.chunks(sql::CHUNK) {
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
    Ok(fresh)
}

/// The engine's view of one read transaction.
struct Source<'c> {
    conn: &'c Connection,
    helpers: Option<&'c Helpers<HelperReader>>,
    cache: &'c RecordCache,
    /// The newest `seq` the transaction sees: helpers read up to it.
    bound: i64,
    /// The events already given to this trace.
    seen: HashSet<i64>,
}

impl<'c> Source<'c> {
    fn new(
        conn: &'c Connection,
        helpers: Option<&'c Helpers<HelperReader>>,
        cache: &'c RecordCache,
    ) -> Result<Source<'c>, StoreError> {
        let bound = conn
            .prepare_cached(sql::NEWEST_SEQ)?
            .query_row([], |r| r.get(0))?;
        Ok(Source {
            conn,
            // Without threads the steps are read here, without copying their lists.
            helpers: helpers.filter(|h| h.active()),
            cache,
            bound,
            seen: HashSet::default(),
        })
    }

    /// The trace records of the events naming any of `nodes`, except those already given
    /// to this trace. Records are decoded once per store: later traces take them from the
    /// cache.
    fn records_except(&mut self, nodes: &[String]) -> Result<Vec<Arc<EventRecord>>, StoreError> {
        let (conn, bound) = (self.conn, self.bound);
        let mut seqs = match self.helpers {
            Some(helpers) => helpers.split(
                nodes.to_vec(),
                NODE_CHUNK,
                |part| seqs_of(conn, part, bound),
                move |r, part| r.seqs(part, bound),
            )?,
            None => seqs_of(conn, nodes, bound)?,
        };
        seqs.retain(|&seq| self.seen.insert(seq));
        let mut out = Vec::with_capacity(seqs.len());
        let mut missing = self.cache.lookup(&seqs, &mut out);
        // In `seq` order, so that a trace is the same whoever reads which part.
        missing.sort_unstable();
        let fresh = match self.helpers {
            Some(helpers) => helpers.split(
                missing,
                RECORD_CHUNK,
                |part| fetch(conn, part),
                |r, part| r.records(part),
            )?,
            None => fetch(conn, &missing)?,
        };
        self.cache.insert(&fresh);
        out.extend(fresh.into_iter().map(|(_, r)| r));
        Ok(out)
    }
}

impl EventSource for Source<'_> {
    type Error = StoreError;
    fn events_touching(&mut self, nodes: &[String]) -> Result<Vec<Arc<EventRecord>>, StoreError> {
        self.records_except(nodes)
    }
}

/// Runs a trace over one connection (inside the caller's read transaction), with
/// `helpers` reading parts of the large steps.
pub(super) fn run(
    conn: &Connection,
    helpers: Option<&Helpers<HelperReader>>,
    cache: &RecordCache,
    request: &TraceRequest,
) -> Result<TraceGraph, StoreError> {
    let mut source = Source::new(conn, helpers, cache)?;
    trace::trace(&mut source, request).map_err(|TraceError::Source(e)| e)
}
