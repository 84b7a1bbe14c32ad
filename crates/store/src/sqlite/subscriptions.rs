//! [`SubscriptionStore`](crate::SubscriptionStore) on SQLite: writes run on the writer
//! thread (inside its group commit), reads on pooled read-only connections. The SQL is
//! shared with PostgreSQL ([`crate::sql::subscriptions`]).

use rusqlite::{params, Connection, OptionalExtension};

use crate::sql::subscriptions as stmt;
use crate::{NewSubscription, Page, PageRequest, StoreError, Subscription};

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
            let exists = conn
                .prepare_cached("SELECT name FROM named_queries WHERE name = ?1")?
                .exists([&spec.query_name])?;
            if !exists {
                return Err(StoreError::NotFound(format!(
                    "named query {}",
                    spec.query_name
                )));
            }
            // The cursor is the last event recorded before initialRecordTime (or the newest
            // event), read in the writer's transaction so no append slips in between.
            let cursor: i64 = match spec.initial_record_time_ms {
                Some(t) => conn.query_row(stmt::CURSOR_FROM_TIME, [t], |r| r.get(0))?,
                None => conn.query_row(stmt::CURSOR_NEWEST, [], |r| r.get(0))?,
            };
            let v = stmt::insert_values(spec);
            conn.prepare_cached(stmt::INSERT)?.execute(params![
                id,
                spec.query_name,
                spec.dest,
                spec.signature_token,
                v.stream,
                v.schedule,
                v.report_if_empty,
                spec.initial_record_time_ms,
                v.options,
                created_ms,
                cursor,
            ])?;
        }
        SubscriptionOp::Delete { query_name, id } => {
            let n = conn
                .prepare_cached(stmt::DELETE)?
                .execute([query_name, id])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("subscription {id}")));
            }
        }
        SubscriptionOp::Acknowledge { id, to_seq, at_ms } => {
            let n = conn
                .prepare_cached(stmt::ACKNOWLEDGE)?
                .execute(params![to_seq, at_ms, id])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("subscription {id}")));
            }
        }
        SubscriptionOp::Failure { id, error } => {
            conn.prepare_cached(stmt::FAILURE)?.execute([error, id])?;
        }
    }
    Ok(())
}

/// Deletes every subscription of a named query (with the query itself).
pub(super) fn delete_for_query(conn: &Connection, query_name: &str) -> Result<(), StoreError> {
    conn.prepare_cached(stmt::DELETE_FOR_QUERY)?
        .execute([query_name])?;
    Ok(())
}

/// One subscription (of a named query, or of any when `query_name` is `None`).
pub(super) fn subscription(
    conn: &Connection,
    query_name: Option<&str>,
    id: &str,
) -> Result<Option<Subscription>, StoreError> {
    let row = conn
        .prepare_cached(stmt::SELECT_ONE)?
        .query_row(params![id, query_name], |r| Ok(stmt::row(r)))
        .optional()?;
    Ok(row.transpose()?.map(|(_, s)| s))
}

/// A named query's subscriptions, oldest first.
pub(super) fn subscriptions(
    conn: &Connection,
    query_name: &str,
    page: &PageRequest,
) -> Result<Page<Subscription>, StoreError> {
    let (after, want) = stmt::page_start(page)?;
    let rows = conn
        .prepare_cached(stmt::SELECT_PAGE)?
        .query_map(
            params![query_name, after, crate::sql::limit_plus_one(want)],
            |r| Ok(stmt::row(r)),
        )?
        .collect::<Result<Result<Vec<_>, StoreError>, _>>()??;
    Ok(stmt::page(rows, want))
}

/// Every subscription, oldest first.
pub(super) fn all(conn: &Connection) -> Result<Vec<Subscription>, StoreError> {
    let rows = conn
        .prepare_cached(stmt::SELECT_ALL)?
        .query_map([], |r| Ok(stmt::row(r)))?
        .collect::<Result<Result<Vec<_>, StoreError>, _>>()??;
    Ok(rows.into_iter().map(|(_, s)| s).collect())
}

/// Whether a subscription exists.
pub(super) fn exists(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    Ok(conn.prepare_cached(stmt::EXISTS)?.exists([id])?)
}
