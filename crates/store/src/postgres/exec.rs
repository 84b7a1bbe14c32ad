//! Runs the backend-neutral statements of [`crate::sql`] on a PostgreSQL connection, and
//! reads the rows of the other tables.

use std::collections::HashMap;
use std::sync::Mutex;

use postgres::Row;

use super::conn::Conn;
use crate::sql::{self, EventSql, JobRow, Param};
use crate::{CaptureJob, NamedQuery, StoreError, StoredEvent};

/// Field name → id, shared by a store's connections. Ids never change once assigned, so a
/// cached id stays right; names not (yet) in the table are looked up again each time.
pub(super) type FieldCache = Mutex<HashMap<String, i64>>;

/// A pooled connection as an [`EventSql`] executor.
pub(super) struct Pg<'c>(pub &'c mut Conn, pub &'c FieldCache);

impl EventSql for Pg<'_> {
    fn field_ids(&mut self, names: &[String]) -> Result<Vec<i64>, StoreError> {
        let poisoned = || StoreError::Database("the field cache lock is poisoned".into());
        let missing: Vec<&str> = {
            let cache = self.1.lock().map_err(|_| poisoned())?;
            names
                .iter()
                .filter(|n| !cache.contains_key(n.as_str()))
                .map(String::as_str)
                .collect()
        };
        if !missing.is_empty() {
            // One round trip for every name not cached yet.
            let rows = self.0.query(
                "SELECT id, name FROM fields WHERE name = ANY(?::TEXT[])",
                &[&missing],
            )?;
            let mut cache = self.1.lock().map_err(|_| poisoned())?;
            for row in rows {
                cache.insert(row.try_get(1)?, row.try_get(0)?);
            }
        }
        let cache = self.1.lock().map_err(|_| poisoned())?;
        let mut ids = Vec::with_capacity(names.len());
        for id in names.iter().filter_map(|n| cache.get(n)) {
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
        Ok(ids)
    }

    fn count(&mut self, sql: &str, params: &[Param]) -> Result<i64, StoreError> {
        let rows = self.0.query_params(sql, params)?;
        match rows.first() {
            Some(row) => Ok(row.try_get(0)?),
            None => Ok(0),
        }
    }

    fn events(&mut self, sql: &str, params: &[Param]) -> Result<Vec<StoredEvent>, StoreError> {
        self.0
            .query_params(sql, params)?
            .iter()
            .map(event)
            .collect()
    }

    fn next_value(
        &mut self,
        field_id: i64,
        after: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let row = match after {
            Some(after) => self
                .0
                .query_opt(crate::sql::next_value_sql(true), &[&field_id, &after])?,
            None => self
                .0
                .query_opt(crate::sql::next_value_sql(false), &[&field_id])?,
        };
        Ok(row
            .map(|r| r.try_get::<_, Option<String>>(0))
            .transpose()?
            .flatten())
    }
}

/// One event row ([`EVENT_COLUMNS`](crate::sql::EVENT_COLUMNS)).
fn event(row: &Row) -> Result<StoredEvent, StoreError> {
    sql::stored_event(
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
    )
}

/// One event by `eventID`.
pub(super) fn event_by_id(c: &mut Conn, event_id: &str) -> Result<Option<StoredEvent>, StoreError> {
    let key = crate::keys::event_key(event_id);
    c.query_opt(&sql::event_by_id_sql(), &[&key, &event_id])?
        .map(|r| event(&r))
        .transpose()
}

/// One capture job row (`JOB_COLUMNS`) with its creation number.
pub(super) fn job(row: &Row) -> Result<(i64, CaptureJob), StoreError> {
    sql::capture_job_row(JobRow {
        n: row.try_get(0)?,
        id: row.try_get(1)?,
        status: row.try_get(2)?,
        mode: row.try_get(3)?,
        created_ms: row.try_get(4)?,
        finished_ms: row.try_get(5)?,
        success: row.try_get(6)?,
        errors: row.try_get(7)?,
        stored: row.try_get(8)?,
    })
}

/// One named query row (`name, definition, created_ms`).
pub(super) fn named_query(row: &Row) -> Result<NamedQuery, StoreError> {
    sql::named_query_row(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)
}
