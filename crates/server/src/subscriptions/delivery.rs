//! Delivering subscription results: one task per subscription reads the events after its
//! cursor that match its named query and hands them, as `EPCISQueryDocument`s, to an outlet
//! (a webhook, or a WebSocket). Capture only bumps a counter that wakes the tasks; the tasks
//! also poll, so a missed wake-up delays a delivery but never loses it. With several processes
//! on one store, each webhook subscription, and each organisation's recall webhook, is
//! delivered by the one process holding its claim (`SubscriptionStore::claim_delivery`,
//! `RecallStore::claim_recall_delivery`: one lease, renewed while it delivers).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use epcis::query::Query;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use store::{StoreError, StoredEvent, Subscription};
use tokio::task::JoinSet;

use super::request::{stored_formats, stored_mode, Mode};
use super::Command;
use crate::access::{self, View};
use crate::events::query_document;
use crate::headers::OutputFormats;
use crate::ops::Metrics;
use crate::AppState;

/// Why an outlet stopped taking documents.
#[derive(Debug)]
pub(crate) struct Ended(pub String);

/// Where a subscription's documents go.
pub(crate) trait Outlet: Send {
    /// Delivers one document that covers the events up to sequence number `up_to`, returning
    /// once it is delivered (a webhook retries until its receiver acknowledges), or `Ended`
    /// when the subscription is over.
    fn deliver(
        &mut self,
        document: Value,
        up_to: i64,
    ) -> impl Future<Output = Result<(), Ended>> + Send;
}

/// What a subscription task runs: the query, when to report, and in which form.
pub(crate) struct Plan {
    /// The named query's name.
    pub query_name: String,
    /// The named query.
    pub query: Query,
    /// Stream or schedule.
    pub mode: Mode,
    /// Output formats.
    pub formats: OutputFormats,
    /// `subscriptionID`, put in the documents (none for WebSockets).
    pub subscription_id: Option<String>,
    /// What the subscriber may see: events outside it are delivered consumer-safe.
    pub view: View,
}

/// Runs a subscription until its outlet ends: from `cursor` on, every matching event is
/// delivered once acknowledged, in capture order.
pub(crate) async fn drive<O: Outlet>(
    state: &AppState,
    plan: &Plan,
    mut cursor: i64,
    outlet: &mut O,
) -> Ended {
    let hub = &state.subscriptions;
    let mut wake = hub.generation.subscribe();
    loop {
        let report_empty = match &plan.mode {
            Mode::Stream => false,
            Mode::Scheduled {
                schedule,
                report_if_empty,
            } => {
                let Some(at) = schedule.next_after(Utc::now()) else {
                    return Ended("the schedule has no further query time".into());
                };
                let wait = (at - Utc::now()).to_std().unwrap_or_default();
                tokio::time::sleep(wait).await;
                *report_if_empty
            }
        };
        // Marks the wake-ups seen so far: an append after this line wakes the next wait.
        wake.borrow_and_update();
        if let Err(ended) = flush(state, plan, &mut cursor, outlet, report_empty).await {
            return ended;
        }
        if matches!(plan.mode, Mode::Stream) {
            tokio::select! {
                changed = wake.changed() => {
                    if changed.is_err() {
                        tokio::time::sleep(hub.config.poll).await;
                    }
                }
                () = tokio::time::sleep(hub.config.poll) => {}
            }
        }
    }
}

/// Delivers everything after `cursor`, batch by batch (an empty document first when
/// `report_empty` and nothing matched).
async fn flush<O: Outlet>(
    state: &AppState,
    plan: &Plan,
    cursor: &mut i64,
    outlet: &mut O,
    mut report_empty: bool,
) -> Result<(), Ended> {
    let batch = state.subscriptions.config.batch_events.max(1);
    loop {
        let events = match next_events(state, &plan.query, *cursor, batch).await {
            Ok(events) => events,
            Err(e) => {
                tracing::error!(error = %e, query = %plan.query_name, "cannot read events for a subscription");
                tokio::time::sleep(state.subscriptions.config.poll).await;
                return Ok(());
            }
        };
        let events = match access::present(state, &plan.view, events).await {
            Ok(events) => events,
            Err(e) => {
                tracing::error!(error = %e.detail, query = %plan.query_name, "cannot apply a subscriber's view");
                tokio::time::sleep(state.subscriptions.config.poll).await;
                return Ok(());
            }
        };
        let Some(last) = events.last().map(|e| e.seq) else {
            if report_empty {
                outlet.deliver(document(plan, &[])?, *cursor).await?;
            }
            return Ok(());
        };
        report_empty = false;
        outlet.deliver(document(plan, &events)?, last).await?;
        *cursor = last;
        if events.len() < batch {
            return Ok(());
        }
        // Let other tasks run between batches of a long backlog.
        tokio::task::yield_now().await;
    }
}

async fn next_events(
    state: &AppState,
    query: &Query,
    after: i64,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    let store = state.store.clone();
    let query = query.clone();
    tokio::task::spawn_blocking(move || store.events_after(&query, after, limit))
        .await
        .map_err(|e| StoreError::Database(e.to_string()))?
}

/// The `EPCISQueryDocument` of a batch.
fn document(plan: &Plan, events: &[StoredEvent]) -> Result<Value, Ended> {
    let mut doc = query_document(events, plan.formats, &plan.query_name)
        .map_err(|e| Ended(format!("cannot render stored events: {}", e.detail)))?;
    if let (Some(id), Some(results)) = (
        &plan.subscription_id,
        doc.pointer_mut("/epcisBody/queryResults")
            .and_then(Value::as_object_mut),
    ) {
        results.insert("subscriptionID".into(), json!(id));
    }
    Ok(doc)
}

/// The callback body and its media type. JSON-LD today; an XML binding renders here.
fn render(document: &Value) -> (&'static str, Vec<u8>) {
    ("application/ld+json", document.to_string().into_bytes())
}

/// The `GS1-Signature` value for a callback body: `sha256=` and the lowercase hex HMAC-SHA256
/// of the exact body bytes, keyed with the subscriber's `signatureToken` (UTF-8).
pub fn signature(token: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The wait before retry number `attempt` (0-based): doubling from `base`, capped at `max`,
/// with up to 25 % jitter so many failing subscriptions do not retry in step.
fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(20));
    let capped = exp.min(max);
    let jitter = rand::Rng::gen_range(&mut rand::thread_rng(), 0.0..0.25);
    capped.mul_f64(1.0 + jitter).min(max.max(base))
}

/// Whose durable cursor a delivered callback moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Receipt {
    /// A query subscription's (`id` is the subscriptionID).
    Subscription,
    /// An organisation's recall webhook (`id` is the organisation).
    RecallHook,
}

/// A webhook: POSTs each document to `dest`, retrying with backoff until a 2xx, then moves
/// the durable cursor.
struct Webhook {
    state: AppState,
    id: String,
    dest: String,
    token: Option<String>,
    receipt: Receipt,
}

impl Outlet for Webhook {
    async fn deliver(&mut self, document: Value, up_to: i64) -> Result<(), Ended> {
        let hub = &self.state.subscriptions;
        let (content_type, body) = match self.receipt {
            Receipt::Subscription => render(&document),
            Receipt::RecallHook => ("application/json", document.to_string().into_bytes()),
        };
        let signature = self.token.as_deref().map(|t| signature(t, &body));
        let mut attempt = 0u32;
        loop {
            let outcome = {
                // Bounds the callbacks in flight across all subscriptions.
                let _permit = hub.permits.acquire().await;
                let mut request = hub
                    .client
                    .post(&self.dest)
                    .header("content-type", content_type)
                    .body(body.clone());
                if self.receipt == Receipt::Subscription {
                    request = request.header("gs1-epcis-version", crate::headers::EPCIS_VERSION);
                }
                if let Some(s) = &signature {
                    request = request.header("gs1-signature", s);
                }
                request.send().await
            };
            let failure = match outcome {
                Ok(r) if r.status().is_success() => None,
                Ok(r) => Some(format!(
                    "{} answered HTTP {}",
                    self.dest,
                    r.status().as_u16()
                )),
                Err(e) => Some(format!("{} failed: {}", self.dest, error_chain(&e))),
            };
            let store = self.state.store.clone();
            let id = self.id.clone();
            let receipt = self.receipt;
            let Some(failure) = failure else {
                Metrics::add(&self.state.metrics.callbacks_delivered, 1);
                let now = Utc::now().timestamp_millis();
                let acked = tokio::task::spawn_blocking(move || match receipt {
                    Receipt::Subscription => store.acknowledge_delivery(&id, up_to, now),
                    Receipt::RecallHook => store.acknowledge_recall_delivery(&id, up_to),
                })
                .await;
                return match acked {
                    Ok(Err(StoreError::NotFound(_))) => Err(Ended("subscription deleted".into())),
                    Ok(Err(e)) => {
                        // Delivered but not recorded: it is sent again after a restart (at least once).
                        tracing::error!(subscription = %self.id, error = %e, "cannot record a delivery");
                        Ok(())
                    }
                    _ => Ok(()),
                };
            };
            Metrics::add(&self.state.metrics.callbacks_failed, 1);
            tracing::warn!(subscription = %self.id, attempt, error = %failure, "callback failed; will retry");
            let recorded = tokio::task::spawn_blocking(move || match receipt {
                Receipt::Subscription => store.record_delivery_failure(&id, &failure),
                Receipt::RecallHook => store.record_recall_delivery_failure(&id, &failure),
            })
            .await;
            if let Ok(Err(e)) = recorded {
                tracing::error!(subscription = %self.id, error = %e, "cannot record a failed delivery");
            }
            tokio::time::sleep(backoff(
                hub.config.retry_base,
                hub.config.retry_max,
                attempt,
            ))
            .await;
            attempt = attempt.saturating_add(1);
        }
    }
}

/// An error and its causes on one line (reqwest hides the useful part in the sources).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Runs one webhook subscription until it is deleted.
async fn run_webhook(state: AppState, sub: Subscription) {
    let name = sub.spec.query_name.clone();
    let lookup = name.clone();
    let store = state.store.clone();
    let named = match tokio::task::spawn_blocking(move || store.named_query(&lookup)).await {
        Ok(Ok(Some(q))) => q,
        Ok(Ok(None)) => return,
        other => {
            tracing::error!(subscription = %sub.id, ?other, "cannot read the named query of a subscription");
            return;
        }
    };
    let view = View::from_json(sub.spec.options.get("view").unwrap_or(&Value::Null));
    let query = epcis::query::from_definition(&named.definition).and_then(|mut q| {
        access::restrict(&view, &mut q).map_err(|e| epcis::query::QueryParamError {
            param: "view".into(),
            message: e.detail,
        })?;
        Ok(q)
    });
    let plan = match (query, stored_mode(&sub.spec)) {
        (Ok(query), Ok(mode)) => Plan {
            query_name: name,
            query,
            mode,
            formats: stored_formats(&sub.spec.options),
            subscription_id: Some(sub.id.clone()),
            view,
        },
        (q, m) => {
            tracing::error!(subscription = %sub.id, query = ?q.err(), mode = ?m.err(), "subscription cannot run");
            return;
        }
    };
    let mut outlet = Webhook {
        state: state.clone(),
        id: sub.id.clone(),
        dest: sub.spec.dest.clone(),
        token: sub.spec.signature_token.clone(),
        receipt: Receipt::Subscription,
    };
    let lease = Lease::Subscription(sub.id.clone());
    let why = loop {
        // Of all the processes on the store, the one holding the claim delivers.
        if let Claim::Gone = hold(&state, &lease).await {
            break "subscription deleted".to_owned();
        }
        // Another process may have moved the cursor while it held the claim.
        let cursor = match current(&state, &sub).await {
            Some(s) => s.cursor,
            None => break "subscription deleted".to_owned(),
        };
        tokio::select! {
            Ended(why) = drive(&state, &plan, cursor, &mut outlet) => break why,
            claim = keep(&state, &lease) => match claim {
                Claim::Gone => break "subscription deleted".to_owned(),
                _ => tracing::warn!(subscription = %sub.id, "delivery claim lost; waiting to claim it again"),
            },
        }
    };
    tracing::warn!(subscription = %sub.id, reason = %why, "subscription delivery ended");
}

/// The outcome of a delivery claim.
enum Claim {
    /// This process holds it.
    Held,
    /// Another process holds it.
    Taken,
    /// The subscription is gone.
    Gone,
}

/// What a delivery claim is for.
#[derive(Debug, Clone)]
enum Lease {
    /// A query subscription (its subscriptionID).
    Subscription(String),
    /// An organisation's recall webhook (the organisation).
    RecallHook(String),
}

/// Claims or renews a delivery for this process.
async fn claim(state: &AppState, lease: &Lease) -> Claim {
    let hub = &state.subscriptions;
    let (store, lease, holder) = (state.store.clone(), lease.clone(), hub.holder.clone());
    let now = Utc::now().timestamp_millis();
    let until = now.saturating_add(i64::try_from(hub.config.lease.as_millis()).unwrap_or(i64::MAX));
    let answer = tokio::task::spawn_blocking(move || match &lease {
        Lease::Subscription(id) => store.claim_delivery(id, &holder, now, until),
        Lease::RecallHook(org) => store.claim_recall_delivery(org, &holder, now, until),
    })
    .await;
    match answer {
        Ok(Ok(true)) => Claim::Held,
        Ok(Ok(false)) => Claim::Taken,
        Ok(Err(StoreError::NotFound(_))) => Claim::Gone,
        other => {
            // The store is unreachable: claim nothing, try again later.
            tracing::error!(?other, "cannot claim a subscription's delivery");
            Claim::Taken
        }
    }
}

/// Waits until this process holds a delivery (or its subscription or webhook is gone).
async fn hold(state: &AppState, lease: &Lease) -> Claim {
    loop {
        match claim(state, lease).await {
            Claim::Taken => tokio::time::sleep(state.subscriptions.config.lease / 3).await,
            held_or_gone => return held_or_gone,
        }
    }
}

/// Renews the claim every third of its lease; returns when it is lost or the subscription
/// (or webhook) is gone.
async fn keep(state: &AppState, lease: &Lease) -> Claim {
    loop {
        tokio::time::sleep(state.subscriptions.config.lease / 3).await;
        match claim(state, lease).await {
            Claim::Held => {}
            lost_or_gone => return lost_or_gone,
        }
    }
}

/// The subscription as stored now.
async fn current(state: &AppState, sub: &Subscription) -> Option<Subscription> {
    let (store, name, id) = (
        state.store.clone(),
        sub.spec.query_name.clone(),
        sub.id.clone(),
    );
    match tokio::task::spawn_blocking(move || store.subscription(&name, &id)).await {
        Ok(Ok(found)) => found,
        other => {
            tracing::error!(subscription = %sub.id, ?other, "cannot read a subscription; resuming from its first cursor");
            Some(sub.clone())
        }
    }
}

/// The delivery task id of an organisation's recall webhook (beside subscription ids).
pub(crate) fn recall_task_id(org: &str) -> String {
    store::recall_lease_id(org)
}

/// Runs an organisation's recall webhook while this process holds its claim: every notice
/// after its cursor (a recall that affects the organisation declared, or closed), one
/// callback each, signed like subscription callbacks, in order; then waits for the next
/// notice (or polls). Ends when the webhook is removed.
async fn run_recall_hook(state: AppState, hook: store::RecallWebhook) {
    let mut outlet = Webhook {
        state: state.clone(),
        id: hook.org.clone(),
        dest: hook.url.clone(),
        token: hook.secret.clone(),
        receipt: Receipt::RecallHook,
    };
    let lease = Lease::RecallHook(hook.org.clone());
    let why = loop {
        if let Claim::Gone = hold(&state, &lease).await {
            break "recall webhook removed".to_owned();
        }
        // Another process may have delivered (moved the cursor) or changed the URL while
        // it held the claim.
        let (store, org) = (state.store.clone(), hook.org.clone());
        let cursor = match tokio::task::spawn_blocking(move || store.recall_webhook(&org)).await {
            Ok(Ok(Some(now))) => {
                outlet.dest = now.url;
                outlet.token = now.secret;
                now.cursor
            }
            Ok(Ok(None)) => break "recall webhook removed".to_owned(),
            other => {
                tracing::error!(org = %hook.org, ?other, "cannot read a recall webhook; trying again");
                tokio::time::sleep(state.subscriptions.config.poll).await;
                continue;
            }
        };
        tokio::select! {
            Ended(why) = send_notices(&state, &hook.org, cursor, &mut outlet) => break why,
            claim = keep(&state, &lease) => match claim {
                Claim::Gone => break "recall webhook removed".to_owned(),
                _ => tracing::warn!(org = %hook.org, "recall webhook claim lost; waiting to claim it again"),
            },
        }
    };
    tracing::warn!(org = %hook.org, reason = %why, "recall webhook delivery ended");
}

/// Sends `org`'s notices after `cursor` to `outlet`, then waits for more; returns only
/// when the outlet ends.
async fn send_notices(state: &AppState, org: &str, mut cursor: i64, outlet: &mut Webhook) -> Ended {
    let hub = &state.subscriptions;
    let batch = hub.config.batch_events.max(1);
    let mut wake = hub.generation.subscribe();
    loop {
        wake.borrow_and_update();
        let (store, who) = (state.store.clone(), org.to_owned());
        let read =
            tokio::task::spawn_blocking(move || store.recall_notices_after(&who, cursor, batch))
                .await;
        let notices = match read {
            Ok(Ok(n)) => n,
            other => {
                tracing::error!(org = %org, ?other, "cannot read recall notices");
                Vec::new()
            }
        };
        let full = notices.len() >= batch;
        for notice in notices {
            let doc = crate::recalls::notice_json(state, &notice);
            if let Err(ended) = outlet.deliver(doc, notice.n).await {
                return ended;
            }
            cursor = notice.n;
        }
        if full {
            continue;
        }
        tokio::select! {
            changed = wake.changed() => {
                if changed.is_err() {
                    tokio::time::sleep(hub.config.poll).await;
                }
            }
            () = tokio::time::sleep(hub.config.poll) => {}
        }
    }
}

/// The running subscription tasks.
struct Tasks {
    state: AppState,
    set: JoinSet<()>,
    /// subscriptionID → (queryName, task).
    running: HashMap<String, (String, tokio::task::AbortHandle)>,
    /// task id → subscriptionID.
    ids: HashMap<tokio::task::Id, String>,
    /// Subscriptions whose task ended (deleted, schedule over): not started again by a rescan.
    ended: HashSet<String>,
}

impl Tasks {
    fn start(&mut self, sub: Subscription) {
        if self.running.contains_key(&sub.id) || self.ended.contains(&sub.id) {
            return;
        }
        let id = sub.id.clone();
        let query = sub.spec.query_name.clone();
        let handle = self.set.spawn(run_webhook(self.state.clone(), sub));
        self.ids.insert(handle.id(), id.clone());
        self.running.insert(id, (query, handle));
    }

    fn start_recall_hook(&mut self, hook: store::RecallWebhook) {
        // A changed webhook replaces the running one (its URL or secret may differ).
        let id = recall_task_id(&hook.org);
        self.stop(&id);
        let handle = self.set.spawn(run_recall_hook(self.state.clone(), hook));
        self.ids.insert(handle.id(), id.clone());
        self.running.insert(id, (String::new(), handle));
    }

    /// Starts the task of a recall webhook found in the store unless one runs (a webhook
    /// registered through another process on the store, or at start).
    fn find_recall_hook(&mut self, hook: store::RecallWebhook) {
        if !self.running.contains_key(&recall_task_id(&hook.org)) {
            self.start_recall_hook(hook);
        }
    }

    fn stop(&mut self, id: &str) {
        if let Some((_, h)) = self.running.remove(id) {
            h.abort();
        }
    }

    fn stop_query(&mut self, name: &str) {
        self.running.retain(|_, (query, h)| {
            let keep = query != name;
            if !keep {
                h.abort();
            }
            keep
        });
    }

    fn finished(&mut self, task: tokio::task::Id) {
        if let Some(sub) = self.ids.remove(&task) {
            if self.running.get(&sub).is_some_and(|(_, h)| h.id() == task) {
                self.running.remove(&sub);
                self.ended.insert(sub);
            }
        }
    }
}

/// The delivery worker: starts a task per stored subscription, then follows the commands
/// of the HTTP handlers (new, deleted subscriptions). Aborting it stops every task.
pub(crate) fn spawn_worker(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let mut commands = state
        .subscriptions
        .commands_rx
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()?;
    Some(tokio::spawn(async move {
        let mut tasks = Tasks {
            state: state.clone(),
            set: JoinSet::new(),
            running: HashMap::new(),
            ids: HashMap::new(),
            ended: HashSet::new(),
        };
        // Every subscription and recall webhook at start, and those created through other
        // processes on the same store as they appear (each task delivers only while its
        // process holds the claim); one created here comes as a command at once.
        let mut rescan = tokio::time::interval(state.subscriptions.config.lease);
        loop {
            tokio::select! {
                _ = rescan.tick() => {
                    let store = state.store.clone();
                    match tokio::task::spawn_blocking(move || store.all_subscriptions()).await {
                        Ok(Ok(all)) => all.into_iter().for_each(|sub| tasks.start(sub)),
                        other => tracing::error!(?other, "cannot list subscriptions; trying again later"),
                    }
                    let store = state.store.clone();
                    match tokio::task::spawn_blocking(move || store.recall_webhooks()).await {
                        Ok(Ok(all)) => all.into_iter().for_each(|h| tasks.find_recall_hook(h)),
                        other => tracing::error!(?other, "cannot list recall webhooks; trying again later"),
                    }
                },
                command = commands.recv() => match command {
                    None => break,
                    Some(Command::Start(sub)) => tasks.start(*sub),
                    Some(Command::Stop(id)) => tasks.stop(&id),
                    Some(Command::StopQuery(name)) => tasks.stop_query(&name),
                    Some(Command::StartRecallHook(hook)) => tasks.start_recall_hook(*hook),
                },
                Some(done) = tasks.set.join_next_with_id(), if !tasks.set.is_empty() => {
                    let task = match &done { Ok((id, ())) => *id, Err(e) => e.id() };
                    tasks.finished(task);
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(10);
        for attempt in 0..8 {
            let d = backoff(base, max, attempt);
            let expected = base * (1 << attempt);
            assert!(
                d >= expected.min(max) && d <= expected.mul_f64(1.25).min(max),
                "{attempt}: {d:?}"
            );
        }
        assert_eq!(backoff(base, max, 40), max);
    }
}
