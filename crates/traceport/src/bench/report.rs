//! The benchmark's results: a plain table for the terminal and Markdown for `--out`.

use std::fmt::Write as _;
use std::time::Duration;

use super::capture::CaptureRun;
use super::convert::ConvertRun;
use super::latency::Latencies;
use super::resolve::{
    TARGET_PAGE_P99_MS, TARGET_PAGE_RPS, TARGET_REDIRECT_P99_MS, TARGET_REDIRECT_RPS,
};
use super::stats::median;

/// Capture throughput target, events per second.
pub const TARGET_EPS: f64 = 50_000.0;
/// Capture-to-baseline ratio target.
pub const TARGET_RATIO: f64 = 0.5;
/// p99 query latency target at 10 million events, milliseconds.
pub const TARGET_P99_MS: f64 = 2.0;

/// The machine the figures come from.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Logical CPUs.
    pub cpus: usize,
    /// CPU model from /proc/cpuinfo.
    pub cpu_model: String,
    /// When the run started (UTC).
    pub date: String,
    /// traceport version.
    pub version: &'static str,
}

impl Machine {
    /// Describes the current machine.
    pub fn detect() -> Machine {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// Everything measured for query latency.
#[derive(Debug, Clone)]
pub struct LatencyReport {
    /// Events in the store.
    pub events: usize,
    /// Time to load them straight through the store.
    pub load: Duration,
    /// Per round, per query kind.
    pub rounds: Vec<[Latencies; 2]>,
}

impl LatencyReport {
    /// Median over rounds of a percentile of query kind `k`, milliseconds.
    pub fn ms(&self, k: usize, p: f64) -> f64 {
        let per_round: Vec<f64> = self.rounds.iter().map(|r| r[k].ms(p)).collect();
        median(&per_round).unwrap_or(f64::NAN)
    }
    /// Requests per round of kind `k`.
    pub fn requests(&self, k: usize) -> usize {
        self.rounds.first().map_or(0, |r| r[k].sorted_us.len())
    }
    /// Requests (all rounds) that found nothing.
    pub fn misses(&self) -> usize {
        self.rounds
            .iter()
            .flat_map(|r| r.iter())
            .map(|l| l.misses)
            .sum()
    }
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Where.
    pub machine: Machine,
    /// Capture repetitions (empty when skipped).
    pub capture: Vec<CaptureRun>,
    /// Concurrent capture clients.
    pub clients: usize,
    /// Events per capture document.
    pub per_document: usize,
    /// Query latency (absent when skipped).
    pub latency: Option<LatencyReport>,
    /// XML capture of the same events, one per capture repetition (HTTP time).
    pub xml_capture: Vec<Duration>,
    /// Conversion of a large XML document (absent when skipped).
    pub convert: Option<ConvertRun>,
    /// Resolver load phases (empty when skipped).
    pub resolver: Vec<super::resolve::ResolverRun>,
    /// Trace speed (absent when skipped).
    pub trace: Option<super::trace::TraceReport>,
    /// The same measures on PostgreSQL (`--postgres`), each taken right after SQLite's.
    pub postgres: Option<PgFigures>,
}

/// Bulk capture target on PostgreSQL, events per second.
pub const TARGET_PG_EPS: f64 = 20_000.0;
/// Query and trace latency on PostgreSQL, at most this times SQLite's.
pub const TARGET_PG_LATENCY_RATIO: f64 = 2.0;

/// What was measured on PostgreSQL.
#[derive(Debug, Clone, Default)]
pub struct PgFigures {
    /// Capture repetitions.
    pub capture: Vec<CaptureRun>,
    /// Query latency.
    pub latency: Option<LatencyReport>,
    /// Trace speed.
    pub trace: Option<super::trace::TraceReport>,
}

/// One row comparing the backends: what, SQLite, PostgreSQL, PostgreSQL / SQLite, target.
type Comparison = (String, f64, f64, String);

impl Report {
    /// SQLite beside PostgreSQL, measure by measure.
    fn comparisons(&self) -> Vec<Comparison> {
        let Some(pg) = &self.postgres else {
            return Vec::new();
        };
        let mut rows = Vec::new();
        let eps = |runs: &[CaptureRun]| {
            median(&runs.iter().map(CaptureRun::http_eps).collect::<Vec<_>>())
        };
        if let (Some(lite), Some(p)) = (eps(&self.capture), eps(&pg.capture)) {
            rows.push((
                "capture over HTTP, events/s".to_owned(),
                lite,
                p,
                format!("PostgreSQL >= {TARGET_PG_EPS:.0}"),
            ));
        }
        let within = format!("ratio <= {TARGET_PG_LATENCY_RATIO}");
        if let (Some(lite), Some(p)) = (&self.latency, &pg.latency) {
            for (k, name) in ["MATCH_epc", "MATCH_anyEPC"].iter().enumerate() {
                for q in [50.0, 99.0] {
                    rows.push((
                        format!("{name} p{q} ms"),
                        lite.ms(k, q),
                        p.ms(k, q),
                        within.clone(),
                    ));
                }
            }
        }
        if let (Some(lite), Some(p)) = (&self.trace, &pg.trace) {
            for q in [50.0, 99.0] {
                rows.push((
                    format!("trace, blended lot, p{q} ms"),
                    lite.big_ms(q),
                    p.big_ms(q),
                    within.clone(),
                ));
                rows.push((
                    format!("trace, one chain, p{q} ms"),
                    lite.small_ms(q),
                    p.small_ms(q),
                    within.clone(),
                ));
            }
        }
        rows
    }

    /// The comparison as a terminal table.
    fn postgres_table(&self) -> String {
        let rows = self.comparisons();
        if rows.is_empty() {
            return String::new();
        }
        let mut s = String::new();
        let _ = writeln!(
            s,
            "
PostgreSQL beside SQLite (same run, same data)"
        );
        let _ = writeln!(
            s,
            "  {:<32} {:>12} {:>12} {:>7}",
            "measure", "SQLite", "PostgreSQL", "ratio"
        );
        for (what, lite, pg, target) in rows {
            let _ = writeln!(
                s,
                "  {what:<32} {lite:>12.3} {pg:>12.3} {:>7.2}   {target}",
                pg / lite.max(1e-9)
            );
        }
        s
    }

    /// The comparison as Markdown.
    fn postgres_markdown(&self) -> String {
        let rows = self.comparisons();
        if rows.is_empty() {
            return String::new();
        }
        let mut s = String::from(
            "### PostgreSQL beside SQLite (same run)\n\n| measure | SQLite | PostgreSQL | PostgreSQL / SQLite | target |\n|---|---:|---:|---:|---|\n",
        );
        for (what, lite, pg, target) in rows {
            let _ = writeln!(
                s,
                "| {what} | {lite:.3} | {pg:.3} | {:.2} | {target} |",
                pg / lite.max(1e-9)
            );
        }
        s.push('\n');
        s
    }
}

/// XML-to-JSON-LD capture throughput ratio target.
pub const TARGET_XML_RATIO: f64 = 0.5;

impl Report {
    fn capture_medians(&self) -> Option<(f64, f64, f64)> {
        let http: Vec<f64> = self.capture.iter().map(CaptureRun::http_eps).collect();
        let base: Vec<f64> = self.capture.iter().map(CaptureRun::baseline_eps).collect();
        let ratio: Vec<f64> = self.capture.iter().map(CaptureRun::ratio).collect();
        Some((median(&http)?, median(&base)?, median(&ratio)?))
    }

    /// Median XML capture events/s, and median per-run ratio to JSON-LD capture.
    fn xml_medians(&self) -> Option<(f64, f64)> {
        let events = self.capture.first()?.events as f64;
        let eps: Vec<f64> = self
            .xml_capture
            .iter()
            .map(|d| events / d.as_secs_f64().max(1e-9))
            .collect();
        let ratios: Vec<f64> = self
            .capture
            .iter()
            .zip(&self.xml_capture)
            .map(|(json, xml)| json.http.as_secs_f64() / xml.as_secs_f64().max(1e-9))
            .collect();
        Some((median(&eps)?, median(&ratios)?))
    }

    /// Lines about XML capture and conversion (shared by the table and the Markdown).
    fn xml_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some((eps, ratio)) = self.xml_medians() {
            lines.push(format!(
                "XML capture (same events, same run): {eps:.0} events/s; XML / JSON-LD = {ratio:.2} (target >= {TARGET_XML_RATIO})"
            ));
        }
        if let Some(c) = &self.convert {
            lines.push(format!(
                "convert {:.0} MB XML ({} events) to JSON-LD ({:.0} MB): {:.1} s ({:.1} MB/s), peak RSS {:.1} MB",
                c.input_mb(),
                c.events,
                c.output_bytes as f64 / 1e6,
                c.elapsed.as_secs_f64(),
                c.input_mb() / c.elapsed.as_secs_f64().max(1e-9),
                c.peak_rss_mb()
            ));
        }
        lines
    }

    /// The terminal table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let m = &self.machine;
        let _ = writeln!(s, "machine: {} CPUs, {}; {}", m.cpus, m.cpu_model, m.date);
        if let Some((http, base, ratio)) = self.capture_medians() {
            let events = self.capture.first().map_or(0, |r| r.events);
            let _ = writeln!(
                s,
                "\ncapture over HTTP ({events} events, {} per document, {} clients, median of {})",
                self.per_document,
                self.clients,
                self.capture.len()
            );
            let _ = writeln!(s, "  {:<28} {:>14}", "", "events/s");
            let _ = writeln!(
                s,
                "  {:<28} {:>14.0}   target >= {TARGET_EPS:.0}",
                "POST /capture, jobs done", http
            );
            let _ = writeln!(s, "  {:<28} {:>14.0}", "plain_insert_baseline", base);
            let _ = writeln!(
                s,
                "  {:<28} {:>14.2}   target >= {TARGET_RATIO}",
                "ratio", ratio
            );
        }
        let xml = self.xml_lines();
        if !xml.is_empty() {
            let _ = writeln!(s);
            for line in xml {
                let _ = writeln!(s, "{line}");
            }
        }
        if let Some(l) = &self.latency {
            let _ = writeln!(
                s,
                "\nquery latency over HTTP ({} events, loaded in {:.1} s; median of {} rounds)",
                l.events,
                l.load.as_secs_f64(),
                l.rounds.len()
            );
            let _ = writeln!(
                s,
                "  {:<14} {:>9} {:>9} {:>9} {:>9}",
                "query", "requests", "p50 ms", "p95 ms", "p99 ms"
            );
            for (k, name) in ["MATCH_epc", "MATCH_anyEPC"].iter().enumerate() {
                let _ = writeln!(
                    s,
                    "  {:<14} {:>9} {:>9.3} {:>9.3} {:>9.3}",
                    name,
                    l.requests(k),
                    l.ms(k, 50.0),
                    l.ms(k, 95.0),
                    l.ms(k, 99.0)
                );
            }
            let _ = writeln!(s, "  target: p99 < {TARGET_P99_MS} ms at 10,000,000 events; requests with no result: {}", l.misses());
        }
        if !self.resolver.is_empty() {
            let _ = writeln!(
                s,
                "\nresolver load over HTTP (load generator {} on the same machine)",
                self.resolver[0].generator
            );
            let _ = writeln!(
                s,
                "  {:<26} {:>5} {:>10} {:>8} {:>8} {:>8} {:>7} {:>4}",
                "request", "conns", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "met"
            );
            for r in &self.resolver {
                let _ = writeln!(
                    s,
                    "  {:<26} {:>5} {:>10.0} {:>8.3} {:>8.3} {:>8.3} {:>7} {:>4}",
                    r.kind,
                    r.connections,
                    r.rps(),
                    r.p50_ms,
                    r.p99_ms,
                    r.max_ms,
                    r.errors,
                    if r.meets_target() { "yes" } else { "no" }
                );
            }
            let _ = writeln!(s, "  targets: redirect >= {TARGET_REDIRECT_RPS:.0}/s p99 < {TARGET_REDIRECT_P99_MS} ms; passport >= {TARGET_PAGE_RPS:.0}/s p99 < {TARGET_PAGE_P99_MS} ms");
        }
        if let Some(t) = &self.trace {
            s.push_str(&t.table());
        }
        s.push_str(&self.postgres_table());
        s
    }

    /// The Markdown report.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let m = &self.machine;
        let _ = writeln!(s, "## traceport bench, {}\n", m.date);
        let _ = writeln!(
            s,
            "- machine: {} logical CPUs (`nproc`), {}",
            m.cpus, m.cpu_model
        );
        let _ = writeln!(
            s,
            "- traceport {}, release build, SQLite WAL with `synchronous=FULL`\n",
            m.version
        );
        if let Some((http, base, ratio)) = self.capture_medians() {
            let events = self.capture.first().map_or(0, |r| r.events);
            let _ = writeln!(
                s,
                "### Capture over HTTP\n\n{events} synthetic events in documents of {}, {} concurrent clients, \
                 `POST /capture` until every job finished; median of {} runs.\n",
                self.per_document,
                self.clients,
                self.capture.len()
            );
            let _ = writeln!(s, "| measure | events/s | target |\n|---|---:|---|");
            let _ = writeln!(
                s,
                "| HTTP capture (end to end) | {http:.0} | ≥ {TARGET_EPS:.0} |"
            );
            let _ = writeln!(s, "| `plain_insert_baseline` (same rows) | {base:.0} | |");
            let _ = writeln!(s, "| ratio | {ratio:.2} | ≥ {TARGET_RATIO} |\n");
            let _ = writeln!(s, "| run | HTTP s | HTTP events/s | baseline s | baseline events/s | ratio |\n|---:|---:|---:|---:|---:|---:|");
            for (i, r) in self.capture.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "| {} | {:.2} | {:.0} | {:.2} | {:.0} | {:.2} |",
                    i + 1,
                    r.http.as_secs_f64(),
                    r.http_eps(),
                    r.baseline.as_secs_f64(),
                    r.baseline_eps(),
                    r.ratio()
                );
            }
            s.push('\n');
        }
        let xml = self.xml_lines();
        if !xml.is_empty() {
            let _ = writeln!(s, "### XML\n");
            for line in xml {
                let _ = writeln!(s, "- {line}");
            }
            let _ = writeln!(s);
        }
        if let Some(l) = &self.latency {
            let _ = writeln!(
                s,
                "### Query latency over HTTP\n\n{} synthetic events loaded straight through the store in {:.1} s \
                 ({:.0} events/s); sequential `GET /events` for EPCs that exist, one keep-alive client; \
                 median of {} rounds.\n",
                l.events,
                l.load.as_secs_f64(),
                l.events as f64 / l.load.as_secs_f64().max(1e-9),
                l.rounds.len()
            );
            let _ = writeln!(
                s,
                "| query | requests/round | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|"
            );
            for (k, name) in ["MATCH_epc", "MATCH_anyEPC"].iter().enumerate() {
                let _ = writeln!(
                    s,
                    "| `{name}` | {} | {:.3} | {:.3} | {:.3} |",
                    l.requests(k),
                    l.ms(k, 50.0),
                    l.ms(k, 95.0),
                    l.ms(k, 99.0)
                );
            }
            let _ = writeln!(s, "\nTarget: p99 < {TARGET_P99_MS} ms at 10,000,000 events. Requests with no result: {}.", l.misses());
        }
        if !self.resolver.is_empty() {
            let _ = writeln!(
                s,
                "\n### Resolver over HTTP\n\nThe same store; keep-alive connections request existing identifiers \
                 round robin for a fixed time. The load generator ({}) runs on the same machine and shares its CPUs.\n",
                self.resolver[0].generator
            );
            let _ = writeln!(s, "| request | connections | requests/s | p50 ms | p99 ms | errors | target | met |\n|---|---:|---:|---:|---:|---:|---|---|");
            for r in &self.resolver {
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {:.0} | {:.3} | {:.3} | {} | {} | {} |",
                    r.kind,
                    r.connections,
                    r.rps(),
                    r.p50_ms,
                    r.p99_ms,
                    r.errors,
                    r.target(),
                    if r.meets_target() { "yes" } else { "no" }
                );
            }
        }
        if let Some(t) = &self.trace {
            s.push('\n');
            s.push_str(&t.markdown());
        }
        s.push_str(&self.postgres_markdown());
        s
    }
}
