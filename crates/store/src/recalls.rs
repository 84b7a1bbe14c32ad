//! Recalls: the recall records, the lots they name (for the passport banner and the
//! resolver), one row per affected organisation (its acknowledgement, and the notice its
//! recall webhook is sent), and the organisations' recall webhooks with their durable
//! delivery cursors.
//!
//! Notices (a recall declared, a recall closed) are numbered in the order they happen,
//! across all organisations; a webhook's cursor is the last notice its receiver
//! acknowledged, so delivery is in order and, with the delivery lease that picks one
//! process per webhook ([`RecallStore::claim_recall_delivery`]), once, as for query
//! subscriptions.

use trace::recall::{Acknowledgement, Actor, Recall, RecallStatus};

use crate::{Page, PageRequest, StoreError};

/// An organisation's recall webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallWebhook {
    /// Registry id of the organisation.
    pub org: String,
    /// Callback URL.
    pub url: String,
    /// Secret signing the callbacks (`GS1-Signature`, HMAC-SHA256), when given.
    pub secret: Option<String>,
    /// Last notice acknowledged by the receiver (0: none).
    pub cursor: i64,
    /// Failed callbacks since the last acknowledged one.
    pub failures: i64,
    /// Why the last callback failed.
    pub last_error: Option<String>,
    /// When registered, epoch ms.
    pub created_ms: i64,
}

/// What a notice tells an affected organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// The recall was declared: act on it.
    Declared,
    /// The recall was closed: the goods may move again.
    Closed,
}

impl NoticeKind {
    /// `declared` or `closed` (as stored, and in the webhook's JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Declared => "declared",
            NoticeKind::Closed => "closed",
        }
    }

    /// The kind stored as `text`.
    pub(crate) fn parse(text: &str) -> Result<NoticeKind, StoreError> {
        match text {
            "declared" => Ok(NoticeKind::Declared),
            "closed" => Ok(NoticeKind::Closed),
            other => Err(StoreError::Database(format!(
                "stored recall notice kind {other:?} is unknown"
            ))),
        }
    }
}

/// A recall as it reaches one affected organisation: its notice number, what happened,
/// and the recall as it is now.
#[derive(Debug, Clone, PartialEq)]
pub struct RecallNotice {
    /// Notice number (increasing across all organisations).
    pub n: i64,
    /// The organisation notified.
    pub org: String,
    /// Declared or closed.
    pub kind: NoticeKind,
    /// When it happened, epoch ms.
    pub at_ms: i64,
    /// The recall.
    pub recall: Recall,
}

/// Storage of recalls. Methods block (call them from `spawn_blocking` in async code).
pub trait RecallStore: Send + Sync {
    /// Stores a new recall, its lots, one unacknowledged row per affected organisation and
    /// a declaration notice to each, in one transaction. `Conflict` when the id exists.
    fn create_recall(&self, recall: &Recall) -> Result<(), StoreError>;
    /// One recall with its acknowledgements.
    fn recall(&self, id: &str) -> Result<Option<RecallStatus>, StoreError>;
    /// Recalls newest first; with `org`, only those it declared or is affected by.
    fn recalls(
        &self,
        org: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<RecallStatus>, StoreError>;
    /// The open recalls naming lot `lot` of `gtin`, newest first.
    fn open_recalls_of_lot(&self, gtin: &str, lot: &str) -> Result<Vec<Recall>, StoreError>;
    /// Records `ack.org`'s acknowledgement. `NotFound` when the recall does not exist or
    /// does not affect the organisation; `Conflict` when it already acknowledged or the
    /// recall is closed.
    fn acknowledge_recall(&self, id: &str, ack: &Acknowledgement) -> Result<(), StoreError>;
    /// Closes a recall and queues a closing notice to each affected organisation, in one
    /// transaction. `NotFound` when absent; `Conflict` when already closed.
    fn close_recall(
        &self,
        id: &str,
        by: &Actor,
        note: Option<&str>,
        at_ms: i64,
    ) -> Result<(), StoreError>;

    /// Registers (or replaces, keeping its cursor) an organisation's recall webhook.
    fn put_recall_webhook(&self, hook: &RecallWebhook) -> Result<RecallWebhook, StoreError>;
    /// An organisation's recall webhook.
    fn recall_webhook(&self, org: &str) -> Result<Option<RecallWebhook>, StoreError>;
    /// Every recall webhook (for the delivery worker at start).
    fn recall_webhooks(&self) -> Result<Vec<RecallWebhook>, StoreError>;
    /// Removes an organisation's recall webhook; `NotFound` when it has none.
    fn delete_recall_webhook(&self, org: &str) -> Result<(), StoreError>;
    /// Up to `limit` notices of `org` after notice `after`, oldest first.
    fn recall_notices_after(
        &self,
        org: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<RecallNotice>, StoreError>;
    /// Records an acknowledged callback: the cursor moves to `to` (never back), failures
    /// clear. `NotFound` when the webhook was removed meanwhile.
    fn acknowledge_recall_delivery(&self, org: &str, to: i64) -> Result<(), StoreError>;
    /// Records a failed callback.
    fn record_recall_delivery_failure(&self, org: &str, error: &str) -> Result<(), StoreError>;
    /// Claims, or renews, the delivery of `org`'s recall webhook for the worker `holder`
    /// until `until_ms`: the same lease as [`crate::SubscriptionStore::claim_delivery`]
    /// (one table of leases, keyed [`recall_lease_id`]), so that of all the processes on
    /// this store exactly one sends its notices. True when `holder` holds it now; false
    /// when another live worker does. `NotFound` when the webhook is gone.
    fn claim_recall_delivery(
        &self,
        org: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError>;
}

/// The key of an organisation's recall webhook among the delivery leases (beside
/// subscription ids, which never contain a colon).
pub fn recall_lease_id(org: &str) -> String {
    format!("recall-webhook:{org}")
}

/// The recall record as stored (JSON).
pub(crate) fn to_json(recall: &Recall) -> Result<String, StoreError> {
    serde_json::to_string(recall).map_err(|e| StoreError::Database(e.to_string()))
}

/// A stored recall record.
pub(crate) fn from_json(text: &str) -> Result<Recall, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Database(format!("stored recall record is unreadable: {e}")))
}

/// Joins a recall with its acknowledgement rows, in the order of `affected`.
pub(crate) fn status(recall: Recall, mut acks: Vec<Acknowledgement>) -> RecallStatus {
    let order = |org: &str| {
        recall
            .affected
            .iter()
            .position(|a| a.org == org)
            .unwrap_or(usize::MAX)
    };
    acks.sort_by_key(|a| order(&a.org));
    RecallStatus {
        recall,
        acknowledgements: acks,
    }
}

/// Cursor tag of recall pages.
pub(crate) const TAG: &str = "r1";

/// `SELECT` of the recall list: `(n, record)` of recalls before cursor `?` (all when
/// NULL), optionally of one organisation, newest first. Positional `?` parameters:
/// org, org, org, before, before, limit.
pub(crate) const LIST_SQL: &str = "SELECT n, record FROM recalls \
     WHERE (CAST(? AS TEXT) IS NULL OR declarer_org = ? \
            OR id IN (SELECT recall_id FROM recall_parties WHERE org_id = ?)) \
       AND (CAST(? AS BIGINT) IS NULL OR n < ?) \
     ORDER BY n DESC LIMIT ?";

/// `SELECT` of an organisation's notices after a cursor, oldest first: `(n, kind, at_ms,
/// record)`. Positional `?` parameters: org, after, limit.
pub(crate) const NOTICES_SQL: &str = "SELECT x.n, x.kind, x.at_ms, r.record \
     FROM recall_notices x JOIN recalls r ON r.id = x.recall_id \
     WHERE x.org_id = ? AND x.n > ? ORDER BY x.n LIMIT ?";
