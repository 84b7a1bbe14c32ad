//! The audit log: every write, and every read by an official or operator (who see data
//! the public does not), is recorded with who, what, when and from where; officials list it
//! at `GET /registry/audit` (their province) and national roles see it all.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Extensions, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use registry::accounts::AuditEntry;
use registry::{Action, Caller, Decision, EventScope, Principal};
use serde_json::json;

use crate::access::require;
use crate::auth::{self, Auth};
use crate::paging::{next_link, page_params, parse_query};
use crate::problem::ApiError;
use crate::{blocking, AppState};

/// Where a request came from: the first `X-Forwarded-For` hop (set by the reverse proxy in
/// front), else the peer address.
fn source_of(headers: &HeaderMap, extensions: &Extensions) -> String {
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_owned());
    forwarded
        .or_else(|| {
            extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The client address of a request, as the audit log records it.
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(source_of(&parts.headers, &parts.extensions)))
    }
}

/// True when the request came straight from this host: a loopback peer, and no
/// forwarding header (a reverse proxy on the same host forwards others' requests).
pub struct Local(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for Local {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"]
            .iter()
            .any(|h| parts.headers.contains_key(*h));
        let loopback = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .is_some_and(|c| c.0.ip().is_loopback());
        Ok(Local(loopback && !forwarded))
    }
}

/// The user name a sign-in tried, put on its response so that the audit log names it
/// (the caller is still the public then).
#[derive(Debug, Clone)]
pub struct Attempt(pub String);

fn has_credentials(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION) || auth::session_cookie(headers).is_some()
}

/// True for callers whose reads are privileged (they see data the public does not see).
fn is_authority(caller: &Caller) -> bool {
    matches!(
        caller.principal,
        Principal::ProvincialOfficial { .. } | Principal::NationalOfficial | Principal::Operator
    )
}

/// Middleware: records writes and authorities' reads after they are answered.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let write = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !write && !has_credentials(request.headers()) {
        return next.run(request).await;
    }
    let caller = auth::resolve(&state, request.headers())
        .await
        .unwrap_or_else(|_| Caller::public());
    if !write && !is_authority(&caller) {
        return next.run(request).await;
    }
    let path = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let from = source_of(request.headers(), request.extensions());
    // Event captures leave the registries alone; other writes may change what the passport
    // page's cached registry answers say.
    let event_write = ["/capture", "/events"]
        .iter()
        .any(|p| request.uri().path().starts_with(p));
    let response = next.run(request).await;
    if write && !event_write && response.status().as_u16() < 400 {
        state.passport.registries_changed();
    }
    let role = crate::session::caller_json(&caller)["role"]
        .as_str()
        .unwrap_or("public")
        .to_owned();
    let (org, mut province) = match &caller.principal {
        Principal::Member { org, .. } => (Some(org.clone()), None),
        Principal::ProvincialOfficial { province } => (None, Some(province.clone())),
        _ => (None, None),
    };
    let entry_org = org.clone();
    let status = response.status().as_u16();
    let actor = match response.extensions().get::<Attempt>() {
        Some(Attempt(name)) if caller.name.is_empty() => name.clone(),
        _ => caller.name.clone(),
    };
    let store = state.store.clone();
    let result = tokio::task::spawn_blocking(move || {
        if let Some(o) = &entry_org {
            province = store
                .organisation(o)?
                .map(|o| o.details.province_code)
                .filter(|p| !p.is_empty());
        }
        store.record_audit(&AuditEntry {
            at_ms: auth::now_ms(),
            actor,
            role,
            org: entry_org,
            province,
            method: method.to_string(),
            path,
            status,
            source: from,
        })
    })
    .await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "cannot write the audit log"),
        Err(e) => tracing::error!(error = %e, "audit task failed"),
    }
    response
}

/// `GET /registry/audit`: newest first, paged; provincial officials see their province.
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let province = match require(&caller, Action::Oversee)? {
        Decision::Within(EventScope::Provinces(p)) => p.into_iter().next(),
        Decision::Within(EventScope::All) | Decision::Allow => None,
        _ => return Err(ApiError::forbidden("the audit log is for officials")),
    };
    let path = "/registry/audit";
    let page = page_params(&state, path, parse_query(raw.as_deref())?)?;
    if let Some((name, _)) = page.params.first() {
        return Err(ApiError::query_param(format!(
            "unknown query parameter {name} for {path}"
        )));
    }
    let request = page.request();
    let result = blocking(&state, move |s| {
        s.audit_entries(province.as_deref(), &request)
    })
    .await?;
    let mut response = Json(json!(result.items)).into_response();
    if let Some(link) = next_link(&state, &headers, path, &page, result.next.as_deref()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}
