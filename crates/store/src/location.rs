//! Where a store lives, chosen by configuration: a `postgres://…` database URL selects
//! PostgreSQL; otherwise the SQLite file in the data directory. Opening, migrating,
//! backing up, restoring and copying all start from a [`Location`].

use std::cell::RefCell;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;

use crate::dump::{self, Row, Summary};
use crate::{is_postgres_url, postgres, sqlite, Backend, PgStore, SqliteStore, StoreError};

/// A store's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL database URL.
    Postgres(String),
}

impl Location {
    /// The location a configuration names: the database URL when given (it must be a
    /// `postgres://` or `postgresql://` URL), else `file_name` in `data_dir`.
    pub fn from_config(
        database_url: Option<&str>,
        data_dir: &Path,
        file_name: &str,
    ) -> Result<Location, StoreError> {
        match database_url {
            Some(url) if is_postgres_url(url) => Ok(Location::Postgres(url.to_owned())),
            Some(url) => Err(StoreError::Database(format!(
                "database URL must start with postgres:// or postgresql:// (got {}); \
                 SQLite is chosen by leaving it unset and setting the data directory",
                redact(url)
            ))),
            None => Ok(Location::Sqlite(data_dir.join(file_name))),
        }
    }

    /// Opens the store (creating and migrating it if needed).
    pub fn open(&self) -> Result<Arc<dyn Backend>, StoreError> {
        Ok(match self {
            Location::Sqlite(path) => {
                create_parent(path)?;
                Arc::new(SqliteStore::open(path)?)
            }
            Location::Postgres(url) => Arc::new(PgStore::open(url)?),
        })
    }

    /// False for a SQLite file that does not exist yet (a PostgreSQL database is assumed
    /// to exist: connecting tells).
    pub fn exists(&self) -> bool {
        match self {
            Location::Sqlite(path) => path.exists(),
            Location::Postgres(_) => true,
        }
    }

    /// Applies pending migrations; returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        match self {
            Location::Sqlite(path) => {
                create_parent(path)?;
                SqliteStore::migrate(path)
            }
            Location::Postgres(url) => PgStore::migrate(url),
        }
    }

    /// Writes every table to `out` in the portable dump format.
    pub fn backup(&self, out: &mut dyn Write) -> Result<Summary, StoreError> {
        // The header and the rows go to the same writer from two callbacks.
        let out = RefCell::new(out);
        let mut summary = Summary::default();
        self.dump(
            &mut |version| dump::write_header(&mut **out.borrow_mut(), version),
            &mut |row| {
                summary.count(row.table.name);
                dump::write_row(&mut **out.borrow_mut(), &row)
            },
        )?;
        out.into_inner()
            .flush()
            .map_err(|e| StoreError::Database(format!("dump I/O: {e}")))?;
        Ok(summary)
    }

    /// Loads a dump into this location, which must hold no data.
    pub fn restore(&self, input: &mut dyn BufRead) -> Result<Summary, StoreError> {
        let newest = SqliteStore::schema_version().max(PgStore::schema_version());
        let mut rows = dump::read(input, newest)?;
        self.load(&mut rows)
    }

    /// Copies every table of this store into `target`, which must hold no data (e.g. a
    /// province's SQLite store into PostgreSQL). Rows stream from one to the other.
    pub fn copy_to(&self, target: &Location) -> Result<Summary, StoreError> {
        let (tx, rx) = mpsc::sync_channel::<Result<Row, StoreError>>(4096);
        let source = self.clone();
        let reader = std::thread::spawn(move || {
            let failed = tx.clone();
            let result = source.dump(&mut |_| Ok(()), &mut |row| {
                tx.send(Ok(row))
                    .map_err(|_| StoreError::Database("the copy target stopped".into()))
            });
            if let Err(e) = result {
                let _ = failed.send(Err(e));
            }
        });
        let loaded = load_into(target, &mut rx.into_iter());
        let _ = reader.join();
        loaded
    }

    fn dump(
        &self,
        header: &mut dyn FnMut(i64) -> Result<(), StoreError>,
        sink: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        match self {
            Location::Sqlite(path) => {
                if !path.exists() {
                    return Err(StoreError::NotFound(format!("store {}", path.display())));
                }
                sqlite::dump_rows(path, header, sink)
            }
            Location::Postgres(url) => postgres::dump_rows(&postgres::config(url)?, header, sink),
        }
    }

    fn load(
        &self,
        rows: &mut dyn Iterator<Item = Result<Row, StoreError>>,
    ) -> Result<Summary, StoreError> {
        load_into(self, rows)
    }
}

/// Creates the directory a SQLite file goes in.
fn create_parent(path: &Path) -> Result<(), StoreError> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Database(format!("cannot create {}: {e}", dir.display()))),
        None => Ok(()),
    }
}

fn load_into(
    target: &Location,
    rows: &mut dyn Iterator<Item = Result<Row, StoreError>>,
) -> Result<Summary, StoreError> {
    match target {
        Location::Sqlite(path) => {
            create_parent(path)?;
            sqlite::load_rows(path, rows)
        }
        Location::Postgres(url) => postgres::load_rows(&postgres::config(url)?, rows),
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => write!(f, "{}", redact(url)),
        }
    }
}

/// A URL without its password (for messages and logs).
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].find(':') {
            Some(colon) => format!(
                "{}{}:***{}",
                &url[..scheme_end],
                &rest[..colon],
                &rest[at..]
            ),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_selects_the_backend() {
        let dir = Path::new("/srv/tp");
        assert_eq!(
            Location::from_config(None, dir, "traceport.db").unwrap(),
            Location::Sqlite(dir.join("traceport.db"))
        );
        assert_eq!(
            Location::from_config(Some("postgresql://h/db"), dir, "x").unwrap(),
            Location::Postgres("postgresql://h/db".into())
        );
        assert!(Location::from_config(Some("mysql://h/db"), dir, "x").is_err());
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            Location::Postgres("postgres://a:b@h/d".into()).to_string(),
            "postgres://a:***@h/d"
        );
    }
}
