//! Named queries: `GET/POST /queries`, `GET/DELETE /queries/{queryName}`,
//! `GET /queries/{queryName}/events` (also the WebSocket subscription handshake).

use axum::body::Body;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use store::NamedQuery;

use crate::access::require;
use crate::auth::Auth;
use crate::capture::{read_body, rfc3339};
use crate::events::respond_query;
use crate::headers::{header_str, require_json};
use crate::paging::{base_url, encode, next_link, page_params, parse_query};
use crate::problem::ApiError;
use crate::{blocking, AppState};
use registry::Action;

/// Longest accepted query name.
const MAX_NAME_LEN: usize = 200;

fn query_json(q: &NamedQuery) -> Value {
    json!({ "name": q.name, "query": q.definition, "createdAt": rfc3339(q.created_ms) })
}

/// Checks the body of `POST /queries`: `{"name": …, "query": {…}}` with a usable query.
fn read_definition(bytes: &[u8], max_depth: usize) -> Result<(String, Value), ApiError> {
    let body: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::validation(format!(
            "malformed JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
        .with("line", json!(e.line()))
        .with("column", json!(e.column()))
    })?;
    if depth(&body) > max_depth {
        return Err(ApiError::validation(format!(
            "the body nests deeper than {max_depth} levels"
        )));
    }
    let obj = body.as_object().ok_or_else(|| {
        ApiError::validation("the body must be a JSON object with name and query")
    })?;
    let name = match obj.get("name") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(
                ApiError::validation("/name must be a string").with("pointer", json!("/name"))
            )
        }
        None => {
            return Err(ApiError::validation("/name is required").with("pointer", json!("/name")))
        }
    };
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(ApiError::validation(format!(
            "/name must be 1 to {MAX_NAME_LEN} characters without control characters"
        ))
        .with("pointer", json!("/name")));
    }
    let query = match obj.get("query") {
        Some(q @ Value::Object(_)) => q.clone(),
        Some(_) => {
            return Err(
                ApiError::validation("/query must be an object").with("pointer", json!("/query"))
            )
        }
        None => {
            return Err(ApiError::validation("/query is required").with("pointer", json!("/query")))
        }
    };
    Ok((name, query))
}

/// Nesting depth of a JSON value (a scalar is 0).
pub(crate) fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// `POST /queries`.
pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require(&caller, Action::CreateNamedQuery)?;
    require_json(&headers)?;
    let bytes = read_body(&headers, body, state.config.max_body_bytes).await?;
    let (name, definition) = read_definition(&bytes, state.config.max_json_depth)?;
    // Refuse a query that cannot run now rather than when someone asks for its events.
    epcis::query::from_definition(&definition)?;
    let created = blocking(&state, move |s| s.create_named_query(&name, &definition)).await?;
    let (owned, owner) = (created.name.clone(), caller.owner_key());
    blocking(&state, move |s| s.set_named_query_owner(&owned, &owner)).await?;
    let location = format!(
        "{}/queries/{}",
        base_url(&state, &headers),
        encode(&created.name)
    );
    let mut response = (StatusCode::CREATED, Json(query_json(&created))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /queries`.
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    require(&caller, Action::ReadNamedQueries)?;
    let page = page_params(&state, "/queries", parse_query(raw.as_deref())?)?;
    if let Some((name, _)) = page.params.first() {
        return Err(ApiError::query_param(format!(
            "unknown query parameter {name} for /queries"
        )));
    }
    let request = page.request();
    let result = blocking(&state, move |s| s.named_queries(&request)).await?;
    let mut response =
        Json(Value::Array(result.items.iter().map(query_json).collect())).into_response();
    if let Some(link) = next_link(&state, &headers, "/queries", &page, result.next.as_deref()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

async fn find(state: &AppState, name: String) -> Result<NamedQuery, ApiError> {
    let lookup = name.clone();
    blocking(state, move |s| s.named_query(&lookup))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no named query {name}")))
}

/// `GET /queries/{queryName}`.
pub async fn get_one(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    require(&caller, Action::ReadNamedQueries)?;
    Ok(Json(query_json(&find(&state, name).await?)).into_response())
}

/// `DELETE /queries/{queryName}`.
pub async fn delete(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    require(&caller, Action::ReadNamedQueries)?;
    find(&state, name.clone()).await?;
    let lookup = name.clone();
    // Queries from before accounts existed have no owner: only operators delete them.
    let owner = blocking(&state, move |s| s.named_query_owner(&lookup))
        .await?
        .unwrap_or_default();
    require(&caller, Action::DeleteNamedQuery { owner: &owner })?;
    let deleted = name.clone();
    blocking(&state, move |s| s.delete_named_query(&deleted)).await?;
    crate::subscriptions::query_deleted(&state, &name);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /queries/{queryName}/events`: the query's results, paged; with `Upgrade: websocket`,
/// a WebSocket subscription to them.
pub async fn events(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    require(&caller, Action::ReadNamedQueries)?;
    let wants_ws =
        header_str(&headers, "upgrade")?.is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if wants_ws {
        let params = parse_query(raw.as_deref())?;
        return match ws {
            Ok(ws) => {
                let view = crate::access::read_view(&state, &caller).await?;
                crate::subscriptions::websocket::upgrade(state, &headers, name, &params, ws, view)
                    .await
            }
            Err(rejection) => Err(ApiError::validation(format!(
                "bad WebSocket handshake: {rejection}"
            ))),
        };
    }
    let path = uri.path().to_string();
    let page = page_params(&state, &path, parse_query(raw.as_deref())?)?;
    if let Some((param, _)) = page.params.first() {
        return Err(ApiError::query_param(format!(
            "query parameter {param} is not accepted here: the named query fixes the query (stream and schedule parameters need Upgrade: websocket)"
        ))
        .with("parameter", json!(param)));
    }
    let named = find(&state, name.clone()).await?;
    let query = epcis::query::from_definition(&named.definition)?;
    respond_query(&state, &caller, &headers, &path, query, &page, &name).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definition_checks() {
        let ok = read_definition(
            br#"{"name":"q1","query":{"eventType":["ObjectEvent"]}}"#,
            32,
        );
        assert_eq!(ok.ok().map(|(n, _)| n), Some("q1".to_string()));
        assert!(read_definition(br#"{"name":"q1"}"#, 32).is_err());
        assert!(read_definition(br#"{"name":5,"query":{}}"#, 32).is_err());
        assert!(read_definition(br#"{"name":"","query":{}}"#, 32).is_err());
        assert!(read_definition(br#"{"name":"q","query":[]}"#, 32).is_err());
        let e = read_definition(b"{\n \"name\": ", 32).err();
        assert_eq!(e.as_ref().map(|e| e.body()["line"].clone()), Some(json!(2)));
        let deep = format!(
            "{{\"name\":\"q\",\"query\":{}{}}}",
            "[".repeat(40),
            "]".repeat(40)
        );
        assert!(read_definition(deep.as_bytes(), 32).is_err());
    }
}
