//! Whole-table reads and writes for [`crate::dump`] (backup, restore, copy).

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};

use super::conn::Conn;
use super::schema;
use crate::dump::{ColumnType, Row, Summary, Value, TABLES};
use crate::StoreError;

/// Reads every table in one snapshot, row by row (streamed, not buffered).
pub(crate) fn dump_rows(
    config: &postgres::Config,
    header: &mut dyn FnMut(i64) -> Result<(), StoreError>,
    sink: &mut dyn FnMut(Row) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut conn = Conn::connect(config)?;
    let client = conn.client();
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let version: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
            &[],
        )?
        .try_get(0)?;
    header(version)?;
    for table in TABLES {
        let mut rows = tx.query_raw(&table.select_sql(), std::iter::empty::<i64>())?;
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(table.columns.len());
            for (i, (_, ty)) in table.columns.iter().enumerate() {
                values.push(
                    match ty {
                        ColumnType::Int => row.try_get::<_, Option<i64>>(i)?.map(Value::Int),
                        ColumnType::Real => row.try_get::<_, Option<f64>>(i)?.map(Value::Real),
                        ColumnType::Text => row.try_get::<_, Option<String>>(i)?.map(Value::Text),
                        ColumnType::Bytes => {
                            row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Bytes)
                        }
                    }
                    .unwrap_or(Value::Null),
                );
            }
            sink(Row { table, values })?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn pg_type(ty: ColumnType) -> Type {
    match ty {
        ColumnType::Int => Type::INT8,
        ColumnType::Real => Type::FLOAT8,
        ColumnType::Text => Type::TEXT,
        ColumnType::Bytes => Type::BYTEA,
    }
}

/// A value as a parameter of its column's type (NULL typed too).
fn cell(value: &Value, ty: ColumnType) -> Result<Box<dyn ToSql + Sync>, StoreError> {
    Ok(match (value, ty) {
        (Value::Null, ColumnType::Int) => Box::new(None::<i64>),
        (Value::Null, ColumnType::Real) => Box::new(None::<f64>),
        (Value::Null, ColumnType::Text) => Box::new(None::<String>),
        (Value::Null, ColumnType::Bytes) => Box::new(None::<Vec<u8>>),
        (Value::Int(i), ColumnType::Int) => Box::new(*i),
        (Value::Int(i), ColumnType::Real) => Box::new(*i as f64),
        (Value::Real(r), ColumnType::Real) => Box::new(*r),
        (Value::Text(t), ColumnType::Text) => Box::new(t.clone()),
        (Value::Bytes(b), ColumnType::Bytes) => Box::new(b.clone()),
        (v, ty) => {
            return Err(StoreError::Database(format!(
                "value {v:?} does not fit a {ty:?} column"
            )))
        }
    })
}

/// COPYs `first` and the rows after it of the same table; returns the first row of the
/// next table, if any.
fn copy_run(
    tx: &mut postgres::Transaction<'_>,
    first: Row,
    rows: &mut dyn Iterator<Item = Result<Row, StoreError>>,
    summary: &mut Summary,
) -> Result<Option<Row>, StoreError> {
    let table = first.table;
    let sink = tx.copy_in(&format!(
        "COPY {} ({}) FROM STDIN (FORMAT binary)",
        table.name,
        table.column_list()
    ))?;
    let types: Vec<Type> = table.columns.iter().map(|(_, t)| pg_type(*t)).collect();
    let mut writer = BinaryCopyInWriter::new(sink, &types);
    let mut row = first;
    loop {
        let cells = row
            .values
            .iter()
            .zip(table.columns)
            .map(|(v, (_, ty))| cell(v, *ty))
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&(dyn ToSql + Sync)> = cells.iter().map(|c| c.as_ref()).collect();
        writer.write(&refs)?;
        summary.count(table.name);
        match rows.next().transpose()? {
            Some(next) if next.table.name == table.name => row = next,
            other => {
                writer.finish()?;
                return Ok(other);
            }
        }
    }
}

/// Loads rows into the database, which must hold no data (it is migrated first), in one
/// transaction with binary COPY; then moves the counters past the loaded rows.
pub(crate) fn load_rows(
    config: &postgres::Config,
    rows: &mut dyn Iterator<Item = Result<Row, StoreError>>,
) -> Result<Summary, StoreError> {
    let mut conn = Conn::connect(config)?;
    schema::migrate(conn.client(), super::now_ms())?;
    let client = conn.client();
    for table in TABLES {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", table.name);
        if client.query_one(&sql, &[])?.try_get::<_, bool>(0)? {
            return Err(StoreError::Conflict(format!(
                "data in the target store (table {}); restore and copy need an empty store",
                table.name
            )));
        }
    }
    let mut tx = client.transaction()?;
    let mut summary = Summary::default();
    let mut pending = rows.next().transpose()?;
    while let Some(first) = pending {
        pending = copy_run(&mut tx, first, rows, &mut summary)?;
    }
    tx.batch_execute(
        "UPDATE event_seq SET next_seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM events) WHERE id = 1;
         SELECT setval(pg_get_serial_sequence('fields', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM fields), false);
         SELECT setval(pg_get_serial_sequence('facet_terms', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM facet_terms), false);
         SELECT setval(pg_get_serial_sequence('capture_jobs', 'n'), (SELECT COALESCE(MAX(n), 0) + 1 FROM capture_jobs), false);
         SELECT setval(pg_get_serial_sequence('subscriptions', 'n'), (SELECT COALESCE(MAX(n), 0) + 1 FROM subscriptions), false);
         SELECT setval(pg_get_serial_sequence('resolver_scans', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM resolver_scans), false);
         SELECT setval(pg_get_serial_sequence('audit_log', 'n'), (SELECT COALESCE(MAX(n), 0) + 1 FROM audit_log), false);
         SELECT setval(pg_get_serial_sequence('recall_parties', 'n'), (SELECT COALESCE(MAX(n), 0) + 1 FROM recall_parties), false);",
    )?;
    tx.commit()?;
    Ok(summary)
}
