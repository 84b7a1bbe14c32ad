//! Query latency over HTTP: `GET /events?MATCH_epc=…` and `MATCH_anyEPC=…` for EPCs that exist.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use store::{AppendMode, Location, NewEvent};

use super::harness::{bench_config, RunningServer};
use super::stats::percentile;
use crate::error::CliError;
use crate::loader::{file_limits, now_ms, open_location, prepare};
use crate::synth;

/// Latency figures of one query kind, microseconds.
#[derive(Debug, Clone)]
pub struct Latencies {
    /// The query parameter (`MATCH_epc` / `MATCH_anyEPC`).
    pub param: &'static str,
    /// Every request's latency, sorted ascending.
    pub sorted_us: Vec<u64>,
    /// Requests that found no event (must be 0: every target exists).
    pub misses: usize,
}

impl Latencies {
    /// The `p`-th percentile in milliseconds.
    pub fn ms(&self, p: f64) -> f64 {
        percentile(&self.sorted_us, p).map_or(f64::NAN, |us| us as f64 / 1000.0)
    }
}

/// A loaded store and the EPCs picked as query targets while loading.
pub struct Loaded {
    /// The store.
    pub store: Arc<dyn store::Backend>,
    /// Query targets, spread over the whole load.
    pub targets: Vec<String>,
    /// Loading time (generate + parse + append).
    pub load: Duration,
    /// Events stored.
    pub events: usize,
}

/// Most events appended at once while loading (several generated documents).
const LOAD_APPEND_EVENTS: usize = 20_000;

/// Generates `events` events and appends them straight to the fresh store at `at`
/// (generation and parsing on one thread, appends on this one, so both cores work).
pub fn load(
    at: &Location,
    seed: u64,
    events: usize,
    per_document: usize,
    targets: usize,
) -> Result<Loaded, CliError> {
    let store = open_location(at)?;
    // Oversample, then thin evenly, so targets cover the whole load even when some events lack an epcList.
    let stride = (events / (targets.max(1) * 8)).max(1);
    let bar = crate::commands::generate::bar(events as u64);
    let started = Instant::now();
    let (tx, rx) = mpsc::sync_channel::<Result<(Vec<NewEvent>, Vec<String>), CliError>>(32);
    let producer = std::thread::spawn(move || {
        let mut seen = 0usize;
        for (i, document) in synth::documents(seed, events, per_document).enumerate() {
            let picked = pick_targets(&document.value, seen, stride);
            seen += document.events;
            let prepared = serde_json::to_vec(&document.value)
                .map_err(|e| e.to_string())
                .and_then(|bytes| prepare(&bytes, &file_limits(), now_ms()))
                .map_err(|message| CliError::Document {
                    what: format!("generated document {}", i + 1),
                    message,
                })
                .map(|(events, _)| (events, picked));
            if tx.send(prepared).is_err() {
                break;
            }
        }
    });
    let mut picked = Vec::new();
    let mut stored = 0usize;
    while let Ok(first) = rx.recv() {
        let (mut events, targets) = first?;
        picked.extend(targets);
        // Documents prepared while the last append ran go in together: one bigger commit
        // writes each index page once for many more keys.
        while events.len() < LOAD_APPEND_EVENTS {
            let Ok(next) = rx.try_recv() else { break };
            let (more, targets) = next?;
            events.extend(more);
            picked.extend(targets);
        }
        let n = events.len();
        let outcome = store.append(events, AppendMode::AllOrNothing)?;
        if !outcome.all_stored() {
            return Err(CliError::Bench(
                "a generated event was refused as a duplicate".into(),
            ));
        }
        stored += n;
        bar.inc(n as u64);
    }
    producer
        .join()
        .map_err(|_| CliError::Bench("the generator thread panicked".into()))?;
    bar.finish_and_clear();
    Ok(Loaded {
        store,
        targets: thin(picked, targets),
        load: started.elapsed(),
        events: stored,
    })
}

/// At most `n` items, evenly spaced over `items`.
fn thin(items: Vec<String>, n: usize) -> Vec<String> {
    if items.len() <= n {
        return items;
    }
    (0..n).map(|i| items[i * items.len() / n].clone()).collect()
}

/// The first `epcList` entry of every `stride`-th event of a document (`seen` events came before it).
fn pick_targets(document: &Value, seen: usize, stride: usize) -> Vec<String> {
    let Some(list) = document
        .pointer("/epcisBody/eventList")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    list.iter()
        .enumerate()
        .filter(|(i, _)| (seen + i).is_multiple_of(stride))
        .filter_map(|(_, e)| {
            e.pointer("/epcList/0")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

/// Runs `rounds` sequential rounds of queries over the targets; returns per-kind latencies
/// (per round), after a warm-up that is not measured.
pub async fn measure(
    store: Arc<dyn store::Backend>,
    targets: &[String],
    rounds: usize,
) -> Result<Vec<[Latencies; 2]>, CliError> {
    if targets.is_empty() {
        return Err(CliError::Bench(
            "no query targets: the generated events carry no epcList".into(),
        ));
    }
    let server = RunningServer::start(store, bench_config(1)).await?;
    let client = super::harness::client_with(&server.reader_token)?;
    let result = async {
        for target in targets.iter().take(200) {
            one(&client, &server.base, "MATCH_epc", target).await?;
        }
        let mut all = Vec::new();
        for _ in 0..rounds.max(1) {
            let mut kinds = [
                Latencies {
                    param: "MATCH_epc",
                    sorted_us: Vec::new(),
                    misses: 0,
                },
                Latencies {
                    param: "MATCH_anyEPC",
                    sorted_us: Vec::new(),
                    misses: 0,
                },
            ];
            for (i, target) in targets.iter().enumerate() {
                let kind = &mut kinds[i % 2];
                let (elapsed, found) = one(&client, &server.base, kind.param, target).await?;
                kind.sorted_us.push(elapsed.as_micros() as u64);
                if found == 0 {
                    kind.misses += 1;
                }
            }
            for kind in &mut kinds {
                kind.sorted_us.sort_unstable();
            }
            all.push(kinds);
        }
        Ok(all)
    }
    .await;
    server.stop().await?;
    result
}

/// One request, timed until the whole body is read; returns the number of events found.
async fn one(
    client: &reqwest::Client,
    base: &str,
    param: &str,
    epc: &str,
) -> Result<(Duration, usize), CliError> {
    let started = Instant::now();
    let response = client
        .get(format!("{base}/events"))
        .query(&[(param, epc)])
        .send()
        .await
        .map_err(|e| CliError::Bench(format!("GET /events: {e}")))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| CliError::Bench(format!("GET /events: {e}")))?;
    let elapsed = started.elapsed();
    if !status.is_success() {
        return Err(CliError::Bench(format!(
            "GET /events?{param}={epc} answered {status}: {}",
            String::from_utf8_lossy(&body)
        )));
    }
    let found = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.pointer("/epcisBody/queryResults/resultsBody/eventList")
                .and_then(Value::as_array)
                .map(Vec::len)
        })
        .unwrap_or(0);
    Ok((elapsed, found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn targets_are_taken_every_stride_events_across_documents() {
        let doc = json!({"epcisBody": {"eventList": [
            {"epcList": ["a"]}, {"epcList": ["b"]}, {"quantityList": []}, {"epcList": ["d", "e"]}
        ]}});
        assert_eq!(pick_targets(&doc, 0, 1), vec!["a", "b", "d"]);
        assert_eq!(pick_targets(&doc, 0, 2), vec!["a"]);
        assert_eq!(pick_targets(&doc, 1, 2), vec!["b", "d"]);
        assert!(pick_targets(&json!({}), 0, 1).is_empty());
    }

    #[test]
    fn thinning_keeps_the_spread() {
        let items: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        assert_eq!(thin(items.clone(), 5), vec!["0", "2", "4", "6", "8"]);
        assert_eq!(thin(items.clone(), 20).len(), 10);
    }
}
