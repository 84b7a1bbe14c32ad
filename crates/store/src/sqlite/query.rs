//! Runs the backend-neutral statements of [`crate::sql`] on a SQLite connection.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use crate::sql::{self, EventSql, Param};
use crate::{StoreError, StoredEvent};

/// A read connection as a [`EventSql`] executor.
pub(super) struct Sqlite<'c>(pub &'c Connection);

fn value(p: &Param) -> Value {
    match p {
        Param::Int(i) => Value::Integer(*i),
        Param::Real(r) => Value::Real(*r),
        Param::Text(t) => Value::Text(t.clone()),
    }
}

impl EventSql for Sqlite<'_> {
    fn field_ids(&mut self, names: &[String]) -> Result<Vec<i64>, StoreError> {
        field_ids(self.0, names)
    }

    fn count(&mut self, sql: &str, params: &[Param]) -> Result<i64, StoreError> {
        Ok(self
            .0
            .prepare_cached(sql)?
            .query_row(rusqlite::params_from_iter(params.iter().map(value)), |r| {
                r.get(0)
            })?)
    }

    fn events(&mut self, sql: &str, params: &[Param]) -> Result<Vec<StoredEvent>, StoreError> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let rows = stmt.query_map(
            rusqlite::params_from_iter(params.iter().map(value)),
            row_to_event,
        )?;
        rows.collect::<Result<Result<Vec<_>, StoreError>, _>>()?
    }

    fn next_value(
        &mut self,
        field_id: i64,
        after: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let value = match after {
            Some(after) => self
                .0
                .prepare_cached(crate::sql::next_value_sql(true))?
                .query_row(rusqlite::params![field_id, after], |r| {
                    r.get::<_, Option<String>>(0)
                })
                .optional()?,
            None => self
                .0
                .prepare_cached(crate::sql::next_value_sql(false))?
                .query_row([field_id], |r| r.get::<_, Option<String>>(0))
                .optional()?,
        };
        Ok(value.flatten())
    }
}

/// Ids of the known fields among `names` (unknown fields have no facets at all).
fn field_ids(conn: &Connection, names: &[String]) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM fields WHERE name = ?1")?;
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        if let Some(id) = stmt.query_row([name], |r| r.get::<_, i64>(0)).optional()? {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

/// The SELECT a query's first page runs (for plan checks).
#[cfg(test)]
pub(super) fn first_page_sql(
    conn: &Connection,
    query: &epcis::Query,
) -> Result<Option<(String, Vec<Value>)>, StoreError> {
    let filter = sql::build_filter(&mut Sqlite(conn), &query.conditions)?;
    Ok(filter.map(|f| {
        let (sql, params) = sql::select_sql(f, &sql::order_of(query), None, 10);
        (sql, params.iter().map(value).collect())
    }))
}

/// Reads one event row (`EVENT_COLUMNS`).
fn row_to_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<StoredEvent, StoreError>> {
    Ok(sql::stored_event(
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

/// Up to `limit` events matching `conditions` with a sequence number above `after_seq`, in
/// capture order (a subscription's next batch).
pub(super) fn events_after(
    conn: &Connection,
    conditions: &[epcis::query::Condition],
    after_seq: i64,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    sql::events_after(&mut Sqlite(conn), conditions, after_seq, limit)
}

/// One event by `eventID`.
pub(super) fn event_by_id(
    conn: &Connection,
    event_id: &str,
) -> Result<Option<StoredEvent>, StoreError> {
    conn.prepare_cached(&sql::event_by_id_sql())?
        .query_row(
            rusqlite::params![crate::keys::event_key(event_id), event_id],
            row_to_event,
        )
        .optional()?
        .transpose()
}
