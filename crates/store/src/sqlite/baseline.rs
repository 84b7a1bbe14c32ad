//! The reference a benchmark compares the store against: a plain batched insert of the
//! same `(event_id, body)` rows, with the same durability (WAL, `synchronous=FULL`).

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};

use crate::StoreError;

/// Inserts `rows` into a fresh plain table in a fresh database file in `dir`, in
/// transactions of `batch` rows, and returns the time taken (schema setup excluded).
pub fn plain_insert_baseline(
    dir: &Path,
    rows: &[(String, String)],
    batch: usize,
) -> Result<Duration, StoreError> {
    let path = (0u32..)
        .map(|i| dir.join(format!("plain-baseline-{i}.sqlite")))
        .find(|p| !p.exists())
        .ok_or_else(|| StoreError::Database("no free file name for the baseline".into()))?;
    let mut conn = Connection::open(&path)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Database(format!(
            "cannot use WAL mode (journal mode is {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch("CREATE TABLE plain (event_id TEXT NOT NULL, body TEXT NOT NULL)")?;
    let start = Instant::now();
    for chunk in rows.chunks(batch.max(1)) {
        let tx = conn.transaction()?;
        {
            let mut stmt =
                tx.prepare_cached("INSERT INTO plain (event_id, body) VALUES (?1, ?2)")?;
            for (id, body) in chunk {
                stmt.execute(params![id, body])?;
            }
        }
        tx.commit()?;
    }
    let elapsed = start.elapsed();
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.clone().into_os_string();
        name.push(suffix);
        // Best effort: the measurement is taken; a leftover file only costs disk space.
        let _ = std::fs::remove_file(name);
    }
    Ok(elapsed)
}
