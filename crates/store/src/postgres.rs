//! The PostgreSQL backend, for a province or the national portal: several server
//! processes on one database.
//!
//! Reads and small writes run on a fixed set of connection threads; appends go through one
//! writer thread per process with group commit ([`writer`]). Everything that must hold
//! across processes is in the database itself, with portable SQL: sequence numbers from a
//! row-locked counter, capture jobs claimed by a conditional `UPDATE` with a lease. No
//! advisory locks, no `LISTEN/NOTIFY`.

mod accounts;
mod conn;
mod exec;
mod links;
mod masterdata;
mod recalls;
mod registries;
mod schema;
pub mod scratch;
mod subscriptions;
mod tables;
mod trace_index;
mod writer;

use std::sync::mpsc::{self, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use epcis::Query;

use crate::cursor::{decode_tagged, encode_text};
use crate::sql::{self, JOB_COLUMNS, QUERY_TAG};
use crate::trace_split::Helpers;
use crate::trace_store::{RecordCache, RECORD_CACHE_BYTES};
use crate::{
    codes, AppendMode, AppendOutcome, CaptureJob, JobStatus, NamedQuery, NewEvent, Page,
    PageRequest, Store, StoreError, StoredEvent,
};

use conn::{Conn, Pool};
use exec::Pg;

/// True when `url` names a PostgreSQL database (`postgres://…` or `postgresql://…`).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Tuning of a [`PgStore`].
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Connections for reads and small writes (plus one for the writer).
    pub connections: usize,
    /// Most events (roughly) committed in one group.
    pub max_group_events: usize,
    /// How long a claimed capture job is its worker's; after that another process may
    /// take it over (its worker is presumed dead). Longer than any job takes.
    pub job_lease: Duration,
    /// Threads (each with a connection of its own) that read parts of a large trace step
    /// while the tracing thread reads the rest; 0 reads every step in the trace's snapshot
    /// alone.
    pub trace_helpers: usize,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            connections: 4,
            max_group_events: 50_000,
            job_lease: Duration::from_secs(120),
            // Off: on 2 cores helpers made traces slower (see docs/benchmarks.md).
            trace_helpers: 0,
        }
    }
}

/// The PostgreSQL store.
pub struct PgStore {
    pool: Pool,
    fields: Arc<exec::FieldCache>,
    writer: Option<SyncSender<writer::Request>>,
    thread: Option<JoinHandle<()>>,
    lease_ms: i64,
    /// Trace records decoded by earlier traces (shared with the pool's threads).
    trace_records: Arc<RecordCache>,
    /// Threads that read parts of large trace steps.
    trace_helpers: Arc<Helpers<trace_index::HelperReader>>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and migrates the schema.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        PgStore::open_with(url, PgOptions::default())
    }

    /// Connects with explicit tuning.
    pub fn open_with(url: &str, options: PgOptions) -> Result<PgStore, StoreError> {
        let config = config(url)?;
        // The writer thread connects and migrates before it serves: the client must not
        // be used on the caller's thread, which may be driving async tasks.
        let (tx, rx) = mpsc::sync_channel(1024);
        let (ready_tx, ready) = mpsc::sync_channel(1);
        let writer_config = config.clone();
        let max_group = options.max_group_events.max(1);
        let thread = std::thread::Builder::new()
            .name("traceport-pg-writer".into())
            .spawn(move || {
                let opened = Conn::connect(&writer_config).and_then(|mut conn| {
                    schema::migrate(conn.client(), now_ms())?;
                    trace_index::catch_up(conn.client())?;
                    writer::catch_up_keys(conn.client())?;
                    Ok(conn)
                });
                match opened {
                    Ok(conn) => {
                        let _ = ready_tx.send(Ok(()));
                        writer::Writer::new(conn, max_group).run(rx);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| StoreError::Database(format!("cannot start the writer thread: {e}")))?;
        ready.recv().map_err(|_| {
            StoreError::Database("the writer thread stopped while opening".into())
        })??;
        let pool = Pool::start(&config, options.connections)?;
        let helper_config = config.clone();
        let trace_helpers = Arc::new(Helpers::start(options.trace_helpers, move || {
            trace_index::HelperReader::open(&helper_config)
        }));
        Ok(PgStore {
            pool,
            fields: Arc::new(exec::FieldCache::default()),
            writer: Some(tx),
            thread: Some(thread),
            lease_ms: i64::try_from(options.job_lease.as_millis()).unwrap_or(i64::MAX),
            trace_records: Arc::new(RecordCache::new(RECORD_CACHE_BYTES)),
            trace_helpers,
        })
    }

    /// Applies pending migrations without opening a store; returns the versions applied.
    pub fn migrate(url: &str) -> Result<Vec<i64>, StoreError> {
        let config = config(url)?;
        std::thread::spawn(move || {
            let mut conn = Conn::connect(&config)?;
            schema::migrate(conn.client(), now_ms())
        })
        .join()
        .map_err(|_| StoreError::Database("the migrating thread panicked".into()))?
    }

    /// The newest schema version this build knows.
    pub fn schema_version() -> i64 {
        schema::latest_version()
    }

    /// Capture jobs, newest first, optionally only those submitted by one organisation.
    fn capture_jobs_where(
        &self,
        page: &PageRequest,
        owner: Option<&str>,
    ) -> Result<Page<CaptureJob>, StoreError> {
        let (before, want) = sql::jobs_start(page)?;
        let owner = owner.map(str::to_owned);
        self.pool.run(move |c| {
            let rows = c.query(
                &sql::jobs_page_sql(),
                &[&before, &sql::limit_plus_one(want), &owner],
            )?;
            let jobs = rows.iter().map(exec::job).collect::<Result<Vec<_>, _>>()?;
            Ok(sql::jobs_page(jobs, want))
        })
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Closing the queue ends the writer loop once it has answered what it holds.
        self.writer.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub(crate) use tables::{dump_rows, load_rows};

/// The parsed connection settings of a `postgres://` URL.
pub(crate) fn config(url: &str) -> Result<postgres::Config, StoreError> {
    url.parse::<postgres::Config>()
        .map_err(|e| StoreError::Database(format!("invalid database URL: {e}")))
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn not_found(what: &str, id: &str) -> StoreError {
    StoreError::NotFound(format!("{what} {id}"))
}

impl Store for PgStore {
    fn append_batch(
        &self,
        job: Option<&str>,
        events: Vec<NewEvent>,
        mode: AppendMode,
    ) -> Result<AppendOutcome, StoreError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let gone = || StoreError::Database("the writer thread has stopped".into());
        self.writer
            .as_ref()
            .ok_or_else(gone)?
            .send(writer::Request {
                job: job.map(str::to_owned),
                events,
                mode,
                reply,
            })
            .map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }

    fn event(&self, event_id: &str) -> Result<Option<StoredEvent>, StoreError> {
        let event_id = event_id.to_owned();
        self.pool.run(move |c| exec::event_by_id(c, &event_id))
    }

    fn query(&self, query: &Query, page: &PageRequest) -> Result<Page<StoredEvent>, StoreError> {
        let (query, page) = (query.clone(), page.clone());
        let fields = Arc::clone(&self.fields);
        self.pool.run(move |c| {
            // The size check and the page must see one snapshot.
            let snapshot = query.max_event_count.is_some() && page.after.is_none();
            if snapshot {
                c.client()
                    .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
            }
            let result = sql::query_events(&mut Pg(c, &fields), &query, &page);
            if snapshot {
                c.client().batch_execute("COMMIT")?;
            }
            result
        })
    }

    fn distinct_values(
        &self,
        fields: &[&str],
        page: &PageRequest,
    ) -> Result<Page<String>, StoreError> {
        let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        let page = page.clone();
        let fields_cache = Arc::clone(&self.fields);
        self.pool.run(move |c| {
            let names: Vec<&str> = fields.iter().map(String::as_str).collect();
            sql::distinct_values(&mut Pg(c, &fields_cache), &names, &page)
        })
    }

    fn event_count(&self) -> Result<i64, StoreError> {
        self.pool.run(|c| {
            let row = c.query_opt("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM events", &[])?;
            Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
        })
    }

    fn create_capture_job(
        &self,
        mode: AppendMode,
        document: &[u8],
    ) -> Result<CaptureJob, StoreError> {
        let job = CaptureJob {
            id: crate::sqlite::random_id(),
            status: JobStatus::Pending,
            mode,
            created_ms: now_ms(),
            finished_ms: None,
            success: false,
            errors: serde_json::Value::Array(Vec::new()),
            stored: 0,
        };
        let (id, created) = (job.id.clone(), job.created_ms);
        let document = document.to_vec();
        self.pool.run(move |c| {
            // The document in its own table, as on SQLite (see migration 740).
            c.execute(
                "WITH j AS (INSERT INTO capture_jobs \
                 (id, status, mode, created_ms, finished_ms, success, errors, stored, document) \
                 VALUES (?1, ?2, ?3, ?4, NULL, 0, '[]', 0, ''::BYTEA) RETURNING n) \
                 INSERT INTO capture_job_documents (n, document) SELECT n, ?5 FROM j",
                &[
                    &id,
                    &codes::STATUS_PENDING,
                    &codes::mode_code(mode),
                    &created,
                    &document,
                ],
            )?;
            Ok(())
        })?;
        Ok(job)
    }

    fn capture_job_document(&self, id: &str) -> Result<Vec<u8>, StoreError> {
        let id = id.to_owned();
        self.pool.run(move |c| {
            let row = c.query_opt(sql::JOB_DOCUMENT, &[&id])?;
            match row {
                Some(row) => Ok(row.try_get(0)?),
                None => Err(not_found("capture job", &id)),
            }
        })
    }

    fn claim_capture_job(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        let lease = self.lease_ms;
        self.pool.run(move |c| {
            // The database's clock, so servers with skewed clocks agree on when a lease lapses.
            let claimed = c.execute(
                "UPDATE capture_jobs SET status = ?, \
                 lease_until_ms = (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT + ? \
                 WHERE id = ? AND (status = ? OR (status = ? AND (lease_until_ms IS NULL OR lease_until_ms < (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT)))",
                &[&codes::STATUS_RUNNING, &lease, &id, &codes::STATUS_PENDING, &codes::STATUS_RUNNING],
            )?;
            if claimed == 1 {
                return Ok(true);
            }
            match c.query_opt("SELECT 1::BIGINT FROM capture_jobs WHERE id = ?", &[&id])? {
                Some(_) => Ok(false),
                None => Err(not_found("capture job", &id)),
            }
        })
    }

    fn finish_capture_job(
        &self,
        id: &str,
        success: bool,
        stored: usize,
        errors: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let id = id.to_owned();
        let errors = errors.to_string();
        let finished = now_ms();
        self.pool.run(move |c| {
            let n = c.execute(
                "UPDATE capture_jobs SET status = ?, success = ?, stored = ?, errors = ?, finished_ms = ?, lease_until_ms = NULL, \
                 appended = NULL WHERE id = ?",
                &[
                    &codes::STATUS_FINISHED,
                    &i64::from(success),
                    &sql::to_i64(stored),
                    &errors,
                    &finished,
                    &id,
                ],
            )?;
            if n == 0 {
                return Err(not_found("capture job", &id));
            }
            Ok(())
        })
    }

    fn capture_job(&self, id: &str) -> Result<Option<CaptureJob>, StoreError> {
        let id = id.to_owned();
        self.pool.run(move |c| {
            let sql = format!("SELECT {JOB_COLUMNS} FROM capture_jobs WHERE id = ?");
            let row = c.query_opt(&sql, &[&id])?;
            Ok(row.map(|r| exec::job(&r)).transpose()?.map(|(_, job)| job))
        })
    }

    fn capture_jobs(&self, page: &PageRequest) -> Result<Page<CaptureJob>, StoreError> {
        self.capture_jobs_where(page, None)
    }

    fn unfinished_capture_jobs(&self) -> Result<Vec<CaptureJob>, StoreError> {
        self.pool.run(|c| {
            let sql = format!(
                "SELECT {JOB_COLUMNS} FROM capture_jobs WHERE status IN (?, ?) ORDER BY n ASC"
            );
            let rows = c.query(&sql, &[&codes::STATUS_PENDING, &codes::STATUS_RUNNING])?;
            rows.iter()
                .map(|r| exec::job(r).map(|(_, job)| job))
                .collect()
        })
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
        let (name, text, created) = (query.name.clone(), definition.to_string(), query.created_ms);
        self.pool.run(move |c| {
            match c.execute(
                "INSERT INTO named_queries (name, definition, created_ms) VALUES (?, ?, ?)",
                &[&name, &text, &created],
            ) {
                Ok(_) => Ok(()),
                Err(e) if conn::is_unique_violation(&e) => {
                    Err(StoreError::Conflict(format!("named query {name}")))
                }
                Err(e) => Err(e.into()),
            }
        })?;
        Ok(query)
    }

    fn named_query(&self, name: &str) -> Result<Option<NamedQuery>, StoreError> {
        let name = name.to_owned();
        self.pool.run(move |c| {
            let row = c.query_opt(
                "SELECT name, definition, created_ms FROM named_queries WHERE name = ?",
                &[&name],
            )?;
            row.map(|r| exec::named_query(&r)).transpose()
        })
    }

    fn named_queries(&self, page: &PageRequest) -> Result<Page<NamedQuery>, StoreError> {
        let page = page.clone();
        self.pool.run(move |c| {
            let after = page
                .after
                .as_deref()
                .map(|cursor| decode_tagged(cursor, QUERY_TAG))
                .transpose()?;
            let want = page.per_page.max(1);
            let limit = sql::limit_plus_one(want);
            let rows = match &after {
                Some(after) => c.query(
                    "SELECT name, definition, created_ms FROM named_queries WHERE name > ? ORDER BY name LIMIT ?",
                    &[after, &limit],
                )?,
                None => c.query(
                    "SELECT name, definition, created_ms FROM named_queries ORDER BY name LIMIT ?",
                    &[&limit],
                )?,
            };
            let queries = rows
                .iter()
                .map(exec::named_query)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(sql::paged(
                queries,
                want,
                |q| encode_text(QUERY_TAG, &q.name),
                |q| q,
            ))
        })
    }

    fn delete_named_query(&self, name: &str) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.pool.run(move |c| {
            let mut tx = c.client().transaction()?;
            let n = tx.execute("DELETE FROM named_queries WHERE name = $1", &[&name])?;
            if n == 0 {
                return Err(not_found("named query", &name));
            }
            tx.execute(
                &conn::numbered(sql::subscriptions::DELETE_FOR_QUERY),
                &[&name],
            )?;
            tx.commit()?;
            Ok(())
        })
    }
}
