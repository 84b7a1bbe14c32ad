//! Conversion of a large XML document to JSON-LD by `traceport convert` in a child process:
//! time and peak resident memory (the child's `VmHWM`), to show that it streams.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::CliError;
use crate::synth;

/// One conversion's figures.
#[derive(Debug, Clone, Copy)]
pub struct ConvertRun {
    /// Input size, bytes.
    pub input_bytes: u64,
    /// Output size, bytes.
    pub output_bytes: u64,
    /// Events converted.
    pub events: usize,
    /// Wall time of the child process.
    pub elapsed: Duration,
    /// Peak resident set of the child, KiB.
    pub peak_rss_kib: u64,
}

impl ConvertRun {
    /// Input size, MB.
    pub fn input_mb(&self) -> f64 {
        self.input_bytes as f64 / 1e6
    }
    /// Peak resident set, MB.
    pub fn peak_rss_mb(&self) -> f64 {
        self.peak_rss_kib as f64 * 1024.0 / 1e6
    }
}

/// Writes an XML document of at least `mb` megabytes of synthetic events in `dir`, converts it
/// with a child `traceport convert`, and measures it.
pub fn run(dir: &Path, mb: usize, seed: u64) -> Result<ConvertRun, CliError> {
    let input = dir.join("large.xml");
    let output = dir.join("large.jsonld");
    let (input_bytes, events) = write_large_xml(&input, mb as u64 * 1_000_000, seed)?;
    let exe = std::env::current_exe().map_err(|e| CliError::Bench(format!("own path: {e}")))?;
    let started = Instant::now();
    let mut child = Command::new(exe)
        .arg("convert")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .arg("--to")
        .arg("json")
        .spawn()
        .map_err(|e| CliError::Bench(format!("cannot start traceport convert: {e}")))?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_rss_kib = 0;
    let status = loop {
        // VmHWM only grows; the last reading before exit is the peak (to within 5 ms of work).
        if let Some(kib) = vm_hwm_kib(&status_path) {
            peak_rss_kib = peak_rss_kib.max(kib);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(CliError::Bench(format!("waiting for convert: {e}"))),
        }
    };
    let elapsed = started.elapsed();
    if !status.success() {
        return Err(CliError::Bench(format!(
            "traceport convert failed: {status}"
        )));
    }
    let output_bytes = std::fs::metadata(&output)
        .map_err(CliError::io(&output))?
        .len();
    Ok(ConvertRun {
        input_bytes,
        output_bytes,
        events,
        elapsed,
        peak_rss_kib,
    })
}

fn vm_hwm_kib(status_path: &str) -> Option<u64> {
    let text = std::fs::read_to_string(status_path).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Synthetic events written as one XML EPCISDocument until it holds `bytes` bytes.
fn write_large_xml(path: &Path, bytes: u64, seed: u64) -> Result<(u64, usize), CliError> {
    let file = std::fs::File::create(path).map_err(CliError::io(path))?;
    let mut out = BufWriter::new(file);
    let kind = epcis::document::DocumentKind::EpcisDocument;
    let start = epcis::xml::document_start(kind, "2026-01-01T00:00:00Z", None, &[]);
    let mut written = start.len() as u64;
    out.write_all(start.as_bytes())
        .map_err(CliError::io(path))?;
    let mut events = 0usize;
    let mut buffer = String::new();
    // Far more events than needed; the generator is lazy and stops being read at the size.
    'documents: for document in synth::documents(seed, usize::MAX / 2, 1000) {
        let bytes_doc = serde_json::to_vec(&document.value)
            .map_err(|e| CliError::Bench(format!("generated document: {e}")))?;
        let parsed = epcis::parse_document(&bytes_doc, &crate::loader::file_limits())
            .map_err(|e| CliError::Bench(format!("generated document: {e}")))?;
        for event in parsed.events {
            let event = event.map_err(|e| CliError::Bench(format!("generated event: {e:?}")))?;
            buffer.clear();
            epcis::xml::write_event(&mut buffer, event.json(), event.namespaces())
                .map_err(|e| CliError::Bench(e.to_string()))?;
            out.write_all(buffer.as_bytes())
                .map_err(CliError::io(path))?;
            written += buffer.len() as u64;
            events += 1;
            if written >= bytes {
                break 'documents;
            }
        }
    }
    let end = epcis::xml::document_end(kind);
    out.write_all(end.as_bytes()).map_err(CliError::io(path))?;
    out.flush().map_err(CliError::io(path))?;
    Ok((written + end.len() as u64, events))
}
