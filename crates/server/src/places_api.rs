//! The registry API for places and export codes (JSON): locations, plots, planting-area
//! and packing-house codes with their lifecycle, and the flagged events officials review.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use epcis::query::Condition;
use epcis::Query;
use registry::codes::{can_change, check_code, CodeEvent, CodeStatus, ExportCode, CODE_FIELDS};
use registry::places::{check_location, check_plot, Location, Plot};
use registry::{facets, Action, Caller, Decision as PolicyDecision};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::access::{code_flag, expand, require, View};
use crate::auth::{self, Auth};
use crate::capture::read_body;
use crate::headers::require_json;
use crate::paging::parse_query;
use crate::problem::ApiError;
use crate::registry_api::{find_one, find_organisation, json_body};
use crate::{blocking, AppState};
use store::{Backend, StoreError};

/// The routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/registry/locations", get(list_locations))
        .route(
            "/registry/locations/{id}",
            put(put_location).get(get_location).delete(delete_location),
        )
        .route("/registry/plots", get(list_plots))
        .route(
            "/registry/plots/{id}",
            put(put_plot).get(get_plot).delete(delete_plot),
        )
        .route("/registry/codes", get(list_codes).post(apply_code))
        .route("/registry/codes/{code}", get(get_code))
        .route("/registry/codes/{code}/status", post(set_code_status))
        .route("/registry/flags", get(flags))
}

fn filters(raw: Option<&str>, allowed: &[&str]) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    for (name, value) in parse_query(raw)? {
        if !allowed.contains(&name.as_str()) {
            return Err(ApiError::query_param(format!(
                "unknown query parameter {name}; accepted: {}",
                allowed.join(", ")
            )));
        }
        out.insert(name, value);
    }
    Ok(out)
}

/// The organisation a write is for: the caller's, or (operators) the one named in the record.
fn owner_for(caller: &Caller, named: &str) -> Result<String, ApiError> {
    let owner = caller.org().map_or_else(|| named.to_owned(), str::to_owned);
    if owner.is_empty() {
        return Err(
            ApiError::validation("owner: the registry id of the organisation is required")
                .with("field", json!("owner")),
        );
    }
    require(caller, Action::ManageProducts { org: &owner })?;
    Ok(owner)
}

/// A store lookup of an id.
type Get<T> = fn(&dyn Backend, &str) -> Result<Option<T>, StoreError>;
/// A store listing, optionally of one owner.
type List<T> = fn(&dyn Backend, Option<&str>) -> Result<Vec<T>, StoreError>;

/// How the place routes reach one kind of record in the store.
pub(crate) struct Kind<T> {
    /// The record's name in messages.
    what: &'static str,
    get: Get<T>,
    list: List<T>,
    delete: fn(&dyn Backend, &str) -> Result<(), StoreError>,
    owner: fn(&T) -> &str,
}

impl<T> Kind<T> {
    /// The record's name in messages (`location`, `plot`).
    pub(crate) fn what(&self) -> &'static str {
        self.what
    }

    /// The registry id of the organisation holding `record`.
    pub(crate) fn owner_of<'a>(&self, record: &'a T) -> &'a str {
        (self.owner)(record)
    }
}

/// Locations, by GLN or SGLN.
pub(crate) const LOCATIONS: Kind<Location> = Kind {
    what: "location",
    get: |s, id| s.location(id),
    list: |s, owner| s.locations(owner),
    delete: |s, id| s.delete_location(id),
    owner: |l| &l.owner,
};

/// Farm plots, by registry id.
pub(crate) const PLOTS: Kind<Plot> = Kind {
    what: "plot",
    get: |s, id| s.plot(id),
    list: |s, owner| s.plots(owner),
    delete: |s, id| s.delete_plot(id),
    owner: |p| &p.owner,
};

/// One record of `kind`; 404 when absent.
pub(crate) async fn find<T: Send + 'static>(
    state: &AppState,
    kind: &Kind<T>,
    id: &str,
) -> Result<T, ApiError> {
    find_one(state, kind.what, id, kind.get).await
}

/// The records of `kind` of one organisation (all with `None`).
pub(crate) async fn list<T: Send + 'static>(
    state: &AppState,
    kind: &Kind<T>,
    owner: Option<String>,
) -> Result<Vec<T>, ApiError> {
    let list = kind.list;
    blocking(state, move |s| list(s, owner.as_deref())).await
}

/// Deletes a record of `kind` (API and web form): members of its organisation.
pub(crate) async fn remove<T: Send + 'static>(
    state: &AppState,
    caller: &Caller,
    kind: &Kind<T>,
    id: &str,
) -> Result<(), ApiError> {
    let record = find(state, kind, id).await?;
    require(
        caller,
        Action::ManageProducts {
            org: kind.owner_of(&record),
        },
    )?;
    let (delete, id) = (kind.delete, id.to_owned());
    blocking(state, move |s| delete(s, &id)).await
}

/// `GET` of a list route: the records of `kind`, optionally `?owner=`.
async fn list_json<T: Serialize + Send + 'static>(
    state: &AppState,
    caller: &Caller,
    kind: &Kind<T>,
    raw: Option<&str>,
) -> Result<Response, ApiError> {
    require(caller, Action::ReadRegistry)?;
    let owner = filters(raw, &["owner"])?.remove("owner");
    Ok(Json(json!(list(state, kind, owner).await?)).into_response())
}

/// `GET` of one record of `kind`.
async fn get_json<T: Serialize + Send + 'static>(
    state: &AppState,
    caller: &Caller,
    kind: &Kind<T>,
    id: &str,
) -> Result<Response, ApiError> {
    require(caller, Action::ReadRegistry)?;
    Ok(Json(json!(find(state, kind, id).await?)).into_response())
}

/// Refuses a body whose id is not the path's.
fn same_id(body: &str, path: &str) -> Result<(), ApiError> {
    if body == path {
        return Ok(());
    }
    Err(
        ApiError::validation(format!("id: the body names {body} but the path {path}"))
            .with("field", json!("id")),
    )
}

async fn list_locations(
    State(state): State<AppState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    list_json(&state, &caller, &LOCATIONS, raw.as_deref()).await
}

async fn get_location(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    get_json(&state, &caller, &LOCATIONS, &id).await
}

async fn delete_location(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    remove(&state, &caller, &LOCATIONS, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Checks and stores a location for its owner (API and web form); `id` is the one the
/// request addresses.
pub(crate) async fn save_location(
    state: &AppState,
    caller: &Caller,
    id: &str,
    mut location: Location,
) -> Result<Location, ApiError> {
    location.owner = owner_for(caller, &location.owner)?;
    same_id(&location.id, id)?;
    let org = find_organisation(state, &location.owner).await?;
    check_location(&location, &org.details.company_prefixes)?;
    let stored = location.clone();
    blocking(state, move |s| s.put_location(&stored)).await?;
    Ok(location)
}

/// `PUT /registry/locations/{id}` (the GLN, or `GLN/254/extension` percent-encoded).
async fn put_location(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let location: Location = json_body(&state, &headers, body).await?;
    let location = save_location(&state, &caller, &id, location).await?;
    Ok(Json(json!(location)).into_response())
}

async fn list_plots(
    State(state): State<AppState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    list_json(&state, &caller, &PLOTS, raw.as_deref()).await
}

async fn get_plot(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    get_json(&state, &caller, &PLOTS, &id).await
}

async fn delete_plot(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    remove(&state, &caller, &PLOTS, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Checks and stores a plot for its owner (API and web form), computing its area when not
/// given; `raw` is the geometry as the client wrote it (its decimals are checked).
pub(crate) async fn save_plot(
    state: &AppState,
    caller: &Caller,
    id: &str,
    mut plot: Plot,
    raw: Option<&str>,
) -> Result<Plot, ApiError> {
    plot.owner = owner_for(caller, &plot.owner)?;
    same_id(&plot.id, id)?;
    registry::places::check_place(&plot.province_code, &plot.commune_code)?;
    let area = check_plot(&plot, raw)?;
    plot.area_ha = Some(plot.area_ha.unwrap_or((area * 100.0).round() / 100.0));
    find_organisation(state, &plot.owner).await?;
    let stored = plot.clone();
    blocking(state, move |s| s.put_plot(&stored)).await?;
    Ok(plot)
}

/// `PUT /registry/plots/{id}`: the geometry is checked on the request text (decimals).
async fn put_plot(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let bytes = read_body(&headers, body, state.config.max_body_bytes).await?;
    let plot: Plot = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::validation(format!("the body is not the expected JSON: {e}")))?;
    let raw = String::from_utf8_lossy(&bytes);
    let plot = save_plot(&state, &caller, &id, plot, Some(&raw)).await?;
    Ok(Json(json!(plot)).into_response())
}

async fn list_codes(
    State(state): State<AppState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    require(&caller, Action::ReadRegistry)?;
    let mut f = filters(raw.as_deref(), &["owner", "province"])?;
    let (owner, province) = (f.remove("owner"), f.remove("province"));
    let list = blocking(&state, move |s| {
        s.codes(owner.as_deref(), province.as_deref())
    })
    .await?;
    Ok(Json(json!(list)).into_response())
}

/// One export code.
pub(crate) async fn find_code(state: &AppState, code: &str) -> Result<ExportCode, ApiError> {
    find_one(state, "export code", code, |s, code| s.code(code)).await
}

async fn get_code(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    require(&caller, Action::ReadRegistry)?;
    Ok(Json(json!(find_code(&state, &code).await?)).into_response())
}

/// `POST /registry/codes`: an organisation applies for a code (state `applied`).
async fn apply_code(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let mut code: ExportCode = json_body(&state, &headers, body).await?;
    code.owner = owner_for(&caller, &code.owner)?;
    check_code(&code)?;
    find_organisation(&state, &code.owner).await?;
    code.status = CodeStatus::Applied;
    code.history = vec![CodeEvent {
        status: CodeStatus::Applied,
        at_ms: auth::now_ms(),
        by: caller.name.clone(),
        authority: String::new(),
        reason: String::new(),
    }];
    let stored = code.clone();
    blocking(&state, move |s| s.create_code(&stored)).await?;
    Ok((StatusCode::CREATED, Json(json!(code))).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CodeChange {
    status: CodeStatus,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    authority: String,
}

/// Moves a code along its lifecycle (API and web form): officials of its province.
pub(crate) async fn change_code(
    state: &AppState,
    caller: &Caller,
    code: &str,
    status: CodeStatus,
    reason: String,
    authority: String,
) -> Result<ExportCode, ApiError> {
    let mut record = find_code(state, code).await?;
    require(
        caller,
        Action::JudgeOrganisation {
            province: &record.province_code,
        },
    )?;
    if !can_change(record.status, status) {
        return Err(ApiError::validation(format!(
            "status: a code that is {} cannot become {}",
            record.status.as_str(),
            status.as_str()
        ))
        .with("field", json!("status")));
    }
    if matches!(status, CodeStatus::Suspended | CodeStatus::Revoked) && reason.trim().is_empty() {
        return Err(
            ApiError::validation("reason: required to suspend or revoke a code")
                .with("field", json!("reason")),
        );
    }
    record.status = status;
    record.history.push(CodeEvent {
        status,
        at_ms: auth::now_ms(),
        by: caller.name.clone(),
        authority: authority.trim().to_owned(),
        reason: reason.trim().to_owned(),
    });
    let stored = record.clone();
    blocking(state, move |s| s.update_code(&stored)).await?;
    Ok(record)
}

async fn set_code_status(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let change: CodeChange = json_body(&state, &headers, body).await?;
    let record = change_code(
        &state,
        &caller,
        &code,
        change.status,
        change.reason,
        change.authority,
    )
    .await?;
    Ok(Json(json!(record)).into_response())
}

/// One flagged event for officials.
#[derive(Debug, Clone)]
pub(crate) struct Flagged {
    /// `eventID`.
    pub event_id: String,
    /// Why (`ownership`, `code:VN-…:revoked` …).
    pub flags: Vec<String>,
    /// The event.
    pub event: Value,
}

/// The events within the official's scope that were flagged at capture or that name an
/// export code suspended or revoked since (at most `limit`, in capture order).
pub(crate) async fn flagged_events(
    state: &AppState,
    caller: &Caller,
    limit: usize,
) -> Result<Vec<Flagged>, ApiError> {
    let view = match require(caller, Action::Oversee)? {
        PolicyDecision::Within(scope) => expand(state, scope).await?,
        _ => View::All,
    };
    let scope_condition = match &view {
        View::Owners(v) => Some(Condition::TextIn {
            fields: vec![facets::OWNER.into()],
            values: v.clone(),
        }),
        View::Provinces(v) => Some(Condition::TextIn {
            fields: vec![facets::PROVINCE.into()],
            values: v.clone(),
        }),
        View::All => None,
        View::Consumer => return Err(ApiError::forbidden("flagged events are for officials")),
    };
    let codes = blocking(state, |s| s.flagging_codes()).await?;
    let code_status: BTreeMap<String, &'static str> = codes
        .iter()
        .map(|c| (c.code.clone(), c.status.as_str()))
        .collect();
    let mut queries = vec![Query {
        conditions: vec![Condition::Exists {
            fields: vec![facets::FLAG.into()],
        }],
        ..Query::default()
    }];
    if !code_status.is_empty() {
        queries.push(Query {
            conditions: vec![Condition::TextIn {
                fields: CODE_FIELDS.iter().map(|f| f.to_string()).collect(),
                values: code_status.keys().cloned().collect(),
            }],
            ..Query::default()
        });
    }
    let mut events = BTreeMap::new();
    for mut q in queries {
        if let Some(c) = &scope_condition {
            q.conditions.push(c.clone());
        }
        let request = store::PageRequest {
            per_page: limit,
            after: None,
        };
        for e in blocking(state, move |s| s.query(&q, &request)).await?.items {
            events.insert(e.seq, e);
        }
    }
    let seqs: Vec<i64> = events.keys().copied().take(limit).collect();
    let lookup = seqs.clone();
    let (stored_flags, named_codes) = blocking(state, move |s| {
        let flags = s.facet_values_of(facets::FLAG, &lookup)?;
        let mut named = Vec::new();
        for field in CODE_FIELDS {
            named.extend(s.facet_values_of(field, &lookup)?);
        }
        Ok((flags, named))
    })
    .await?;
    let mut reasons: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for (seq, flag) in stored_flags {
        reasons.entry(seq).or_default().insert(flag);
    }
    for (seq, code) in named_codes {
        if let Some(status) = code_status.get(&code) {
            reasons
                .entry(seq)
                .or_default()
                .insert(code_flag(&code, status));
        }
    }
    let mut out = Vec::new();
    for seq in seqs {
        let Some(e) = events.remove(&seq) else {
            continue;
        };
        let event: Value = serde_json::from_str(&e.body).map_err(ApiError::internal)?;
        out.push(Flagged {
            event_id: e.event_id,
            flags: reasons
                .remove(&seq)
                .map(|r| r.into_iter().collect())
                .unwrap_or_default(),
            event,
        });
    }
    Ok(out)
}

/// `GET /registry/flags`: flagged events for officials (their province) and national roles.
async fn flags(State(state): State<AppState>, Auth(caller): Auth) -> Result<Response, ApiError> {
    let list = flagged_events(&state, &caller, 500).await?;
    Ok(Json(Value::Array(
        list.into_iter()
            .map(|f| json!({"eventID": f.event_id, "flags": f.flags, "event": f.event}))
            .collect(),
    ))
    .into_response())
}
