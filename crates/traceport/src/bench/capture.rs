//! Bulk capture through HTTP (`POST /capture` + job polling), against the plain-insert baseline.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::harness::{bench_config, client_with, RunningServer};
use crate::error::CliError;
use crate::loader::{open_location, open_store};
use store::Location;

/// One repetition's figures.
#[derive(Debug, Clone, Copy)]
pub struct CaptureRun {
    /// Events captured.
    pub events: usize,
    /// From the first POST to the last job seen finished.
    pub http: Duration,
    /// `plain_insert_baseline` on the same rows.
    pub baseline: Duration,
}

impl CaptureRun {
    /// Events per second through HTTP.
    pub fn http_eps(&self) -> f64 {
        self.events as f64 / self.http.as_secs_f64().max(1e-9)
    }
    /// Events per second of the baseline.
    pub fn baseline_eps(&self) -> f64 {
        self.events as f64 / self.baseline.as_secs_f64().max(1e-9)
    }
    /// HTTP throughput relative to the baseline.
    pub fn ratio(&self) -> f64 {
        self.http_eps() / self.baseline_eps().max(1e-9)
    }
}

/// Captures `documents` (serialised) over HTTP into the fresh store at `at` (SQLite in
/// `dir` when `None`), then times the baseline on `rows` in another fresh directory.
pub async fn run_once(
    dir: &Path,
    at: Option<&Location>,
    documents: Arc<Vec<Vec<u8>>>,
    rows: &[(String, String)],
    clients: usize,
    per_document: usize,
) -> Result<CaptureRun, CliError> {
    let store = match at {
        Some(location) => open_location(location)?,
        None => open_store(&dir.join("capture"))?,
    };
    let server = RunningServer::start(
        store.clone() as Arc<dyn store::Backend>,
        bench_config(per_document),
    )
    .await?;
    let started = Instant::now();
    let jobs = post_all(&server.base, &server.member_token, documents, clients).await;
    let finished = match jobs {
        Ok(jobs) => wait_for_jobs(&server.member_token, jobs).await,
        Err(e) => Err(e),
    };
    let http = started.elapsed();
    server.stop().await?;
    finished?;
    let stored = store.event_count()?;
    if stored != rows.len() as i64 {
        return Err(CliError::Bench(format!(
            "captured {stored} events, expected {}",
            rows.len()
        )));
    }
    drop(store);
    let baseline_dir = dir.join("baseline");
    std::fs::create_dir_all(&baseline_dir).map_err(CliError::io(&baseline_dir))?;
    let batch = per_document;
    let rows_owned = rows.to_vec();
    let baseline = tokio::task::spawn_blocking(move || {
        store::sqlite::plain_insert_baseline(&baseline_dir, &rows_owned, batch)
    })
    .await
    .map_err(|e| CliError::Bench(format!("baseline task failed: {e}")))??;
    Ok(CaptureRun {
        events: rows.len(),
        http,
        baseline,
    })
}

/// Captures XML `documents` over HTTP into a fresh store in `dir`; the time from the first
/// POST to the last job finished.
pub async fn run_xml_once(
    dir: &Path,
    documents: Arc<Vec<Vec<u8>>>,
    expected: usize,
    clients: usize,
    per_document: usize,
) -> Result<Duration, CliError> {
    let store = open_store(&dir.join("capture-xml"))?;
    let server = RunningServer::start(
        store.clone() as Arc<dyn store::Backend>,
        bench_config(per_document),
    )
    .await?;
    let started = Instant::now();
    let finished = match post_all_as(
        &server.base,
        &server.member_token,
        documents,
        clients,
        "application/xml",
    )
    .await
    {
        Ok(jobs) => wait_for_jobs(&server.member_token, jobs).await,
        Err(e) => Err(e),
    };
    let elapsed = started.elapsed();
    server.stop().await?;
    finished?;
    let stored = store.event_count()?;
    if stored != expected as i64 {
        return Err(CliError::Bench(format!(
            "captured {stored} XML events, expected {expected}"
        )));
    }
    Ok(elapsed)
}

/// POSTs every document from `clients` concurrent clients; returns the job URLs.
async fn post_all(
    base: &str,
    token: &str,
    documents: Arc<Vec<Vec<u8>>>,
    clients: usize,
) -> Result<Vec<String>, CliError> {
    post_all_as(base, token, documents, clients, "application/ld+json").await
}

/// [`post_all`] with the documents' media type.
async fn post_all_as(
    base: &str,
    token: &str,
    documents: Arc<Vec<Vec<u8>>>,
    clients: usize,
    content_type: &'static str,
) -> Result<Vec<String>, CliError> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients.max(1) {
        let (next, documents, base) = (next.clone(), documents.clone(), base.to_owned());
        let client = client_with(token)?;
        tasks.push(tokio::spawn(async move {
            let mut jobs = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = documents.get(i) else { break };
                jobs.push(post_one(&client, &base, body.clone(), content_type).await?);
            }
            Ok::<_, CliError>(jobs)
        }));
    }
    let mut jobs = Vec::new();
    for task in tasks {
        let part = task
            .await
            .map_err(|e| CliError::Bench(format!("client task failed: {e}")))??;
        jobs.extend(part);
    }
    Ok(jobs)
}

async fn post_one(
    client: &reqwest::Client,
    base: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Result<String, CliError> {
    let response = client
        .post(format!("{base}/capture"))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .map_err(|e| CliError::Bench(format!("POST /capture: {e}")))?;
    let status = response.status();
    if status.as_u16() != 202 {
        let text = response.text().await.unwrap_or_default();
        return Err(CliError::Bench(format!(
            "POST /capture answered {status}: {text}"
        )));
    }
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            CliError::Bench("POST /capture answered 202 without a Location header".into())
        })?;
    Ok(absolute(base, location))
}

/// A `Location` value made absolute against the server's base URL.
pub fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_owned()
    } else if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        format!("{base}/{location}")
    }
}

/// How long to wait between two polls of an unfinished job. Every poll is a full
/// authenticated request (token and organisation look-ups, a job read) on the two cores the
/// server needs: polling every 2 ms took a measurable share of them from the capture being
/// timed, while 10 ms adds at most 10 ms to a run of several seconds.
const POLL_EVERY: Duration = Duration::from_millis(10);

/// Polls each job until it is finished; a failed job is an error carrying the server's report.
pub async fn wait_for_jobs(token: &str, jobs: Vec<String>) -> Result<(), CliError> {
    let client = client_with(token)?;
    for job in jobs {
        loop {
            let response = client
                .get(&job)
                .send()
                .await
                .map_err(|e| CliError::Bench(format!("GET {job}: {e}")))?;
            let http_status = response.status();
            let status: Value = response
                .json()
                .await
                .map_err(|e| CliError::Bench(format!("GET {job}: {e}")))?;
            // A refused poll (401, 404) must not pass for a job still pending.
            if !http_status.is_success() {
                return Err(CliError::Bench(format!(
                    "GET {job} answered {http_status}: {status}"
                )));
            }
            match job_state(&status) {
                JobState::Running => tokio::time::sleep(POLL_EVERY).await,
                JobState::Succeeded => break,
                JobState::Failed => {
                    return Err(CliError::Bench(format!(
                        "capture job {job} failed: {status}"
                    )))
                }
            }
        }
    }
    Ok(())
}

/// Where a capture job stands, from its status document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Pending or running.
    Running,
    /// Finished with success.
    Succeeded,
    /// Finished with errors.
    Failed,
}

/// Reads `running`, `success` and `finishedAt` of a capture job document.
pub fn job_state(status: &Value) -> JobState {
    let running = status
        .get("running")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let success = status
        .get("success")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let finished = status.get("finishedAt").is_some_and(|v| !v.is_null());
    match (running, finished, success) {
        (true, _, _) => JobState::Running,
        (false, _, true) => JobState::Succeeded,
        (false, true, false) => JobState::Failed,
        // Not running, not finished: still pending.
        (false, false, false) => JobState::Running,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn job_states_follow_the_status_document() {
        assert_eq!(
            job_state(&json!({"running": true, "success": false})),
            JobState::Running
        );
        assert_eq!(
            job_state(&json!({"running": false, "success": false, "finishedAt": null})),
            JobState::Running
        );
        assert_eq!(
            job_state(
                &json!({"running": false, "success": true, "finishedAt": "2026-01-01T00:00:00Z"})
            ),
            JobState::Succeeded
        );
        assert_eq!(
            job_state(
                &json!({"running": false, "success": false, "finishedAt": "2026-01-01T00:00:00Z"})
            ),
            JobState::Failed
        );
    }

    #[test]
    fn locations_become_absolute() {
        assert_eq!(
            absolute("http://h:1", "/capture/ab"),
            "http://h:1/capture/ab"
        );
        assert_eq!(
            absolute("http://h:1", "capture/ab"),
            "http://h:1/capture/ab"
        );
        assert_eq!(
            absolute("http://h:1", "http://x/capture/ab"),
            "http://x/capture/ab"
        );
    }
}
