//! `POST /capture` (asynchronous capture jobs), `GET /capture`, `GET /capture/{captureID}`,
//! and the background worker that validates and stores a job's events.
//!
//! The request handler only checks what makes a document unreadable (size, JSON, document
//! shape, event count) and stores the job durably before answering 202; per-event problems
//! are the job's outcome, under the `GS1-Capture-Error-Behaviour` the client chose.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use epcis::document::DocumentKind;
use epcis::Document;
use serde_json::{json, Value};
use store::{AppendMode, CaptureJob, JobStatus, NewEvent};
use tokio::sync::mpsc;

use crate::access::{require, Capturer};
use crate::auth::Auth;
use crate::headers::{body_binding, header_str, insert_capture_limits, Binding};
use crate::ops::Metrics;
use crate::paging::{base_url, encode, next_link, page_params, parse_query};
use crate::problem::{ApiError, ExceptionType};
use crate::{blocking, AppState};
use registry::{Action, Caller, Decision, EventScope};
use std::collections::HashSet;

/// A job handed to the worker; the document is passed along when already parsed.
struct Queued {
    id: String,
    document: Option<Document>,
}

/// The channel between capture requests and the worker.
#[derive(Clone)]
pub struct CaptureQueue {
    tx: mpsc::UnboundedSender<Queued>,
    rx: Arc<Mutex<Option<mpsc::UnboundedReceiver<Queued>>>>,
}

impl CaptureQueue {
    /// A new, empty queue.
    pub fn new() -> CaptureQueue {
        let (tx, rx) = mpsc::unbounded_channel();
        CaptureQueue {
            tx,
            rx: Arc::new(Mutex::new(Some(rx))),
        }
    }

    fn push(&self, id: String, document: Option<Document>) {
        // The job is already durable; if the worker is gone it is resumed at the next start.
        if self.tx.send(Queued { id, document }).is_err() {
            tracing::warn!("capture worker not running; job will resume at next start");
        }
    }
}

impl Default for CaptureQueue {
    fn default() -> Self {
        CaptureQueue::new()
    }
}

/// How often the worker looks for jobs no worker is running: jobs accepted by a process
/// that died before running them, or whose worker died mid-job (once its claim lapses).
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Starts the worker (once per state): resumes unfinished jobs, then serves the queue,
/// sweeping now and then for orphaned jobs. Every job is claimed in the store before it
/// runs, so with several processes on one store each job runs exactly once.
pub(crate) fn spawn_worker(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let mut rx = state
        .capture_queue
        .rx
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()?;
    Some(tokio::spawn(async move {
        // Jobs run side by side so that hashing and indexing use every core, and more of
        // them than cores: while the store's writer commits one group, the appends prepared
        // meanwhile queue up and go into the next group together. Bigger groups are much
        // cheaper per event (each index page is written once per commit however many keys
        // land on it): 8,000-event groups cost 0.43 of 1,000-event groups in the
        // capture_stages probe on a store of 200,000 events.
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get().max(2)) * 4;
        let slots = Arc::new(tokio::sync::Semaphore::new(workers));
        let mut sweep = tokio::time::interval(SWEEP_EVERY);
        loop {
            tokio::select! {
                queued = rx.recv() => {
                    let Some(q) = queued else { return };
                    let Ok(slot) = slots.clone().acquire_owned().await else {
                        return;
                    };
                    let state = state.clone();
                    tokio::spawn(async move {
                        process(&state, q.id, q.document).await;
                        drop(slot);
                    });
                }
                // The first tick is immediate: that is the resume at start.
                _ = sweep.tick() => resume_unfinished(&state).await,
            }
        }
    }))
}

/// Runs every unfinished job this worker can claim.
async fn resume_unfinished(state: &AppState) {
    match blocking(state, |s| s.unfinished_capture_jobs()).await {
        Ok(jobs) => {
            for job in jobs {
                process(state, job.id, None).await;
            }
        }
        Err(e) => tracing::error!(error = %e, "cannot list unfinished capture jobs"),
    }
}

/// The parsed `GS1-Capture-Error-Behaviour` request header.
fn error_behaviour(headers: &HeaderMap) -> Result<AppendMode, ApiError> {
    match header_str(headers, "gs1-capture-error-behaviour")? {
        None => Ok(AppendMode::AllOrNothing),
        Some(v) if v.eq_ignore_ascii_case("rollback") => Ok(AppendMode::AllOrNothing),
        Some(v) if v.eq_ignore_ascii_case("proceed") => Ok(AppendMode::SkipFailures),
        Some(v) => Err(ApiError::validation(format!(
            "GS1-Capture-Error-Behaviour must be rollback or proceed, not {v:?}"
        ))),
    }
}

fn behaviour_name(mode: AppendMode) -> &'static str {
    match mode {
        AppendMode::AllOrNothing => "rollback",
        AppendMode::SkipFailures => "proceed",
    }
}

/// A 413 with the advertised limits.
fn too_large(state: &AppState, detail: String) -> Response {
    let mut response = ApiError::new(ExceptionType::CaptureLimitExceeded, detail).into_response();
    insert_capture_limits(response.headers_mut(), state);
    response
}

/// `POST /capture`.
pub async fn post(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match accept(&state, &caller, &headers, body).await {
        Ok(r) => r,
        Err(e) if e.kind == ExceptionType::CaptureLimitExceeded => too_large(&state, e.detail),
        Err(e) => e.into_response(),
    }
}

/// Reads a body of at most `max` bytes, refusing larger ones before buffering them.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    max: usize,
) -> Result<axum::body::Bytes, ApiError> {
    let limit_error = || {
        ApiError::new(
            ExceptionType::CaptureLimitExceeded,
            format!("the request body is larger than {max} bytes"),
        )
    };
    let declared = header_str(headers, "content-length")?.map(|v| v.parse::<u64>());
    if let Some(Ok(n)) = declared {
        if n > max as u64 {
            return Err(limit_error());
        }
    }
    axum::body::to_bytes(body, max)
        .await
        .map_err(|_| limit_error())
}

async fn accept(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require(caller, Action::CaptureEvents)?;
    let org = caller.org().unwrap_or_default().to_owned();
    let binding = body_binding(headers)?;
    let mode = error_behaviour(headers)?;
    let bytes = read_body(headers, body, state.config.max_body_bytes).await?;
    let limits = state.config.limits();
    let parse_bytes = bytes.clone();
    let document = tokio::task::spawn_blocking(move || match binding {
        Binding::Json => epcis::parse_document(&parse_bytes, &limits),
        Binding::Xml => epcis::xml::parse_xml_document(&parse_bytes, &limits),
    })
    .await
    .map_err(ApiError::internal)??;
    if document.events.len() > state.config.max_capture_events {
        return Err(ApiError::new(
            ExceptionType::CaptureLimitExceeded,
            format!(
                "the document has {} events; at most {} are accepted per capture",
                document.events.len(),
                state.config.max_capture_events
            ),
        ));
    }
    let job = blocking(state, move |s| {
        let job = s.create_capture_job(mode, &bytes)?;
        s.set_capture_job_owner(&job.id, &org)?;
        Ok(job)
    })
    .await?;
    Metrics::add(&state.metrics.capture_jobs_accepted, 1);
    let location = format!("{}/capture/{}", base_url(state, headers), encode(&job.id));
    state.capture_queue.push(job.id.clone(), Some(document));
    let mut response = (StatusCode::ACCEPTED, Json(job_json(&job))).into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&location) {
        h.insert(header::LOCATION, v);
    }
    insert_capture_limits(h, state);
    Ok(response)
}

/// The capture job object of the OpenAPI (`captureID`, `createdAt`, `finishedAt`, `running`,
/// `success`, `captureErrorBehaviour`, `errors`).
pub fn job_json(job: &CaptureJob) -> Value {
    let mut v = json!({
        "captureID": job.id,
        "createdAt": rfc3339(job.created_ms),
        "running": job.status != JobStatus::Finished,
        "success": job.success || job.status != JobStatus::Finished,
        "captureErrorBehaviour": behaviour_name(job.mode),
        "errors": if job.errors.is_array() { job.errors.clone() } else { json!([]) },
        "eventsStored": job.stored,
    });
    if let (Some(ms), Some(obj)) = (job.finished_ms, v.as_object_mut()) {
        obj.insert("finishedAt".into(), Value::String(rfc3339(ms)));
    }
    v
}

/// Epoch milliseconds as RFC 3339 UTC.
pub(crate) fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// `GET /capture`.
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let only = job_owner_filter(&caller)?;
    let page = page_params(&state, "/capture", parse_query(raw.as_deref())?)?;
    if let Some((name, _)) = page.params.first() {
        return Err(ApiError::query_param(format!(
            "unknown query parameter {name} for /capture"
        )));
    }
    let request = page.request();
    let result = blocking(&state, move |s| match &only {
        Some(org) => s.capture_jobs_of(org, &request),
        None => s.capture_jobs(&request),
    })
    .await?;
    let jobs: Vec<Value> = result.items.iter().map(job_json).collect();
    let mut response = Json(Value::Array(jobs)).into_response();
    if let Some(link) = next_link(&state, &headers, "/capture", &page, result.next.as_deref()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// `GET /capture/{captureID}`.
pub async fn get_job(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let only = job_owner_filter(&caller)?;
    let lookup = id.clone();
    let (job, owner) = blocking(&state, move |s| {
        Ok((s.capture_job(&lookup)?, s.capture_job_owner(&lookup)?))
    })
    .await?;
    match job {
        // Another organisation's job is answered as absent: its existence is not shown.
        Some(job) if only.is_none() || only == owner => Ok(Json(job_json(&job)).into_response()),
        _ => Err(ApiError::not_found(format!("no capture job {id}"))),
    }
}

/// The organisation whose jobs alone the caller may see (`None`: every job).
fn job_owner_filter(caller: &Caller) -> Result<Option<String>, ApiError> {
    match require(caller, Action::ReadCaptureJobs)? {
        Decision::Within(EventScope::Organisation(org)) => Ok(Some(org)),
        Decision::Within(EventScope::All) | Decision::Allow => Ok(None),
        // The policy gives no other scope for jobs; refuse rather than show too much.
        _ => Err(ApiError::forbidden(
            "capture jobs are not visible to this account",
        )),
    }
}

/// A problem object for a job's `errors` list.
fn job_problem(kind: ExceptionType, detail: &str, pointer: &str) -> Value {
    json!({
        "type": kind.uri(),
        "title": kind.title(),
        "status": kind.status().as_u16(),
        "detail": detail,
        "pointer": pointer,
    })
}

/// Where a document's events sit, as a JSON pointer prefix.
fn event_list_pointer(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::EpcisDocument => "/epcisBody/eventList",
        DocumentKind::EpcisQueryDocument => "/epcisBody/queryResults/resultsBody/eventList",
    }
}

/// What a job did.
struct Outcome {
    success: bool,
    stored: usize,
    errors: Vec<Value>,
}

/// Validates and stores a document's events under `mode`, and the master data of its header
/// when its events were stored. Blocking.
fn capture_document(
    store: &dyn store::Backend,
    job: &str,
    document: Document,
    mode: AppendMode,
    capturer: Option<&Capturer>,
) -> Result<Outcome, store::StoreError> {
    let prefix = event_list_pointer(document.kind);
    let header = document.header.clone();
    let now = chrono::Utc::now().timestamp_millis();
    let master_data = store::MasterDataElement::from_vocabularies(&document.master_data, now);
    let mut errors = Vec::new();
    let mut candidates = Vec::new();
    let mut partners = HashSet::new();
    for (i, event) in document.events.into_iter().enumerate() {
        match event {
            Ok(event) => {
                let mut prepared = NewEvent::from_event(event, now);
                let refused = capturer.and_then(|c| c.mark(&mut prepared, &mut partners));
                match refused {
                    Some(message) => errors.push(job_problem(
                        ExceptionType::Validation,
                        &message,
                        &format!("{prefix}/{i}"),
                    )),
                    None => candidates.push((i, prepared)),
                }
            }
            Err(field_errors) if field_errors.is_empty() => {
                errors.push(job_problem(
                    ExceptionType::Validation,
                    "invalid event",
                    &format!("{prefix}/{i}"),
                ));
            }
            Err(field_errors) => {
                for fe in field_errors {
                    errors.push(job_problem(
                        ExceptionType::Validation,
                        &fe.message,
                        &fe.pointer,
                    ));
                }
            }
        }
    }
    if mode == AppendMode::AllOrNothing && !errors.is_empty() {
        return Ok(Outcome {
            success: false,
            stored: 0,
            errors,
        });
    }
    let (indexes, events): (Vec<usize>, Vec<NewEvent>) = candidates.into_iter().unzip();
    let outcome = store.append_for_job(job, events, mode)?;
    let mut stored = 0;
    for (i, result) in indexes.iter().zip(&outcome.results) {
        match result {
            Ok(_) => stored += 1,
            Err(reason) => errors.push(job_problem(
                ExceptionType::ResourceAlreadyExists,
                &reason.to_string(),
                &format!("{prefix}/{i}"),
            )),
        }
    }
    if mode == AppendMode::AllOrNothing && !outcome.all_stored() {
        stored = 0;
    }
    if let (Some(c), true) = (capturer, stored > 0) {
        store.add_partners(&c.org, &partners.into_iter().collect::<Vec<_>>())?;
        if let Some(header) = &header {
            apply_master_data(store, c, header)?;
        }
    }
    if stored > 0 || (errors.is_empty() && outcome.results.is_empty()) {
        store.put_master_data(master_data)?;
    }
    Ok(Outcome {
        success: errors.is_empty(),
        stored,
        errors,
    })
}

/// Registers the locations and products a document header describes, for identifiers under
/// the capturer's own prefixes and not registered yet (the registry stays the master).
fn apply_master_data(
    store: &dyn store::Backend,
    capturer: &Capturer,
    header: &Value,
) -> Result<(), store::StoreError> {
    let prefixes: Vec<String> = capturer
        .index
        .prefixes_of(&capturer.org)
        .map(str::to_owned)
        .collect();
    let md = registry::masterdata::from_header(header, &capturer.org, &prefixes);
    for location in md.locations {
        if store.location(&location.id)?.is_none() {
            store.put_location(&location)?;
        }
    }
    for product in md.products {
        if store.product(&product.gtin)?.is_none() {
            store.put_product(&product)?;
        }
    }
    for why in md.refused {
        tracing::info!(org = %capturer.org, %why, "master data element not taken");
    }
    Ok(())
}

/// Runs one job to its end, recording the outcome in the store; does nothing when the
/// job cannot be claimed (another worker runs it, or it is finished).
async fn process(state: &AppState, id: String, document: Option<Document>) {
    let claim_id = id.clone();
    match blocking(state, move |s| s.claim_capture_job(&claim_id)).await {
        Ok(true) => tracing::debug!(job = %id, "capture job claimed"),
        Ok(false) => return,
        Err(e) => {
            tracing::error!(job = %id, error = %e, "cannot claim capture job");
            return;
        }
    }
    let lookup = id.clone();
    let job = match blocking(state, move |s| s.capture_job(&lookup)).await {
        Ok(Some(job)) => job,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(job = %id, error = %e, "cannot read capture job");
            return;
        }
    };
    let store = state.store.clone();
    let limits = state.config.limits();
    let job_id = id.clone();
    let mode = job.mode;
    let rule = state.config.ownership_rule;
    let result = tokio::task::spawn_blocking(move || {
        // Jobs from before accounts existed have no owner; their events stay unmarked.
        let capturer = match store.capture_job_owner(&job_id)? {
            Some(org) => Some(Capturer::load(store.as_ref(), &org, rule)?),
            None => None,
        };
        let document = match document {
            Some(d) => d,
            None => {
                let bytes = store.capture_job_document(&job_id)?;
                // The stored document is re-read in whichever binding it came in.
                match epcis::parse_any_document(&bytes, &limits) {
                    Ok(d) => d,
                    Err(e) => {
                        let problem = ApiError::from(e).body();
                        return Ok(Outcome {
                            success: false,
                            stored: 0,
                            errors: vec![problem],
                        });
                    }
                }
            }
        };
        capture_document(store.as_ref(), &job_id, document, mode, capturer.as_ref())
    })
    .await;
    let outcome = match result {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => failed(&id, &e.to_string()),
        Err(e) => failed(&id, &e.to_string()),
    };
    Metrics::add(&state.metrics.events_captured, outcome.stored as u64);
    if outcome.stored > 0 {
        state.subscriptions.events_stored();
    }
    let counter = if outcome.success {
        &state.metrics.capture_jobs_succeeded
    } else {
        &state.metrics.capture_jobs_failed
    };
    Metrics::add(counter, 1);
    let errors = Value::Array(outcome.errors);
    let finish_id = id.clone();
    let (success, stored) = (outcome.success, outcome.stored);
    if let Err(e) = blocking(state, move |s| {
        s.finish_capture_job(&finish_id, success, stored, &errors)
    })
    .await
    {
        tracing::error!(job = %id, error = %e, "cannot record capture job outcome");
    }
}

fn failed(id: &str, cause: &str) -> Outcome {
    tracing::error!(job = %id, %cause, "capture job failed");
    Outcome {
        success: false,
        stored: 0,
        errors: vec![job_problem(
            ExceptionType::Implementation,
            "the server failed while storing this job",
            "",
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaviour_header() {
        let mut h = HeaderMap::new();
        assert_eq!(error_behaviour(&h).ok(), Some(AppendMode::AllOrNothing));
        h.insert(
            "gs1-capture-error-behaviour",
            HeaderValue::from_static("proceed"),
        );
        assert_eq!(error_behaviour(&h).ok(), Some(AppendMode::SkipFailures));
        h.insert(
            "gs1-capture-error-behaviour",
            HeaderValue::from_static("all"),
        );
        assert!(error_behaviour(&h).is_err());
    }

    #[test]
    fn job_document_shape() {
        let job = CaptureJob {
            id: "j1".into(),
            status: JobStatus::Finished,
            mode: AppendMode::SkipFailures,
            created_ms: 1_700_000_000_000,
            finished_ms: Some(1_700_000_001_000),
            success: false,
            errors: json!([{"type": "epcisException:ValidationException"}]),
            stored: 2,
        };
        let v = job_json(&job);
        assert_eq!(v["captureID"], "j1");
        assert_eq!(v["createdAt"], "2023-11-14T22:13:20.000Z");
        assert_eq!(v["finishedAt"], "2023-11-14T22:13:21.000Z");
        assert_eq!(v["running"], false);
        assert_eq!(v["success"], false);
        assert_eq!(v["captureErrorBehaviour"], "proceed");
        assert_eq!(v["errors"][0]["type"], "epcisException:ValidationException");

        let pending = CaptureJob {
            status: JobStatus::Pending,
            finished_ms: None,
            success: false,
            ..job
        };
        let v = job_json(&pending);
        assert_eq!(v["running"], true);
        assert_eq!(v["success"], true);
        assert!(v.get("finishedAt").is_none());
    }
}
