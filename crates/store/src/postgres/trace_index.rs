//! [`TraceStore`] on PostgreSQL: the trace index written by the writer with each group
//! ([`super::writer`]), read one trace step at a time inside one snapshot.

use std::sync::Arc;

use postgres::{Client, GenericClient, IsolationLevel, Statement};
// The sets hold database sequence numbers, not sender-chosen text: a fast hash is safe.
use rustc_hash::FxHashSet as HashSet;

use trace::{EventRecord, EventSource, TraceError, TraceGraph, TraceRequest};

use crate::sql::trace as sql;
use crate::trace_split::{ChunkReader, Helpers};
use crate::trace_store::RecordCache;
use crate::{StoreError, TraceEntry, TraceStore};

use super::conn::Conn;
use super::PgStore;

/// The `seq` of the events naming any of an array of identifiers, read from the index
/// alone (an event once per identifier it names): one statement whatever the number of identifiers (SQLite runs
/// [`sql::seqs_sql`] in chunks instead).
const SEQS_ANY: &str =
    "SELECT seq FROM trace_nodes WHERE node = ANY(?::TEXT[]) AND seq <= ?::BIGINT";

/// Identifiers per chunk when helpers share a step (a round trip each: larger than
/// SQLite's).
const NODE_CHUNK: usize = 256;
/// Records per chunk when helpers share a step.
const RECORD_CHUNK: usize = 512;

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

/// The `seq`s (up to `bound`) of the events naming any of `nodes`.
fn seqs_of(
    c: &mut impl GenericClient,
    stmts: &Statements,
    nodes: &[String],
    bound: i64,
) -> Result<Vec<i64>, StoreError> {
    c.query(&stmts.seqs, &[&nodes, &bound])?
        .iter()
        .map(|row| row.try_get(0).map_err(StoreError::from))
        .collect()
}

/// The decoded records of `seqs`, in `seq` order.
fn fetch(
    c: &mut impl GenericClient,
    stmts: &Statements,
    seqs: &[i64],
) -> Result<Vec<(i64, Arc<EventRecord>)>, StoreError> {
    let mut fresh: Vec<(i64, Arc<EventRecord>)> = c
        .query(&stmts.records, &[&seqs])?
        .iter()
        .map(|row| {
            let seq: i64 = row.try_get(0)?;
            Ok((seq, Arc::new(sql::record(row.try_get(1)?)?)))
        })
        .collect::<Result<_, StoreError>>()?;
    fresh.sort_unstable_by_key(|(seq, _)| *seq);
    Ok(fresh)
}

/// A helper thread's connection (see [`crate::trace_split`]): reads outside any
/// transaction, each statement bounded as the trace's own.
pub(super) struct HelperReader {
    config: postgres::Config,
    conn: Conn,
    stmts: Statements,
}

impl HelperReader {
    /// Connects.
    pub(super) fn open(config: &postgres::Config) -> Result<HelperReader, StoreError> {
        let mut conn = Conn::connect(config)?;
        // As in the trace's own snapshot (see `snapshot`).
        conn.client()
            .batch_execute("SET plan_cache_mode = force_generic_plan")?;
        let stmts = Statements::prepare(&mut conn)?;
        Ok(HelperReader {
            config: config.clone(),
            conn,
            stmts,
        })
    }

    /// Reconnects when the server closed the connection.
    fn connected(&mut self) -> Result<&mut HelperReader, StoreError> {
        if self.conn.client().is_closed() {
            *self = HelperReader::open(&self.config)?;
        }
        Ok(self)
    }
}

impl ChunkReader for HelperReader {
    fn seqs(&mut self, nodes: &[String], bound: i64) -> Result<Vec<i64>, StoreError> {
        let r = self.connected()?;
        seqs_of(r.conn.client(), &r.stmts, nodes, bound)
    }
    fn records(&mut self, seqs: &[i64]) -> Result<Vec<(i64, Arc<EventRecord>)>, StoreError> {
        let r = self.connected()?;
        fetch(r.conn.client(), &r.stmts, seqs)
    }
}

/// The engine's view of one read-only snapshot.
struct Source<'t, 'c> {
    tx: &'t mut postgres::Transaction<'c>,
    stmts: Statements,
    cache: &'t RecordCache,
    helpers: Option<&'t Helpers<HelperReader>>,
    /// The newest `seq` the snapshot sees: helpers read up to it.
    bound: i64,
    /// The events already given to this trace.
    seen: HashSet<i64>,
}

impl<'t, 'c> Source<'t, 'c> {
    fn new(
        tx: &'t mut postgres::Transaction<'c>,
        stmts: Statements,
        cache: &'t RecordCache,
        helpers: Option<&'t Helpers<HelperReader>>,
    ) -> Result<Source<'t, 'c>, StoreError> {
        let bound = tx.query_one(NEWEST_SEQ, &[])?.try_get(0)?;
        Ok(Source {
            tx,
            stmts,
            cache,
            // Without threads the steps are read here, without copying their lists.
            helpers: helpers.filter(|h| h.active()),
            bound,
            seen: HashSet::default(),
        })
    }

    /// The trace records of the events naming any of `nodes`, except those already given
    /// to this trace. Records are decoded once per store: later traces take them from the
    /// cache.
    fn records_except(&mut self, nodes: &[String]) -> Result<Vec<Arc<EventRecord>>, StoreError> {
        let (stmts, bound) = (&self.stmts, self.bound);
        let tx = &mut *self.tx;
        let mut seqs = match self.helpers {
            Some(helpers) => helpers.split(
                nodes.to_vec(),
                NODE_CHUNK,
                |part| seqs_of(tx, stmts, part, bound),
                move |r, part| r.seqs(part, bound),
            )?,
            None => seqs_of(tx, stmts, nodes, bound)?,
        };
        seqs.retain(|&seq| self.seen.insert(seq));
        let mut out = Vec::with_capacity(seqs.len());
        let mut missing = self.cache.lookup(&seqs, &mut out);
        if missing.is_empty() {
            return Ok(out);
        }
        // In `seq` order, so that a trace is the same whoever reads which part.
        missing.sort_unstable();
        let fresh = match self.helpers {
            Some(helpers) => helpers.split(
                missing,
                RECORD_CHUNK,
                |part| fetch(tx, stmts, part),
                |r, part| r.records(part),
            )?,
            None => fetch(tx, stmts, &missing)?,
        };
        self.cache.insert(&fresh);
        out.extend(fresh.into_iter().map(|(_, r)| r));
        Ok(out)
    }
}

impl EventSource for Source<'_, '_> {
    type Error = StoreError;
    fn events_touching(&mut self, nodes: &[String]) -> Result<Vec<Arc<EventRecord>>, StoreError> {
        self.records_except(nodes)
    }
}

/// The newest `seq` in the trace index.
const NEWEST_SEQ: &str = "SELECT COALESCE(MAX(seq), 0)::BIGINT FROM trace_records";

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
            let records = Source::new(&mut tx, stmts, &cache, None)?.records_except(&nodes)?;
            tx.commit()?;
            Ok(records)
        })
    }

    fn trace(&self, request: &TraceRequest) -> Result<TraceGraph, StoreError> {
        let request = request.clone();
        let cache = Arc::clone(&self.trace_records);
        let helpers = Arc::clone(&self.trace_helpers);
        self.pool.run(move |c| {
            // Prepared once per connection, used inside the snapshot.
            let stmts = Statements::prepare(c)?;
            let mut tx = snapshot(c.client())?;
            let graph = {
                let mut source = Source::new(&mut tx, stmts, &cache, Some(&helpers))?;
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
    let (done, last) = super::writer::locked_backlog(&mut tx, "trace_records")?;
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
