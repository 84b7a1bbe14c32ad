//! Query subscriptions (`/queries/{name}/subscriptions`): their definitions and the durable
//! delivery cursor of each.
//!
//! Delivery is at least once and in order per subscription: a subscription's cursor is the
//! sequence number of the last event its receiver acknowledged, and only an acknowledgement
//! moves it. After a restart, delivery resumes from the cursor, so the events between the
//! last acknowledgement and the crash are sent again, never skipped.

use epcis::query::Query;

use crate::{Page, PageRequest, StoreError, StoredEvent};

/// A subscription as the client asked for it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSubscription {
    /// The named query it follows.
    pub query_name: String,
    /// Callback URL (`dest`).
    pub dest: String,
    /// The client's secret for signing callbacks (`signatureToken`).
    pub signature_token: Option<String>,
    /// `stream: true`: notify on every new matching event.
    pub stream: bool,
    /// The `schedule` object, as given (validated by the caller).
    pub schedule: Option<serde_json::Value>,
    /// `reportIfEmpty`: call back on a scheduled run even with no new events.
    pub report_if_empty: bool,
    /// `initialRecordTime`, epoch ms: events recorded from then on are reported. `None`
    /// means "from now": only events stored after the subscription are reported.
    pub initial_record_time_ms: Option<i64>,
    /// Output options chosen at subscription (`GS1-EPC-Format`, `GS1-CBV-XML-Format`, the
    /// callback binding …) as a JSON object; the store keeps it opaque.
    pub options: serde_json::Value,
}

/// A stored subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// `subscriptionID` (URL-safe, random).
    pub id: String,
    /// The definition.
    pub spec: NewSubscription,
    /// When created, epoch ms.
    pub created_ms: i64,
    /// When a receiver last acknowledged a callback, epoch ms.
    pub last_notified_ms: Option<i64>,
    /// Sequence number of the last event acknowledged (0: none yet).
    pub cursor: i64,
    /// Failed callbacks since the last acknowledged one.
    pub failures: i64,
    /// Why the last callback failed, if it did.
    pub last_error: Option<String>,
}

/// Storage of subscriptions and their delivery cursors. Methods block (call them from
/// `spawn_blocking` in async code).
pub trait SubscriptionStore: Send + Sync {
    /// Stores a new subscription whose cursor starts at the last event recorded before
    /// `initial_record_time_ms` (or at the newest event when that is `None`), atomically with
    /// respect to appends. `NotFound` when the named query does not exist.
    fn create_subscription(&self, new: NewSubscription) -> Result<Subscription, StoreError>;
    /// One subscription of a named query.
    fn subscription(&self, query_name: &str, id: &str) -> Result<Option<Subscription>, StoreError>;
    /// The subscriptions of a named query, oldest first, paged.
    fn subscriptions(
        &self,
        query_name: &str,
        page: &PageRequest,
    ) -> Result<Page<Subscription>, StoreError>;
    /// Every subscription, oldest first (for the delivery worker at start).
    fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;
    /// Deletes a subscription; `NotFound` when absent. (Deleting a named query deletes its
    /// subscriptions too.)
    fn delete_subscription(&self, query_name: &str, id: &str) -> Result<(), StoreError>;
    /// Up to `limit` events after sequence number `after_seq` that match `query`, in capture
    /// order (the query's own ordering and count limits do not apply to a subscription).
    fn events_after(
        &self,
        query: &Query,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError>;
    /// Records an acknowledged callback: the cursor moves to `to_seq` (never backwards), the
    /// failure count is cleared. `NotFound` when the subscription was deleted meanwhile.
    fn acknowledge_delivery(&self, id: &str, to_seq: i64, at_ms: i64) -> Result<(), StoreError>;
    /// Records a failed callback (for operators: `failures`, `last_error`).
    fn record_delivery_failure(&self, id: &str, error: &str) -> Result<(), StoreError>;
    /// Claims, or renews, the delivery of subscription `id` for the worker `holder` until
    /// `until_ms`, so that of all the processes on this store exactly one delivers it: true
    /// when `holder` now holds it (it was free, already `holder`'s, or its holder's claim
    /// lapsed before `now_ms`); false when another live worker holds it. `NotFound` when the
    /// subscription is gone.
    fn claim_delivery(
        &self,
        id: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError>;
}
