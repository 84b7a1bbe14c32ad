//! Resolver load: many keep-alive connections hammer the redirect path (`GET /01/…`) and
//! the passport page (`GET /passport/01/…`) for identifiers that exist, for a fixed time.
//!
//! The load comes from `wrk` in a second process on loopback when it is installed (a C load
//! generator that costs the server little CPU), else from reqwest clients inside this
//! process. Either way the generator shares the machine's CPUs with the server, so the
//! figures are a floor.

use std::path::Path;
use std::process::Command;
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
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
    /// Slowest request, milliseconds.
    pub max_ms: f64,
    /// The load generator (`wrk` or `reqwest`).
    pub generator: &'static str,
}

impl ResolverRun {
    /// Good requests per second.
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Where the load comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LoadGenerator {
    /// `wrk` when it is on the PATH, else `builtin`.
    Auto,
    /// `wrk` in a second process (fails when it is not installed).
    Wrk,
    /// reqwest clients on this process's runtime.
    Builtin,
}

impl LoadGenerator {
    fn use_wrk(self) -> Result<bool, CliError> {
        let found = Command::new("wrk").arg("--version").output().is_ok();
        match self {
            LoadGenerator::Auto => Ok(found),
            LoadGenerator::Builtin => Ok(false),
            LoadGenerator::Wrk if found => Ok(true),
            LoadGenerator::Wrk => Err(CliError::Bench(
                "wrk is not installed (Debian package wrk)".into(),
            )),
        }
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

/// Runs the redirect phase and the passport phase against a server over `store`, once per
/// entry of `connections` (a closed-loop generator trades latency for rate as connections
/// grow, so a sweep shows the rate at which each latency target holds).
pub async fn measure(
    store: Arc<dyn store::Backend>,
    paths: Vec<String>,
    connections: &[usize],
    seconds: u64,
    generator: LoadGenerator,
) -> Result<Vec<ResolverRun>, CliError> {
    let wrk = generator.use_wrk()?;
    if paths.is_empty() {
        return Err(CliError::Bench(
            "no Digital Link targets for the resolver".into(),
        ));
    }
    let server = RunningServer::start(store, bench_config(1)).await?;
    let paths = Arc::new(paths);
    let duration = Duration::from_secs(seconds.max(1));
    let result = async {
        let mut runs = Vec::new();
        for &n in connections {
            for (kind, prefix, status) in [(REDIRECT_KIND, "", 307), (PAGE_KIND, "/passport", 200)]
            {
                runs.push(
                    phase(
                        &server.base,
                        kind,
                        prefix,
                        status,
                        paths.clone(),
                        n,
                        duration,
                        wrk,
                    )
                    .await?,
                );
            }
        }
        Ok(runs)
    }
    .await;
    server.stop().await?;
    result
}

/// The redirect phase's label.
pub const REDIRECT_KIND: &str = "GET /01/… (307)";
/// The passport phase's label.
pub const PAGE_KIND: &str = "GET /passport/01/… (200)";

impl ResolverRun {
    /// Whether this run meets the target of its kind.
    pub fn meets_target(&self) -> bool {
        let (rps, p99) = if self.kind == REDIRECT_KIND {
            (TARGET_REDIRECT_RPS, TARGET_REDIRECT_P99_MS)
        } else {
            (TARGET_PAGE_RPS, TARGET_PAGE_P99_MS)
        };
        self.errors == 0 && self.rps() >= rps && self.p99_ms < p99
    }

    /// The target of this run's kind, as text.
    pub fn target(&self) -> String {
        if self.kind == REDIRECT_KIND {
            format!("≥ {TARGET_REDIRECT_RPS:.0}/s, p99 < {TARGET_REDIRECT_P99_MS} ms")
        } else {
            format!("≥ {TARGET_PAGE_RPS:.0}/s, p99 < {TARGET_PAGE_P99_MS} ms")
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn phase(
    base: &str,
    kind: &'static str,
    prefix: &'static str,
    status: u16,
    paths: Arc<Vec<String>>,
    connections: usize,
    duration: Duration,
    wrk: bool,
) -> Result<ResolverRun, CliError> {
    // Warm the caches the way a real resolver is warm: every identifier once; and check
    // that each answers as expected (wrk below only counts 4xx/5xx as errors).
    let warm = client()?;
    for p in paths.iter() {
        let url = format!("{base}{prefix}{p}");
        let got = warm.get(&url).send().await.map(|r| r.status().as_u16());
        if got.as_ref().ok() != Some(&status) {
            return Err(CliError::Bench(format!(
                "{url} answered {got:?} during warm-up, expected {status}"
            )));
        }
    }
    if wrk {
        let base = base.to_owned();
        let paths = paths.clone();
        return tokio::task::spawn_blocking(move || {
            wrk_phase(&base, kind, prefix, &paths, connections, duration)
        })
        .await
        .map_err(|e| CliError::Bench(format!("wrk task failed: {e}")))?;
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
    let ms = |p: f64| percentile(&sorted_us, p).map_or(f64::NAN, |us| us as f64 / 1000.0);
    Ok(ResolverRun {
        kind,
        connections,
        ok: sorted_us.len(),
        errors,
        elapsed,
        p50_ms: ms(50.0),
        p99_ms: ms(99.0),
        max_ms: ms(100.0),
        generator: "reqwest",
    })
}

/// wrk's script: requests the listed paths round robin, and prints one machine-readable
/// line at the end (latencies in microseconds).
const WRK_SCRIPT: &str = r#"
local paths = {}
for line in io.lines(os.getenv("TRACEPORT_WRK_PATHS")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %.0f %.0f %.0f\n",
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"#;

/// One phase with wrk in a second process: one thread (the machine has few cores and the
/// server needs them), `connections` keep-alive connections.
fn wrk_phase(
    base: &str,
    kind: &'static str,
    prefix: &str,
    paths: &[String],
    connections: usize,
    duration: Duration,
) -> Result<ResolverRun, CliError> {
    let dir = tempfile::tempdir().map_err(|e| CliError::Bench(format!("temp dir: {e}")))?;
    let script = dir.path().join("load.lua");
    let list = dir.path().join("paths.txt");
    let write = |path: &Path, text: String| {
        std::fs::write(path, text)
            .map_err(|e| CliError::Bench(format!("cannot write {}: {e}", path.display())))
    };
    write(&script, WRK_SCRIPT.to_owned())?;
    write(
        &list,
        paths.iter().map(|p| format!("{prefix}{p}\n")).collect(),
    )?;
    let output = Command::new("wrk")
        .arg("-t1")
        .arg(format!("-c{}", connections.max(1)))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg("-s")
        .arg(&script)
        .arg(base)
        .env("TRACEPORT_WRK_PATHS", &list)
        .output()
        .map_err(|e| CliError::Bench(format!("cannot run wrk: {e}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .ok_or_else(|| {
            CliError::Bench(format!(
                "wrk printed no result: {}{}",
                stdout,
                String::from_utf8_lossy(&output.stderr)
            ))
        })?;
    let n: Vec<f64> = line
        .split_whitespace()
        .map(|x| x.parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::Bench(format!("unreadable wrk result {line:?}: {e}")))?;
    let [requests, duration_us, errors, p50, p99, max] = n[..] else {
        return Err(CliError::Bench(format!("unreadable wrk result {line:?}")));
    };
    Ok(ResolverRun {
        kind,
        connections,
        ok: (requests - errors).max(0.0) as usize,
        errors: errors as usize,
        elapsed: Duration::from_micros(duration_us as u64),
        p50_ms: p50 / 1000.0,
        p99_ms: p99 / 1000.0,
        max_ms: max / 1000.0,
        generator: "wrk",
    })
}

fn client() -> Result<reqwest::Client, CliError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1)
        .build()
        .map_err(|e| CliError::Bench(format!("HTTP client: {e}")))
}
