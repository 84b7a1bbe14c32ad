//! Reads of capture jobs and named queries.

use rusqlite::{Connection, OptionalExtension, Row};

use crate::codes;
use crate::cursor::{decode_tagged, encode_text};
use crate::sql;
pub(super) use crate::sql::{limit_plus_one, paged};
use crate::sql::{JOB_COLUMNS, QUERY_TAG};
use crate::{CaptureJob, NamedQuery, Page, PageRequest, StoreError};

/// Reads a job row (`JOB_COLUMNS`) and its creation number.
fn row_to_job(row: &Row<'_>) -> rusqlite::Result<Result<(i64, CaptureJob), StoreError>> {
    Ok(sql::capture_job_row(sql::JobRow {
        n: row.get(0)?,
        id: row.get(1)?,
        status: row.get(2)?,
        mode: row.get(3)?,
        created_ms: row.get(4)?,
        finished_ms: row.get(5)?,
        success: row.get(6)?,
        errors: row.get(7)?,
        stored: row.get(8)?,
    }))
}

/// One capture job.
pub(super) fn capture_job(conn: &Connection, id: &str) -> Result<Option<CaptureJob>, StoreError> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM capture_jobs WHERE id = ?1");
    let row = conn
        .prepare_cached(&sql)?
        .query_row([id], row_to_job)
        .optional()?;
    Ok(row.transpose()?.map(|(_, job)| job))
}

/// A capture job's document.
pub(super) fn capture_job_document(conn: &Connection, id: &str) -> Result<Vec<u8>, StoreError> {
    conn.prepare_cached(crate::sql::JOB_DOCUMENT)?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("capture job {id}")))
}

/// Capture jobs, newest first.
pub(super) fn capture_jobs(
    conn: &Connection,
    page: &PageRequest,
) -> Result<Page<CaptureJob>, StoreError> {
    capture_jobs_where(conn, page, None)
}

/// Capture jobs, newest first, optionally only those submitted by one organisation.
pub(super) fn capture_jobs_where(
    conn: &Connection,
    page: &PageRequest,
    owner: Option<&str>,
) -> Result<Page<CaptureJob>, StoreError> {
    let (before, want) = sql::jobs_start(page)?;
    let rows = conn
        .prepare_cached(&sql::jobs_page_sql())?
        .query_map(
            rusqlite::params![before, limit_plus_one(want), owner],
            row_to_job,
        )?
        .collect::<Result<Result<Vec<_>, StoreError>, _>>()??;
    Ok(sql::jobs_page(rows, want))
}

/// Jobs not finished, oldest first.
pub(super) fn unfinished_capture_jobs(conn: &Connection) -> Result<Vec<CaptureJob>, StoreError> {
    let sql =
        format!("SELECT {JOB_COLUMNS} FROM capture_jobs WHERE status IN (?1, ?2) ORDER BY n ASC");
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([codes::STATUS_PENDING, codes::STATUS_RUNNING], row_to_job)?
        .collect::<Result<Result<Vec<_>, StoreError>, _>>()??;
    Ok(rows.into_iter().map(|(_, job)| job).collect())
}

fn row_to_query(row: &Row<'_>) -> rusqlite::Result<Result<NamedQuery, StoreError>> {
    Ok(sql::named_query_row(row.get(0)?, row.get(1)?, row.get(2)?))
}

/// One named query.
pub(super) fn named_query(conn: &Connection, name: &str) -> Result<Option<NamedQuery>, StoreError> {
    conn.prepare_cached("SELECT name, definition, created_ms FROM named_queries WHERE name = ?1")?
        .query_row([name], row_to_query)
        .optional()?
        .transpose()
}

/// Named queries by name.
pub(super) fn named_queries(
    conn: &Connection,
    page: &PageRequest,
) -> Result<Page<NamedQuery>, StoreError> {
    let after = page
        .after
        .as_deref()
        .map(|c| decode_tagged(c, QUERY_TAG))
        .transpose()?;
    let want = page.per_page.max(1);
    let mut stmt = match after {
        Some(_) => conn.prepare_cached(
            "SELECT name, definition, created_ms FROM named_queries WHERE name > ?1 ORDER BY name LIMIT ?2",
        )?,
        None => conn.prepare_cached(
            "SELECT name, definition, created_ms FROM named_queries WHERE ?1 IS NULL ORDER BY name LIMIT ?2",
        )?,
    };
    let rows = stmt
        .query_map(rusqlite::params![after, limit_plus_one(want)], row_to_query)?
        .collect::<Result<Result<Vec<_>, StoreError>, _>>()??;
    Ok(paged(
        rows,
        want,
        |q| encode_text(QUERY_TAG, &q.name),
        |q| q,
    ))
}

/// Master data elements of a vocabulary type (one, when `id` is given), by id.
pub(super) fn master_data(
    conn: &Connection,
    vocabulary_type: &str,
    id: Option<&str>,
) -> Result<Vec<crate::MasterDataElement>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT element_id, element, updated_ms FROM master_data \
         WHERE vocabulary_type = ?1 AND (?2 IS NULL OR element_id = ?2) ORDER BY element_id",
    )?;
    let rows = stmt.query_map(rusqlite::params![vocabulary_type, id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (element_id, element, updated_ms) = row?;
        let element = serde_json::from_str(&element).map_err(|e| {
            StoreError::Database(format!("master data {element_id} is not JSON: {e}"))
        })?;
        out.push(crate::MasterDataElement {
            vocabulary_type: vocabulary_type.to_string(),
            id: element_id,
            element,
            updated_ms,
        });
    }
    Ok(out)
}
