//! The embedded SQLite backend (WAL mode, one writer thread with group commit).
//!
//! One read-write connection lives on the writer thread; readers borrow read-only
//! connections from a small pool (WAL lets them read while the writer writes).

mod accounts;
mod baseline;
mod checkpoint;
mod links;
mod query;
mod recalls;
mod records;
mod registries;
mod schema;
mod subscriptions;
mod tables;
mod trace_index;
mod writer;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use rusqlite::{Connection, OpenFlags};

use epcis::Query;

use crate::masterdata::{MasterDataElement, MasterDataStore};
use crate::sql;
use crate::trace_split::Helpers;
use crate::trace_store::{RecordCache, RECORD_CACHE_BYTES};
use crate::{
    AppendMode, AppendOutcome, CaptureJob, JobStatus, NamedQuery, NewEvent, NewSubscription, Page,
    PageRequest, Store, StoreError, StoredEvent, Subscription, SubscriptionStore, TraceStore,
};

pub use baseline::plain_insert_baseline;
pub(crate) use tables::{dump_rows, load_rows};

use writer::{Request, WriteOp, Writer};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Database(e.to_string())
    }
}

/// Tuning of a [`SqliteStore`].
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Most read-only connections open at once (kept for reuse; further readers wait).
    pub readers: usize,
    /// Page cache of each connection, MiB.
    pub cache_mib: i64,
    /// Most events (roughly) committed in one group; bounds commit latency.
    pub max_group_events: usize,
    /// Pages in the write-ahead log past which the writer itself checkpoints it into the
    /// database (times ten: normally the checkpoint thread does it every half second).
    pub wal_autocheckpoint: i64,
    /// Threads (each with a read connection) that read parts of a large trace step while
    /// the tracing thread reads the rest; 0 reads every step on the trace's own connection.
    pub trace_helpers: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            readers: 8,
            cache_mib: 64,
            max_group_events: 50_000,
            wal_autocheckpoint: 10_000,
            // Off: on 2 cores helpers made traces slower (see docs/benchmarks.md).
            trace_helpers: 0,
        }
    }
}

/// The SQLite store: a database file in the data directory.
pub struct SqliteStore {
    writer: Option<SyncSender<Request>>,
    thread: Option<JoinHandle<()>>,
    checkpointer: Option<JoinHandle<()>>,
    readers: ReaderPool,
    /// Jobs claimed by this store. One process owns a SQLite database, so a job marked
    /// running but not claimed here was left by an earlier run and may be claimed again.
    claimed: Mutex<HashSet<String>>,
    /// Trace records decoded by earlier traces.
    trace_records: RecordCache,
    /// Threads that read parts of large trace steps.
    trace_helpers: Helpers<trace_index::HelperReader>,
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(path, SqliteOptions::default())
    }

    /// Opens the database at `path` with explicit tuning.
    pub fn open_with(path: &Path, options: SqliteOptions) -> Result<SqliteStore, StoreError> {
        let mut conn = Connection::open(path)?;
        configure_writer(&conn, &options)?;
        schema::migrate(&mut conn, now_ms())?;
        trace_index::catch_up(&mut conn)?;
        writer::catch_up_keys(&mut conn)?;
        let (commits, checkpointer) = checkpoint::spawn(path)?;
        let writer = Writer::new(conn, options.max_group_events.max(1), commits)?;
        // Bounded so a flood of callers waits on the queue rather than growing memory.
        let (tx, rx) = mpsc::sync_channel(1024);
        let thread = std::thread::Builder::new()
            .name("traceport-store-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| StoreError::Database(format!("cannot start the writer thread: {e}")))?;
        Ok(SqliteStore {
            writer: Some(tx),
            thread: Some(thread),
            checkpointer: Some(checkpointer),
            trace_helpers: {
                let (path, options) = (path.to_path_buf(), options.clone());
                Helpers::start(options.trace_helpers, move || {
                    open_reader(&path, &options).map(trace_index::HelperReader)
                })
            },
            readers: ReaderPool::new(path, options),
            claimed: Mutex::new(HashSet::new()),
            trace_records: RecordCache::new(RECORD_CACHE_BYTES),
        })
    }

    /// Creates the database if needed and applies pending migrations; returns the versions applied.
    pub fn migrate(path: &Path) -> Result<Vec<i64>, StoreError> {
        let mut conn = Connection::open(path)?;
        configure_writer(&conn, &SqliteOptions::default())?;
        schema::migrate(&mut conn, now_ms())
    }

    /// The newest schema version this build knows.
    pub fn schema_version() -> i64 {
        schema::latest_version()
    }

    fn send(&self, request: Request) -> Result<(), StoreError> {
        self.writer
            .as_ref()
            .ok_or_else(writer_gone)?
            .send(request)
            .map_err(|_| writer_gone())
    }

    fn write(&self, op: WriteOp) -> Result<(), StoreError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Request::Op { op, reply })?;
        answer.recv().map_err(|_| writer_gone())?
    }
}

impl MasterDataStore for SqliteStore {
    fn put_master_data(&self, elements: Vec<MasterDataElement>) -> Result<(), StoreError> {
        if elements.is_empty() {
            return Ok(());
        }
        self.write(WriteOp::PutMasterData { elements })
    }

    fn master_data_element(
        &self,
        vocabulary_type: &str,
        id: &str,
    ) -> Result<Option<MasterDataElement>, StoreError> {
        self.readers
            .read(|c| records::master_data(c, vocabulary_type, Some(id)))
            .map(|mut found| found.pop())
    }

    fn master_data_of_type(
        &self,
        vocabulary_type: &str,
    ) -> Result<Vec<MasterDataElement>, StoreError> {
        self.readers
            .read(|c| records::master_data(c, vocabulary_type, None))
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the queue ends the writer loop; joining makes sure its connection is closed
        // (and the WAL checkpointed) before a reopen of the same file.
        self.writer.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // The writer held the checkpoint thread's signal: with it gone that thread ends too.
        if let Some(thread) = self.checkpointer.take() {
            let _ = thread.join();
        }
    }
}

fn writer_gone() -> StoreError {
    StoreError::Database("the writer thread has stopped".into())
}

fn configure_writer(conn: &Connection, options: &SqliteOptions) -> Result<(), StoreError> {
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Database(format!(
            "cannot use WAL mode (journal mode is {mode})"
        )));
    }
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // FULL: a commit is on disk when it returns, so an acknowledged capture survives power loss.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -options.cache_mib.max(1) * 1024)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // The checkpoint thread (sqlite::checkpoint) keeps the WAL short; SQLite's own checkpoint
    // on the committing thread is only the safety net.
    conn.pragma_update(
        None,
        "wal_autocheckpoint",
        options.wal_autocheckpoint.max(1).saturating_mul(10),
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Read-only connections, opened on demand and kept for reuse. At most `options.readers`
/// are open at once: a caller beyond that waits for one to come back. Opening a connection
/// reads the whole schema, so opening one per request under load (and closing it after)
/// cost more than the reads themselves.
struct ReaderPool {
    path: PathBuf,
    state: Mutex<PoolState>,
    returned: Condvar,
    options: SqliteOptions,
}

/// The connections of a [`ReaderPool`].
#[derive(Default)]
struct PoolState {
    idle: Vec<Connection>,
    /// Connections open, idle or lent out.
    open: usize,
}

impl ReaderPool {
    fn new(path: &Path, options: SqliteOptions) -> ReaderPool {
        ReaderPool {
            path: path.to_path_buf(),
            state: Mutex::new(PoolState::default()),
            returned: Condvar::new(),
            options,
        }
    }

    /// Runs `f` in a read transaction on a pooled connection.
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.take()?;
        let outcome = conn.transaction().map_err(StoreError::from).and_then(|tx| {
            let result = f(&tx);
            tx.finish()?;
            Ok(result)
        });
        match outcome {
            Ok(result) => {
                self.give_back(conn);
                result
            }
            // A connection that cannot begin or end a transaction is not reused.
            Err(e) => {
                drop(conn);
                self.forget_one();
                Err(e)
            }
        }
    }

    /// An idle connection, a new one while fewer than the limit are open, or else the
    /// next one given back.
    fn take(&self) -> Result<Connection, StoreError> {
        let limit = self.options.readers.max(1);
        let mut state = self.state.lock().map_err(|_| poisoned())?;
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(conn);
            }
            if state.open < limit {
                state.open += 1;
                break;
            }
            state = self.returned.wait(state).map_err(|_| poisoned())?;
        }
        drop(state);
        self.open().inspect_err(|_| self.forget_one())
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut state) = self.state.lock() {
            state.idle.push(conn);
        }
        self.returned.notify_one();
    }

    /// Counts a lent connection as closed (it failed), letting a waiter open another.
    fn forget_one(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.open = state.open.saturating_sub(1);
        }
        self.returned.notify_one();
    }

    fn open(&self) -> Result<Connection, StoreError> {
        open_reader(&self.path, &self.options)
    }
}

/// A read-only connection configured for reading.
fn open_reader(path: &Path, options: &SqliteOptions) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // LIKE must be case-sensitive, as in PostgreSQL and as EPC patterns require.
    conn.pragma_update(None, "case_sensitive_like", true)?;
    conn.pragma_update(None, "cache_size", -options.cache_mib.max(1) * 1024)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

fn poisoned() -> StoreError {
    StoreError::Database("a store lock is poisoned".into())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A random URL-safe identifier (128 bits).
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Store for SqliteStore {
    fn append_batch(
        &self,
        job: Option<&str>,
        events: Vec<NewEvent>,
        mode: AppendMode,
    ) -> Result<AppendOutcome, StoreError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Request::Append {
            job: job.map(str::to_owned),
            events,
            mode,
            reply,
        })?;
        answer.recv().map_err(|_| writer_gone())?
    }

    fn event(&self, event_id: &str) -> Result<Option<StoredEvent>, StoreError> {
        self.readers.read(|c| query::event_by_id(c, event_id))
    }

    fn query(&self, query: &Query, page: &PageRequest) -> Result<Page<StoredEvent>, StoreError> {
        self.readers
            .read(|c| sql::query_events(&mut query::Sqlite(c), query, page))
    }

    fn distinct_values(
        &self,
        fields: &[&str],
        page: &PageRequest,
    ) -> Result<Page<String>, StoreError> {
        self.readers
            .read(|c| sql::distinct_values(&mut query::Sqlite(c), fields, page))
    }

    fn event_count(&self) -> Result<i64, StoreError> {
        // Sequence numbers are dense from 1, so the highest is the count (one index seek).
        self.readers.read(|c| {
            Ok(c.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?)
        })
    }

    fn create_capture_job(
        &self,
        mode: AppendMode,
        document: &[u8],
    ) -> Result<CaptureJob, StoreError> {
        let job = CaptureJob {
            id: random_id(),
            status: JobStatus::Pending,
            mode,
            created_ms: now_ms(),
            finished_ms: None,
            success: false,
            errors: serde_json::Value::Array(Vec::new()),
            stored: 0,
        };
        self.write(WriteOp::CreateCaptureJob {
            id: job.id.clone(),
            mode,
            created_ms: job.created_ms,
            document: document.to_vec(),
        })?;
        Ok(job)
    }

    fn capture_job_document(&self, id: &str) -> Result<Vec<u8>, StoreError> {
        self.readers.read(|c| records::capture_job_document(c, id))
    }

    fn claim_capture_job(&self, id: &str) -> Result<bool, StoreError> {
        let mut claimed = self.claimed.lock().map_err(|_| poisoned())?;
        if claimed.contains(id) {
            return Ok(false);
        }
        match self.write(WriteOp::ClaimCaptureJob { id: id.to_owned() }) {
            Ok(()) => {
                claimed.insert(id.to_owned());
                Ok(true)
            }
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn finish_capture_job(
        &self,
        id: &str,
        success: bool,
        stored: usize,
        errors: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.write(WriteOp::FinishCaptureJob {
            id: id.to_owned(),
            success,
            stored,
            errors: errors.to_string(),
            finished_ms: now_ms(),
        })?;
        self.claimed.lock().map_err(|_| poisoned())?.remove(id);
        Ok(())
    }

    fn capture_job(&self, id: &str) -> Result<Option<CaptureJob>, StoreError> {
        self.readers.read(|c| records::capture_job(c, id))
    }

    fn capture_jobs(&self, page: &PageRequest) -> Result<Page<CaptureJob>, StoreError> {
        self.readers.read(|c| records::capture_jobs(c, page))
    }

    fn unfinished_capture_jobs(&self) -> Result<Vec<CaptureJob>, StoreError> {
        self.readers.read(records::unfinished_capture_jobs)
    }

    fn create_named_query(
        &self,
        name: &str,
        definition: &serde_json::Value,
    ) -> Result<NamedQuery, StoreError> {
        let query = NamedQuery {
            name: name.to_owned(),
            definition: definition.clone(),
            created_ms: now_ms(),
        };
        self.write(WriteOp::CreateNamedQuery {
            name: query.name.clone(),
            definition: definition.to_string(),
            created_ms: query.created_ms,
        })?;
        Ok(query)
    }

    fn named_query(&self, name: &str) -> Result<Option<NamedQuery>, StoreError> {
        self.readers.read(|c| records::named_query(c, name))
    }

    fn named_queries(&self, page: &PageRequest) -> Result<Page<NamedQuery>, StoreError> {
        self.readers.read(|c| records::named_queries(c, page))
    }

    fn delete_named_query(&self, name: &str) -> Result<(), StoreError> {
        self.write(WriteOp::DeleteNamedQuery {
            name: name.to_owned(),
        })
    }
}

impl SqliteStore {
    fn subscription_op(&self, op: subscriptions::SubscriptionOp) -> Result<(), StoreError> {
        self.write(WriteOp::Subscription(op))
    }
}

impl SubscriptionStore for SqliteStore {
    fn create_subscription(&self, new: NewSubscription) -> Result<Subscription, StoreError> {
        let id = random_id();
        self.subscription_op(subscriptions::SubscriptionOp::Create {
            id: id.clone(),
            spec: Box::new(new),
            created_ms: now_ms(),
        })?;
        // The write is committed before it is answered, so a reader sees it.
        self.readers
            .read(|c| subscriptions::subscription(c, None, &id))?
            .ok_or_else(|| StoreError::Database(format!("subscription {id} vanished")))
    }

    fn subscription(&self, query_name: &str, id: &str) -> Result<Option<Subscription>, StoreError> {
        self.readers
            .read(|c| subscriptions::subscription(c, Some(query_name), id))
    }

    fn subscriptions(
        &self,
        query_name: &str,
        page: &PageRequest,
    ) -> Result<Page<Subscription>, StoreError> {
        self.readers
            .read(|c| subscriptions::subscriptions(c, query_name, page))
    }

    fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        self.readers.read(subscriptions::all)
    }

    fn delete_subscription(&self, query_name: &str, id: &str) -> Result<(), StoreError> {
        self.subscription_op(subscriptions::SubscriptionOp::Delete {
            query_name: query_name.to_owned(),
            id: id.to_owned(),
        })
    }

    fn events_after(
        &self,
        query: &Query,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.readers
            .read(|c| query::events_after(c, &query.conditions, after_seq, limit))
    }

    fn acknowledge_delivery(&self, id: &str, to_seq: i64, at_ms: i64) -> Result<(), StoreError> {
        self.subscription_op(subscriptions::SubscriptionOp::Acknowledge {
            id: id.to_owned(),
            to_seq,
            at_ms,
        })
    }

    fn record_delivery_failure(&self, id: &str, error: &str) -> Result<(), StoreError> {
        self.subscription_op(subscriptions::SubscriptionOp::Failure {
            id: id.to_owned(),
            error: error.to_owned(),
        })
    }

    /// One process owns a SQLite database, and it delivers every subscription: a claim is
    /// always granted (at once after a restart).
    fn claim_delivery(
        &self,
        id: &str,
        _holder: &str,
        _now_ms: i64,
        _until_ms: i64,
    ) -> Result<bool, StoreError> {
        if self.readers.read(|c| subscriptions::exists(c, id))? {
            Ok(true)
        } else {
            Err(StoreError::NotFound(format!("subscription {id}")))
        }
    }
}

impl TraceStore for SqliteStore {
    fn trace_records(
        &self,
        nodes: &[String],
    ) -> Result<Vec<std::sync::Arc<trace::EventRecord>>, StoreError> {
        self.readers
            .read(|c| trace_index::records(c, &self.trace_records, nodes))
    }

    fn trace(&self, request: &trace::TraceRequest) -> Result<trace::TraceGraph, StoreError> {
        self.readers
            .read(|c| trace_index::run(c, Some(&self.trace_helpers), &self.trace_records, request))
    }
}

#[cfg(test)]
mod tests {
    use epcis::query::{Condition, OrderBy};
    use epcis::{EventType, Facet, FacetValue};

    use super::*;

    #[test]
    fn readers_beyond_the_limit_wait_instead_of_opening_connections() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let options = SqliteOptions {
            readers: 2,
            ..SqliteOptions::default()
        };
        let store = SqliteStore::open_with(&path, options).unwrap();
        let (inside, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|scope| {
            for _ in 0..12 {
                scope.spawn(|| {
                    let n = store
                        .readers
                        .read(|c| {
                            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            inside.fetch_sub(1, Ordering::SeqCst);
                            Ok(c.query_row("SELECT COUNT(*) FROM events", [], |r| {
                                r.get::<_, i64>(0)
                            })?)
                        })
                        .unwrap();
                    assert_eq!(n, 0);
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 2, "two readers at a time");
        let state = store.readers.state.lock().unwrap();
        assert_eq!((state.open, state.idle.len()), (2, 2));
    }

    fn store_with_events() -> (tempfile::TempDir, SqliteStore, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let store = SqliteStore::open(&path).unwrap();
        let events = (0..50)
            .map(|i| NewEvent {
                event_id: format!("e{i}"),
                hash: format!("h{i}"),
                event_type: EventType::ObjectEvent,
                event_time_ms: i,
                record_time_ms: i,
                body: "{}".into(),
                trace: None,
                facets: vec![
                    Facet {
                        field: "epc".into(),
                        value: FacetValue::Text(format!("urn:epc:id:sgtin:1.2.{i}")),
                    },
                    Facet {
                        field: "childEPC".into(),
                        value: FacetValue::Text(format!("urn:epc:id:sgtin:1.3.{i}")),
                    },
                ],
            })
            .collect();
        store.append(events, AppendMode::AllOrNothing).unwrap();
        (dir, store, path)
    }

    fn plan(conn: &Connection, query: &Query) -> Vec<String> {
        let (sql, params) = query::first_page_sql(conn, query).unwrap().unwrap();
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |r| {
                r.get::<_, String>(3)
            })
            .unwrap();
        rows.map(Result::unwrap).collect()
    }

    #[test]
    fn match_conditions_are_answered_from_indexes() {
        let (_dir, store, _path) = store_with_events();
        let match_epc = Condition::TextIn {
            fields: vec!["epc".into()],
            values: vec!["urn:epc:id:sgtin:1.2.7".into()],
        };
        let match_any = Condition::TextIn {
            fields: vec!["epc".into(), "childEPC".into()],
            values: vec![
                "urn:epc:id:sgtin:1.2.7".into(),
                "urn:epc:id:sgtin:1.3.9".into(),
            ],
        };
        let pattern = Condition::TextLike {
            fields: vec!["epc".into()],
            patterns: vec!["urn:epc:id:sgtin:1.2.%".into()],
        };
        for (conditions, order_by) in [
            (vec![match_epc.clone()], OrderBy::Sequence),
            (vec![match_any.clone()], OrderBy::Sequence),
            (vec![match_any], OrderBy::EventTime),
            (vec![pattern, match_epc], OrderBy::RecordTime),
        ] {
            let query = Query {
                conditions,
                order_by,
                ..Query::default()
            };
            let steps = store.readers.read(|c| Ok(plan(c, &query))).unwrap();
            // The terms by their (field, value) index, then each term's postings by key.
            assert!(
                steps.iter().any(|s| s.contains("(field_id=? AND value")),
                "{steps:?}"
            );
            assert!(
                steps
                    .iter()
                    .any(|s| s.contains("USING PRIMARY KEY (term_id=?)")),
                "{steps:?}"
            );
            assert!(steps.iter().all(|s| !s.starts_with("SCAN")), "{steps:?}");
        }
    }

    #[test]
    fn migrations_are_recorded_once() {
        let (_dir, store, path) = store_with_events();
        drop(store);
        let _again = SqliteStore::open(&path).unwrap();
        let conn = Connection::open(&path).unwrap();
        let versions: Vec<i64> = conn
            .prepare("SELECT version FROM schema_migrations ORDER BY version")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(versions, schema::versions());
    }

    #[test]
    fn database_is_in_wal_mode() {
        let (_dir, _store, path) = store_with_events();
        let conn = Connection::open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
