//! Whole-table reads and writes for [`crate::dump`] (backup, restore, copy).

use std::path::Path;

use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{Connection, OpenFlags};

use crate::dump::{ColumnType, Row, Summary, Value, TABLES};
use crate::StoreError;

use super::schema;

/// Reads every table of the database at `path` in one read transaction, row by row;
/// returns the database's schema version (before the first row is passed on).
pub(crate) fn dump_rows(
    path: &Path,
    header: &mut dyn FnMut(i64) -> Result<(), StoreError>,
    sink: &mut dyn FnMut(Row) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let tx = conn.transaction()?;
    header(schema::current_version(&tx)?)?;
    for table in TABLES {
        let mut stmt = tx.prepare(&table.select_sql())?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(table.columns.len());
            for (i, (_, ty)) in table.columns.iter().enumerate() {
                values.push(match (row.get_ref(i)?, ty) {
                    (ValueRef::Null, _) => Value::Null,
                    (ValueRef::Integer(n), ColumnType::Real) => Value::Real(n as f64),
                    (ValueRef::Integer(n), _) => Value::Int(n),
                    (ValueRef::Real(r), _) => Value::Real(r),
                    (ValueRef::Text(t), _) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    (ValueRef::Blob(b), _) => Value::Bytes(b.to_vec()),
                });
            }
            sink(Row { table, values })?;
        }
    }
    tx.finish()?;
    Ok(())
}

/// Loads rows into the database at `path`, which must hold no data (it is created and
/// migrated if needed), all in one transaction.
pub(crate) fn load_rows(
    path: &Path,
    rows: &mut dyn Iterator<Item = Result<Row, StoreError>>,
) -> Result<Summary, StoreError> {
    // Opening the store once creates the file in WAL mode and migrates it.
    drop(super::SqliteStore::open(path)?);
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    for table in TABLES {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", table.name);
        let any: bool = conn.query_row(&sql, [], |r| r.get(0))?;
        if any {
            return Err(StoreError::Conflict(format!(
                "data in the target store (table {}); restore and copy need an empty store",
                table.name
            )));
        }
    }
    let tx = conn.transaction()?;
    let mut summary = Summary::default();
    for row in rows {
        let row = row?;
        let marks = vec!["?"; row.table.columns.len()].join(", ");
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({marks})",
            row.table.name,
            row.table.column_list()
        );
        let values = row.values.iter().map(|v| match v {
            Value::Null => Sql::Null,
            Value::Int(i) => Sql::Integer(*i),
            Value::Real(r) => Sql::Real(*r),
            Value::Text(t) => Sql::Text(t.clone()),
            Value::Bytes(b) => Sql::Blob(b.clone()),
        });
        tx.prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(values))?;
        summary.count(row.table.name);
    }
    tx.commit()?;
    Ok(summary)
}

/// Keeps the compiler honest that every dumped table exists in the SQLite schema.
#[cfg(test)]
mod tests {
    #[test]
    fn every_dumped_table_and_column_exists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        drop(super::super::SqliteStore::open(&path).unwrap());
        let conn = rusqlite::Connection::open(&path).unwrap();
        for table in crate::dump::TABLES {
            conn.prepare(&table.select_sql()).unwrap();
        }
    }
}
