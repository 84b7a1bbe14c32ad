//! Appends with group commit, safe across processes.
//!
//! One writer thread per process takes every append queued at that moment and stores them
//! in one transaction. Sequence numbers come from the one-row `event_seq` counter, locked
//! (`SELECT … FOR UPDATE`, a row lock) at the start of the transaction and advanced at its
//! end: appenders of every process are serialised on that row, commit in sequence order,
//! and a rolled-back transaction gives its numbers back. So seqs stay dense and gap-free,
//! and a reader never sees seq n+1 without n. Duplicates are found with one indexed lookup
//! under that lock (every earlier appender has committed by then), so the rows are
//! written with binary COPY, the fastest way into PostgreSQL.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{Receiver, SyncSender};

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;

use epcis::FacetValue;

use super::conn::Conn;
use crate::codes;
use crate::keys;
use crate::terms::{TermCache, TERM_CACHE_CAPACITY};
use crate::{AppendMode, AppendOutcome, NewEvent, RejectReason, StoreError};

/// One queued append and where to send its answer.
pub(super) struct Request {
    /// The capture job whose events these are: its outcome is recorded in the same
    /// transaction, and an outcome already recorded is answered instead of appending again.
    pub job: Option<String>,
    pub events: Vec<NewEvent>,
    pub mode: AppendMode,
    pub reply: SyncSender<Result<AppendOutcome, StoreError>>,
}

/// The writer: owns one connection.
pub(super) struct Writer {
    conn: Conn,
    fields: HashMap<String, i64>,
    terms: TermCache,
    max_group: usize,
}

impl Writer {
    /// Takes over a connection to a migrated database.
    pub(super) fn new(conn: Conn, max_group: usize) -> Writer {
        Writer {
            conn,
            fields: HashMap::new(),
            terms: TermCache::new(TERM_CACHE_CAPACITY),
            max_group,
        }
    }

    /// Serves requests until every sender is gone.
    pub(super) fn run(mut self, rx: Receiver<Request>) {
        while let Ok(first) = rx.recv() {
            let mut weight = first.events.len();
            let mut group = vec![first];
            while weight < self.max_group {
                match rx.try_recv() {
                    Ok(req) => {
                        weight += req.events.len();
                        group.push(req);
                    }
                    Err(_) => break,
                }
            }
            match self.commit_group(&group) {
                Ok(outcomes) => {
                    for (req, outcome) in group.into_iter().zip(outcomes) {
                        let _ = req.reply.send(outcome);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "group commit failed");
                    for req in group {
                        let _ = req.reply.send(Err(StoreError::Database(e.to_string())));
                    }
                }
            }
        }
    }

    /// Field ids for every facet field of the group, interned in their own committed
    /// statements (an unused field name is harmless; a cached id is never rolled back).
    fn intern_fields(&mut self, group: &[Request]) -> Result<(), StoreError> {
        let mut missing: Vec<String> = group
            .iter()
            .flat_map(|r| &r.events)
            .flat_map(|e| &e.facets)
            .filter(|f| !self.fields.contains_key(&f.field))
            .map(|f| f.field.clone())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_unstable();
        missing.dedup();
        self.conn.execute(
            "INSERT INTO fields (name) SELECT unnest(?::TEXT[]) ON CONFLICT (name) DO NOTHING",
            &[&missing],
        )?;
        for row in self.conn.query(
            "SELECT id, name FROM fields WHERE name = ANY(?::TEXT[])",
            &[&missing],
        )? {
            self.fields.insert(row.try_get(1)?, row.try_get(0)?);
        }
        Ok(())
    }

    /// Term ids for every text facet of the group, interned like the field names in their
    /// own committed statements, so that every process sees the same ids and a cached id
    /// is never rolled back.
    fn intern_terms(&mut self, group: &[Request]) -> Result<(), StoreError> {
        let mut missing: Vec<(i64, &str)> = Vec::new();
        for facet in group.iter().flat_map(|r| &r.events).flat_map(|e| &e.facets) {
            if let FacetValue::Text(text) = &facet.value {
                let field_id = field_id(&self.fields, &facet.field)?;
                if self.terms.get(field_id, text).is_none() {
                    missing.push((field_id, text));
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_unstable();
        missing.dedup();
        let (field_ids, values): (Vec<i64>, Vec<&str>) = missing.into_iter().unzip();
        self.conn.execute(
            "INSERT INTO facet_terms (field_id, value) \
             SELECT * FROM unnest(?::BIGINT[], ?::TEXT[]) ON CONFLICT (field_id, value) DO NOTHING",
            &[&field_ids, &values],
        )?;
        for row in self.conn.query(
            "SELECT t.id, t.field_id, t.value FROM facet_terms t \
             JOIN unnest(?::BIGINT[], ?::TEXT[]) AS u (field_id, value) \
             ON t.field_id = u.field_id AND t.value = u.value",
            &[&field_ids, &values],
        )? {
            let value: String = row.try_get(2)?;
            self.terms.insert(row.try_get(1)?, &value, row.try_get(0)?);
        }
        Ok(())
    }

    /// Stores the group in one transaction; one answer per request (an unknown capture job
    /// fails its own request only).
    fn commit_group(
        &mut self,
        group: &[Request],
    ) -> Result<Vec<Result<AppendOutcome, StoreError>>, StoreError> {
        self.conn.ensure_connected()?;
        self.intern_fields(group)?;
        self.intern_terms(group)?;
        let mut keys: Vec<i64> = Vec::new();
        for event in group.iter().flat_map(|r| &r.events) {
            let (id_key, hash_key) = keys::keys_of(&event.event_id, &event.hash);
            keys.push(id_key);
            keys.extend(hash_key);
        }
        keys.sort_unstable();
        keys.dedup();
        let (fields, terms) = (&self.fields, &mut self.terms);
        let mut tx = self.conn.client().transaction()?;
        let next: i64 = tx
            .query_one(
                "SELECT next_seq FROM event_seq WHERE id = 1 FOR UPDATE",
                &[],
            )?
            .try_get(0)?;
        // Under the counter's lock every earlier appender has committed, so an outcome
        // recorded by another attempt at one of these jobs (in any process) is seen here.
        let jobs: Vec<&str> = group.iter().filter_map(|r| r.job.as_deref()).collect();
        let mut recorded: HashMap<String, AppendOutcome> = HashMap::new();
        let mut known: HashSet<String> = HashSet::new();
        if !jobs.is_empty() {
            for row in tx.query(
                "SELECT id, appended FROM capture_jobs WHERE id = ANY($1)",
                &[&jobs],
            )? {
                let id: String = row.try_get(0)?;
                if let Some(text) = row.try_get::<_, Option<String>>(1)? {
                    recorded.insert(id.clone(), codes::outcome_from_text(&text)?);
                }
                known.insert(id);
            }
        }
        let mut newly_recorded: Vec<(&str, String)> = Vec::new();
        let mut taken_ids: HashSet<String> = HashSet::new();
        let mut taken_hashes: HashSet<String> = HashSet::new();
        // The stored events sharing a key with one of the group's: usually none. Their
        // eventIDs and hashes are then compared exactly (keys may collide).
        let mut hits: Vec<i64> = Vec::new();
        for row in tx.query("SELECT seq FROM event_keys WHERE key = ANY($1)", &[&keys])? {
            hits.push(row.try_get(0)?);
        }
        if !hits.is_empty() {
            for row in tx.query(
                "SELECT event_id, hash FROM events WHERE seq = ANY($1)",
                &[&hits],
            )? {
                taken_ids.insert(row.try_get(0)?);
                taken_hashes.insert(row.try_get(1)?);
            }
        }
        let mut seq = next;
        let mut outcomes = Vec::with_capacity(group.len());
        let mut stored: Vec<(i64, &NewEvent)> = Vec::new();
        for req in group {
            if let Some(job) = &req.job {
                if !known.contains(job) {
                    outcomes.push(Err(StoreError::NotFound(format!("capture job {job}"))));
                    continue;
                }
                if let Some(outcome) = recorded.get(job) {
                    outcomes.push(Ok(outcome.clone()));
                    continue;
                }
            }
            let mut batch_ids = HashSet::new();
            let mut batch_hashes = HashSet::new();
            let mut results = Vec::with_capacity(req.events.len());
            let mut accepted = Vec::new();
            for event in &req.events {
                let duplicate = taken_ids.contains(&event.event_id)
                    || taken_hashes.contains(&event.hash)
                    || batch_ids.contains(event.event_id.as_str())
                    || batch_hashes.contains(event.hash.as_str());
                if duplicate {
                    results.push(Err(RejectReason::Duplicate {
                        event_id: event.event_id.clone(),
                    }));
                    continue;
                }
                batch_ids.insert(event.event_id.as_str());
                batch_hashes.insert(event.hash.as_str());
                results.push(Ok(seq + accepted.len() as i64));
                accepted.push(event);
            }
            let refused = results.iter().any(Result::is_err);
            if refused && req.mode == AppendMode::AllOrNothing {
                // Acceptable but not stored: 0 is never a sequence number.
                let results = results.into_iter().map(|r| r.and(Ok(0))).collect();
                outcomes.push(Ok(AppendOutcome { results }));
                continue;
            }
            for event in accepted {
                taken_ids.insert(event.event_id.clone());
                taken_hashes.insert(event.hash.clone());
                stored.push((seq, event));
                seq += 1;
            }
            let outcome = AppendOutcome { results };
            if let Some(job) = &req.job {
                newly_recorded.push((job, codes::outcome_text(&outcome)));
                recorded.insert(job.clone(), outcome.clone());
            }
            outcomes.push(Ok(outcome));
        }
        if !newly_recorded.is_empty() {
            let (ids, texts): (Vec<&str>, Vec<String>) = newly_recorded.into_iter().unzip();
            tx.execute(
                "UPDATE capture_jobs SET appended = u.appended \
                 FROM unnest($1::TEXT[], $2::TEXT[]) AS u (id, appended) WHERE capture_jobs.id = u.id",
                &[&ids, &texts],
            )?;
        }
        if !stored.is_empty() {
            copy_events(&mut tx, &stored)?;
            let key_rows = keys::rows_of(
                stored
                    .iter()
                    .map(|(seq, e)| (*seq, e.event_id.as_str(), e.hash.as_str())),
            );
            copy_keys(&mut tx, key_rows)?;
            copy_facets(&mut tx, &stored, fields, terms)?;
            copy_trace_index(&mut tx, &stored)?;
            tx.execute("UPDATE event_seq SET next_seq = $1 WHERE id = 1", &[&seq])?;
        }
        tx.commit()?;
        Ok(outcomes)
    }
}

fn copy_events(
    tx: &mut postgres::Transaction<'_>,
    stored: &[(i64, &NewEvent)],
) -> Result<(), StoreError> {
    let sink = tx.copy_in(
        "COPY events (seq, event_id, hash, event_type, event_time, record_time, body) \
         FROM STDIN (FORMAT binary)",
    )?;
    let types = [
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::TEXT,
    ];
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for (seq, e) in stored {
        w.write(&[
            seq,
            &e.event_id,
            &e.hash,
            &codes::event_type_code(e.event_type),
            &e.event_time_ms,
            &e.record_time_ms,
            &e.body,
        ])?;
    }
    w.finish()?;
    Ok(())
}

/// `event_keys` rows, in key order.
fn copy_keys(
    tx: &mut postgres::Transaction<'_>,
    mut rows: Vec<(i64, i64)>,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    rows.sort_unstable();
    let sink = tx.copy_in("COPY event_keys (key, seq) FROM STDIN (FORMAT binary)")?;
    let mut w = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::INT8]);
    for (key, seq) in &rows {
        w.write(&[key, seq])?;
    }
    w.finish()?;
    Ok(())
}

/// Takes the sequence counter's row lock (no process appends until `tx` ends) and reads
/// the highest `seq` in `table` (a table kept beside `events`, written with each event)
/// and in `events`: the events after the first are missing from `table`.
pub(super) fn locked_backlog(
    tx: &mut postgres::Transaction<'_>,
    table: &str,
) -> Result<(i64, i64), StoreError> {
    tx.query_one(
        "SELECT next_seq FROM event_seq WHERE id = 1 FOR UPDATE",
        &[],
    )?;
    let newest = |tx: &mut postgres::Transaction<'_>, table: &str| -> Result<i64, StoreError> {
        let sql = format!("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM {table}");
        Ok(tx.query_one(sql.as_str(), &[])?.try_get(0)?)
    };
    Ok((newest(tx, table)?, newest(tx, "events")?))
}

/// Writes the `event_keys` rows of the events stored without them: all events of a
/// database from before the table (migration 730) or of a restored dump, none otherwise
/// (appenders store an event's keys in its transaction, so the keys cover `seq` 1 to their
/// highest). Under the sequence counter's lock, so no appender runs meanwhile. Returns
/// how many events were keyed.
pub(super) fn catch_up_keys(client: &mut postgres::Client) -> Result<u64, StoreError> {
    let mut tx = client.transaction()?;
    let (done, last) = locked_backlog(&mut tx, "event_keys")?;
    if last <= done {
        return Ok(0);
    }
    // In chunks: the client reads a statement's rows into memory all at once.
    let mut n = 0u64;
    let mut after = done;
    while after < last {
        let mut rows = Vec::new();
        for row in tx.query(
            "SELECT seq, event_id, hash FROM events WHERE seq > $1 ORDER BY seq LIMIT 100000",
            &[&after],
        )? {
            let seq: i64 = row.try_get(0)?;
            rows.extend(keys::rows_of([(seq, row.try_get(1)?, row.try_get(2)?)]));
            after = seq;
            n += 1;
        }
        if rows.is_empty() {
            break;
        }
        copy_keys(&mut tx, rows)?;
    }
    tx.commit()?;
    tracing::info!(events = n, "event keys written");
    Ok(n)
}

/// Facet rows: a posting (term, seq) per text facet and a (field, value, seq) row per
/// number, each once (an event may list the same EPC twice). The terms were interned
/// before the transaction; one evicted from the cache since is read back.
fn copy_facets(
    tx: &mut postgres::Transaction<'_>,
    stored: &[(i64, &NewEvent)],
    fields: &HashMap<String, i64>,
    terms: &mut TermCache,
) -> Result<(), StoreError> {
    let mut postings: Vec<(i64, i64)> = Vec::new();
    let mut nums: Vec<(i64, f64, i64)> = Vec::new();
    for (seq, event) in stored {
        let mut seen_num = HashSet::new();
        for facet in &event.facets {
            let field_id = field_id(fields, &facet.field)?;
            match &facet.value {
                FacetValue::Text(text) => {
                    let term = match terms.get(field_id, text) {
                        Some(term) => term,
                        None => {
                            let term: i64 = tx
                                .query_one(
                                    "SELECT id FROM facet_terms WHERE field_id = $1 AND value = $2",
                                    &[&field_id, text],
                                )?
                                .try_get(0)?;
                            terms.insert(field_id, text, term);
                            term
                        }
                    };
                    postings.push((term, *seq));
                }
                // NaN and infinities compare with nothing; -0 is stored as 0 (they are equal in SQL).
                FacetValue::Number(n) if n.is_finite() => {
                    let n = if *n == 0.0 { 0.0 } else { *n };
                    if seen_num.insert((field_id, n.to_bits())) {
                        nums.push((field_id, n, *seq));
                    }
                }
                FacetValue::Number(_) => {}
            }
        }
    }
    postings.sort_unstable();
    postings.dedup();
    if !postings.is_empty() {
        let sink = tx.copy_in("COPY facet_postings (term_id, seq) FROM STDIN (FORMAT binary)")?;
        let mut w = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::INT8]);
        for (term, seq) in &postings {
            w.write(&[term, seq])?;
        }
        w.finish()?;
    }
    if !nums.is_empty() {
        let sink =
            tx.copy_in("COPY facet_num (field_id, value, seq) FROM STDIN (FORMAT binary)")?;
        let mut w = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::FLOAT8, Type::INT8]);
        for (field_id, value, seq) in &nums {
            w.write(&[field_id, value, seq])?;
        }
        w.finish()?;
    }
    Ok(())
}

/// The id of an interned field.
fn field_id(fields: &HashMap<String, i64>, field: &str) -> Result<i64, StoreError> {
    fields
        .get(field)
        .copied()
        .ok_or_else(|| StoreError::Database(format!("facet field {field} was not interned")))
}

/// The trace index rows of the stored events, in the same transaction (so a trace sees
/// exactly the acknowledged events).
fn copy_trace_index(
    tx: &mut postgres::Transaction<'_>,
    stored: &[(i64, &NewEvent)],
) -> Result<(), StoreError> {
    let mut records: Vec<(i64, &[u8])> = Vec::new();
    let mut nodes: Vec<(&str, i64)> = Vec::new();
    for (seq, event) in stored {
        if let Some(entry) = &event.trace {
            records.push((*seq, entry.record.as_slice()));
            nodes.extend(entry.nodes.iter().map(|n| (n.as_str(), *seq)));
        }
    }
    copy_trace_rows(tx, &records, &nodes)
}

/// COPYs trace index rows.
pub(super) fn copy_trace_rows(
    tx: &mut postgres::Transaction<'_>,
    records: &[(i64, &[u8])],
    nodes: &[(&str, i64)],
) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    let sink = tx.copy_in("COPY trace_records (seq, record) FROM STDIN (FORMAT binary)")?;
    let mut w = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::BYTEA]);
    for (seq, record) in records {
        w.write(&[seq, record])?;
    }
    w.finish()?;
    let sink = tx.copy_in("COPY trace_nodes (node, seq) FROM STDIN (FORMAT binary)")?;
    let mut w = BinaryCopyInWriter::new(sink, &[Type::TEXT, Type::INT8]);
    for (node, seq) in nodes {
        w.write(&[node, seq])?;
    }
    w.finish()?;
    Ok(())
}
