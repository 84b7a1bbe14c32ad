//! SimpleEventQuery: query parameters (REST query string or a named query's
//! definition) turned into a typed [`Query`] over facets, which the store executes.

use crate::model::EventType;

/// A comparison for numbers and times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `EQ_` on a number.
    Eq,
    /// `GT_`.
    Gt,
    /// `GE_`.
    Ge,
    /// `LT_`.
    Lt,
    /// `LE_`.
    Le,
}

/// A time column of the event itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeColumn {
    /// `eventTime`.
    EventTime,
    /// `recordTime`.
    RecordTime,
}

/// One condition an event must satisfy; a [`Query`] is the conjunction of its conditions.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The event's type is one of these.
    EventTypeIn(Vec<EventType>),
    /// The event's `eventID` is one of these.
    EventIdIn(Vec<String>),
    /// The event has a text facet in one of `fields` whose value equals one of `values`.
    TextIn {
        /// Facet field names.
        fields: Vec<String>,
        /// Accepted values (canonical form).
        values: Vec<String>,
    },
    /// The event has a text facet in one of `fields` whose value matches one of these SQL
    /// `LIKE` patterns (`_` one character, `%` any run, `\` escapes); used for EPC patterns.
    TextLike {
        /// Facet field names.
        fields: Vec<String>,
        /// `LIKE` patterns.
        patterns: Vec<String>,
    },
    /// The event has at least one facet (text or number) in one of `fields` (`EXISTS_`).
    Exists {
        /// Facet field names.
        fields: Vec<String>,
    },
    /// The event has a number facet `field` with `value op operand`.
    Number {
        /// Facet field name.
        field: String,
        /// Comparison.
        op: CmpOp,
        /// Right-hand side; times are epoch milliseconds.
        operand: f64,
    },
    /// A comparison on the event's own time column (epoch milliseconds).
    Time {
        /// Which column.
        column: TimeColumn,
        /// Comparison (`Ge` or `Lt` from the standard; the others are allowed).
        op: CmpOp,
        /// Epoch milliseconds.
        operand_ms: i64,
    },
}

/// Sort key of the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderBy {
    /// Capture order (sequence number); the default.
    #[default]
    Sequence,
    /// `orderBy=eventTime`.
    EventTime,
    /// `orderBy=recordTime`.
    RecordTime,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Ascending (default for sequence order).
    #[default]
    Asc,
    /// Descending (`orderDirection=DESC`, the standard's default when `orderBy` is given).
    Desc,
}

/// A typed SimpleEventQuery.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// All must hold.
    pub conditions: Vec<Condition>,
    /// Sort key.
    pub order_by: OrderBy,
    /// Sort direction.
    pub direction: Direction,
    /// `eventCountLimit`: return at most this many events (truncate silently).
    pub event_count_limit: Option<usize>,
    /// `maxEventCount`: if more than this many events match, the query fails with QueryTooLargeException.
    pub max_event_count: Option<usize>,
}

/// A query parameter that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query parameter {param}: {message}")]
pub struct QueryParamError {
    /// The parameter name.
    pub param: String,
    /// What is wrong.
    pub message: String,
}

/// Builds a [`Query`] from SimpleEventQuery parameters (REST query string pairs; a
/// parameter may repeat, and a value may be a `|`-separated list). Paging parameters
/// (`perPage`, `nextPageToken`) are the caller's and must not be passed.
pub fn from_params(params: &[(String, String)]) -> Result<Query, QueryParamError> {
    let _ = params;
    Ok(Query::default())
}

/// Builds a [`Query`] from a named query's definition (the `query` object of
/// `POST /queries`: parameter name → value or array of values).
pub fn from_definition(definition: &serde_json::Value) -> Result<Query, QueryParamError> {
    let _ = definition;
    Ok(Query::default())
}
