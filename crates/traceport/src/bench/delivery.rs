//! Subscription delivery latency: the time from sending a single-event capture
//! (`POST /events`, answered once the event is stored) to the webhook receiving the event,
//! for probe events captured while background documents are captured (`POST /capture`) and
//! streamed to a second subscription.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{json, Value};

use super::harness::{bench_config, RunningServer};
use super::stats::percentile;
use crate::error::CliError;
use crate::loader::open_store;
use crate::synth;

/// Median target, milliseconds.
pub const TARGET_MEDIAN_MS: f64 = 100.0;
/// The business step only probe events carry (the generator never uses it).
const PROBE_STEP: &str = "inspecting";
/// Events per background document.
const LOAD_PER_DOCUMENT: usize = 100;

/// What one delivery run measured.
#[derive(Debug, Clone)]
pub struct DeliveryRun {
    /// Probe latencies (capture request sent → callback received), microseconds, sorted.
    pub sorted_us: Vec<u64>,
    /// Probes never received (must be 0).
    pub lost: usize,
    /// Background events captured during the run.
    pub load_events: usize,
    /// Background events delivered to the all-events subscription by the end.
    pub load_delivered: usize,
    /// Time spent sending the background load.
    pub load_time: Duration,
}

impl DeliveryRun {
    /// The `p`-th percentile, milliseconds.
    pub fn ms(&self, p: f64) -> f64 {
        percentile(&self.sorted_us, p).map_or(f64::NAN, |us| us as f64 / 1000.0)
    }

    /// Background capture rate actually reached, events per second.
    pub fn load_eps(&self) -> f64 {
        self.load_events as f64 / self.load_time.as_secs_f64().max(1e-9)
    }

    /// A short table.
    pub fn table(&self) -> String {
        format!(
            "subscription delivery (POST /events sent → webhook received), {} probes under {:.0} events/s of background capture:\n  median {:.1} ms  p99 {:.1} ms  max {:.1} ms  lost {}  (target median < {TARGET_MEDIAN_MS} ms)\n  background events delivered to the all-events subscription: {}/{}\n",
            self.sorted_us.len() + self.lost,
            self.load_eps(),
            self.ms(50.0),
            self.ms(99.0),
            self.ms(100.0),
            self.lost,
            self.load_delivered,
            self.load_events,
        )
    }
}

/// The receiver's record: first arrival of each probe, count of background events.
#[derive(Default)]
struct Seen {
    probes: Mutex<HashMap<String, Instant>>,
    load: Mutex<usize>,
}

async fn probe_hook(State(seen): State<Arc<Seen>>, body: Bytes) -> StatusCode {
    let now = Instant::now();
    let mut probes = seen.probes.lock().unwrap_or_else(|p| p.into_inner());
    for id in event_ids(&body) {
        probes.entry(id).or_insert(now);
    }
    StatusCode::NO_CONTENT
}

async fn load_hook(State(seen): State<Arc<Seen>>, body: Bytes) -> StatusCode {
    // Probes match the all-events query too; only background events are counted here.
    let doc: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let n = doc
        .pointer("/epcisBody/queryResults/resultsBody/eventList")
        .and_then(Value::as_array)
        .map_or(0, |list| {
            list.iter()
                .filter(|e| {
                    e["bizStep"]
                        .as_str()
                        .is_none_or(|s| !s.ends_with(PROBE_STEP))
                })
                .count()
        });
    *seen.load.lock().unwrap_or_else(|p| p.into_inner()) += n;
    StatusCode::NO_CONTENT
}

fn event_ids(body: &[u8]) -> Vec<String> {
    let doc: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    doc.pointer("/epcisBody/queryResults/resultsBody/eventList")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|e| e["eventID"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn bench_error(what: &str) -> impl Fn(reqwest::Error) -> CliError + '_ {
    move |e| CliError::Bench(format!("{what}: {e}"))
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    body: &Value,
    want: u16,
) -> Result<(), CliError> {
    let r = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(bench_error(url))?;
    if r.status().as_u16() != want {
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        return Err(CliError::Bench(format!("{url}: HTTP {status}: {text}")));
    }
    Ok(())
}

/// A probe: one event, captured with `POST /events` (answered once stored).
fn probe_event(i: usize) -> (String, Value) {
    let id = format!("urn:uuid:00000000-0000-4000-8000-{i:012}");
    let event = json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "ObjectEvent",
        "eventID": id,
        "eventTime": format!("2026-01-01T00:00:00.{:03}Z", i % 1000),
        "eventTimeZoneOffset": "+00:00",
        "epcList": [format!("https://id.gs1.org/01/09521234543213/21/P{i}")],
        "action": "OBSERVE",
        "bizStep": PROBE_STEP,
    });
    (id, event)
}

/// Runs the delivery benchmark in `dir`: `probes` probe captures, one every `interval`,
/// while background documents are captured at about `load_eps` events per second.
pub async fn run_once(
    dir: &Path,
    seed: u64,
    probes: usize,
    interval: Duration,
    load_eps: usize,
) -> Result<DeliveryRun, CliError> {
    let store = open_store(dir)?;
    let server = RunningServer::start(
        store as Arc<dyn store::Backend>,
        bench_config(LOAD_PER_DOCUMENT),
    )
    .await?;
    let seen = Arc::new(Seen::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|source| CliError::Listen {
            addr: "127.0.0.1:0".into(),
            source,
        })?;
    let hook_addr = listener.local_addr().map_err(CliError::Serve)?;
    let app = axum::Router::new()
        .route("/probe", axum::routing::post(probe_hook))
        .route("/load", axum::routing::post(load_hook))
        .with_state(seen.clone());
    let receiver = tokio::spawn(async move { axum::serve(listener, app).await });

    let client = reqwest::Client::new();
    let base = server.base.clone();
    for (name, query, hook) in [
        ("probes", json!({"EQ_bizStep": [PROBE_STEP]}), "probe"),
        ("all", json!({}), "load"),
    ] {
        post(
            &client,
            &format!("{base}/queries"),
            &json!({"name": name, "query": query}),
            201,
        )
        .await?;
        post(
            &client,
            &format!("{base}/queries/{name}/subscriptions"),
            &json!({"dest": format!("http://{hook_addr}/{hook}"), "signatureToken": "bench-token", "stream": true}),
            201,
        )
        .await?;
    }

    let started = Instant::now();
    let run_for = interval * probes as u32;
    let load_docs =
        (load_eps as f64 * run_for.as_secs_f64() / LOAD_PER_DOCUMENT as f64).ceil() as usize;
    let load_client = client.clone();
    let load_base = base.clone();
    let load = tokio::spawn(async move {
        let docs_interval = run_for
            .checked_div(load_docs.max(1) as u32)
            .unwrap_or(run_for);
        let mut sent = 0usize;
        for (i, doc) in
            synth::documents(seed, load_docs * LOAD_PER_DOCUMENT, LOAD_PER_DOCUMENT).enumerate()
        {
            let due = docs_interval * i as u32;
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
            post(
                &load_client,
                &format!("{load_base}/capture"),
                &doc.value,
                202,
            )
            .await?;
            sent += doc.events;
        }
        Ok::<(usize, Duration), CliError>((sent, started.elapsed()))
    });

    let mut sent_at = Vec::with_capacity(probes);
    for i in 0..probes {
        let due = interval * i as u32;
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
        let (id, event) = probe_event(i);
        let t0 = Instant::now();
        post(&client, &format!("{base}/events"), &event, 201).await?;
        sent_at.push((id, t0));
    }
    let (load_events, load_time) = load
        .await
        .map_err(|e| CliError::Bench(format!("load task failed: {e}")))??;
    // Wait for stragglers (at most 10 s).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = seen.probes.lock().unwrap_or_else(|p| p.into_inner()).len();
        let load_got = *seen.load.lock().unwrap_or_else(|p| p.into_inner());
        if (got >= probes && load_got >= load_events) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let arrived = seen
        .probes
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let mut sorted_us = Vec::with_capacity(probes);
    let mut lost = 0;
    for (id, t0) in &sent_at {
        match arrived.get(id) {
            Some(t1) => sorted_us.push(t1.saturating_duration_since(*t0).as_micros() as u64),
            None => lost += 1,
        }
    }
    sorted_us.sort_unstable();
    let load_delivered = *seen.load.lock().unwrap_or_else(|p| p.into_inner());
    server.stop().await?;
    receiver.abort();
    Ok(DeliveryRun {
        sorted_us,
        lost,
        load_events,
        load_delivered,
        load_time,
    })
}
