//! `/events`: the SimpleEventQuery over REST (paged `EPCISQueryDocument`s), single-event
//! capture (`POST /events`) and one event by `eventID`.

use axum::body::Body;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use epcis::query::Query;
use serde_json::{json, Value};
use store::{AppendMode, NewEvent, StoredEvent};

use crate::capture::{read_body, rfc3339};
use crate::headers::{output_formats, require_json, OutputFormats};
use crate::ops::Metrics;
use crate::paging::{base_url, encode, next_link, page_params, parse_query, PageParams};
use crate::problem::{ApiError, ExceptionType};
use crate::{blocking, AppState};

/// The JSON-LD context of every query document this server writes.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// Wraps events in an `EPCISQueryDocument`, converting identifiers and CBV values as asked.
pub fn query_document(
    events: &[StoredEvent],
    formats: OutputFormats,
    query_name: &str,
) -> Result<Value, ApiError> {
    let mut list = Vec::with_capacity(events.len());
    for e in events {
        let mut v: Value = serde_json::from_str(&e.body).map_err(|err| {
            ApiError::internal(format!("stored event {} is not JSON: {err}", e.event_id))
        })?;
        epcis::format::convert_event(&mut v, formats.epc, formats.cbv, &gs1::NoPrefixes);
        list.push(v);
    }
    Ok(json!({
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": rfc3339(chrono::Utc::now().timestamp_millis()),
        "epcisBody": {
            "queryResults": {
                "queryName": query_name,
                "resultsBody": { "eventList": list }
            }
        }
    }))
}

/// Runs `query` for one page and answers with the query document and its `Link` header.
pub async fn respond_query(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    query: Query,
    page: &PageParams,
    query_name: &str,
) -> Result<Response, ApiError> {
    let formats = output_formats(headers)?;
    let request = page.request();
    let result = blocking(state, move |s| s.query(&query, &request)).await?;
    let doc = query_document(&result.items, formats, query_name)?;
    let mut response = Json(doc).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/ld+json"),
    );
    if let Some(link) = next_link(state, headers, path, page, result.next.as_deref()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// Runs the query of `params` plus `fixed` (conditions the route imposes) at `path`.
pub async fn query_at(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    raw: Option<&str>,
    fixed: Option<(&str, &str)>,
) -> Result<Response, ApiError> {
    let page = page_params(state, path, parse_query(raw)?)?;
    let mut params = page.params.clone();
    if let Some((name, value)) = fixed {
        if params.iter().any(|(n, _)| n == name) {
            return Err(ApiError::query_param(format!(
                "{name} is fixed by the path {path} and cannot be given again"
            ))
            .with("parameter", json!(name)));
        }
        params.push((name.to_string(), value.to_string()));
    }
    let query = epcis::query::from_params(&params)?;
    respond_query(state, headers, path, query, &page, "SimpleEventQuery").await
}

/// `GET /events`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    query_at(&state, &headers, "/events", raw.as_deref(), None).await
}

/// `POST /events`: captures one event synchronously.
pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let bytes = read_body(&headers, body, state.config.max_body_bytes).await?;
    let limits = state.config.limits();
    let now = chrono::Utc::now().timestamp_millis();
    let prepared = tokio::task::spawn_blocking(move || {
        epcis::parse_event(&bytes, &limits).map(|event| NewEvent::from_event(event, now))
    })
    .await
    .map_err(ApiError::internal)??;
    let event_id = prepared.event_id.clone();
    let body: Value = serde_json::from_str(&prepared.body).unwrap_or(Value::Null);
    let outcome = blocking(&state, move |s| {
        s.append(vec![prepared], AppendMode::AllOrNothing)
    })
    .await?;
    match outcome.results.first() {
        Some(Ok(_)) => {}
        Some(Err(reason)) => {
            return Err(
                ApiError::new(ExceptionType::ResourceAlreadyExists, reason.to_string())
                    .with("eventID", json!(event_id)),
            )
        }
        None => {
            return Err(ApiError::internal(
                "the store returned no result for the event",
            ))
        }
    }
    Metrics::add(&state.metrics.events_captured, 1);
    let location = format!(
        "{}/events/{}",
        base_url(&state, &headers),
        encode(&event_id)
    );
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /events/{eventID}`.
pub async fn get_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(event_id): Path<String>,
) -> Result<Response, ApiError> {
    let formats = output_formats(&headers)?;
    let lookup = event_id.clone();
    let event = blocking(&state, move |s| s.event(&lookup)).await?;
    let Some(event) = event else {
        return Err(
            ApiError::not_found(format!("no event with eventID {event_id}"))
                .with("instance", json!(uri.path())),
        );
    };
    let mut response = Json(query_document(&[event], formats, "SimpleEventQuery")?).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/ld+json"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use epcis::EventType;

    #[test]
    fn query_document_wraps_events() {
        let e = StoredEvent {
            seq: 1,
            event_id: "urn:uuid:1".into(),
            event_type: EventType::ObjectEvent,
            event_time_ms: 0,
            record_time_ms: 0,
            body: r#"{"type":"ObjectEvent","eventID":"urn:uuid:1"}"#.into(),
        };
        let doc = query_document(&[e], OutputFormats::default(), "SimpleEventQuery").unwrap();
        assert_eq!(doc["type"], "EPCISQueryDocument");
        assert_eq!(doc["@context"][0], EPCIS_CONTEXT);
        assert_eq!(
            doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["eventID"],
            "urn:uuid:1"
        );
    }

    #[test]
    fn corrupt_stored_event_is_internal_error() {
        let e = StoredEvent {
            seq: 1,
            event_id: "x".into(),
            event_type: EventType::ObjectEvent,
            event_time_ms: 0,
            record_time_ms: 0,
            body: "{".into(),
        };
        let err = query_document(&[e], OutputFormats::default(), "q").err();
        assert_eq!(err.map(|e| e.kind), Some(ExceptionType::Implementation));
    }
}
