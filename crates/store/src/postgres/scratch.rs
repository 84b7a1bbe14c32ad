//! Throw-away databases on a PostgreSQL server, for tests and benchmarks: each gets a
//! fresh, uniquely named database and drops it afterwards.

use std::sync::atomic::{AtomicU64, Ordering};

use postgres::{Client, NoTls};

use crate::StoreError;

/// The server tests use unless `TRACEPORT_TEST_PG_URL` names another.
pub const DEFAULT_TEST_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test or benchmark run, dropped (with its connections) on drop.
#[derive(Debug)]
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl ScratchDatabase {
    /// Creates a fresh database named `{prefix}_{pid}_{n}_{nanos}` on the server of
    /// `admin_url` (any database the user may connect to, e.g. `…/postgres`).
    pub fn create_on(admin_url: &str, prefix: &str) -> Result<ScratchDatabase, StoreError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "{prefix}_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(StoreError::Database(format!(
                "scratch database prefix must be letters, digits and _: {prefix}"
            )));
        }
        let url = with_database(admin_url, &name)?;
        let sql = format!("CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'");
        admin(admin_url, &sql)?;
        Ok(ScratchDatabase {
            admin_url: admin_url.to_owned(),
            name,
            url,
        })
    }

    /// For tests: a scratch database on `TRACEPORT_TEST_PG_URL` (default [`DEFAULT_TEST_URL`]).
    /// When the server is unreachable this panics if `CI` is set (CI must not skip the
    /// PostgreSQL runs) and otherwise returns `None` after saying so on stderr.
    pub fn for_test(prefix: &str) -> Option<ScratchDatabase> {
        let admin_url =
            std::env::var("TRACEPORT_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_TEST_URL.to_owned());
        match ScratchDatabase::create_on(&admin_url, prefix) {
            Ok(db) => Some(db),
            Err(e) if std::env::var_os("CI").is_some() => {
                panic!("PostgreSQL at {admin_url} is required on CI: {e}")
            }
            Err(e) => {
                eprintln!("PostgreSQL tests skipped: {admin_url}: {e}");
                None
            }
        }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = admin(&self.admin_url, &sql) {
            eprintln!("cannot drop scratch database {}: {e}", self.name);
        }
    }
}

/// Runs one statement on the admin database, on a thread of its own (the client's runtime
/// must not live inside an async context).
fn admin(url: &str, sql: &str) -> Result<(), StoreError> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || -> Result<(), StoreError> {
        let mut client = Client::connect(&url, NoTls)?;
        client.batch_execute(&sql)?;
        Ok(())
    })
    .join()
    .map_err(|_| StoreError::Database("the admin thread panicked".into()))?
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> Result<String, StoreError> {
    let bad = || StoreError::Database(format!("not a postgres:// URL: {url}"));
    let scheme_end = url.find("://").ok_or_else(bad)? + 3;
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    Ok(format!("{}/{name}{query}", &base[..host_end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced_keeping_host_and_options() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x").unwrap(),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "y").unwrap(),
            "postgresql://u:p@h/y?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:1", "z").unwrap(),
            "postgres://h:1/z"
        );
        assert!(with_database("nonsense", "z").is_err());
    }
}
