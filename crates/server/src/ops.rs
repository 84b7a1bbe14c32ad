//! Operations endpoints: `/healthz`, `/readyz`, `/metrics` (Prometheus text format), and
//! the middleware that counts requests by route and status.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use registry::Action;

use crate::audit::Local;
use crate::auth::Auth;
use crate::problem::{problem_response, ApiError};
use crate::AppState;

/// Requests of one route answered with one method and status: (method, status, count).
type MethodCount = (String, u16, u64);

/// Counters exported at `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests by route, then by (method, status): looked up by `&str` on every request
    /// without allocating.
    requests: Mutex<BTreeMap<String, Vec<MethodCount>>>,
    /// Events stored (capture jobs and `POST /events`).
    pub events_captured: AtomicU64,
    /// Capture jobs accepted.
    pub capture_jobs_accepted: AtomicU64,
    /// Capture jobs finished without error.
    pub capture_jobs_succeeded: AtomicU64,
    /// Capture jobs finished with errors.
    pub capture_jobs_failed: AtomicU64,
    /// Subscription callbacks acknowledged by their receivers.
    pub callbacks_delivered: AtomicU64,
    /// Subscription callbacks that failed (each retry counts).
    pub callbacks_failed: AtomicU64,
}

impl Metrics {
    /// Counts one answered request.
    pub fn record(&self, method: &str, route: &str, status: u16) {
        // A poisoned lock only means another request panicked mid-increment; the map is still usable.
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        if !map.contains_key(route) {
            map.insert(route.to_owned(), Vec::new());
        }
        let Some(counts) = map.get_mut(route) else {
            return;
        };
        match counts
            .iter_mut()
            .find(|(m, s, _)| m == method && *s == status)
        {
            Some((_, _, n)) => *n += 1,
            None => counts.push((method.to_owned(), status, 1)),
        }
    }

    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP traceport_http_requests_total HTTP requests answered, by method, route and status.\n");
        out.push_str("# TYPE traceport_http_requests_total counter\n");
        let map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        for (route, counts) in map.iter() {
            let mut counts = counts.clone();
            counts.sort();
            for (method, status, n) in counts {
                let _ = writeln!(
                    out,
                    "traceport_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(&method),
                    escape(route)
                );
            }
        }
        drop(map);
        for (name, help, counter) in [
            (
                "traceport_events_captured_total",
                "Events stored.",
                &self.events_captured,
            ),
            (
                "traceport_capture_jobs_accepted_total",
                "Capture jobs accepted.",
                &self.capture_jobs_accepted,
            ),
            (
                "traceport_capture_jobs_succeeded_total",
                "Capture jobs finished without error.",
                &self.capture_jobs_succeeded,
            ),
            (
                "traceport_subscription_callbacks_delivered_total",
                "Subscription callbacks acknowledged by their receivers.",
                &self.callbacks_delivered,
            ),
            (
                "traceport_subscription_callbacks_failed_total",
                "Subscription callbacks that failed (each retry counts).",
                &self.callbacks_failed,
            ),
            (
                "traceport_capture_jobs_failed_total",
                "Capture jobs finished with errors.",
                &self.capture_jobs_failed,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        out
    }
}

/// Label values escaped as the exposition format requires.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: counts every request under its route template (not its raw path, to bound the label set).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    state.metrics.record(
        method.as_str(),
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        response.status().as_u16(),
    );
    response
}

/// `GET /healthz`: the process answers.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the store answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match crate::blocking(&state, |s| s.event_count()).await {
        Ok(n) => Json(json!({"status": "ready", "events": n})).into_response(),
        Err(e) => {
            let e: ApiError = e;
            let body = json!({
                "type": e.kind.uri(),
                "title": "Not ready",
                "status": 503,
                "detail": format!("the store is not reachable: {}", e.detail),
            });
            problem_response(StatusCode::SERVICE_UNAVAILABLE, &body)
        }
    }
}

/// `GET /metrics`: for operators (session or token), for anyone with `metrics_public`, and
/// for requests straight from this host (loopback, not forwarded) with `metrics_loopback`.
pub async fn metrics(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Local(local): Local,
) -> Response {
    let open = state.config.metrics_public || (local && state.config.metrics_loopback);
    if !open {
        if let Err(e) = crate::access::require(&caller, Action::ReadMetrics) {
            return e.into_response();
        }
    }
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters() {
        let m = Metrics::default();
        m.record("GET", "/events", 200);
        m.record("GET", "/events", 200);
        m.record("POST", "/capture", 413);
        Metrics::add(&m.events_captured, 5);
        let text = m.render();
        assert!(text.contains(
            "traceport_http_requests_total{method=\"GET\",route=\"/events\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "traceport_http_requests_total{method=\"POST\",route=\"/capture\",status=\"413\"} 1"
        ));
        assert!(text.contains("traceport_events_captured_total 5"));
        assert!(text.contains("# TYPE traceport_capture_jobs_accepted_total counter"));
    }
}
