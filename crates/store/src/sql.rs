//! Backend-neutral SQL: SimpleEventQuery → SQL text with `?` placeholders and typed
//! parameters, keyset paging, and the distinct-values walk. Both backends run the same
//! statements (the SQL is kept to what SQLite and PostgreSQL share), so a query answers
//! the same on either; a backend only supplies how to execute them ([`EventSql`]).
//!
//! Every condition is answered from an index: facet conditions are `seq IN (subquery)` over
//! the covering primary keys of `facet_postings` (text values, by term: `facet_terms`
//! holds each (field, value) once) and `facet_num`, event columns use their
//! `(column, seq)` indexes. Paging is by keyset, never OFFSET.

pub(crate) mod accounts;
pub(crate) mod cells;
pub(crate) mod links;
pub(crate) mod registries;
pub(crate) mod subscriptions;
pub(crate) mod trace;

use epcis::query::{CmpOp, Condition, Direction, OrderBy, TimeColumn};
use epcis::{EventType, Query};

use crate::codes;
use crate::cursor::{decode_tagged, encode_text, EventCursor};
use crate::{CaptureJob, NamedQuery, Page, PageRequest, StoreError, StoredEvent};

/// A statement parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    /// An integer.
    Int(i64),
    /// A float.
    Real(f64),
    /// Text.
    Text(String),
}

/// How a backend runs the statements of this module.
pub(crate) trait EventSql {
    /// Ids of the known fields among `names`, without repeats (unknown fields have no facets).
    fn field_ids(&mut self, names: &[String]) -> Result<Vec<i64>, StoreError>;
    /// Runs a statement returning one integer.
    fn count(&mut self, sql: &str, params: &[Param]) -> Result<i64, StoreError>;
    /// Runs a statement returning [`EVENT_COLUMNS`] rows.
    fn events(&mut self, sql: &str, params: &[Param]) -> Result<Vec<StoredEvent>, StoreError>;
    /// The least text value of a field above `after` (all values when `None`).
    fn next_value(
        &mut self,
        field_id: i64,
        after: Option<&str>,
    ) -> Result<Option<String>, StoreError>;
}

/// The columns every event SELECT returns, in the order [`stored_event`] takes them.
pub(crate) const EVENT_COLUMNS: &str =
    "e.seq, e.event_id, e.event_type, e.event_time, e.record_time, e.body";

/// A capture job's document (`?1` the job id): in `capture_job_documents` since schema
/// 740, in `capture_jobs.document` for jobs created before.
pub(crate) const JOB_DOCUMENT: &str =
    "SELECT COALESCE(d.document, j.document) FROM capture_jobs j \
     LEFT JOIN capture_job_documents d ON d.n = j.n WHERE j.id = ?1";

/// The event with an `eventID` (`?1` its key, `?2` the text), through `event_keys`.
pub(crate) fn event_by_id_sql() -> String {
    format!(
        "SELECT {EVENT_COLUMNS} FROM event_keys k JOIN events e ON e.seq = k.seq \
         WHERE k.key = ?1 AND e.event_id = ?2"
    )
}

/// The event of one [`EVENT_COLUMNS`] row.
pub(crate) fn stored_event(
    seq: i64,
    event_id: String,
    type_code: i64,
    event_time_ms: i64,
    record_time_ms: i64,
    body: String,
) -> Result<StoredEvent, StoreError> {
    let event_type: EventType = codes::event_type_from_code(type_code)
        .ok_or_else(|| StoreError::Database(format!("unknown event type code {type_code}")))?;
    Ok(StoredEvent {
        seq,
        event_id,
        event_type,
        event_time_ms,
        record_time_ms,
        body,
    })
}

/// A conjunction of SQL conditions over `events e`, with its parameters in order.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    /// `AND`-joined conditions (`1 = 1` when none).
    pub sql: String,
    /// Parameters for the `?` placeholders, in order.
    pub params: Vec<Param>,
}

impl Filter {
    fn push(&mut self, sql: &str, params: impl IntoIterator<Item = Param>) {
        if !self.sql.is_empty() {
            self.sql.push_str(" AND ");
        }
        self.sql.push_str(sql);
        self.params.extend(params);
    }
}

/// Builds the filter of a query; `None` when no event can match (e.g. an unknown field).
pub(crate) fn build_filter(
    db: &mut impl EventSql,
    conditions: &[Condition],
) -> Result<Option<Filter>, StoreError> {
    let mut filter = Filter::default();
    for condition in conditions {
        if !push_condition(db, &mut filter, condition)? {
            return Ok(None);
        }
    }
    if filter.sql.is_empty() {
        filter.sql.push_str("1 = 1");
    }
    Ok(Some(filter))
}

/// Up to `limit` events matching `conditions` with a sequence number above `after_seq`, in
/// capture order (a subscription's next batch; the query's own order and limits do not apply).
pub(crate) fn events_after(
    db: &mut impl EventSql,
    conditions: &[Condition],
    after_seq: i64,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    let Some(mut filter) = build_filter(db, conditions)? else {
        return Ok(Vec::new());
    };
    filter.push("e.seq > ?", [Param::Int(after_seq)]);
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE {} ORDER BY e.seq ASC LIMIT ?",
        filter.sql
    );
    filter.params.push(Param::Int(to_i64(limit.max(1))));
    db.events(&sql, &filter.params)
}

/// Adds one condition; false when it can match nothing.
fn push_condition(
    db: &mut impl EventSql,
    filter: &mut Filter,
    condition: &Condition,
) -> Result<bool, StoreError> {
    match condition {
        Condition::EventTypeIn(types) => {
            if types.is_empty() {
                return Ok(false);
            }
            let sql = format!("e.event_type IN ({})", marks(types.len()));
            filter.push(
                &sql,
                types.iter().map(|t| Param::Int(codes::event_type_code(*t))),
            );
        }
        Condition::EventIdIn(ids) => {
            if ids.is_empty() {
                return Ok(false);
            }
            // Found through their keys (see store::keys), checked against the text.
            let sql = format!(
                "e.seq IN (SELECT k.seq FROM event_keys k WHERE k.key IN ({})) \
                 AND e.event_id IN ({})",
                marks(ids.len()),
                marks(ids.len())
            );
            let params = ids
                .iter()
                .map(|id| Param::Int(crate::keys::event_key(id)))
                .chain(ids.iter().map(|id| Param::Text(id.clone())));
            filter.push(&sql, params.collect::<Vec<_>>());
        }
        Condition::TextIn { fields, values } => {
            let ids = db.field_ids(fields)?;
            if ids.is_empty() || values.is_empty() {
                return Ok(false);
            }
            let sql = format!(
                "e.seq IN (SELECT p.seq FROM facet_postings p WHERE p.term_id IN \
                 (SELECT t.id FROM facet_terms t WHERE t.field_id IN ({}) AND t.value IN ({})))",
                marks(ids.len()),
                marks(values.len())
            );
            let params = ids
                .iter()
                .map(|id| Param::Int(*id))
                .chain(values.iter().map(|v| Param::Text(v.clone())));
            filter.push(&sql, params.collect::<Vec<_>>());
        }
        Condition::TextLike { fields, patterns } => {
            let ids = db.field_ids(fields)?;
            if ids.is_empty() || patterns.is_empty() {
                return Ok(false);
            }
            let mut parts = Vec::with_capacity(patterns.len());
            let mut params = Vec::new();
            for pattern in patterns {
                let (sql, p) = like_subquery(&ids, pattern);
                parts.push(sql);
                params.extend(p);
            }
            filter.push(&format!("e.seq IN ({})", parts.join(" UNION ALL ")), params);
        }
        Condition::Exists { fields } => {
            let ids = db.field_ids(fields)?;
            if ids.is_empty() {
                return Ok(false);
            }
            let m = marks(ids.len());
            let sql = format!(
                "e.seq IN (SELECT p.seq FROM facet_postings p WHERE p.term_id IN \
                 (SELECT t.id FROM facet_terms t WHERE t.field_id IN ({m})) \
                 UNION ALL SELECT n.seq FROM facet_num n WHERE n.field_id IN ({m}))"
            );
            let params = ids.iter().chain(ids.iter()).map(|id| Param::Int(*id));
            filter.push(&sql, params.collect::<Vec<_>>());
        }
        Condition::Number { field, op, operand } => {
            let ids = db.field_ids(std::slice::from_ref(field))?;
            let Some(id) = ids.first() else {
                return Ok(false);
            };
            let sql = format!(
                "e.seq IN (SELECT n.seq FROM facet_num n WHERE n.field_id = ? AND n.value {} ?)",
                op_sql(*op)
            );
            filter.push(&sql, [Param::Int(*id), Param::Real(*operand)]);
        }
        Condition::Time {
            column,
            op,
            operand_ms,
        } => {
            let col = match column {
                TimeColumn::EventTime => "e.event_time",
                TimeColumn::RecordTime => "e.record_time",
            };
            filter.push(
                &format!("{col} {} ?", op_sql(*op)),
                [Param::Int(*operand_ms)],
            );
        }
    }
    Ok(true)
}

/// The statement of [`EventSql::next_value`]: the least value of a field's terms above the
/// second parameter (when `after`) that some stored event names; a term interned for an
/// event that was then refused has no postings. Walks the terms' `(field_id, value)` index.
pub(crate) const fn next_value_sql(after: bool) -> &'static str {
    if after {
        "SELECT t.value FROM facet_terms t WHERE t.field_id = ? AND t.value > ? \
         AND EXISTS (SELECT 1 FROM facet_postings p WHERE p.term_id = t.id) \
         ORDER BY t.value LIMIT 1"
    } else {
        "SELECT t.value FROM facet_terms t WHERE t.field_id = ? \
         AND EXISTS (SELECT 1 FROM facet_postings p WHERE p.term_id = t.id) \
         ORDER BY t.value LIMIT 1"
    }
}

/// One `TextLike` pattern as a subquery: the literal prefix bounds an index range of
/// terms, `LIKE` (case-sensitive on both backends) checks the rest.
fn like_subquery(ids: &[i64], pattern: &str) -> (String, Vec<Param>) {
    let mut params: Vec<Param> = ids.iter().map(|id| Param::Int(*id)).collect();
    let mut sql = format!(
        "SELECT p.seq FROM facet_postings p WHERE p.term_id IN \
         (SELECT f.id FROM facet_terms f WHERE f.field_id IN ({})",
        marks(ids.len())
    );
    let (prefix, literal) = like_prefix(pattern);
    if literal {
        sql.push_str(" AND f.value = ?)");
        params.push(Param::Text(prefix));
        return (sql, params);
    }
    if !prefix.is_empty() {
        sql.push_str(" AND f.value >= ?");
        if let Some(upper) = prefix_upper_bound(&prefix) {
            sql.push_str(" AND f.value < ?");
            params.push(Param::Text(prefix));
            params.push(Param::Text(upper));
        } else {
            params.push(Param::Text(prefix));
        }
    }
    sql.push_str(" AND f.value LIKE ? ESCAPE '\\')");
    params.push(Param::Text(pattern.to_owned()));
    (sql, params)
}

/// The literal prefix of a `LIKE` pattern (up to the first unescaped wildcard, escapes
/// removed), and whether the whole pattern is literal.
pub(crate) fn like_prefix(pattern: &str) -> (String, bool) {
    let mut prefix = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => prefix.push(escaped),
                // A dangling escape is not a literal: let LIKE decide.
                None => return (prefix, false),
            },
            '%' | '_' => return (prefix, false),
            c => prefix.push(c),
        }
    }
    (prefix, true)
}

/// The least string above every string starting with `prefix` (code point order, which
/// is also UTF-8 byte order); `None` when there is none.
pub(crate) fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn op_sql(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
    }
}

/// `?, ?, …` with `n` marks.
fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The column, direction and cursor tag of a query's order.
pub(crate) struct Order {
    key: &'static str,
    tag: char,
    desc: bool,
}

/// The order a query asks for.
pub(crate) fn order_of(query: &Query) -> Order {
    let (key, tag) = match query.order_by {
        OrderBy::Sequence => ("e.seq", 's'),
        OrderBy::EventTime => ("e.event_time", 'e'),
        OrderBy::RecordTime => ("e.record_time", 'r'),
    };
    Order {
        key,
        tag,
        desc: query.direction == Direction::Desc,
    }
}

/// Runs a query for one page. Call inside a read transaction so the size check and the
/// page see the same snapshot.
pub(crate) fn query_events(
    db: &mut impl EventSql,
    query: &Query,
    page: &PageRequest,
) -> Result<Page<StoredEvent>, StoreError> {
    let order = order_of(query);
    let cursor = page
        .after
        .as_deref()
        .map(|c| EventCursor::decode(c, order.tag))
        .transpose()?;
    let empty = Page {
        items: Vec::new(),
        next: None,
    };
    let Some(filter) = build_filter(db, &query.conditions)? else {
        return Ok(empty);
    };
    if let (Some(max), None) = (query.max_event_count, &cursor) {
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM events e WHERE {} LIMIT ?) t",
            filter.sql
        );
        let mut params = filter.params.clone();
        params.push(Param::Int(to_i64(max.saturating_add(1))));
        if db.count(&sql, &params)? > to_i64(max) {
            return Err(StoreError::TooLarge { limit: max });
        }
    }
    let returned = cursor.map_or(0, |c| c.returned);
    let mut want = page.per_page.max(1);
    if let Some(limit) = query.event_count_limit {
        let left = (limit as u64).saturating_sub(returned);
        if left == 0 {
            return Ok(empty);
        }
        want = want.min(usize::try_from(left).unwrap_or(usize::MAX));
    }
    let (sql, params) = select_sql(filter, &order, cursor, want);
    let mut items = db.events(&sql, &params)?;
    let more = items.len() > want;
    items.truncate(want);
    let next = match items.last() {
        Some(last) if more && !reached_limit(query, returned + items.len() as u64) => {
            let key = match query.order_by {
                OrderBy::Sequence => last.seq,
                OrderBy::EventTime => last.event_time_ms,
                OrderBy::RecordTime => last.record_time_ms,
            };
            Some(
                EventCursor {
                    key,
                    seq: last.seq,
                    returned: returned + items.len() as u64,
                }
                .encode(order.tag),
            )
        }
        _ => None,
    };
    Ok(Page { items, next })
}

/// The page's SELECT: the filter, the keyset position after the cursor, the order, and
/// one row more than wanted (to know whether another page follows).
pub(crate) fn select_sql(
    mut filter: Filter,
    order: &Order,
    cursor: Option<EventCursor>,
    want: usize,
) -> (String, Vec<Param>) {
    let (cmp, dir) = if order.desc {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(c) = cursor {
        if order.tag == 's' {
            filter.push(&format!("e.seq {cmp} ?"), [Param::Int(c.seq)]);
        } else {
            filter.push(
                &format!("({}, e.seq) {cmp} (?, ?)", order.key),
                [Param::Int(c.key), Param::Int(c.seq)],
            );
        }
    }
    let order_sql = if order.tag == 's' {
        format!("e.seq {dir}")
    } else {
        format!("{} {dir}, e.seq {dir}", order.key)
    };
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE {} ORDER BY {order_sql} LIMIT ?",
        filter.sql
    );
    filter
        .params
        .push(Param::Int(to_i64(want.saturating_add(1))));
    (sql, filter.params)
}

fn reached_limit(query: &Query, returned: u64) -> bool {
    query
        .event_count_limit
        .is_some_and(|limit| returned >= limit as u64)
}

/// A count as an SQL integer (saturating).
pub(crate) fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `LIMIT` for a page of `want` (one more, to know whether a next page exists).
pub(crate) fn limit_plus_one(want: usize) -> i64 {
    i64::try_from(want).unwrap_or(i64::MAX - 1) + 1
}

/// Cuts `rows` (fetched with one extra) to a page, with a cursor after its last item.
pub(crate) fn paged<R, T>(
    mut rows: Vec<R>,
    want: usize,
    cursor: impl Fn(&R) -> String,
    item: impl Fn(R) -> T,
) -> Page<T> {
    let more = rows.len() > want;
    rows.truncate(want);
    let next = if more { rows.last().map(cursor) } else { None };
    Page {
        items: rows.into_iter().map(item).collect(),
        next,
    }
}

const DISTINCT_TAG: &str = "v1";

/// One page of distinct text values of `fields`, sorted. Each step is one index seek per
/// field (`MIN(value) … WHERE value > last`), so a field with a few values over millions
/// of events costs as little as one with many.
pub(crate) fn distinct_values(
    db: &mut impl EventSql,
    fields: &[&str],
    page: &PageRequest,
) -> Result<Page<String>, StoreError> {
    let mut last = page
        .after
        .as_deref()
        .map(|c| decode_tagged(c, DISTINCT_TAG))
        .transpose()?;
    let names: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    let ids = db.field_ids(&names)?;
    let want = page.per_page.max(1);
    // Next candidate of each field; refreshed only for the field(s) whose value was taken.
    let mut candidates: Vec<Option<String>> = ids
        .iter()
        .map(|id| db.next_value(*id, last.as_deref()))
        .collect::<Result<_, _>>()?;
    let mut items = Vec::with_capacity(want);
    let mut more = false;
    while let Some(smallest) = candidates.iter().flatten().min().cloned() {
        if items.len() == want {
            more = true;
            break;
        }
        for (candidate, id) in candidates.iter_mut().zip(&ids) {
            if candidate.as_deref() == Some(smallest.as_str()) {
                *candidate = db.next_value(*id, Some(&smallest))?;
            }
        }
        last = Some(smallest.clone());
        items.push(smallest);
    }
    let next = match (more, last) {
        (true, Some(last)) => Some(encode_text(DISTINCT_TAG, &last)),
        _ => None,
    };
    Ok(Page { items, next })
}

/// The columns of a capture job SELECT, in the order of [`JobRow`].
pub(crate) const JOB_COLUMNS: &str =
    "n, id, status, mode, created_ms, finished_ms, success, errors, stored";
/// A page of capture jobs, newest first (`?1` before n, `?2` limit, `?3` the submitting
/// organisation or NULL for all).
pub(crate) fn jobs_page_sql() -> String {
    format!(
        "SELECT {JOB_COLUMNS} FROM capture_jobs WHERE n < ?1 \
         AND (CAST(?3 AS TEXT) IS NULL OR id IN (SELECT job_id FROM capture_job_owners WHERE org_id = ?3)) \
         ORDER BY n DESC LIMIT ?2"
    )
}

/// Where a capture-job page starts: the number below which to list, and how many.
pub(crate) fn jobs_start(page: &PageRequest) -> Result<(i64, usize), StoreError> {
    let before = match page.after.as_deref() {
        Some(c) => decode_tagged(c, JOB_TAG)?
            .parse::<i64>()
            .map_err(|_| StoreError::InvalidCursor)?,
        None => i64::MAX,
    };
    Ok((before, page.per_page.max(1)))
}

/// Cuts capture-job rows fetched with one extra to a page.
pub(crate) fn jobs_page(rows: Vec<(i64, CaptureJob)>, want: usize) -> Page<CaptureJob> {
    paged(
        rows,
        want,
        |(n, _)| encode_text(JOB_TAG, &n.to_string()),
        |(_, job)| job,
    )
}

/// Cursor tag of capture-job pages.
pub(crate) const JOB_TAG: &str = "j1";
/// Cursor tag of named-query pages.
pub(crate) const QUERY_TAG: &str = "q1";

/// A `capture_jobs` row as stored (`n, id, status, mode, created_ms, finished_ms, success,
/// errors, stored`).
pub(crate) struct JobRow {
    pub n: i64,
    pub id: String,
    pub status: i64,
    pub mode: i64,
    pub created_ms: i64,
    pub finished_ms: Option<i64>,
    pub success: i64,
    pub errors: String,
    pub stored: i64,
}

/// The capture job of a row, with its creation number.
pub(crate) fn capture_job_row(row: JobRow) -> Result<(i64, CaptureJob), StoreError> {
    let (Some(status), Some(mode)) = (
        codes::status_from_code(row.status),
        codes::mode_from_code(row.mode),
    ) else {
        return Err(StoreError::Database(format!(
            "capture job row with status {} and mode {}",
            row.status, row.mode
        )));
    };
    let errors = serde_json::from_str(&row.errors)
        .map_err(|e| StoreError::Database(format!("capture job errors are not JSON: {e}")))?;
    Ok((
        row.n,
        CaptureJob {
            id: row.id,
            status,
            mode,
            created_ms: row.created_ms,
            finished_ms: row.finished_ms,
            success: row.success != 0,
            errors,
            stored: usize::try_from(row.stored).unwrap_or(0),
        },
    ))
}

/// The named query of a `named_queries` row.
pub(crate) fn named_query_row(
    name: String,
    definition: String,
    created_ms: i64,
) -> Result<NamedQuery, StoreError> {
    let definition = serde_json::from_str(&definition)
        .map_err(|e| StoreError::Database(format!("named query definition is not JSON: {e}")))?;
    Ok(NamedQuery {
        name,
        definition,
        created_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_prefix_stops_at_first_unescaped_wildcard() {
        assert_eq!(
            like_prefix("urn:epc:id:sgtin:0614141.107346.%"),
            ("urn:epc:id:sgtin:0614141.107346.".into(), false)
        );
        assert_eq!(like_prefix("a\\%b_c"), ("a%b".into(), false));
        assert_eq!(like_prefix("a\\_b"), ("a_b".into(), true));
        assert_eq!(like_prefix("%x"), (String::new(), false));
        assert_eq!(like_prefix("ab\\"), ("ab".into(), false));
    }

    #[test]
    fn upper_bound_is_just_above_the_prefix_range() {
        assert_eq!(prefix_upper_bound("abc").as_deref(), Some("abd"));
        assert_eq!(prefix_upper_bound("a.").as_deref(), Some("a/"));
        assert_eq!(
            prefix_upper_bound("a\u{D7FF}").as_deref(),
            Some("a\u{E000}")
        );
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound("\u{10FFFF}"), None);
        assert_eq!(prefix_upper_bound(""), None);
    }
}
