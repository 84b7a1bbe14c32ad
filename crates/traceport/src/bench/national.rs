//! The synthetic national store that the query, resolver and trace benchmarks run over:
//! loaded once per run, or kept in `--keep-store DIR` and reused by later runs (loading
//! ten million events takes most of an hour on a small machine; measuring over them takes
//! minutes).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use store::Location;

use super::latency::{self, Loaded};
use crate::error::CliError;

/// The file beside a kept store that says what it holds.
const MARKER: &str = "bench-store.json";

/// What a kept store was loaded with, and what the benchmarks need back from the load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Marker {
    /// Synthetic events loaded (before blends).
    events: usize,
    /// Generator seed.
    seed: u64,
    /// Events per generated document (the generator's chains depend on it).
    per_document: usize,
    /// Loading time of the original load, milliseconds.
    load_ms: u64,
    /// Query targets picked while loading.
    targets: Vec<String>,
    /// Chains per blend, once the trace benchmark has appended its blends.
    blend: Option<usize>,
}

/// A loaded store, with the temporary directory that holds it (when not kept).
pub struct NationalStore {
    /// The store and the load's figures.
    pub loaded: Loaded,
    /// The generator seed of its events.
    pub seed: u64,
    /// Chains per blend already appended (kept stores only), so blends are not appended twice.
    pub blend: Option<usize>,
    per_document: usize,
    kept: Option<PathBuf>,
    _temp: Option<tempfile::TempDir>,
}

impl NationalStore {
    /// Loads `events` synthetic events into a fresh store under `work_dir`, or reuses the store
    /// kept in `keep` when it was loaded with the same settings (and loads it there if empty).
    pub fn open(
        keep: Option<&Path>,
        work_dir: &Path,
        seed: u64,
        events: usize,
        per_document: usize,
        targets: usize,
    ) -> Result<NationalStore, CliError> {
        let Some(dir) = keep else {
            let temp = tempfile::Builder::new()
                .prefix("run-")
                .tempdir_in(work_dir)
                .map_err(CliError::io(work_dir))?;
            let loaded = latency::load(
                &sqlite_location(temp.path()),
                seed,
                events,
                per_document,
                targets,
            )?;
            return Ok(NationalStore {
                loaded,
                seed,
                blend: None,
                per_document,
                kept: None,
                _temp: Some(temp),
            });
        };
        std::fs::create_dir_all(dir).map_err(CliError::io(dir))?;
        let marker_path = dir.join(MARKER);
        if marker_path.exists() {
            let text = std::fs::read_to_string(&marker_path).map_err(CliError::io(&marker_path))?;
            let marker: Marker = serde_json::from_str(&text).map_err(|e| {
                CliError::Bench(format!(
                    "{}: not a kept bench store: {e}",
                    marker_path.display()
                ))
            })?;
            if (marker.events, marker.seed, marker.per_document) != (events, seed, per_document) {
                return Err(CliError::Bench(format!(
                    "{} holds {} events (seed {}, {} per document), not {events} (seed {seed}, {per_document} per document): use another --keep-store directory",
                    dir.display(),
                    marker.events,
                    marker.seed,
                    marker.per_document
                )));
            }
            let store = crate::loader::open_location(&sqlite_location(dir))?;
            eprintln!("reusing the kept store in {}", dir.display());
            return Ok(NationalStore {
                loaded: Loaded {
                    store,
                    targets: marker.targets,
                    load: Duration::from_millis(marker.load_ms),
                    events,
                },
                seed,
                blend: marker.blend,
                per_document,
                kept: Some(dir.to_owned()),
                _temp: None,
            });
        }
        if sqlite_path(dir).exists() {
            return Err(CliError::Bench(format!(
                "{} holds a store but no {MARKER} (an interrupted load?): remove it or use another --keep-store directory",
                dir.display()
            )));
        }
        let loaded = latency::load(&sqlite_location(dir), seed, events, per_document, targets)?;
        let national = NationalStore {
            loaded,
            seed,
            blend: None,
            per_document,
            kept: Some(dir.to_owned()),
            _temp: None,
        };
        national.write_marker()?;
        Ok(national)
    }

    /// Records that blends of `chains` chains are now in the store.
    pub fn blends_appended(&mut self, chains: usize) -> Result<(), CliError> {
        self.blend = Some(chains);
        self.write_marker()
    }

    /// The store (for servers and traces).
    pub fn store(&self) -> Arc<dyn store::Backend> {
        self.loaded.store.clone()
    }

    fn write_marker(&self) -> Result<(), CliError> {
        let Some(dir) = &self.kept else {
            return Ok(());
        };
        let marker = Marker {
            events: self.loaded.events,
            seed: self.seed,
            per_document: self.per_document,
            load_ms: self.loaded.load.as_millis() as u64,
            targets: self.loaded.targets.clone(),
            blend: self.blend,
        };
        let path = dir.join(MARKER);
        let text = serde_json::to_string(&marker).map_err(|e| CliError::Bench(e.to_string()))?;
        std::fs::write(&path, text).map_err(CliError::io(&path))
    }
}

fn sqlite_path(dir: &Path) -> PathBuf {
    dir.join(crate::config::DATABASE_FILE)
}

/// The SQLite store of a benchmark section in `dir`.
fn sqlite_location(dir: &Path) -> Location {
    Location::Sqlite(sqlite_path(dir))
}
