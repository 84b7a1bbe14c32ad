//! traceport storage. One [`Store`] trait; the embedded SQLite backend lives in [`sqlite`],
//! the PostgreSQL backend (several server processes on one database) in [`postgres`].
//! SQL lives only in this crate.
//!
//! Events are stored once, each with a dense increasing sequence number (its future
//! transparency-log index), plus index rows for every facet the `epcis` crate extracts.
//! Writes go through one writer thread with group commit: when `append` returns, the
//! events are on disk.

pub mod accounts;
mod codes;
mod cursor;
pub mod dump;
mod keys;
pub mod links;
mod location;
pub mod masterdata;
pub mod postgres;
pub mod recalls;
pub mod registries;
mod sql;
pub mod sqlite;
mod subscriptions;
mod terms;
mod trace_split;
mod trace_store;

pub use accounts::AccountStore;
pub use location::{redact, Location};
pub use masterdata::{MasterDataElement, MasterDataStore};
pub use postgres::{is_postgres_url, PgOptions, PgStore};
pub use recalls::{recall_lease_id, NoticeKind, RecallNotice, RecallStore, RecallWebhook};
pub use registries::RegistryStore;

pub use links::{LinkStore, ProblemReport, Scan, ScanSummary};
pub use sqlite::{plain_insert_baseline, SqliteOptions, SqliteStore};
pub use subscriptions::{NewSubscription, Subscription, SubscriptionStore};
pub use trace_store::{TraceEntry, TraceStore};

use epcis::query::Query;
use epcis::{EventType, Facet};

/// A validated event ready to be stored.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// `eventID` (the sender's, or the canonical hash when the sender gave none). Unique.
    pub event_id: String,
    /// Canonical event hash (`ni:///sha-256;…?ver=CBV2.0`). Unique: a second event with the same hash is a duplicate.
    pub hash: String,
    /// Event type.
    pub event_type: EventType,
    /// `eventTime`, epoch milliseconds.
    pub event_time_ms: i64,
    /// `recordTime`, epoch milliseconds (set by the server at capture).
    pub record_time_ms: i64,
    /// The event's JSON-LD object as sent (plus `eventID` and `recordTime`), serialised.
    pub body: String,
    /// Index facets.
    pub facets: Vec<Facet>,
    /// The event's trace-index entry; `None` when it names no identifier.
    pub trace: Option<TraceEntry>,
}

impl NewEvent {
    /// Prepares a validated event for storage: sets `recordTime`, sets `eventID` to the
    /// canonical hash when the sender gave none, serialises the body and extracts the facets.
    /// The one place where a parsed event becomes a storable one (HTTP capture and CLI import both use it).
    pub fn from_event(mut event: epcis::Event, record_time_ms: i64) -> NewEvent {
        // The hash is taken before eventID/recordTime are touched: it must not depend on them.
        let hash = event.hash();
        // Stored bodies outlive their document's @context: keep the prefixes they use.
        event.embed_context();
        if event.event_id().is_none() {
            event.set_event_id(hash.clone());
        }
        event.set_record_time_ms(record_time_ms);
        let event_id = event.event_id().unwrap_or(&hash).to_owned();
        // Serialising a map with string keys cannot fail (serde_json fails only on non-string keys).
        let body = serde_json::to_string(event.json()).unwrap_or_default();
        // The typed view is read once for the facets and the trace entry; the identifiers'
        // Digital Links come from validation. Same results as `facets()` and
        // `TraceEntry::from_json` (whose record takes `eventID` from the object, as here).
        let (facets, trace) = match event.view() {
            Some(view) => (
                event.facets_of(&view),
                TraceEntry::from_view(&event_id, &view, event.canonical_ids()),
            ),
            None => (Vec::new(), None),
        };
        NewEvent {
            event_id,
            hash,
            event_type: event.event_type(),
            event_time_ms: event.event_time_ms(),
            record_time_ms,
            body,
            facets,
            trace,
        }
    }
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Dense sequence number, starting at 1.
    pub seq: i64,
    /// `eventID`.
    pub event_id: String,
    /// Event type.
    pub event_type: EventType,
    /// `eventTime`, epoch milliseconds.
    pub event_time_ms: i64,
    /// `recordTime`, epoch milliseconds.
    pub record_time_ms: i64,
    /// The event's JSON-LD object, serialised.
    pub body: String,
}

/// How a batch behaves when one of its events cannot be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendMode {
    /// Store all events or none (`GS1-Capture-Error-Behaviour: rollback`).
    AllOrNothing,
    /// Store every event that can be stored; report the rest (`proceed`).
    SkipFailures,
}

/// Why one event of a batch was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    /// An event with this `eventID` or this hash is already stored (or earlier in the same batch).
    #[error(
        "duplicate event: an event with eventID {event_id} or the same hash is already stored"
    )]
    Duplicate {
        /// The refused event's `eventID`.
        event_id: String,
    },
}

/// The outcome of [`Store::append`], one entry per input event, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendOutcome {
    /// `Ok(seq)` for a stored event; `Err` for a refused one. Under
    /// [`AppendMode::AllOrNothing`], if any entry is `Err`, nothing was stored and the
    /// other entries are `Ok(0)` (acceptable, but not stored: 0 is never a sequence number).
    pub results: Vec<Result<i64, RejectReason>>,
}

impl AppendOutcome {
    /// True when every event was stored.
    pub fn all_stored(&self) -> bool {
        self.results.iter().all(|r| r.is_ok())
    }
}

/// A page request: how many results, and where the previous page stopped.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Page size.
    pub per_page: usize,
    /// The cursor returned with the previous page, if any.
    pub after: Option<String>,
}

/// One page of query results.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Cursor for the next page (opaque, URL-safe), if there are more items.
    pub next: Option<String>,
}

/// Status of an asynchronous capture job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Accepted, not yet processed.
    Pending,
    /// Being processed.
    Running,
    /// Finished; see `success` and `errors`.
    Finished,
}

/// An asynchronous capture job (`POST /capture`).
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureJob {
    /// Job identifier (URL-safe).
    pub id: String,
    /// Status.
    pub status: JobStatus,
    /// `rollback` or `proceed`.
    pub mode: AppendMode,
    /// When accepted, epoch ms.
    pub created_ms: i64,
    /// When finished, epoch ms.
    pub finished_ms: Option<i64>,
    /// True when finished without error.
    pub success: bool,
    /// Error report (JSON array of problem objects), empty when none.
    pub errors: serde_json::Value,
    /// Number of events stored by this job.
    pub stored: usize,
}

/// A named query (`/queries/{name}`).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedQuery {
    /// Name (unique).
    pub name: String,
    /// The definition as given by the client (`query` object of the standard).
    pub definition: serde_json::Value,
    /// When created, epoch ms.
    pub created_ms: i64,
}

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Database(String),
    /// A page cursor could not be understood.
    #[error("invalid page cursor")]
    InvalidCursor,
    /// More events match than the query's `maxEventCount` allows.
    #[error("the query matches more than {limit} events (maxEventCount)")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// A named thing already exists.
    #[error("{0} already exists")]
    Conflict(String),
    /// A named thing does not exist.
    #[error("{0} not found")]
    NotFound(String),
}

/// Everything the server needs from storage, as one object: every store trait of this crate.
/// Each capability adds its own trait (events and capture jobs in [`Store`], and so on) and
/// lists it here, so a backend implements them all and the server holds one `Arc<dyn Backend>`.
pub trait Backend:
    Store
    + RegistryStore
    + AccountStore
    + MasterDataStore
    + SubscriptionStore
    + LinkStore
    + TraceStore
    + RecallStore
{
}

impl<
        T: Store
            + RegistryStore
            + AccountStore
            + MasterDataStore
            + SubscriptionStore
            + LinkStore
            + TraceStore
            + RecallStore
            + ?Sized,
    > Backend for T
{
}

/// The storage interface of traceport. Implementations are thread-safe; methods block
/// (call them from `spawn_blocking` in async code).
pub trait Store: Send + Sync {
    /// Appends a batch of events durably and returns one result per event.
    fn append(&self, events: Vec<NewEvent>, mode: AppendMode) -> Result<AppendOutcome, StoreError> {
        if events.is_empty() {
            return Ok(AppendOutcome {
                results: Vec::new(),
            });
        }
        self.append_batch(None, events, mode)
    }
    /// Appends the events of capture job `job` like [`Store::append`], and records the
    /// outcome on the job in the same commit. When an earlier attempt at the job already
    /// committed its append (its worker crashed, or lost its claim, before finishing the
    /// job), nothing is appended and that attempt's outcome is returned: a resumed job
    /// reports what it stored, not its own events as duplicates.
    fn append_for_job(
        &self,
        job: &str,
        events: Vec<NewEvent>,
        mode: AppendMode,
    ) -> Result<AppendOutcome, StoreError> {
        self.append_batch(Some(job), events, mode)
    }
    /// What backends implement for [`Store::append`] and [`Store::append_for_job`]; callers
    /// use those.
    fn append_batch(
        &self,
        job: Option<&str>,
        events: Vec<NewEvent>,
        mode: AppendMode,
    ) -> Result<AppendOutcome, StoreError>;
    /// One event by `eventID`.
    fn event(&self, event_id: &str) -> Result<Option<StoredEvent>, StoreError>;
    /// Events matching a query, one page at a time.
    fn query(&self, query: &Query, page: &PageRequest) -> Result<Page<StoredEvent>, StoreError>;
    /// Distinct text values of facet fields (for `/epcs`, `/bizSteps`, …), sorted, paged.
    fn distinct_values(
        &self,
        fields: &[&str],
        page: &PageRequest,
    ) -> Result<Page<String>, StoreError>;
    /// Number of stored events (also the highest sequence number).
    fn event_count(&self) -> Result<i64, StoreError>;

    /// Records a new capture job with its document, durably; returns the job.
    fn create_capture_job(
        &self,
        mode: AppendMode,
        document: &[u8],
    ) -> Result<CaptureJob, StoreError>;
    /// The document of a capture job.
    fn capture_job_document(&self, id: &str) -> Result<Vec<u8>, StoreError>;
    /// Claims a job for processing, so that of all the workers (of all the processes on
    /// this store) exactly one runs it: true when the caller now owns the job, which was
    /// pending or was claimed by a worker that is gone (its claim lapsed); false when
    /// another live worker has it or it is finished. `NotFound` for an unknown id.
    fn claim_capture_job(&self, id: &str) -> Result<bool, StoreError>;
    /// Stores a job's outcome.
    fn finish_capture_job(
        &self,
        id: &str,
        success: bool,
        stored: usize,
        errors: &serde_json::Value,
    ) -> Result<(), StoreError>;
    /// One capture job.
    fn capture_job(&self, id: &str) -> Result<Option<CaptureJob>, StoreError>;
    /// Capture jobs, newest first.
    fn capture_jobs(&self, page: &PageRequest) -> Result<Page<CaptureJob>, StoreError>;
    /// Jobs not finished (to resume after a restart), oldest first.
    fn unfinished_capture_jobs(&self) -> Result<Vec<CaptureJob>, StoreError>;

    /// Creates a named query; `Conflict` when the name exists.
    fn create_named_query(
        &self,
        name: &str,
        definition: &serde_json::Value,
    ) -> Result<NamedQuery, StoreError>;
    /// One named query.
    fn named_query(&self, name: &str) -> Result<Option<NamedQuery>, StoreError>;
    /// Named queries by name.
    fn named_queries(&self, page: &PageRequest) -> Result<Page<NamedQuery>, StoreError>;
    /// Deletes a named query; `NotFound` when absent.
    fn delete_named_query(&self, name: &str) -> Result<(), StoreError>;
}
