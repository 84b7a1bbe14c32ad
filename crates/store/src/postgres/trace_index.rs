//! [`TraceStore`] on PostgreSQL: the trace index written by the writer with each group
//! ([`super::writer`]), read one trace step at a time inside one snapshot.

use std::collections::HashSet;

use postgres::{Client, GenericClient, IsolationLevel, Statement};

use trace::{EventRecord, EventSource, TraceError, TraceGraph, TraceRequest};

use crate::sql::trace as sql;
use crate::{StoreError, TraceEntry, TraceStore};

use super::PgStore;

/// The `seq, record` of the events naming any of an array of identifiers: one statement
/// whatever the number of identifiers (SQLite runs [`sql::records_sql`] in chunks instead).
const RECORDS_ANY: &str = "SELECT r.seq, r.record FROM trace_records r WHERE r.seq IN \
     (SELECT n.seq FROM trace_nodes n WHERE n.node = ANY(?::TEXT[]))";

/// The trace records of the events naming any of `nodes`, except those in `seen`
/// (already given to this trace); adds the new ones to `seen`.
fn records_except(
    c: &mut impl GenericClient,
    stmt: &Statement,
    nodes: &[String],
    seen: &mut HashSet<i64>,
) -> Result<Vec<EventRecord>, StoreError> {
    let mut out = Vec::new();
    for row in c.query(stmt, &[&nodes])? {
        if !seen.insert(row.try_get(0)?) {
            continue;
        }
        out.push(sql::record(row.try_get(1)?)?);
    }
    Ok(out)
}

/// The engine's view of one read-only snapshot.
struct Source<'t, 'c> {
    tx: &'t mut postgres::Transaction<'c>,
    stmt: Statement,
    seen: HashSet<i64>,
}

impl EventSource for Source<'_, '_> {
    type Error = StoreError;
    fn events_touching(&mut self, nodes: &[String]) -> Result<Vec<EventRecord>, StoreError> {
        records_except(self.tx, &self.stmt, nodes, &mut self.seen)
    }
}

fn snapshot(client: &mut Client) -> Result<postgres::Transaction<'_>, StoreError> {
    Ok(client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?)
}

impl TraceStore for PgStore {
    fn trace_records(&self, nodes: &[String]) -> Result<Vec<EventRecord>, StoreError> {
        let nodes = nodes.to_vec();
        self.pool.run(move |c| {
            let stmt = c.statement(RECORDS_ANY)?;
            records_except(c.client(), &stmt, &nodes, &mut HashSet::new())
        })
    }

    fn trace(&self, request: &TraceRequest) -> Result<TraceGraph, StoreError> {
        let request = request.clone();
        self.pool.run(move |c| {
            // Prepared once per connection, used inside the snapshot.
            let stmt = c.statement(RECORDS_ANY)?;
            let mut tx = snapshot(c.client())?;
            let graph = {
                let mut source = Source {
                    tx: &mut tx,
                    stmt,
                    seen: HashSet::new(),
                };
                trace::trace(&mut source, &request).map_err(|TraceError::Source(e)| e)?
            };
            tx.commit()?;
            Ok(graph)
        })
    }
}

/// Indexes the events stored before the trace index existed (a database written by an
/// older build). Holds the sequence counter's row lock, so no process appends meanwhile;
/// returns how many events were looked at.
pub(super) fn catch_up(client: &mut Client) -> Result<u64, StoreError> {
    let mut tx = client.transaction()?;
    tx.query_one(
        "SELECT next_seq FROM event_seq WHERE id = 1 FOR UPDATE",
        &[],
    )?;
    let done: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(seq), 0)::BIGINT FROM trace_records",
            &[],
        )?
        .try_get(0)?;
    let last: i64 = tx
        .query_one("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM events", &[])?
        .try_get(0)?;
    if last <= done {
        return Ok(0);
    }
    tracing::info!(from = done + 1, to = last, "building the trace index");
    let mut entries = Vec::new();
    let mut n = 0u64;
    for row in tx.query(
        "SELECT seq, body FROM events WHERE seq > $1 ORDER BY seq",
        &[&done],
    )? {
        let seq: i64 = row.try_get(0)?;
        if let Some(entry) = TraceEntry::from_body(row.try_get(1)?) {
            entries.push((seq, entry));
        }
        n += 1;
    }
    let records: Vec<(i64, &str)> = entries
        .iter()
        .map(|(s, e)| (*s, e.record.as_str()))
        .collect();
    let nodes: Vec<(&str, i64)> = entries
        .iter()
        .flat_map(|(s, e)| e.nodes.iter().map(|n| (n.as_str(), *s)))
        .collect();
    super::writer::copy_trace_rows(&mut tx, &records, &nodes)?;
    tx.commit()?;
    Ok(n)
}
