//! WAL checkpoints on their own thread.
//!
//! Left to SQLite, the checkpoint that copies the write-ahead log back into the database
//! runs inside whichever commit crosses `wal_autocheckpoint`, that is on the writer thread,
//! which every capture waits on (about a sixth of the writer's time under bulk capture).
//! Here the writer only signals each commit; this thread runs a PASSIVE checkpoint (it never
//! blocks the writer or readers) at most every [`INTERVAL`]. The writer keeps SQLite's own
//! automatic checkpoint at ten times the configured size as a safety net, should this
//! thread fall behind.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::StoreError;

/// Least time between two checkpoints while commits keep coming.
pub(super) const INTERVAL: Duration = Duration::from_millis(500);

/// Starts the checkpoint thread on its own connection to `path`; returns the sender the
/// writer signals commits on (dropping it ends the thread) and the thread's handle.
pub(super) fn spawn(path: &Path) -> Result<(SyncSender<()>, JoinHandle<()>), StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    // Capacity 1: commits signalled while a checkpoint runs coalesce into one more.
    let (tx, rx) = mpsc::sync_channel(1);
    let thread = std::thread::Builder::new()
        .name("traceport-store-checkpoint".into())
        .spawn(move || run(&conn, &rx))
        .map_err(|e| StoreError::Database(format!("cannot start the checkpoint thread: {e}")))?;
    Ok((tx, thread))
}

fn run(conn: &Connection, commits: &Receiver<()>) {
    let mut last = Instant::now();
    while commits.recv().is_ok() {
        let wait = INTERVAL.saturating_sub(last.elapsed());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        // Frames committed while sleeping are covered by this checkpoint.
        let _ = commits.try_recv();
        last = Instant::now();
        if let Err(e) = checkpoint(conn) {
            tracing::warn!(error = %e, "WAL checkpoint failed; the writer's own checkpoint remains");
        }
    }
}

/// One PASSIVE checkpoint: copies what no reader still needs, waits for nobody.
pub(super) fn checkpoint(conn: &Connection) -> Result<(i64, i64), StoreError> {
    Ok(conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_are_checkpointed_by_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.sqlite");
        let writer = Connection::open(&path).unwrap();
        writer
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
            .unwrap();
        writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        writer
            .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3);")
            .unwrap();
        // In WAL mode the database file keeps only its first page (written when WAL was
        // switched on) until a checkpoint copies the table's pages into it.
        let file_len = || std::fs::metadata(&path).map_or(0, |m| m.len());
        assert!(file_len() <= 4096, "nothing checkpointed yet");
        let (signal, thread) = spawn(&path).unwrap();
        signal.send(()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while file_len() < 2 * 4096 {
            assert!(Instant::now() < deadline, "the WAL was never checkpointed");
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(signal);
        thread.join().unwrap();
    }
}
