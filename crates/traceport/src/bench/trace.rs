//! Trace speed: full backward + forward traces of blended lots (graphs of about a thousand
//! identifiers) and of single-chain lots over a store of synthetic events, and the FSMA
//! spreadsheet export of a large trace. Measured against the store (engine + backend), the
//! work behind `GET /trace`.

use std::time::{Duration, Instant};

use demo::synthetic::{Generator, GeneratorConfig};
use store::{AppendMode, Location, Store};
use trace::TraceRequest;

use super::latency::Loaded;
use super::stats::percentile;
use crate::error::CliError;
use crate::loader::{file_limits, now_ms, prepare};

/// What the trace benchmark measured.
#[derive(Debug, Clone)]
pub struct TraceReport {
    /// Events in the store (chains and blends).
    pub events: usize,
    /// Loading time.
    pub load: Duration,
    /// Chains per blend.
    pub chains_per_blend: usize,
    /// Blended lots traced.
    pub blends: usize,
    /// Latency of each blended-lot trace, µs, sorted.
    pub big_us: Vec<u64>,
    /// Identifiers in each blended-lot trace, sorted.
    pub big_nodes: Vec<usize>,
    /// Latency of each single-chain trace, µs, sorted.
    pub small_us: Vec<u64>,
    /// Identifiers in each single-chain trace, sorted.
    pub small_nodes: Vec<usize>,
    /// Events in each blended-lot trace, sorted.
    pub big_events: Vec<usize>,
    /// Mean CPU time of this thread per blended-lot trace, ms (Linux only): the work itself,
    /// whatever else the machine is running.
    pub big_cpu_ms: Option<f64>,
    /// Mean CPU time per single-chain trace, ms.
    pub small_cpu_ms: Option<f64>,
    /// Mean CPU time of the whole process per blended-lot trace, ms: the tracing thread
    /// plus the store's trace helpers and the record cache's freeing thread.
    pub big_process_cpu_ms: Option<f64>,
    /// Rows of the exported spreadsheet.
    pub export_rows: usize,
    /// Identifiers of the exported trace.
    pub export_nodes: usize,
    /// Trace time of the exported lot.
    pub export_trace: Duration,
    /// Rows + CSV time.
    pub export_csv: Duration,
    /// Rows + XLSX time.
    pub export_xlsx: Duration,
}

impl TraceReport {
    /// Percentile `p` of the blended traces, ms.
    pub fn big_ms(&self, p: f64) -> f64 {
        percentile(&self.big_us, p).map_or(f64::NAN, |us| us as f64 / 1000.0)
    }
    /// Percentile `p` of the single-chain traces, ms.
    pub fn small_ms(&self, p: f64) -> f64 {
        percentile(&self.small_us, p).map_or(f64::NAN, |us| us as f64 / 1000.0)
    }
}

/// Loads `events` synthetic events plus blends of `chains_per_blend` chains into the fresh
/// store at `at`, then times `traces` traces of each kind and one large export.
pub fn run(
    at: &Location,
    seed: u64,
    events: usize,
    per_document: usize,
    traces: usize,
    chains_per_blend: usize,
) -> Result<TraceReport, CliError> {
    let loaded = super::latency::load(at, seed, events, per_document, 0)?;
    measure(&loaded, seed, per_document, false, traces, chains_per_blend)
}

/// Appends the blends of `chains_per_blend` chains to `loaded` (the synthetic events of
/// `seed`; unless `blends_stored`, a kept store that has them), then times `traces` traces of
/// each kind and one large export.
pub fn measure(
    loaded: &Loaded,
    seed: u64,
    per_document: usize,
    blends_stored: bool,
    traces: usize,
    chains_per_blend: usize,
) -> Result<TraceReport, CliError> {
    let started = Instant::now();
    let store = loaded.store.as_ref();
    let generator = Generator::new(
        seed,
        GeneratorConfig {
            events: loaded.events as u64,
            events_per_document: per_document,
            ..GeneratorConfig::default()
        },
    );
    let chains = generator.complete_chains() as usize;
    let per = chains_per_blend.max(2);
    let groups = chains / per;
    if groups < 4 {
        return Err(CliError::Bench(format!(
            "{} events make {chains} complete chains: too few for four blends of {per}; load more events or lower --blend",
            loaded.events
        )));
    }
    let blends = generator.blends(per);
    let (blend_lots, blend_events) = (blends.lots, blends.events);
    // One export-sized lot: four blends blended again.
    let mega = blends
        .mega
        .ok_or_else(|| CliError::Bench("no export-sized blend".into()))?;
    if !blends_stored {
        append(store, blend_events)?;
    }
    let load = loaded.load + started.elapsed();
    let total = store.event_count()? as usize;

    let canonical = |id: &str| gs1::canonical_id(id).into_owned();
    let big_keys: Vec<String> = blend_lots.iter().map(|l| canonical(l)).collect();
    let small_keys: Vec<String> = (0..traces)
        .filter_map(|i| generator.chain_output((i * chains / traces.max(1)) as u64))
        .map(|o| canonical(&o.lot))
        .collect();
    type Timed = (Vec<u64>, Vec<usize>, Vec<usize>, Option<f64>, Option<f64>);
    let time_all = |keys: &[String], n: usize| -> Result<Timed, CliError> {
        // Warm-up: every key once, untimed.
        for key in keys {
            store.trace(&TraceRequest::new(key.clone()))?;
        }
        let mut us = Vec::with_capacity(n);
        let mut nodes = Vec::with_capacity(n);
        let mut events = Vec::with_capacity(n);
        let cpu_before = thread_cpu();
        let process_before = process_cpu();
        for i in 0..n {
            let request = TraceRequest::new(keys[i % keys.len()].clone());
            let t = Instant::now();
            let graph = store.trace(&request)?;
            us.push(t.elapsed().as_micros() as u64);
            nodes.push(graph.nodes.len());
            events.push(graph.events.len());
        }
        let per_trace = |before: Option<Duration>, after: Option<Duration>| match (before, after) {
            (Some(a), Some(b)) if n > 0 => Some(b.saturating_sub(a).as_secs_f64() * 1e3 / n as f64),
            _ => None,
        };
        let cpu = per_trace(cpu_before, thread_cpu());
        let process = per_trace(process_before, process_cpu());
        us.sort_unstable();
        nodes.sort_unstable();
        events.sort_unstable();
        Ok((us, nodes, events, cpu, process))
    };
    let (big_us, big_nodes, big_events, big_cpu_ms, big_process_cpu_ms) =
        time_all(&big_keys, traces)?;
    let (small_us, small_nodes, _, small_cpu_ms, _) = time_all(&small_keys, traces)?;

    let t = Instant::now();
    let graph = store.trace(&TraceRequest::new(canonical(&mega)))?;
    let export_trace = t.elapsed();
    let t = Instant::now();
    let rows = trace::fsma::rows(&graph, &|_| None);
    let csv = trace::fsma::to_csv(&rows);
    let export_csv = t.elapsed();
    let t = Instant::now();
    let rows = trace::fsma::rows(&graph, &|_| None);
    let xlsx = trace::fsma::to_xlsx(&rows).map_err(|e| CliError::Bench(e.to_string()))?;
    let export_xlsx = t.elapsed();
    if csv.is_empty() || xlsx.is_empty() {
        return Err(CliError::Bench("empty export".into()));
    }
    Ok(TraceReport {
        events: total,
        load,
        chains_per_blend: per,
        blends: big_keys.len(),
        big_us,
        big_nodes,
        small_us,
        small_nodes,
        big_events,
        big_cpu_ms,
        small_cpu_ms,
        big_process_cpu_ms,
        export_rows: rows.len(),
        export_nodes: graph.nodes.len(),
        export_trace,
        export_csv,
        export_xlsx,
    })
}

/// CPU time this thread has used (user + system); `None` off Linux.
fn thread_cpu() -> Option<Duration> {
    cpu_in("/proc/thread-self/stat")
}

/// CPU time the whole process has used (user + system); `None` off Linux.
fn process_cpu() -> Option<Duration> {
    cpu_in("/proc/self/stat")
}

/// User + system time from a `stat` file of `/proc`, at the usual 100 ticks per second.
fn cpu_in(path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(path).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn append(store: &dyn Store, events: Vec<serde_json::Value>) -> Result<(), CliError> {
    let doc = demo::document::epcis_document(None, "2026-01-01T00:00:00.000+07:00", None, events);
    let bytes = serde_json::to_vec(&doc).map_err(|e| CliError::Bench(e.to_string()))?;
    let (prepared, problems) =
        prepare(&bytes, &file_limits(), now_ms()).map_err(CliError::Bench)?;
    if let Some(p) = problems.first() {
        return Err(CliError::Bench(format!(
            "blend event {}: {}",
            p.pointer, p.message
        )));
    }
    let outcome = store.append(prepared, AppendMode::AllOrNothing)?;
    if !outcome.all_stored() {
        return Err(CliError::Bench("a blend event was refused".into()));
    }
    Ok(())
}

/// Trace target: p99 of a full trace of up to 1,000 identifiers, ms.
pub const TARGET_TRACE_P99_MS: f64 = 10.0;
/// Export target: a 10,000-row spreadsheet, s.
pub const TARGET_EXPORT_S: f64 = 1.0;

fn cpu(ms: Option<f64>) -> String {
    ms.map_or_else(|| "n/a".into(), |ms| format!("{ms:.2} ms"))
}

impl TraceReport {
    fn nodes(list: &[usize]) -> String {
        match (list.first(), list.get(list.len() / 2), list.last()) {
            (Some(a), Some(m), Some(b)) => format!("{a}–{b} (median {m})"),
            _ => "-".into(),
        }
    }

    /// Lines for the terminal table.
    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "\ntrace (store of {} events, loaded in {:.1} s; both directions)",
            self.events,
            self.load.as_secs_f64()
        );
        let _ = writeln!(
            s,
            "  {:<34} {:>7} {:>22} {:>8} {:>8} {:>8}",
            "lot", "traces", "identifiers", "p50 ms", "p95 ms", "p99 ms"
        );
        let _ = writeln!(
            s,
            "  {:<34} {:>7} {:>22} {:>8.2} {:>8.2} {:>8.2}   target p99 < {TARGET_TRACE_P99_MS} ms",
            format!("blend of {} chains", self.chains_per_blend),
            self.big_us.len(),
            Self::nodes(&self.big_nodes),
            self.big_ms(50.0),
            self.big_ms(95.0),
            self.big_ms(99.0)
        );
        let _ = writeln!(
            s,
            "  {:<34} {:>7} {:>22} {:>8.2} {:>8.2} {:>8.2}",
            "single chain output",
            self.small_us.len(),
            Self::nodes(&self.small_nodes),
            self.small_ms(50.0),
            self.small_ms(95.0),
            self.small_ms(99.0)
        );
        let _ = writeln!(
            s,
            "  CPU time per trace (this thread): blend {} (whole process {}), single chain {}; events per blended trace {}",
            cpu(self.big_cpu_ms),
            cpu(self.big_process_cpu_ms),
            cpu(self.small_cpu_ms),
            Self::nodes(&self.big_events)
        );
        let _ = writeln!(
            s,
            "  FSMA export: {} rows ({} identifiers): trace {:.1} ms, rows+CSV {:.1} ms, rows+XLSX {:.1} ms   target < {TARGET_EXPORT_S} s",
            self.export_rows,
            self.export_nodes,
            self.export_trace.as_secs_f64() * 1e3,
            self.export_csv.as_secs_f64() * 1e3,
            self.export_xlsx.as_secs_f64() * 1e3
        );
        s
    }

    /// The Markdown section.
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "### Trace\n\n{} events ({} synthetic chains' events plus blends, each a transformation of the \
             output lots of {} chains; loaded in {:.1} s). Full backward + forward traces through the store \
             (`TraceStore::trace`, the work behind `GET /trace`), sequential, after one untimed pass.\n",
            self.events,
            self.events.saturating_sub(self.blends + 1),
            self.chains_per_blend,
            self.load.as_secs_f64()
        );
        let _ = writeln!(s, "| lot traced | traces | identifiers per trace | p50 ms | p95 ms | p99 ms | target |\n|---|---:|---|---:|---:|---:|---|");
        let _ = writeln!(
            s,
            "| blend of {} chains | {} | {} | {:.2} | {:.2} | {:.2} | p99 < {TARGET_TRACE_P99_MS} ms |",
            self.chains_per_blend,
            self.big_us.len(),
            Self::nodes(&self.big_nodes),
            self.big_ms(50.0),
            self.big_ms(95.0),
            self.big_ms(99.0)
        );
        let _ = writeln!(
            s,
            "| single chain output | {} | {} | {:.2} | {:.2} | {:.2} | |\n",
            self.small_us.len(),
            Self::nodes(&self.small_nodes),
            self.small_ms(50.0),
            self.small_ms(95.0),
            self.small_ms(99.0)
        );
        let _ = writeln!(
            s,
            "Events per blended-lot trace: {}. Mean CPU time of the tracing thread per trace (the work \
             itself, independent of other load on the machine): blend {} (the whole process, trace helpers \
             included: {}), single chain {}.\n",
            Self::nodes(&self.big_events),
            cpu(self.big_cpu_ms),
            cpu(self.big_process_cpu_ms),
            cpu(self.small_cpu_ms)
        );
        let _ = writeln!(
            s,
            "FSMA 204 export of a blend of four blends: {} rows, {} identifiers; trace {:.1} ms, rows + CSV {:.1} ms, \
             rows + XLSX {:.1} ms (target: a 10,000-row export < {TARGET_EXPORT_S} s).",
            self.export_rows,
            self.export_nodes,
            self.export_trace.as_secs_f64() * 1e3,
            self.export_csv.as_secs_f64() * 1e3,
            self.export_xlsx.as_secs_f64() * 1e3
        );
        s
    }
}
