//! [`TraceStore`] on PostgreSQL: the trace index written by the writer with each group
//! ([`super::writer`]), read one trace step at a time inside one snapshot.

use std::sync::Arc;

use postgres::{Client, GenericClient, IsolationLevel, Statement};
// The sets hold database sequence numbers, not sender-chosen text: a fast hash is safe.
use rustc_hash::FxHashSet as HashSet;

use trace::{EventRecord, EventSource, TraceError, TraceGraph, TraceRequest};

use crate::sql::trace as sql;
use crate::trace_store::RecordCache;
use crate::{StoreError, TraceEntry, TraceStore};

use super::conn::Conn;
use super::PgStore;

/// The `seq` of the events naming any of an array of identifiers, read from the index
/// alone (an event once per identifier it names): one statement whatever the number of identifiers (SQLite runs
/// [`sql::seqs_sql`] in chunks instead).
const SEQS_ANY: &str = "SELECT seq FROM trace_nodes WHERE node = ANY(?::TEXT[])";

/// The `seq, record` of an array of events.
const RECORDS_ANY: &str = "SELECT seq, record FROM trace_records WHERE seq = ANY(?::BIGINT[])";

/// The two prepared statements of a trace step.
struct Statements {
    seqs: Statement,
    records: Statement,
}

impl Statements {
    fn prepare(c: &mut Conn) -> Result<Statements, StoreError> {
        Ok(Statements {
            seqs: c.statement(SEQS_ANY)?,
            records: c.statement(RECORDS_ANY)?,
        })
    }
}

/// The trace records of the events naming any of `nodes`, except those in `seen`
/// (already given to this trace); adds the new ones to `seen`. Records are decoded once
/// per store: later traces take them from `cache`.
fn records_except(
    c: &mut impl GenericClient,
    stmts: &Statements,
    cache: &RecordCache,
    nodes: &[String],
    seen: &mut HashSet<i64>,
) -> Result<Vec<Arc<EventRecord>>, StoreError> {
    let mut seqs = Vec::new();
    for row in c.query(&stmts.seqs, &[&nodes])? {
        let seq: i64 = row.try_get(0)?;
        if seen.insert(seq) {
            seqs.push(seq);
        }
    }
    let mut out = Vec::with_capacity(seqs.len());
    let missing = cache.lookup(&seqs, &mut out);
    if missing.is_empty() {
        return Ok(out);
    }
    let mut fresh = Vec::with_capacity(missing.len());
    for row in c.query(&stmts.records, &[&missing])? {
        let seq: i64 = row.try_get(0)?;
        fresh.push((seq, Arc::new(sql::record(row.try_get(1)?)?)));
    }
    cache.insert(&fresh);
    out.extend(fresh.into_iter().map(|(_, r)| r));
    Ok(out)
}

/// The engine's view of one read-only snapshot.
struct Source<'t, 'c> {
    tx: &'t mut postgres::Transaction<'c>,
    stmts: Statements,
    cache: &'t RecordCache,
    seen: HashSet<i64>,
}

impl EventSource for Source<'_, '_> {
    type Error = StoreError;
    fn events_touching(&mut self, nodes: &[String]) -> Result<Vec<Arc<EventRecord>>, StoreError> {
        records_except(self.tx, &self.stmts, self.cache, nodes, &mut self.seen)
    }
}

fn snapshot(client: &mut Client) -> Result<postgres::Transaction<'_>, StoreError> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    // A trace step looks identifiers and `seq`s up by key, whatever their number. With the
    // values in view, the planner took a 500-identifier array for a large share of a small
    // table and scanned all of it (10 ms a step at 100,000 events, 7x SQLite's whole trace);
    // the generic plan is the index lookup.
    tx.batch_execute("SET LOCAL plan_cache_mode = force_generic_plan")?;
    Ok(tx)
}

impl TraceStore for PgStore {
    fn trace_records(&self, nodes: &[String]) -> Result<Vec<Arc<EventRecord>>, StoreError> {
        let nodes = nodes.to_vec();
        let cache = Arc::clone(&self.trace_records);
        self.pool.run(move |c| {
            let stmts = Statements::prepare(c)?;
            let mut tx = snapshot(c.client())?;
            let records = records_except(&mut tx, &stmts, &cache, &nodes, &mut HashSet::default())?;
            tx.commit()?;
            Ok(records)
        })
    }

    fn trace(&self, request: &TraceRequest) -> Result<TraceGraph, StoreError> {
        let request = request.clone();
        let cache = Arc::clone(&self.trace_records);
        self.pool.run(move |c| {
            // Prepared once per connection, used inside the snapshot.
            let stmts = Statements::prepare(c)?;
            let mut tx = snapshot(c.client())?;
            let graph = {
                let mut source = Source {
                    tx: &mut tx,
                    stmts,
                    cache: &cache,
                    seen: HashSet::default(),
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
    let records: Vec<(i64, &[u8])> = entries
        .iter()
        .map(|(s, e)| (*s, e.record.as_slice()))
        .collect();
    let nodes: Vec<(&str, i64)> = entries
        .iter()
        .flat_map(|(s, e)| e.nodes.iter().map(|n| (n.as_str(), *s)))
        .collect();
    super::writer::copy_trace_rows(&mut tx, &records, &nodes)?;
    tx.commit()?;
    Ok(n)
}
