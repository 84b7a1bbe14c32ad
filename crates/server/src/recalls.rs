//! Recalls over HTTP: `POST /recalls` (an official, or the brand owner of every lot's
//! GTIN), `GET /recalls`, `GET /recalls/{id}` (with its scope and acknowledgements),
//! `GET /recalls/{id}/status` (public: what the resolver's `gs1:recallStatus` link shows),
//! `POST /recalls/{id}/acknowledgements` (a member of an affected organisation),
//! `POST /recalls/{id}/close`, and each organisation's recall webhook at
//! `PUT/GET/DELETE /registry/organisations/{id}/recall-webhook`.
//!
//! The scope is the forward trace of every lot, read in full (the recall acts for public
//! safety; the declarer sees who holds the goods, not their events), with each place joined
//! to the registered organisation holding it. Notices (declared, closed) reach the affected
//! organisations' webhooks through the subscription delivery worker (see
//! `subscriptions::delivery`). A provincial official declares and closes only recalls
//! within their province ([`RecallReach`]).
//! Every write is in the audit log (the audit middleware records all writes).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use registry::ownership::PrefixIndex;
use registry::{Action, Caller, Decision, EventScope, RecallReach};
use serde::Deserialize;
use serde_json::{json, Value};
use store::RecallWebhook;
use trace::recall::{
    check_declaration, sites, Acknowledgement, Actor, AffectedOrg, LotInput, Recall, RecallLot,
    RecallState, RecallStatus, Site,
};
use trace::{Direction, TraceRequest};

use crate::access::require;
use crate::auth::Auth;
use crate::capture::rfc3339;
use crate::paging::{base_url, encode, next_link, page_params, parse_query};
use crate::problem::ApiError;
use crate::registry_api::{created, json_body};
use crate::subscriptions::Command;
use crate::{blocking, AppState};

/// Longest acknowledgement or closing note, in characters.
const MAX_NOTE_CHARS: usize = 2_000;

/// The routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/recalls", get(list).post(declare))
        .route("/recalls/{id}", get(one))
        .route("/recalls/{id}/status", get(public_status))
        .route("/recalls/{id}/acknowledgements", post(acknowledge))
        .route("/recalls/{id}/close", post(close))
        .route(
            "/registry/organisations/{id}/recall-webhook",
            get(get_webhook).put(put_webhook).delete(delete_webhook),
        )
}

/// The declaring or closing caller.
fn actor(caller: &Caller) -> Actor {
    let who = crate::session::caller_json(caller);
    Actor {
        name: caller.name.clone(),
        role: who["role"].as_str().unwrap_or("public").to_owned(),
        org: caller.org().map(str::to_owned),
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A new recall id: `rc-` and 16 random hex digits.
fn new_id() -> String {
    let bytes: [u8; 8] = rand::random();
    format!("rc-{}", hex::encode(bytes))
}

/// The optional `{"note": …}` body of an acknowledgement or a closing: none at all (no
/// content type, no content) is no note.
async fn note_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Note, ApiError> {
    let empty = headers
        .get(header::CONTENT_LENGTH)
        .is_none_or(|v| v.as_bytes() == b"0");
    if empty && !headers.contains_key(header::CONTENT_TYPE) {
        return Ok(Note::default());
    }
    json_body(state, headers, body).await
}

/// What `POST /recalls` takes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Declaration {
    #[serde(default)]
    lots: Vec<LotInput>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    severity: String,
}

/// What acknowledging or closing takes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Note {
    #[serde(default)]
    note: Option<String>,
}

fn check_note(note: Option<String>) -> Result<Option<String>, ApiError> {
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if let Some(n) = &note {
        let chars = n.chars().count();
        if chars > MAX_NOTE_CHARS {
            return Err(ApiError::validation(format!(
                "/note: {chars} characters; at most {MAX_NOTE_CHARS}"
            ))
            .with("pointer", json!("/note")));
        }
    }
    Ok(note)
}

/// The registry id of a location named by its canonical Digital Link (`…/414/{gln}` or
/// `…/414/{gln}/254/{ext}`), as the places registry keys it.
fn registry_location_id(canonical: &str) -> Option<String> {
    let dl = gs1::DigitalLink::parse(canonical).ok()?;
    if dl.primary.ai != "414" {
        return None;
    }
    Some(match dl.qualifier("254") {
        Some(ext) => format!("{}/254/{ext}", dl.primary.value),
        None => dl.primary.value.clone(),
    })
}

/// Merges the sites of several lots' traces by place.
fn merge_sites(all: Vec<Site>) -> Vec<Site> {
    let mut by_place: BTreeMap<String, Site> = BTreeMap::new();
    for site in all {
        match by_place.get_mut(&site.location) {
            None => {
                by_place.insert(site.location.clone(), site);
            }
            Some(old) => {
                old.last_event_ms = old.last_event_ms.max(site.last_event_ms);
                for h in site.holdings {
                    if !old.holdings.iter().any(|o| o.node == h.node) {
                        old.holdings.push(h);
                    }
                }
            }
        }
    }
    by_place.into_values().collect()
}

/// What a recall reaches downstream.
struct Scope {
    affected: Vec<AffectedOrg>,
    unregistered: Vec<Site>,
    truncated: bool,
}

/// Computes the scope of `lots`: the organisations holding each place downstream, with
/// names and provinces from the registries, and the places nobody registered. Refuses a
/// lot no event names.
fn scope(
    s: &dyn store::Backend,
    lots: &[RecallLot],
) -> Result<Result<Scope, ApiError>, store::StoreError> {
    let mut all = Vec::new();
    let mut truncated = false;
    for (i, lot) in lots.iter().enumerate() {
        let graph = s.trace(&TraceRequest {
            start: lot.id(),
            direction: Direction::Forward,
            from_ms: None,
            to_ms: None,
            max_nodes: crate::trace::MAX_NODES,
        })?;
        if graph.events.is_empty() {
            return Ok(Err(ApiError::validation(format!(
                "/lots/{i}: no event names {}: it is not a lot traceport knows",
                lot.element_string()
            ))
            .with("pointer", json!(format!("/lots/{i}")))));
        }
        truncated |= graph.truncated;
        all.extend(sites(&graph));
    }
    let index = PrefixIndex::new(s.company_prefixes()?);
    let mut orgs: BTreeMap<String, AffectedOrg> = BTreeMap::new();
    let mut unregistered = Vec::new();
    for mut site in merge_sites(all) {
        let registered = registry_location_id(&site.location)
            .map(|id| s.location(&id))
            .transpose()?
            .flatten();
        let owner = match &registered {
            Some(l) => {
                site.name = l.name_vi.clone();
                site.province = l.province_code.clone();
                Some(l.owner.clone())
            }
            None => index.owner_of(&site.location).map(str::to_owned),
        };
        let Some(owner) = owner else {
            unregistered.push(site);
            continue;
        };
        if !orgs.contains_key(&owner) {
            let org = s.organisation(&owner)?;
            orgs.insert(
                owner.clone(),
                AffectedOrg {
                    org: owner.clone(),
                    name: org
                        .as_ref()
                        .map(|o| o.details.name_vi.clone())
                        .unwrap_or_default(),
                    province: org
                        .as_ref()
                        .map(|o| o.details.province_code.clone())
                        .unwrap_or_default(),
                    sites: Vec::new(),
                },
            );
        }
        if let Some(entry) = orgs.get_mut(&owner) {
            if site.province.is_empty() {
                site.province = entry.province.clone();
            }
            entry.sites.push(site);
        }
    }
    Ok(Ok(Scope {
        affected: orgs.into_values().collect(),
        unregistered,
        truncated,
    }))
}

/// Where a recall reaches: each lot with its brand owner's province, and the province of
/// every place in its scope (`None` where unknown).
type Reach = (Vec<(String, Option<String>)>, Vec<Option<String>>);

fn reach_of(
    s: &dyn store::Backend,
    lots: &[RecallLot],
    affected: &[AffectedOrg],
    unregistered: &[Site],
) -> Result<Reach, store::StoreError> {
    let known = |p: &str| Some(p.to_owned()).filter(|p| !p.is_empty());
    let index = PrefixIndex::new(s.company_prefixes()?);
    let mut made = Vec::with_capacity(lots.len());
    for lot in lots {
        let province = match index.owner_of(&lot.id()) {
            Some(owner) => s
                .organisation(owner)?
                .and_then(|o| known(&o.details.province_code)),
            None => None,
        };
        made.push((lot.element_string(), province));
    }
    let places = affected
        .iter()
        .flat_map(|a| &a.sites)
        .chain(unregistered)
        .map(|site| known(&site.province))
        .collect();
    Ok((made, places))
}

/// Refuses a provincial official declaring or closing a recall outside their province (see
/// `registry::policy::RecallReach`): the one place the jurisdiction is enforced, for the
/// API and the pages alike.
async fn require_jurisdiction(
    state: &AppState,
    caller: &Caller,
    recall_lots: &[RecallLot],
    affected: &[AffectedOrg],
    unregistered: &[Site],
) -> Result<(), ApiError> {
    let (l, a, u) = (
        recall_lots.to_vec(),
        affected.to_vec(),
        unregistered.to_vec(),
    );
    let (lots, places) = blocking(state, move |s| reach_of(s, &l, &a, &u)).await?;
    require(
        caller,
        Action::ActOnRecallIn {
            reach: RecallReach {
                lots: &lots,
                places: &places,
            },
        },
    )?;
    Ok(())
}

/// A recall with its acknowledgements and progress, as JSON.
pub fn status_json(s: &RecallStatus) -> Value {
    let mut v = serde_json::to_value(s).unwrap_or_else(|_| json!({}));
    let (done, total) = s.progress();
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "progress".into(),
            json!({"acknowledged": done, "affected": total}),
        );
        obj.insert("declaredAt".into(), json!(rfc3339(s.recall.declared_ms)));
        if let Some(c) = s.recall.closed_ms {
            obj.insert("closedAt".into(), json!(rfc3339(c)));
        }
    }
    v
}

/// What anyone may know of a recall: lots, reason, severity, state and dates.
pub fn public_json(r: &Recall) -> Value {
    json!({
        "id": r.id,
        "lots": r.lots,
        "reason": r.reason,
        "severity": r.severity,
        "severityLevel": r.severity.level(),
        "state": r.state,
        "declaredAt": rfc3339(r.declared_ms),
        "closedAt": r.closed_ms.map(rfc3339),
    })
}

/// Declares a recall for `caller`: checks, computes the scope, stores, wakes the notices.
pub(crate) async fn declare_for(
    state: &AppState,
    caller: &Caller,
    lots: Vec<LotInput>,
    reason: String,
    severity: String,
) -> Result<RecallStatus, ApiError> {
    // Who may declare at all (signed in, an official or an active member, with the scope);
    // whether a member owns each lot's GTIN is checked lot by lot below.
    require(
        caller,
        Action::DeclareRecall {
            brand_owner: caller.org(),
        },
    )?;
    let (lots, severity) = check_declaration(&lots, &reason, &severity)
        .map_err(|e| ApiError::validation(e.to_string()).with("pointer", json!(e.pointer())))?;
    let prefixes = blocking(state, |s| s.company_prefixes()).await?;
    let index = PrefixIndex::new(prefixes);
    for (i, lot) in lots.iter().enumerate() {
        let owner = index.owner_of(&lot.id());
        require(caller, Action::DeclareRecall { brand_owner: owner })
            .map_err(|e| ApiError::forbidden(format!("/lots/{i}: {}", e.detail)))?;
    }
    let scope_lots = lots.clone();
    let reach = blocking(state, move |s| scope(s, &scope_lots)).await??;
    require_jurisdiction(state, caller, &lots, &reach.affected, &reach.unregistered).await?;
    let recall = Recall {
        id: new_id(),
        lots,
        reason: reason.trim().to_owned(),
        severity,
        declared_by: actor(caller),
        declared_ms: now_ms(),
        state: RecallState::Open,
        closed_ms: None,
        closed_by: None,
        close_note: None,
        affected: reach.affected,
        unregistered_sites: reach.unregistered,
        truncated: reach.truncated,
    };
    let stored = recall.clone();
    blocking(state, move |s| s.create_recall(&stored)).await?;
    // Wakes the recall webhooks (they also poll).
    state.subscriptions.events_stored();
    let id = recall.id.clone();
    blocking(state, move |s| s.recall(&id))
        .await?
        .ok_or_else(|| ApiError::internal("a recall vanished after it was stored"))
}

/// `POST /recalls`.
async fn declare(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let d: Declaration = json_body(&state, &headers, body).await?;
    let status = declare_for(&state, &caller, d.lots, d.reason, d.severity).await?;
    let location = format!(
        "{}/recalls/{}",
        base_url(&state, &headers),
        encode(&status.recall.id)
    );
    Ok(created(location, status_json(&status)))
}

/// The organisation whose recalls a caller sees (`None`: all), refusing the public.
fn reader_org(caller: &Caller) -> Result<Option<String>, ApiError> {
    match require(caller, Action::ReadRecalls)? {
        Decision::Within(EventScope::Organisation(org)) => Ok(Some(org)),
        _ => Ok(None),
    }
}

/// A recall the caller may see; 404 for members it does not concern.
pub(crate) async fn visible(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<RecallStatus, ApiError> {
    let org = reader_org(caller)?;
    let lookup = id.to_owned();
    let found = blocking(state, move |s| s.recall(&lookup)).await?;
    let not_found = || ApiError::not_found(format!("no recall {id}"));
    let status = found.ok_or_else(not_found)?;
    if let Some(org) = org {
        if !status.recall.affects(&org) && status.recall.declarer_org() != Some(org.as_str()) {
            return Err(not_found());
        }
    }
    Ok(status)
}

/// The recalls `caller` sees, newest first, one page.
pub(crate) async fn list_for(
    state: &AppState,
    caller: &Caller,
    page: store::PageRequest,
) -> Result<store::Page<RecallStatus>, ApiError> {
    let org = reader_org(caller)?;
    blocking(state, move |s| s.recalls(org.as_deref(), &page)).await
}

/// `GET /recalls`: the caller's recalls (officials: all), newest first, paged.
async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let path = uri.path().to_string();
    let page = page_params(&state, &path, parse_query(raw.as_deref())?)?;
    if let Some((param, _)) = page.params.first() {
        return Err(ApiError::query_param(format!(
            "unknown query parameter {param}; /recalls takes perPage and nextPageToken"
        ))
        .with("parameter", json!(param)));
    }
    let result = list_for(&state, &caller, page.request()).await?;
    let items: Vec<Value> = result.items.iter().map(status_json).collect();
    let mut r = Json(Value::Array(items)).into_response();
    if let Some(link) = next_link(&state, &headers, &path, &page, result.next.as_deref()) {
        r.headers_mut().insert(header::LINK, link);
    }
    Ok(r)
}

/// `GET /recalls/{id}`.
async fn one(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let status = visible(&state, &caller, &id).await?;
    Ok(Json(status_json(&status)).into_response())
}

/// `GET /recalls/{id}/status`: public; JSON, or a short page for a browser (Vietnamese or
/// English, as the passport page).
async fn public_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let lookup = id.clone();
    let status = blocking(&state, move |s| s.recall(&lookup))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no recall {id}")))?;
    if !crate::html::prefers_html(&headers) {
        return Ok(Json(public_json(&status.recall)).into_response());
    }
    use crate::html::{escape, Lang};
    let explicit = uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|p| p.strip_prefix("lang="));
    let lang = Lang::choose(&headers, explicit);
    let r = &status.recall;
    let notice = passport_notice(r);
    let state_text = match r.state {
        RecallState::Open => lang.pick("Đang thu hồi", "Open"),
        RecallState::Closed => lang.pick("Đã kết thúc", "Closed"),
    };
    let lots: Vec<String> = r.lots.iter().map(|l| escape(&l.element_string())).collect();
    let main = format!(
        "<section class=\"banner\" role=\"alert\"><strong>{}</strong> {}</section>\
         <section class=\"card\"><dl><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl></section>",
        lang.pick("THU HỒI", "RECALL"),
        escape(lang.pick(&notice.message.vi, &notice.message.en)),
        lang.pick("Trạng thái", "State"),
        state_text,
        lang.pick("Lô hàng", "Lots"),
        lots.join("<br>"),
        lang.pick("Ngày công bố", "Declared"),
        escape(&rfc3339(r.declared_ms)),
    );
    let other = format!("{}?lang={}", uri.path(), lang.pick("en", "vi"));
    let html = crate::html::page(lang, lang.pick("Thu hồi", "Recall"), Some(&other), &main);
    Ok(crate::html::response(StatusCode::OK, html))
}

/// Records `caller`'s organisation's acknowledgement.
pub(crate) async fn acknowledge_for(
    state: &AppState,
    caller: &Caller,
    id: &str,
    note: Option<String>,
) -> Result<Acknowledgement, ApiError> {
    let status = visible(state, caller, id).await?;
    let org = caller.org().map(str::to_owned);
    let affected = org.as_deref().is_some_and(|o| status.recall.affects(o));
    require(caller, Action::AcknowledgeRecall { affected })?;
    let org = org.unwrap_or_default();
    if status.recall.state == RecallState::Closed {
        return Err(ApiError::new(
            crate::problem::ExceptionType::ResourceAlreadyExists,
            format!("recall {id} is closed: it takes no more acknowledgements"),
        ));
    }
    let ack = Acknowledgement {
        org,
        at_ms: Some(now_ms()),
        by: Some(caller.name.clone()),
        note: check_note(note)?,
    };
    let (rid, stored) = (id.to_owned(), ack.clone());
    blocking(state, move |s| s.acknowledge_recall(&rid, &stored)).await?;
    Ok(ack)
}

/// `POST /recalls/{id}/acknowledgements`.
async fn acknowledge(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let n = note_body(&state, &headers, body).await?;
    let ack = acknowledge_for(&state, &caller, &id, n.note).await?;
    let mut v = serde_json::to_value(&ack).map_err(ApiError::internal)?;
    if let (Some(obj), Some(at)) = (v.as_object_mut(), ack.at_ms) {
        obj.insert("at".into(), json!(rfc3339(at)));
    }
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Whether `caller` may close the recall: its role (an official, or the declaring
/// organisation) and, for a provincial official, the jurisdiction rule.
async fn check_may_close(
    state: &AppState,
    caller: &Caller,
    status: &RecallStatus,
) -> Result<(), ApiError> {
    let r = &status.recall;
    require(
        caller,
        Action::CloseRecall {
            declarer: r.declarer_org(),
        },
    )?;
    require_jurisdiction(state, caller, &r.lots, &r.affected, &r.unregistered_sites).await
}

/// Whether the recall page offers `caller` the closing form (the checks of [`close_for`]).
pub(crate) async fn may_close(state: &AppState, caller: &Caller, status: &RecallStatus) -> bool {
    check_may_close(state, caller, status).await.is_ok()
}

/// Closes a recall for `caller`.
pub(crate) async fn close_for(
    state: &AppState,
    caller: &Caller,
    id: &str,
    note: Option<String>,
) -> Result<RecallStatus, ApiError> {
    let status = visible(state, caller, id).await?;
    check_may_close(state, caller, &status).await?;
    if status.recall.state == RecallState::Closed {
        return Err(ApiError::new(
            crate::problem::ExceptionType::ResourceAlreadyExists,
            format!("recall {id} is already closed"),
        ));
    }
    let note = check_note(note)?;
    let (rid, by) = (id.to_owned(), actor(caller));
    blocking(state, move |s| {
        s.close_recall(&rid, &by, note.as_deref(), now_ms())
    })
    .await?;
    // Wakes the recall webhooks for the closing notices.
    state.subscriptions.events_stored();
    visible(state, caller, id).await
}

/// `POST /recalls/{id}/close`.
async fn close(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let n = note_body(&state, &headers, body).await?;
    let status = close_for(&state, &caller, &id, n.note).await?;
    Ok(Json(status_json(&status)).into_response())
}

fn webhook_json(h: &RecallWebhook) -> Value {
    json!({
        "organisation": h.org,
        "url": h.url,
        "signed": h.secret.is_some(),
        "delivered": h.cursor,
        "failures": h.failures,
        "lastError": h.last_error,
    })
}

/// What `PUT …/recall-webhook` takes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookBody {
    #[serde(default)]
    url: String,
    #[serde(default)]
    secret: Option<String>,
}

/// `PUT /registry/organisations/{id}/recall-webhook`: `{"url": …, "secret": …}`.
async fn put_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require(&caller, Action::ManageRecallWebhook { org: &org })?;
    let b: WebhookBody = json_body(&state, &headers, body).await?;
    crate::subscriptions::check_dest(&b.url).map_err(|e| {
        // The subscription check names its field `dest`; here it is `url`.
        ApiError::validation(e.detail.replacen("dest", "/url", 1)).with("pointer", json!("/url"))
    })?;
    if b.secret.as_deref().is_some_and(|s| s.len() > 512) {
        return Err(ApiError::validation("/secret: at most 512 bytes"));
    }
    let lookup = org.clone();
    if blocking(&state, move |s| s.organisation(&lookup))
        .await?
        .is_none()
    {
        return Err(ApiError::not_found(format!("no organisation {org}")));
    }
    let hook = RecallWebhook {
        org: org.clone(),
        url: b.url,
        secret: b.secret.filter(|s| !s.is_empty()),
        cursor: 0,
        failures: 0,
        last_error: None,
        created_ms: now_ms(),
    };
    let stored = blocking(&state, move |s| s.put_recall_webhook(&hook)).await?;
    state
        .subscriptions
        .tell(Command::StartRecallHook(Box::new(stored.clone())));
    Ok(Json(webhook_json(&stored)).into_response())
}

/// `GET /registry/organisations/{id}/recall-webhook`.
async fn get_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(org): Path<String>,
) -> Result<Response, ApiError> {
    require(&caller, Action::ManageRecallWebhook { org: &org })?;
    let lookup = org.clone();
    let hook = blocking(&state, move |s| s.recall_webhook(&lookup))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{org} has no recall webhook")))?;
    Ok(Json(webhook_json(&hook)).into_response())
}

/// `DELETE /registry/organisations/{id}/recall-webhook`.
async fn delete_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(org): Path<String>,
) -> Result<Response, ApiError> {
    require(&caller, Action::ManageRecallWebhook { org: &org })?;
    let lookup = org.clone();
    blocking(&state, move |s| s.delete_recall_webhook(&lookup))
        .await
        .map_err(|e| match e.kind {
            crate::problem::ExceptionType::NoSuchName => {
                ApiError::not_found(format!("{org} has no recall webhook"))
            }
            _ => e,
        })?;
    state.subscriptions.tell(Command::Stop(
        crate::subscriptions::delivery::recall_task_id(&org),
    ));
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The notice a recall webhook receives.
pub(crate) fn notice_json(state: &AppState, notice: &store::RecallNotice) -> Value {
    let base = state
        .config
        .base_url
        .as_deref()
        .unwrap_or("")
        .trim_end_matches('/');
    let r = &notice.recall;
    let mine = r.affected.iter().find(|a| a.org == notice.org);
    let mut v = json!({
        "type": "RecallNotice",
        "notice": notice.n,
        "kind": notice.kind.as_str(),
        "at": rfc3339(notice.at_ms),
        "organisation": notice.org,
        "recall": public_json(r),
        "yourSites": mine.map(|a| &a.sites),
        "links": {
            "recall": format!("{base}/recalls/{}", encode(&r.id)),
            "acknowledge": format!("{base}/recalls/{}/acknowledgements", encode(&r.id)),
        }
    });
    if notice.kind == store::NoticeKind::Closed {
        v["closeNote"] = json!(r.close_note);
    }
    v
}

/// The open recall of lot `lot` of `gtin`, if any (newest).
pub(crate) fn open_recall(
    s: &dyn store::Backend,
    gtin: &str,
    lot: &str,
) -> Result<Option<Recall>, store::StoreError> {
    Ok(s.open_recalls_of_lot(gtin, lot)?.into_iter().next())
}

/// The passport page's banner text for a declared recall.
pub(crate) fn passport_notice(r: &Recall) -> crate::passport_data::RecallNotice {
    let level_vi = match r.severity.level() {
        "high" => "cao",
        "medium" => "trung bình",
        _ => "thấp",
    };
    crate::passport_data::RecallNotice {
        message: crate::passport_data::LocalText {
            vi: format!(
                "Lô hàng này đang bị thu hồi (mức nguy hại {level_vi}, loại {}): {}. Không sử dụng sản phẩm; hãy mang trả lại nơi mua.",
                r.severity.as_str(),
                r.reason
            ),
            en: format!(
                "This lot is being recalled (class {}, {} risk): {}. Do not use the product; return it to the shop.",
                r.severity.as_str(),
                r.severity.level(),
                r.reason
            ),
        },
        url: Some(format!("/recalls/{}/status", encode(&r.id))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_ids_of_locations() {
        assert_eq!(
            registry_location_id("https://id.gs1.org/414/8936010010000/254/012").as_deref(),
            Some("8936010010000/254/012")
        );
        assert_eq!(
            registry_location_id("https://id.gs1.org/414/8936010010000").as_deref(),
            Some("8936010010000")
        );
        assert_eq!(
            registry_location_id("https://id.gs1.org/00/089360100000000015"),
            None
        );
    }
}
