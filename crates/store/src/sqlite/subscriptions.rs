//! SQL of [`SubscriptionStore`](crate::SubscriptionStore): writes run on the writer thread
//! (inside its group commit), reads on pooled read-only connections.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::cursor::{decode_tagged, encode_text};
use crate::{NewSubscription, Page, PageRequest, StoreError, Subscription};

const COLUMNS: &str =
    "n, id, query_name, dest, signature_token, stream, schedule, report_if_empty, \
     initial_record_time, options, created_ms, last_notified_ms, cursor_seq, failures, last_error";
const TAG: &str = "s1";

/// A subscription write, applied by the writer thread.
pub(crate) enum SubscriptionOp {
    /// Insert a subscription; its cursor is computed from the events table in the same transaction.
    Create {
        id: String,
        spec: Box<NewSubscription>,
        created_ms: i64,
    },
    /// Delete one subscription of a named query.
    Delete { query_name: String, id: String },
    /// Move the cursor forward and clear the failure count.
    Acknowledge { id: String, to_seq: i64, at_ms: i64 },
    /// Count a failure.
    Failure { id: String, error: String },
}

/// Applies one write.
pub(super) fn apply(conn: &Connection, op: &SubscriptionOp) -> Result<(), StoreError> {
    match op {
        SubscriptionOp::Create {
            id,
            spec,
            created_ms,
        } => {
            // The cursor is the last event recorded before initialRecordTime (or the newest
            // event), read in the writer's transaction so no append slips in between.
            let cursor: i64 = match spec.initial_record_time_ms {
                Some(t) => conn.query_row(
                    "SELECT COALESCE((SELECT MIN(seq) - 1 FROM events WHERE record_time >= ?1), \
                     (SELECT COALESCE(MAX(seq), 0) FROM events))",
                    [t],
                    |r| r.get(0),
                )?,
                None => {
                    conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?
                }
            };
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO subscriptions (id, query_name, dest, signature_token, stream, schedule, \
                     report_if_empty, initial_record_time, options, created_ms, last_notified_ms, cursor_seq, failures, last_error) \
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11, 0, NULL \
                     WHERE EXISTS (SELECT 1 FROM named_queries WHERE name = ?2)",
                )?
                .execute(params![
                    id,
                    spec.query_name,
                    spec.dest,
                    spec.signature_token,
                    i64::from(spec.stream),
                    spec.schedule.as_ref().map(|s| s.to_string()),
                    i64::from(spec.report_if_empty),
                    spec.initial_record_time_ms,
                    spec.options.to_string(),
                    created_ms,
                    cursor,
                ])?;
            if inserted == 0 {
                return Err(StoreError::NotFound(format!(
                    "named query {}",
                    spec.query_name
                )));
            }
        }
        SubscriptionOp::Delete { query_name, id } => {
            let n = conn
                .prepare_cached("DELETE FROM subscriptions WHERE query_name = ?1 AND id = ?2")?
                .execute([query_name, id])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("subscription {id}")));
            }
        }
        SubscriptionOp::Acknowledge { id, to_seq, at_ms } => {
            let n = conn
                .prepare_cached(
                    "UPDATE subscriptions SET cursor_seq = CASE WHEN cursor_seq > ?1 THEN cursor_seq ELSE ?1 END, last_notified_ms = ?2, \
                     failures = 0, last_error = NULL WHERE id = ?3",
                )?
                .execute(params![to_seq, at_ms, id])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("subscription {id}")));
            }
        }
        SubscriptionOp::Failure { id, error } => {
            conn.prepare_cached(
                "UPDATE subscriptions SET failures = failures + 1, last_error = ?1 WHERE id = ?2",
            )?
            .execute([error, id])?;
        }
    }
    Ok(())
}

/// Deletes every subscription of a named query (with the query itself).
pub(super) fn delete_for_query(conn: &Connection, query_name: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM subscriptions WHERE query_name = ?1")?
        .execute([query_name])?;
    Ok(())
}

fn json_column(text: &str, what: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Database(format!("subscription {what} is not JSON: {e}")))
}

/// Reads a row (`COLUMNS`) and its creation number.
fn row_to_subscription(row: &Row<'_>) -> rusqlite::Result<Result<(i64, Subscription), StoreError>> {
    let schedule: Option<String> = row.get(6)?;
    let options: String = row.get(9)?;
    let schedule = match schedule.map(|s| json_column(&s, "schedule")).transpose() {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let options = match json_column(&options, "options") {
        Ok(o) => o,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok((
        row.get(0)?,
        Subscription {
            id: row.get(1)?,
            spec: NewSubscription {
                query_name: row.get(2)?,
                dest: row.get(3)?,
                signature_token: row.get(4)?,
                stream: row.get::<_, i64>(5)? != 0,
                schedule,
                report_if_empty: row.get::<_, i64>(7)? != 0,
                initial_record_time_ms: row.get(8)?,
                options,
            },
            created_ms: row.get(10)?,
            last_notified_ms: row.get(11)?,
            cursor: row.get(12)?,
            failures: row.get(13)?,
            last_error: row.get(14)?,
        },
    )))
}

/// One subscription (of a named query, or of any when `query_name` is `None`).
pub(super) fn subscription(
    conn: &Connection,
    query_name: Option<&str>,
    id: &str,
) -> Result<Option<Subscription>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM subscriptions WHERE id = ?1 AND (?2 IS NULL OR query_name = ?2)"
    );
    let row = conn
        .prepare_cached(&sql)?
        .query_row(params![id, query_name], row_to_subscription)
        .optional()?;
    Ok(row.transpose()?.map(|(_, s)| s))
}

/// A named query's subscriptions, oldest first.
pub(super) fn subscriptions(
    conn: &Connection,
    query_name: &str,
    page: &PageRequest,
) -> Result<Page<Subscription>, StoreError> {
    let after = match page.after.as_deref() {
        Some(c) => decode_tagged(c, TAG)?
            .parse::<i64>()
            .map_err(|_| StoreError::InvalidCursor)?,
        None => 0,
    };
    let want = page.per_page.max(1);
    let sql = format!(
        "SELECT {COLUMNS} FROM subscriptions WHERE query_name = ?1 AND n > ?2 ORDER BY n LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let limit = i64::try_from(want.saturating_add(1)).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![query_name, after, limit], row_to_subscription)?;
    let mut items = Vec::new();
    let mut last = 0;
    for row in rows {
        let (n, s) = row??;
        if items.len() == want {
            return Ok(Page {
                items,
                next: Some(encode_text(TAG, &last.to_string())),
            });
        }
        last = n;
        items.push(s);
    }
    Ok(Page { items, next: None })
}

/// Every subscription, oldest first.
pub(super) fn all(conn: &Connection) -> Result<Vec<Subscription>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM subscriptions ORDER BY n");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], row_to_subscription)?;
    let mut items = Vec::new();
    for row in rows {
        items.push(row??.1);
    }
    Ok(items)
}
