//! The embedded SQLite backend (WAL mode, one writer thread with group commit).

use std::path::Path;

use crate::StoreError;

/// The SQLite store: a database file in the data directory.
pub struct SqliteStore {}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let _ = path;
        Err(StoreError::Database("not implemented".into()))
    }
}
