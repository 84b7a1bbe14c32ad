//! `traceport import FILE…`: documents from disk straight into the store.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use server::access::OwnershipRule;
use store::{AppendMode, Backend};

use crate::cli::{ErrorBehaviour, ImportArgs};
use crate::error::CliError;
use crate::loader::{file_limits, load_document, DocumentOutcome, Owners};

/// At most this many problems are printed per file; the rest are counted.
const MAX_PROBLEMS_SHOWN: usize = 20;

/// Runs the command: every file is its own unit (one failing file does not stop the others),
/// and the exit status is non-zero when any file was not fully imported.
/// Events are owned by `--org` when given, else by the organisation where each happened;
/// `rule` applies to identifiers the owner does not hold.
pub fn run(store: &dyn Backend, args: &ImportArgs, rule: OwnershipRule) -> Result<(), CliError> {
    let mut owners = Owners::load(store, args.org.as_deref(), rule)?;
    let mode = match args.error_behaviour {
        ErrorBehaviour::Rollback => AppendMode::AllOrNothing,
        ErrorBehaviour::Proceed => AppendMode::SkipFailures,
    };
    let bar = progress_bar(&args.files);
    let (mut failed, mut stored_total) = (0usize, 0usize);
    for path in &args.files {
        bar.set_message(path.display().to_string());
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        match import_file(store, path, mode, &mut owners)? {
            Ok(outcome) => {
                stored_total += outcome.stored;
                if !outcome.problems.is_empty() {
                    failed += 1;
                }
                bar.suspend(|| report(path, &outcome, mode));
            }
            Err(message) => {
                failed += 1;
                bar.suspend(|| eprintln!("{}: error: {message}", path.display()));
            }
        }
        bar.inc(size);
    }
    bar.finish_and_clear();
    owners.save_partners(store)?;
    println!(
        "imported {stored_total} events from {} of {} files",
        args.files.len() - failed,
        args.files.len()
    );
    if failed > 0 {
        return Err(CliError::ImportFailed {
            failed,
            total: args.files.len(),
        });
    }
    Ok(())
}

/// Reads and loads one file; `Ok(Err)` is a file-level problem (unreadable, not a document).
fn import_file(
    store: &dyn Backend,
    path: &Path,
    mode: AppendMode,
    owners: &mut Owners,
) -> Result<Result<DocumentOutcome, String>, CliError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return Ok(Err(format!("cannot read: {e}"))),
    };
    load_document(store, &bytes, &file_limits(), mode, Some(owners))
}

/// Prints a file's summary (stdout) and its problems with their JSON pointers (stderr).
fn report(path: &Path, outcome: &DocumentOutcome, mode: AppendMode) {
    let shown = path.display();
    if outcome.problems.is_empty() {
        println!(
            "{shown}: {} of {} events stored",
            outcome.stored, outcome.events
        );
        return;
    }
    let note = if mode == AppendMode::AllOrNothing {
        " (rollback: nothing stored)"
    } else {
        ""
    };
    eprintln!(
        "{shown}: {} of {} events stored, {} problem(s){note}",
        outcome.stored,
        outcome.events,
        outcome.problems.len()
    );
    for p in outcome.problems.iter().take(MAX_PROBLEMS_SHOWN) {
        eprintln!("  {shown}#{}: {}", p.pointer, p.message);
    }
    if outcome.problems.len() > MAX_PROBLEMS_SHOWN {
        eprintln!(
            "  … and {} more",
            outcome.problems.len() - MAX_PROBLEMS_SHOWN
        );
    }
}

/// A byte-based bar over all files (event counts are unknown until a file is parsed);
/// hidden automatically when stderr is not a terminal.
fn progress_bar(files: &[std::path::PathBuf]) -> ProgressBar {
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {eta} {wide_msg}")
    {
        bar.set_style(style);
    }
    bar
}
