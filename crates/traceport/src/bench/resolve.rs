//! Resolver load: many keep-alive connections hammer the redirect path (`GET /01/…`) and
//! the passport page (`GET /passport/01/…`) for identifiers that exist, for a fixed time.
//! The load generator runs on the same machine as the server and takes CPU from it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::harness::{bench_config, RunningServer};
use super::stats::percentile;
use crate::error::CliError;

/// Redirects per second the resolver must reach (issue target; the aim is 50,000).
pub const TARGET_REDIRECT_RPS: f64 = 20_000.0;
/// p99 redirect latency target, milliseconds.
pub const TARGET_REDIRECT_P99_MS: f64 = 5.0;
/// Passport pages per second target.
pub const TARGET_PAGE_RPS: f64 = 5_000.0;
/// p99 passport latency target, milliseconds.
pub const TARGET_PAGE_P99_MS: f64 = 10.0;

/// One load phase.
#[derive(Debug, Clone)]
pub struct ResolverRun {
    /// What was requested.
    pub kind: &'static str,
    /// Connections.
    pub connections: usize,
    /// Requests answered with the expected status.
    pub ok: usize,
    /// Requests answered otherwise (or failed).
    pub errors: usize,
    /// Wall time of the phase.
    pub elapsed: Duration,
    /// Latencies of the good requests, microseconds, sorted.
    pub sorted_us: Vec<u64>,
}

impl ResolverRun {
    /// Good requests per second.
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Latency percentile in milliseconds.
    pub fn ms(&self, p: f64) -> f64 {
        percentile(&self.sorted_us, p).map_or(f64::NAN, |us| us as f64 / 1000.0)
    }
}

/// Digital Link paths (`/01/…/21/…`) of the EPC targets that have one.
pub fn paths(targets: &[String]) -> Vec<String> {
    targets
        .iter()
        .filter_map(|t| gs1::to_digital_link(t).ok())
        .filter_map(|dl| dl.strip_prefix(gs1::dl::CANONICAL_BASE).map(str::to_owned))
        .collect()
}

/// Runs the redirect phase and the passport phase against a server over `store`.
pub async fn measure(
    store: Arc<dyn store::Backend>,
    paths: Vec<String>,
    connections: usize,
    seconds: u64,
) -> Result<Vec<ResolverRun>, CliError> {
    if paths.is_empty() {
        return Err(CliError::Bench(
            "no Digital Link targets for the resolver".into(),
        ));
    }
    let server = RunningServer::start(store, bench_config(1)).await?;
    let paths = Arc::new(paths);
    let duration = Duration::from_secs(seconds.max(1));
    let redirect = phase(
        &server.base,
        "GET /01/… (307)",
        "",
        307,
        paths.clone(),
        connections,
        duration,
    )
    .await;
    let page = phase(
        &server.base,
        "GET /passport/01/… (200)",
        "/passport",
        200,
        paths,
        connections,
        duration,
    )
    .await;
    server.stop().await?;
    Ok(vec![redirect?, page?])
}

async fn phase(
    base: &str,
    kind: &'static str,
    prefix: &'static str,
    status: u16,
    paths: Arc<Vec<String>>,
    connections: usize,
    duration: Duration,
) -> Result<ResolverRun, CliError> {
    // Warm the caches the way a real resolver is warm: every identifier once.
    let warm = client()?;
    for p in paths.iter() {
        let _ = warm.get(format!("{base}{prefix}{p}")).send().await;
    }
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections.max(1) {
        let client = client()?;
        let paths = paths.clone();
        let base = base.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut ok = Vec::new();
            let mut errors = 0usize;
            let mut i = c;
            while Instant::now() < deadline {
                let url = format!("{base}{prefix}{}", paths[i % paths.len()]);
                i += connections;
                let t = Instant::now();
                match client.get(&url).send().await {
                    Ok(r) if r.status().as_u16() == status => {
                        let _ = r.bytes().await;
                        ok.push(t.elapsed().as_micros() as u64);
                    }
                    _ => errors += 1,
                }
            }
            (ok, errors)
        }));
    }
    let mut sorted_us = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (ok, e) = t
            .await
            .map_err(|e| CliError::Bench(format!("load task failed: {e}")))?;
        sorted_us.extend(ok);
        errors += e;
    }
    let elapsed = started.elapsed();
    sorted_us.sort_unstable();
    Ok(ResolverRun {
        kind,
        connections,
        ok: sorted_us.len(),
        errors,
        elapsed,
        sorted_us,
    })
}

fn client() -> Result<reqwest::Client, CliError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1)
        .build()
        .map_err(|e| CliError::Bench(format!("HTTP client: {e}")))
}
