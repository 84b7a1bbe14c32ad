//! `traceport generate`: synthetic data as files, or straight into the store.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use store::{AppendMode, Store};

use crate::cli::GenerateArgs;
use crate::error::CliError;
use crate::loader::{file_limits, now_ms, prepare};
use crate::synth;

/// Writes `synthetic-00001.jsonld`, … into `dir`.
pub fn to_files(args: &GenerateArgs, dir: &Path) -> Result<(), CliError> {
    check(args)?;
    std::fs::create_dir_all(dir).map_err(CliError::io(dir))?;
    let bar = bar(args.events as u64);
    let mut files = 0;
    for (i, document) in synth::documents(args.seed, args.events, args.per_document).enumerate() {
        let path = dir.join(format!("synthetic-{:05}.jsonld", i + 1));
        let bytes = serde_json::to_vec(&document.value).map_err(|e| CliError::Document {
            what: path.display().to_string(),
            message: e.to_string(),
        })?;
        std::fs::write(&path, bytes).map_err(CliError::io(&path))?;
        bar.inc(document.events as u64);
        files += 1;
    }
    bar.finish_and_clear();
    println!(
        "wrote {} events in {files} files to {}",
        args.events,
        dir.display()
    );
    Ok(())
}

/// Loads generated documents straight into the store.
pub fn to_store(args: &GenerateArgs, store: &dyn Store) -> Result<(), CliError> {
    check(args)?;
    let bar = bar(args.events as u64);
    let started = std::time::Instant::now();
    let mut stored = 0;
    for (i, document) in synth::documents(args.seed, args.events, args.per_document).enumerate() {
        stored += load_generated(store, i, &document.value)?;
        bar.inc(document.events as u64);
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "stored {stored} events in {secs:.1} s ({:.0} events/s)",
        stored as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// Parses and appends one generated document; any invalid or duplicate event is a generator bug.
pub fn load_generated(
    store: &dyn Store,
    index: usize,
    document: &serde_json::Value,
) -> Result<usize, CliError> {
    let what = || format!("generated document {}", index + 1);
    let bytes = serde_json::to_vec(document).map_err(|e| CliError::Document {
        what: what(),
        message: e.to_string(),
    })?;
    let (events, problems) =
        prepare(&bytes, &file_limits(), now_ms()).map_err(|message| CliError::Document {
            what: what(),
            message,
        })?;
    if let Some(p) = problems.first() {
        return Err(CliError::Document {
            what: what(),
            message: format!("{}: {}", p.pointer, p.message),
        });
    }
    let outcome = store.append(events, AppendMode::AllOrNothing)?;
    if let Some(Err(reason)) = outcome.results.iter().find(|r| r.is_err()) {
        return Err(CliError::Document {
            what: what(),
            message: reason.to_string(),
        });
    }
    Ok(outcome.results.len())
}

fn check(args: &GenerateArgs) -> Result<(), CliError> {
    if args.per_document == 0 || args.per_document > file_limits().max_events {
        return Err(CliError::Usage(format!(
            "--per-document must be between 1 and {}",
            file_limits().max_events
        )));
    }
    Ok(())
}

/// An event-count progress bar on stderr.
pub fn bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} events {per_sec} {eta}") {
        bar.set_style(style);
    }
    bar
}
