//! Statements and rows of the `subscriptions` table, shared by both backends.

use super::cells::Cells;
use crate::cursor::{decode_tagged, encode_text};
use crate::{NewSubscription, Page, PageRequest, StoreError, Subscription};

macro_rules! columns {
    () => {
        "n, id, query_name, dest, signature_token, stream, schedule, report_if_empty, \
         initial_record_time, options, created_ms, last_notified_ms, cursor_seq, failures, last_error"
    };
}

/// Cursor tag of subscription pages.
const TAG: &str = "s1";

/// The cursor of a new subscription with `initialRecordTime` `?1`: the last event recorded
/// before it, or the newest event.
pub(crate) const CURSOR_FROM_TIME: &str =
    "SELECT COALESCE((SELECT MIN(seq) - 1 FROM events WHERE record_time >= ?1), \
     (SELECT COALESCE(MAX(seq), 0) FROM events))";
/// The cursor of a new subscription without `initialRecordTime`: the newest event.
pub(crate) const CURSOR_NEWEST: &str = "SELECT COALESCE(MAX(seq), 0) FROM events";
/// Inserts a subscription (`?1` … `?11`, see [`insert_params`]).
pub(crate) const INSERT: &str =
    "INSERT INTO subscriptions (id, query_name, dest, signature_token, stream, schedule, \
     report_if_empty, initial_record_time, options, created_ms, last_notified_ms, cursor_seq, failures, last_error) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11, 0, NULL)";
/// Deletes one subscription of a named query (`?1` query, `?2` id).
pub(crate) const DELETE: &str = "DELETE FROM subscriptions WHERE query_name = ?1 AND id = ?2";
/// Deletes every subscription of a named query.
pub(crate) const DELETE_FOR_QUERY: &str = "DELETE FROM subscriptions WHERE query_name = ?1";
/// Moves the cursor forward (`?1` seq, `?2` when, `?3` id) and clears the failures.
pub(crate) const ACKNOWLEDGE: &str =
    "UPDATE subscriptions SET cursor_seq = CASE WHEN cursor_seq > ?1 THEN cursor_seq ELSE ?1 END, \
     last_notified_ms = ?2, failures = 0, last_error = NULL WHERE id = ?3";
/// Counts a failure (`?1` error, `?2` id).
pub(crate) const FAILURE: &str =
    "UPDATE subscriptions SET failures = failures + 1, last_error = ?1 WHERE id = ?2";
/// One subscription (`?1` id, `?2` query name or NULL for any).
pub(crate) const SELECT_ONE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM subscriptions WHERE id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR query_name = ?2)"
);
/// A page of a named query's subscriptions (`?1` query, `?2` after n, `?3` limit).
pub(crate) const SELECT_PAGE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM subscriptions WHERE query_name = ?1 AND n > ?2 ORDER BY n LIMIT ?3"
);
/// Every subscription, oldest first.
pub(crate) const SELECT_ALL: &str =
    concat!("SELECT ", columns!(), " FROM subscriptions ORDER BY n");

/// Whether a subscription exists.
pub(crate) const EXISTS: &str = "SELECT id FROM subscriptions WHERE id = ?1";

/// The parameters of [`INSERT`] other than the id, the time and the cursor, in order from `?2`.
pub(crate) struct InsertValues {
    pub schedule: Option<String>,
    pub stream: i64,
    pub report_if_empty: i64,
    pub options: String,
}

/// The stored forms of a subscription's flags and JSON columns.
pub(crate) fn insert_values(spec: &NewSubscription) -> InsertValues {
    InsertValues {
        schedule: spec.schedule.as_ref().map(|s| s.to_string()),
        stream: i64::from(spec.stream),
        report_if_empty: i64::from(spec.report_if_empty),
        options: spec.options.to_string(),
    }
}

fn json_column(text: &str, what: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Database(format!("subscription {what} is not JSON: {e}")))
}

/// A subscription row (`columns!()`) and its creation number.
pub(crate) fn row(r: &impl Cells) -> Result<(i64, Subscription), StoreError> {
    let schedule = r
        .opt_text(6)?
        .map(|s| json_column(&s, "schedule"))
        .transpose()?;
    let options = json_column(&r.text(9)?, "options")?;
    Ok((
        r.int(0)?,
        Subscription {
            id: r.text(1)?,
            spec: NewSubscription {
                query_name: r.text(2)?,
                dest: r.text(3)?,
                signature_token: r.opt_text(4)?,
                stream: r.flag(5)?,
                schedule,
                report_if_empty: r.flag(7)?,
                initial_record_time_ms: r.opt_int(8)?,
                options,
            },
            created_ms: r.int(10)?,
            last_notified_ms: r.opt_int(11)?,
            cursor: r.int(12)?,
            failures: r.int(13)?,
            last_error: r.opt_text(14)?,
        },
    ))
}

/// Where a page request starts: the creation number after which to list, and how many.
pub(crate) fn page_start(page: &PageRequest) -> Result<(i64, usize), StoreError> {
    let after = match page.after.as_deref() {
        Some(c) => decode_tagged(c, TAG)?
            .parse::<i64>()
            .map_err(|_| StoreError::InvalidCursor)?,
        None => 0,
    };
    Ok((after, page.per_page.max(1)))
}

/// Cuts rows fetched with one extra to a page.
pub(crate) fn page(rows: Vec<(i64, Subscription)>, want: usize) -> Page<Subscription> {
    super::paged(
        rows,
        want,
        |(n, _)| encode_text(TAG, &n.to_string()),
        |(_, s)| s,
    )
}
