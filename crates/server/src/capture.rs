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

use crate::headers::{header_str, insert_capture_limits, require_json};
use crate::ops::Metrics;
use crate::paging::{base_url, encode, next_link, page_params, parse_query};
use crate::problem::{ApiError, ExceptionType};
use crate::{blocking, AppState};

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

/// Starts the worker (once per state): resumes unfinished jobs, then serves the queue.
pub(crate) fn spawn_worker(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let mut rx = state
        .capture_queue
        .rx
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()?;
    Some(tokio::spawn(async move {
        match blocking(&state, |s| s.unfinished_capture_jobs()).await {
            Ok(jobs) => {
                for job in jobs {
                    tracing::info!(job = %job.id, "resuming capture job");
                    process(&state, job.id, None).await;
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot list unfinished capture jobs"),
        }
        while let Some(q) = rx.recv().await {
            process(&state, q.id, q.document).await;
        }
    }))
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
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    match accept(&state, &headers, body).await {
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

async fn accept(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Response, ApiError> {
    require_json(headers)?;
    let mode = error_behaviour(headers)?;
    let bytes = read_body(headers, body, state.config.max_body_bytes).await?;
    let limits = state.config.limits();
    let parse_bytes = bytes.clone();
    let document =
        tokio::task::spawn_blocking(move || epcis::parse_document(&parse_bytes, &limits))
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
    let job = blocking(state, move |s| s.create_capture_job(mode, &bytes)).await?;
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
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let page = page_params(&state, "/capture", parse_query(raw.as_deref())?)?;
    if let Some((name, _)) = page.params.first() {
        return Err(ApiError::query_param(format!(
            "unknown query parameter {name} for /capture"
        )));
    }
    let request = page.request();
    let result = blocking(&state, move |s| s.capture_jobs(&request)).await?;
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
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let lookup = id.clone();
    match blocking(&state, move |s| s.capture_job(&lookup)).await? {
        Some(job) => Ok(Json(job_json(&job)).into_response()),
        None => Err(ApiError::not_found(format!("no capture job {id}"))),
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

/// Validates and stores a document's events under `mode`. Blocking.
fn capture_document(
    store: &dyn store::Store,
    document: Document,
    mode: AppendMode,
) -> Result<Outcome, store::StoreError> {
    let prefix = event_list_pointer(document.kind);
    let now = chrono::Utc::now().timestamp_millis();
    let mut errors = Vec::new();
    let mut candidates = Vec::new();
    for (i, event) in document.events.into_iter().enumerate() {
        match event {
            Ok(event) => candidates.push((i, NewEvent::from_event(event, now))),
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
    let outcome = store.append(events, mode)?;
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
    Ok(Outcome {
        success: errors.is_empty(),
        stored,
        errors,
    })
}

/// Runs one job to its end, recording the outcome in the store.
async fn process(state: &AppState, id: String, document: Option<Document>) {
    let lookup = id.clone();
    let job = match blocking(state, move |s| s.capture_job(&lookup)).await {
        Ok(Some(job)) if job.status != JobStatus::Finished => job,
        Ok(_) => return,
        Err(e) => {
            tracing::error!(job = %id, error = %e, "cannot read capture job");
            return;
        }
    };
    let start_id = id.clone();
    if let Err(e) = blocking(state, move |s| s.start_capture_job(&start_id)).await {
        tracing::error!(job = %id, error = %e, "cannot start capture job");
        return;
    }
    let store = state.store.clone();
    let limits = state.config.limits();
    let job_id = id.clone();
    let mode = job.mode;
    let result = tokio::task::spawn_blocking(move || {
        let document = match document {
            Some(d) => d,
            None => {
                let bytes = store.capture_job_document(&job_id)?;
                match epcis::parse_document(&bytes, &limits) {
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
        capture_document(store.as_ref(), document, mode)
    })
    .await;
    let outcome = match result {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => failed(&id, &e.to_string()),
        Err(e) => failed(&id, &e.to_string()),
    };
    Metrics::add(&state.metrics.events_captured, outcome.stored as u64);
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
