//! The single writer thread with group commit.
//!
//! Callers queue requests and block on a reply channel. The writer takes every request
//! queued at that moment, applies each so that one request's failure or rollback touches
//! nothing else, commits once for the whole group, and only then answers: an answered
//! append is on disk. Small writes run inside their own SAVEPOINT. Appends do not (a
//! savepoint copies every page the append touches first into its sub-journal): what an
//! append refuses is found before it writes anything, and one that fails while writing
//! has the group rolled back and run again without it. Sequence numbers are handed out
//! here and rewound whenever a savepoint or the group rolls back, so they stay dense.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{Receiver, SyncSender};

use rusqlite::{ffi, params, Connection, ErrorCode, OptionalExtension};

use crate::{AppendMode, AppendOutcome, NewEvent, RejectReason, StoreError};
use epcis::FacetValue;

use crate::codes;
use crate::keys;
use crate::terms::{TermCache, TERM_CACHE_CAPACITY};

/// A small write other than an append; runs inside the same group commit.
pub(super) enum WriteOp {
    /// Insert a pending capture job with its document.
    CreateCaptureJob {
        id: String,
        mode: AppendMode,
        created_ms: i64,
        document: Vec<u8>,
    },
    /// Mark a job running unless it is finished (`Conflict` then).
    ClaimCaptureJob { id: String },
    /// Store a job's outcome.
    FinishCaptureJob {
        id: String,
        success: bool,
        stored: usize,
        errors: String,
        finished_ms: i64,
    },
    /// Insert a named query.
    CreateNamedQuery {
        name: String,
        definition: String,
        created_ms: i64,
    },
    /// Delete a named query (and its subscriptions).
    DeleteNamedQuery { name: String },
    /// Any other small write (registries, accounts), as a function of the connection.
    Exec(ExecFn),
    /// Insert or replace master data elements.
    PutMasterData {
        elements: Vec<crate::MasterDataElement>,
    },
    /// A subscription write.
    Subscription(super::subscriptions::SubscriptionOp),
}

/// A write run on the writer's connection inside the request's savepoint.
pub(super) type ExecFn = Box<dyn Fn(&Connection) -> Result<(), StoreError> + Send>;

/// One queued request and where to send its answer.
pub(super) enum Request {
    /// Append a batch of events (of a capture job, whose outcome is then recorded with them).
    Append {
        job: Option<String>,
        events: Vec<NewEvent>,
        mode: AppendMode,
        reply: SyncSender<Result<AppendOutcome, StoreError>>,
    },
    /// Any other write.
    Op {
        op: WriteOp,
        reply: SyncSender<Result<(), StoreError>>,
    },
}

impl Request {
    /// Rough cost, to bound how much one group holds (and so its latency).
    fn weight(&self) -> usize {
        match self {
            Request::Append { events, .. } => events.len().max(1),
            Request::Op { .. } => 1,
        }
    }
}

/// What one request of a group came to.
enum Done {
    Append(Result<AppendOutcome, StoreError>),
    Op(Result<(), StoreError>),
    /// Not run (left out of the group, or the group could not begin).
    NotRun,
}

/// The end of one run of a group.
enum GroupRun {
    /// Every request ran (`results` in order); the commit's failure, if any.
    Done(Vec<Done>, Option<String>),
    /// Request `i`, an append, failed after writing: the transaction was rolled back and
    /// the group must run again without it.
    Again(usize, StoreError),
}

/// An answer held back until the group's COMMIT.
enum Answer {
    Append(
        SyncSender<Result<AppendOutcome, StoreError>>,
        Result<AppendOutcome, StoreError>,
    ),
    Op(SyncSender<Result<(), StoreError>>, Result<(), StoreError>),
}

impl Answer {
    fn send(self, group_error: Option<&str>) {
        // A caller that gave up waiting has dropped its receiver; nothing to do then.
        match self {
            Answer::Append(tx, r) => {
                let _ = tx.send(group_error.map_or(r, |m| Err(StoreError::Database(m.to_owned()))));
            }
            Answer::Op(tx, r) => {
                let _ = tx.send(group_error.map_or(r, |m| Err(StoreError::Database(m.to_owned()))));
            }
        }
    }
}

const INSERT_EVENT: &str =
    "INSERT INTO events (seq, event_id, hash, event_type, event_time, record_time, body) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
/// Whether an event with this `eventID` (`?3`) or hash (`?4`) is stored, found through
/// the keys `?1` and `?2` and checked exactly against the stored text (keys may collide).
const FIND_DUPLICATE: &str = "SELECT 1 FROM event_keys k JOIN events e ON e.seq = k.seq \
     WHERE k.key IN (?1, ?2) AND (e.event_id = ?3 OR e.hash = ?4) LIMIT 1";
const INSERT_TERM: &str =
    "INSERT INTO facet_terms (field_id, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING RETURNING id";
const SELECT_TERM: &str = "SELECT id FROM facet_terms WHERE field_id = ?1 AND value = ?2";
const RECORD_OUTCOME: &str = "UPDATE capture_jobs SET appended = ?2 WHERE id = ?1";
const INSERT_POSTING: &str = "INSERT INTO facet_postings (term_id, seq) VALUES (?1, ?2)";
const INSERT_NUM: &str =
    "INSERT INTO facet_num (field_id, value, seq) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING";

/// The writer: owns the only read-write connection.
pub(super) struct Writer {
    conn: Connection,
    next_seq: i64,
    fields: HashMap<String, i64>,
    terms: TermCache,
    max_group: usize,
    /// Set when a savepoint could not be rolled back: the whole group must then be abandoned.
    poisoned: bool,
    /// Set when an append failed after writing (appends run without a savepoint): the
    /// group's transaction is rolled back and the group run again without it.
    broken: bool,
    /// Told of every commit (see `sqlite::checkpoint`).
    commits: SyncSender<()>,
}

impl Writer {
    /// Takes over a migrated connection.
    pub(super) fn new(
        conn: Connection,
        max_group: usize,
        commits: SyncSender<()>,
    ) -> Result<Writer, StoreError> {
        let mut writer = Writer {
            conn,
            next_seq: 1,
            fields: HashMap::new(),
            terms: TermCache::new(TERM_CACHE_CAPACITY),
            max_group,
            poisoned: false,
            broken: false,
            commits,
        };
        writer.reload()?;
        Ok(writer)
    }

    /// Re-reads the state the writer caches (after a failed group).
    fn reload(&mut self) -> Result<(), StoreError> {
        self.next_seq =
            self.conn
                .query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM events", [], |r| {
                    r.get(0)
                })?;
        let mut stmt = self.conn.prepare("SELECT id, name FROM fields")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(0)?)))?;
        self.fields = rows.collect::<Result<_, _>>()?;
        self.terms.clear();
        Ok(())
    }

    /// Serves requests until every sender is gone.
    pub(super) fn run(mut self, rx: Receiver<Request>) {
        while let Ok(first) = rx.recv() {
            let mut weight = first.weight();
            let mut group = vec![first];
            while weight < self.max_group {
                match rx.try_recv() {
                    Ok(req) => {
                        weight += req.weight();
                        group.push(req);
                    }
                    Err(_) => break,
                }
            }
            self.commit_group(group);
        }
    }

    fn commit_group(&mut self, group: Vec<Request>) {
        // Appends run without a savepoint (see `apply_append`); one that fails after
        // writing leaves the group's transaction unusable: it is rolled back and the group
        // run again without that append, which alone gets its error.
        let mut excluded: Vec<Option<StoreError>> = group.iter().map(|_| None).collect();
        let (results, failure) = loop {
            match self.run_group(&group, &excluded) {
                GroupRun::Done(results, failure) => break (results, failure),
                GroupRun::Again(i, e) => {
                    tracing::warn!(error = %e, "an append failed mid-way; its group runs again without it");
                    excluded[i] = Some(e);
                }
            }
        };
        for ((req, result), excluded) in group.into_iter().zip(results).zip(excluded) {
            let answer = match (req, result, excluded) {
                (Request::Append { reply, .. }, _, Some(e)) => Answer::Append(reply, Err(e)),
                (Request::Append { reply, .. }, Done::Append(r), None) => Answer::Append(reply, r),
                (Request::Op { reply, .. }, Done::Op(r), _) => Answer::Op(reply, r),
                (Request::Append { reply, .. }, _, None) => Answer::Append(
                    reply,
                    Err(StoreError::Database("the append was not run".into())),
                ),
                (Request::Op { reply, .. }, _, _) => Answer::Op(
                    reply,
                    Err(StoreError::Database("the write was not run".into())),
                ),
            };
            answer.send(failure.as_deref());
        }
    }

    /// Runs the group's requests (except `excluded`) in one transaction and commits it.
    fn run_group(&mut self, group: &[Request], excluded: &[Option<StoreError>]) -> GroupRun {
        self.poisoned = false;
        self.broken = false;
        if let Err(e) = self.conn.execute_batch("BEGIN IMMEDIATE") {
            let msg = format!("cannot begin a write transaction: {e}");
            return GroupRun::Done(group.iter().map(|_| Done::NotRun).collect(), Some(msg));
        }
        let mut results = Vec::with_capacity(group.len());
        for (i, req) in group.iter().enumerate() {
            if excluded[i].is_some() {
                results.push(Done::NotRun);
                continue;
            }
            results.push(match req {
                Request::Append {
                    job, events, mode, ..
                } => {
                    let r = self.apply_append(job.as_deref(), events, *mode);
                    if self.broken {
                        let _ = self.conn.execute_batch("ROLLBACK");
                        if let Err(e) = self.reload() {
                            tracing::error!(error = %e, "cannot re-read writer state after a rollback");
                        }
                        let e = r.err().unwrap_or_else(|| {
                            StoreError::Database("the append failed mid-way".into())
                        });
                        return GroupRun::Again(i, e);
                    }
                    Done::Append(r)
                }
                Request::Op { op, .. } => {
                    Done::Op(self.savepoint(|w| w.apply_op(op).map(|()| ((), true))))
                }
            });
        }
        let failure = if self.poisoned {
            Some("a write could not be rolled back; the group was abandoned".to_owned())
        } else {
            self.conn
                .execute_batch("COMMIT")
                .err()
                .map(|e| format!("commit failed: {e}"))
        };
        if let Some(msg) = &failure {
            tracing::error!(error = %msg, "group commit failed");
            let _ = self.conn.execute_batch("ROLLBACK");
            if let Err(e) = self.reload() {
                tracing::error!(error = %e, "cannot re-read writer state after a failed commit");
            }
        } else {
            // Full means a checkpoint is already due; a stopped checkpointer leaves it to SQLite.
            let _ = self.commits.try_send(());
        }
        GroupRun::Done(results, failure)
    }

    /// Runs `f` inside a savepoint; `f` says whether to keep its work. Sequence numbers
    /// handed out inside are given back when the work is not kept.
    fn savepoint<T>(
        &mut self,
        f: impl FnOnce(&mut Writer) -> Result<(T, bool), StoreError>,
    ) -> Result<T, StoreError> {
        self.conn.execute_batch("SAVEPOINT req")?;
        let before = self.next_seq;
        let result = f(self);
        let keep = matches!(result, Ok((_, true)));
        let end = if keep {
            "RELEASE req"
        } else {
            "ROLLBACK TO req; RELEASE req"
        };
        if let Err(e) = self.conn.execute_batch(end) {
            self.poisoned = true;
            self.next_seq = before;
            return Err(e.into());
        }
        if !keep {
            self.next_seq = before;
        }
        result.map(|(t, _)| t)
    }

    fn apply_append(
        &mut self,
        job: Option<&str>,
        events: &[NewEvent],
        mode: AppendMode,
    ) -> Result<AppendOutcome, StoreError> {
        if let Some(job) = job {
            if let Some(recorded) = self.recorded_outcome(job)? {
                return Ok(recorded);
            }
        }
        // Interned first, and kept whatever becomes of the append: an unused field name
        // or term is harmless (a rollback of the whole group clears the caches).
        self.intern_fields(events)?;
        let terms = self.intern_terms(events)?;
        // No savepoint: what is refused is found before anything is written, so a refused
        // append writes nothing; a failure while writing breaks the group (`run_group`).
        let results = self.check_events(events)?;
        let refused = results.iter().any(Result::is_err);
        if refused && mode == AppendMode::AllOrNothing {
            let results = results.into_iter().map(|r| r.and(Ok(0))).collect();
            return Ok(AppendOutcome { results });
        }
        let outcome = AppendOutcome { results };
        let written = self.write_events(events, &terms, &outcome).and_then(|()| {
            if let Some(job) = job {
                self.conn
                    .prepare_cached(RECORD_OUTCOME)?
                    .execute(params![job, codes::outcome_text(&outcome)])?;
            }
            Ok(())
        });
        if let Err(e) = written {
            self.broken = true;
            return Err(e);
        }
        self.next_seq += outcome.results.iter().filter(|r| r.is_ok()).count() as i64;
        Ok(outcome)
    }

    /// The outcome an earlier attempt at capture job `job` committed, if any.
    fn recorded_outcome(&self, job: &str) -> Result<Option<AppendOutcome>, StoreError> {
        let text: Option<Option<String>> = self
            .conn
            .prepare_cached("SELECT appended FROM capture_jobs WHERE id = ?1")?
            .query_row([job], |r| r.get(0))
            .optional()?;
        match text {
            None => Err(StoreError::NotFound(format!("capture job {job}"))),
            Some(None) => Ok(None),
            Some(Some(text)) => codes::outcome_from_text(&text).map(Some),
        }
    }

    fn intern_fields(&mut self, events: &[NewEvent]) -> Result<(), StoreError> {
        for facet in events.iter().flat_map(|e| &e.facets) {
            if !self.fields.contains_key(&facet.field) {
                let id: i64 = self
                    .conn
                    .prepare_cached("INSERT INTO fields (name) VALUES (?1) RETURNING id")?
                    .query_row([&facet.field], |r| r.get(0))?;
                self.fields.insert(facet.field.clone(), id);
            }
        }
        Ok(())
    }

    /// The term id of every text facet of every event, in order, interned like the field
    /// names: outside the request's savepoint (an unused term is harmless), so that a
    /// rolled-back request never leaves a cached id behind.
    fn intern_terms(&mut self, events: &[NewEvent]) -> Result<Vec<Vec<i64>>, StoreError> {
        let mut all = Vec::with_capacity(events.len());
        for event in events {
            let mut ids = Vec::with_capacity(event.facets.len());
            for facet in &event.facets {
                let FacetValue::Text(text) = &facet.value else {
                    continue;
                };
                let field_id = self.field_id(&facet.field)?;
                let id = match self.terms.get(field_id, text) {
                    Some(id) => id,
                    None => {
                        let id = self.term_id(field_id, text)?;
                        self.terms.insert(field_id, text, id);
                        id
                    }
                };
                ids.push(id);
            }
            all.push(ids);
        }
        Ok(all)
    }

    /// The stored id of a term, inserting it when new.
    fn term_id(&self, field_id: i64, value: &str) -> Result<i64, StoreError> {
        let inserted: Option<i64> = self
            .conn
            .prepare_cached(INSERT_TERM)?
            .query_row(params![field_id, value], |r| r.get(0))
            .optional()?;
        match inserted {
            Some(id) => Ok(id),
            None => Ok(self
                .conn
                .prepare_cached(SELECT_TERM)?
                .query_row(params![field_id, value], |r| r.get(0))?),
        }
    }

    fn field_id(&self, field: &str) -> Result<i64, StoreError> {
        self.fields
            .get(field)
            .copied()
            .ok_or_else(|| StoreError::Database(format!("facet field {field} was not interned")))
    }

    /// The sequence number each event would get, or why it is refused: a duplicate of a
    /// stored event (same eventID, or same hash) or of an earlier event of the batch.
    /// Reads only.
    fn check_events(
        &self,
        events: &[NewEvent],
    ) -> Result<Vec<Result<i64, RejectReason>>, StoreError> {
        let mut find_duplicate = self.conn.prepare_cached(FIND_DUPLICATE)?;
        let mut batch_ids: HashSet<&str> = HashSet::with_capacity(events.len());
        let mut batch_hashes: HashSet<&str> = HashSet::with_capacity(events.len());
        let mut results = Vec::with_capacity(events.len());
        let mut seq = self.next_seq;
        for event in events {
            let (id_key, hash_key) = keys::keys_of(&event.event_id, &event.hash);
            let duplicate = batch_ids.contains(event.event_id.as_str())
                || batch_hashes.contains(event.hash.as_str())
                || find_duplicate.exists(params![
                    id_key,
                    hash_key.unwrap_or(id_key),
                    event.event_id,
                    event.hash
                ])?;
            if duplicate {
                results.push(Err(RejectReason::Duplicate {
                    event_id: event.event_id.clone(),
                }));
                continue;
            }
            batch_ids.insert(&event.event_id);
            batch_hashes.insert(&event.hash);
            results.push(Ok(seq));
            seq += 1;
        }
        Ok(results)
    }

    /// Writes the accepted events of `outcome` with their sequence numbers, keys, facets and
    /// trace index rows.
    fn write_events(
        &self,
        events: &[NewEvent],
        terms: &[Vec<i64>],
        outcome: &AppendOutcome,
    ) -> Result<(), StoreError> {
        let conn = &self.conn;
        let mut insert_event = conn.prepare_cached(INSERT_EVENT)?;
        let mut insert_key = conn.prepare_cached(keys::INSERT_KEY)?;
        let mut insert_posting = conn.prepare_cached(INSERT_POSTING)?;
        let mut insert_num = conn.prepare_cached(INSERT_NUM)?;
        // Index rows are inserted in key order once the events are in: neighbouring keys
        // share B-tree pages, so each page is found and dirtied once per request.
        let mut postings: Vec<(i64, i64)> = Vec::new();
        let mut numbers: Vec<(i64, f64, i64)> = Vec::new();
        let mut event_keys: Vec<(i64, i64)> = Vec::with_capacity(events.len());
        for ((event, term_ids), result) in events.iter().zip(terms).zip(&outcome.results) {
            let Ok(seq) = *result else { continue };
            insert_event.execute(params![
                seq,
                event.event_id,
                event.hash,
                codes::event_type_code(event.event_type),
                event.event_time_ms,
                event.record_time_ms,
                event.body,
            ])?;
            let (id_key, hash_key) = keys::keys_of(&event.event_id, &event.hash);
            event_keys.push((id_key, seq));
            event_keys.extend(hash_key.map(|k| (k, seq)));
            postings.extend(term_ids.iter().map(|&term| (term, seq)));
            for facet in &event.facets {
                // NaN and infinities compare with nothing; SQL cannot store NaN anyway.
                if let FacetValue::Number(n) = facet.value {
                    if n.is_finite() {
                        numbers.push((self.field_id(&facet.field)?, n, seq));
                    }
                }
            }
            if let Some(entry) = &event.trace {
                super::trace_index::index_event(conn, seq, entry)?;
            }
        }
        event_keys.sort_unstable();
        for (key, seq) in event_keys {
            insert_key.execute(params![key, seq])?;
        }
        // An event may name the same identifier twice: one posting is enough.
        postings.sort_unstable();
        postings.dedup();
        for (term, seq) in postings {
            insert_posting.execute(params![term, seq])?;
        }
        numbers
            .sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        for (field_id, n, seq) in numbers {
            insert_num.execute(params![field_id, n, seq])?;
        }
        Ok(())
    }

    fn apply_op(&mut self, op: &WriteOp) -> Result<(), StoreError> {
        let conn = &self.conn;
        match op {
            WriteOp::CreateCaptureJob {
                id,
                mode,
                created_ms,
                document,
            } => {
                // The document in its own table (migration 740): the job's row is updated
                // when it is claimed, appended and finished, and SQLite rewrites a whole
                // row, overflow pages and all, whenever its size changes.
                conn.prepare_cached(
                    "INSERT INTO capture_jobs (id, status, mode, created_ms, finished_ms, success, errors, stored, document) \
                     VALUES (?1, ?2, ?3, ?4, NULL, 0, '[]', 0, x'')",
                )?
                .execute(params![id, codes::STATUS_PENDING, codes::mode_code(*mode), created_ms])?;
                conn.prepare_cached(
                    "INSERT INTO capture_job_documents (n, document) VALUES (last_insert_rowid(), ?1)",
                )?
                .execute(params![document])?;
            }
            WriteOp::ClaimCaptureJob { id } => {
                let n = conn
                    .prepare_cached(
                        "UPDATE capture_jobs SET status = ?1 WHERE id = ?2 AND status <> ?3",
                    )?
                    .execute(params![codes::STATUS_RUNNING, id, codes::STATUS_FINISHED])?;
                if n == 0 {
                    let exists = conn
                        .prepare_cached("SELECT 1 FROM capture_jobs WHERE id = ?1")?
                        .exists([id])?;
                    return Err(if exists {
                        StoreError::Conflict(format!("finished capture job {id}"))
                    } else {
                        StoreError::NotFound(format!("capture job {id}"))
                    });
                }
            }
            WriteOp::FinishCaptureJob {
                id,
                success,
                stored,
                errors,
                finished_ms,
            } => {
                let n = conn
                    .prepare_cached(
                        "UPDATE capture_jobs SET status = ?1, success = ?2, stored = ?3, errors = ?4, finished_ms = ?5, \
                         appended = NULL WHERE id = ?6",
                    )?
                    .execute(params![
                        codes::STATUS_FINISHED,
                        i64::from(*success),
                        i64::try_from(*stored).unwrap_or(i64::MAX),
                        errors,
                        finished_ms,
                        id
                    ])?;
                if n == 0 {
                    return Err(StoreError::NotFound(format!("capture job {id}")));
                }
            }
            WriteOp::CreateNamedQuery {
                name,
                definition,
                created_ms,
            } => {
                let inserted = conn
                    .prepare_cached("INSERT INTO named_queries (name, definition, created_ms) VALUES (?1, ?2, ?3)")?
                    .execute(params![name, definition, created_ms]);
                match inserted {
                    Err(e) if is_key_violation(&e) => {
                        return Err(StoreError::Conflict(format!("named query {name}")));
                    }
                    other => {
                        other?;
                    }
                }
            }
            WriteOp::Exec(f) => f(conn)?,
            WriteOp::PutMasterData { elements } => {
                let mut stmt = conn.prepare_cached(
                    "INSERT INTO master_data (vocabulary_type, element_id, element, updated_ms) \
                     VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (vocabulary_type, element_id) \
                     DO UPDATE SET element = excluded.element, updated_ms = excluded.updated_ms",
                )?;
                for e in elements {
                    stmt.execute(params![
                        e.vocabulary_type,
                        e.id,
                        e.element.to_string(),
                        e.updated_ms
                    ])?;
                }
            }
            WriteOp::DeleteNamedQuery { name } => {
                let n = conn
                    .prepare_cached("DELETE FROM named_queries WHERE name = ?1")?
                    .execute([name])?;
                if n == 0 {
                    return Err(StoreError::NotFound(format!("named query {name}")));
                }
                super::subscriptions::delete_for_query(conn, name)?;
            }
            WriteOp::Subscription(op) => super::subscriptions::apply(conn, op)?,
        }
        Ok(())
    }
}

/// True for a UNIQUE violation.
fn is_unique_violation(e: &rusqlite::Error) -> bool {
    is_constraint(e, ffi::SQLITE_CONSTRAINT_UNIQUE)
}

/// True for a violation of a text primary key: the named thing already exists.
pub(super) fn is_key_violation(e: &rusqlite::Error) -> bool {
    is_constraint(e, ffi::SQLITE_CONSTRAINT_PRIMARYKEY) || is_unique_violation(e)
}

fn is_constraint(e: &rusqlite::Error, extended: std::ffi::c_int) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(err, _)
            if err.code == ErrorCode::ConstraintViolation && err.extended_code == extended
    )
}

/// Writes the `event_keys` rows of the events stored without them: all events of a store
/// from before the table (migration 730) or of a restored dump, none otherwise (the writer
/// stores an event's keys in its transaction, so the keys cover `seq` 1 to their highest).
/// Returns how many events were keyed.
pub(super) fn catch_up_keys(conn: &mut Connection) -> Result<u64, StoreError> {
    let tx = conn.transaction()?;
    let done: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM event_keys", [], |r| {
        r.get(0)
    })?;
    let mut n = 0u64;
    {
        let mut select =
            tx.prepare("SELECT seq, event_id, hash FROM events WHERE seq > ?1 ORDER BY seq")?;
        let mut insert = tx.prepare(keys::INSERT_KEY)?;
        let mut rows = select.query([done])?;
        // In sorted chunks: the keys are random, and sorted inserts touch each page once.
        let mut chunk: Vec<(i64, i64)> = Vec::new();
        loop {
            let row = rows.next()?;
            let end = row.is_none();
            if let Some(row) = row {
                let seq: i64 = row.get(0)?;
                let event_id: String = row.get(1)?;
                let hash: String = row.get(2)?;
                chunk.extend(keys::rows_of([(seq, event_id.as_str(), hash.as_str())]));
                n += 1;
            }
            if end || chunk.len() >= 200_000 {
                chunk.sort_unstable();
                for (key, seq) in chunk.drain(..) {
                    insert.execute(params![key, seq])?;
                }
            }
            if end {
                break;
            }
        }
    }
    if n > 0 {
        tracing::info!(events = n, "event keys written");
    }
    tx.commit()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;
    use epcis::EventType;

    fn event(id: &str) -> NewEvent {
        NewEvent {
            event_id: id.into(),
            hash: format!("hash-{id}"),
            event_type: EventType::ObjectEvent,
            event_time_ms: 1,
            record_time_ms: 1,
            body: "{}".into(),
            facets: vec![epcis::Facet {
                field: "epc".into(),
                value: FacetValue::Text(format!("urn:epc:{id}")),
            }],
            trace: None,
        }
    }

    /// Appends run without a savepoint: one that fails after writing makes the writer roll
    /// the group back and run it again without it. The others are stored, numbered densely,
    /// with their facets; the failed one gets its error and leaves nothing behind.
    #[test]
    fn an_append_failing_mid_way_is_left_out_and_the_rest_of_its_group_runs_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.sqlite");
        drop(super::super::SqliteStore::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        // The second event of the second append cannot be written (its first was).
        conn.execute_batch(
            "CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.event_id = 'b2' \
             BEGIN SELECT RAISE(ABORT, 'boom'); END;",
        )
        .unwrap();
        let (commits, _signals) = mpsc::sync_channel(1);
        let mut writer = Writer::new(conn, 50_000, commits).unwrap();
        let mut answers = Vec::new();
        let group = [vec!["a1", "a2"], vec!["b1", "b2", "b3"], vec!["c1"]]
            .into_iter()
            .map(|ids| {
                let (reply, answer) = mpsc::sync_channel(1);
                answers.push(answer);
                Request::Append {
                    job: None,
                    events: ids.into_iter().map(event).collect(),
                    mode: AppendMode::SkipFailures,
                    reply,
                }
            })
            .collect();
        writer.commit_group(group);
        let outcomes: Vec<_> = answers.iter().map(|a| a.recv().unwrap()).collect();
        assert_eq!(outcomes[0].as_ref().unwrap().results, vec![Ok(1), Ok(2)]);
        assert!(
            matches!(&outcomes[1], Err(StoreError::Database(m)) if m.contains("boom")),
            "{:?}",
            outcomes[1]
        );
        assert_eq!(outcomes[2].as_ref().unwrap().results, vec![Ok(3)]);
        let conn = &writer.conn;
        let ids: Vec<String> = conn
            .prepare("SELECT event_id FROM events ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(ids, ["a1", "a2", "c1"]);
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT COUNT(*) FROM event_keys"), 6);
        assert_eq!(count("SELECT COUNT(*) FROM facet_postings"), 3);
        // The writer goes on: the next append is numbered after them.
        let (reply, answer) = mpsc::sync_channel(1);
        writer.commit_group(vec![Request::Append {
            job: None,
            events: vec![event("d1"), event("a1")],
            mode: AppendMode::SkipFailures,
            reply,
        }]);
        assert_eq!(
            answer.recv().unwrap().unwrap().results,
            vec![
                Ok(4),
                Err(RejectReason::Duplicate {
                    event_id: "a1".into()
                })
            ]
        );
    }
}
