//! Connections on their own threads. The `postgres` client drives a small runtime of its
//! own, which must not be created, used or dropped inside an async context; keeping every
//! client on a dedicated thread makes the store safe to call from anywhere (async code
//! still calls it through `spawn_blocking`, as for any blocking store).

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};

use crate::sql::Param;
use crate::StoreError;

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        // The server's message (with its detail) is more useful than the client's summary.
        match e.as_db_error() {
            Some(db) => StoreError::Database(format!("{}: {}", db.code().code(), db.message())),
            None => match std::error::Error::source(&e) {
                Some(cause) => StoreError::Database(format!("{e}: {cause}")),
                None => StoreError::Database(e.to_string()),
            },
        }
    }
}

/// True when `e` is a unique-constraint violation.
pub(super) fn is_unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION)
}

/// One connection with its prepared statements.
pub(super) struct Conn {
    config: postgres::Config,
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Conn {
    /// Connects.
    pub(super) fn connect(config: &postgres::Config) -> Result<Conn, StoreError> {
        let mut client = config.connect(NoTls)?;
        // Statements are prepared once per connection; planning each execution with its
        // values keeps rare and common facet values on the right index (and costs little).
        client.batch_execute("SET plan_cache_mode = force_custom_plan")?;
        Ok(Conn {
            config: config.clone(),
            client,
            statements: HashMap::new(),
        })
    }

    /// Reconnects when the server closed the connection (restart, idle timeout).
    pub(super) fn ensure_connected(&mut self) -> Result<(), StoreError> {
        if self.client.is_closed() {
            *self = Conn::connect(&self.config)?;
        }
        Ok(())
    }

    /// The client, for statements that are not worth caching.
    pub(super) fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// A prepared statement for `sql` (`?` placeholders), cached per connection.
    pub(super) fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(&numbered(sql))?;
        // Dynamic queries (IN lists of every length) must not grow the cache without bound.
        if self.statements.len() >= 512 {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }

    /// Runs a cached statement and returns its rows.
    pub(super) fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let stmt = self.statement(sql)?;
        Ok(self.client.query(&stmt, params)?)
    }

    /// Runs a cached statement and returns its first row, if any.
    pub(super) fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        let stmt = self.statement(sql)?;
        Ok(self.client.query_opt(&stmt, params)?)
    }

    /// Runs a cached statement with neutral parameters.
    pub(super) fn query_params(
        &mut self,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<Row>, StoreError> {
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(to_sql).collect();
        self.query(sql, &refs)
    }

    /// Runs a cached statement and returns the number of rows it changed.
    pub(super) fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        let stmt = match self.statements.get(sql) {
            Some(s) => s.clone(),
            None => {
                let s = self.client.prepare(&numbered(sql))?;
                self.statements.insert(sql.to_owned(), s.clone());
                s
            }
        };
        self.client.execute(&stmt, params)
    }
}

fn to_sql(p: &Param) -> &(dyn ToSql + Sync) {
    match p {
        Param::Int(i) => i,
        Param::Real(r) => r,
        Param::Text(t) => t,
    }
}

/// `?` placeholders as PostgreSQL's `$1, $2, …` (outside quoted literals); numbered ones
/// (`?3`, as the SQL shared with SQLite writes them) keep their number.
pub(super) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                out.push('$');
                if chars.peek().is_some_and(char::is_ascii_digit) {
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        out.push(d);
                    }
                } else {
                    n += 1;
                    out.push_str(&n.to_string());
                }
            }
            c => out.push(c),
        }
    }
    out
}

type Task = Box<dyn FnOnce(&mut Conn) + Send>;

/// A fixed set of connection threads serving tasks from one queue.
pub(super) struct Pool {
    tx: Option<SyncSender<Task>>,
}

impl Pool {
    /// Connects `size` connections (failing when the first cannot connect) and starts their threads.
    pub(super) fn start(config: &postgres::Config, size: usize) -> Result<Pool, StoreError> {
        let (tx, rx) = mpsc::sync_channel::<Task>(1024);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..size.max(1) {
            // Each thread connects for itself and reports whether it could.
            let (ready_tx, ready) = mpsc::sync_channel(1);
            let rx = Arc::clone(&rx);
            let config = config.clone();
            std::thread::Builder::new()
                .name(format!("traceport-pg-{i}"))
                .spawn(move || match Conn::connect(&config) {
                    Ok(conn) => {
                        let _ = ready_tx.send(Ok(()));
                        serve(conn, &rx);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                })
                .map_err(|e| {
                    StoreError::Database(format!("cannot start a connection thread: {e}"))
                })?;
            ready.recv().map_err(|_| gone())??;
        }
        Ok(Pool { tx: Some(tx) })
    }

    /// Runs `f` on a pooled connection and waits for its result.
    pub(super) fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let task: Task = Box::new(move |conn| {
            let result = conn.ensure_connected().and_then(|()| f(conn));
            let _ = reply.send(result);
        });
        self.tx
            .as_ref()
            .ok_or_else(gone)?
            .send(task)
            .map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing the queue ends every thread once it is idle; each closes its connection.
        self.tx.take();
    }
}

fn gone() -> StoreError {
    StoreError::Database("the database connection threads have stopped".into())
}

fn serve(mut conn: Conn, rx: &Mutex<Receiver<Task>>) {
    loop {
        let task = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match task {
            Ok(task) => task(&mut conn),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_literals() {
        assert_eq!(
            numbered("a = ? AND b LIKE ? ESCAPE '\\' AND c IN (?, ?) AND d = '?'"),
            "a = $1 AND b LIKE $2 ESCAPE '\\' AND c IN ($3, $4) AND d = '?'"
        );
        assert_eq!(
            numbered("a = ?2 OR (?1 IS NULL AND b = ?12)"),
            "a = $2 OR ($1 IS NULL AND b = $12)"
        );
    }
}
