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

use crate::access::{self, Capturer};
use crate::auth::Auth;
use crate::capture::{read_body, rfc3339};
use crate::headers::{accepted_binding, body_binding, output_formats_for, Binding, OutputFormats};
use crate::ops::Metrics;
use crate::paging::{base_url, encode, next_link, page_params, parse_query, PageParams};
use crate::problem::{ApiError, ExceptionType};
use crate::{blocking, AppState};
use registry::{Action, Caller};

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

/// Writes events as an XML `EPCISQueryDocument`, converting identifiers and CBV values as asked.
pub fn query_document_xml(
    events: &[StoredEvent],
    formats: OutputFormats,
    query_name: &str,
) -> Result<String, ApiError> {
    let kind = epcis::document::DocumentKind::EpcisQueryDocument;
    let created = rfc3339(chrono::Utc::now().timestamp_millis());
    let mut out = epcis::xml::document_start(kind, &created, Some(query_name), &[]);
    let standard = epcis::context::Namespaces::standard();
    for e in events {
        let mut v: Value = serde_json::from_str(&e.body).map_err(|err| {
            ApiError::internal(format!("stored event {} is not JSON: {err}", e.event_id))
        })?;
        epcis::format::convert_event(&mut v, formats.epc, formats.cbv, &gs1::NoPrefixes);
        let Some(event) = v.as_object() else {
            return Err(ApiError::internal(format!(
                "stored event {} is not an object",
                e.event_id
            )));
        };
        epcis::xml::write_event(&mut out, event, &standard).map_err(|err| {
            ApiError::new(
                ExceptionType::NotAcceptable,
                format!("event {}: {err}; ask for application/ld+json", e.event_id),
            )
        })?;
    }
    out.push_str(epcis::xml::document_end(kind));
    Ok(out)
}

/// The events as a query document in the binding the request accepts.
fn render(
    events: &[StoredEvent],
    binding: Binding,
    formats: OutputFormats,
    query_name: &str,
) -> Result<Response, ApiError> {
    let mut response = match binding {
        Binding::Json => Json(query_document(events, formats, query_name)?).into_response(),
        Binding::Xml => query_document_xml(events, formats, query_name)?.into_response(),
    };
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(binding.media_type()),
    );
    Ok(response)
}

/// Runs `query` for one page as `caller` sees it and answers with the query document and
/// its `Link` header.
pub async fn respond_query(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    path: &str,
    mut query: Query,
    page: &PageParams,
    query_name: &str,
) -> Result<Response, ApiError> {
    let binding = accepted_binding(headers)?;
    let formats = output_formats_for(headers, binding)?;
    let view = access::read_view(state, caller).await?;
    access::restrict(&view, &mut query)?;
    let request = page.request();
    let result = blocking(state, move |s| s.query(&query, &request)).await?;
    let items = access::present(state, &view, result.items).await?;
    let mut response = render(&items, binding, formats, query_name)?;
    if let Some(link) = next_link(state, headers, path, page, result.next.as_deref()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// Runs the query of `params` plus `fixed` (conditions the route imposes) at `path`.
pub async fn query_at(
    state: &AppState,
    caller: &Caller,
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
    respond_query(
        state,
        caller,
        headers,
        path,
        query,
        &page,
        "SimpleEventQuery",
    )
    .await
}

/// `GET /events`.
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    query_at(&state, &caller, &headers, "/events", raw.as_deref(), None).await
}

/// `POST /events`: captures one event synchronously, owned by the caller's organisation.
pub async fn post(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    access::require(&caller, Action::CaptureEvents)?;
    let org = caller.org().unwrap_or_default().to_owned();
    let binding = body_binding(&headers)?;
    let bytes = read_body(&headers, body, state.config.max_body_bytes).await?;
    let limits = state.config.limits();
    let now = chrono::Utc::now().timestamp_millis();
    let prepared = tokio::task::spawn_blocking(move || {
        let event = match binding {
            Binding::Json => epcis::parse_event(&bytes, &limits),
            Binding::Xml => epcis::xml::parse_xml_event(&bytes, &limits),
        };
        event.map(|event| NewEvent::from_event(event, now))
    })
    .await
    .map_err(ApiError::internal)??;
    let rule = state.config.ownership_rule;
    let capturer = blocking(&state, move |s| Capturer::load(s, &org, rule)).await?;
    let mut prepared = prepared;
    let mut partners = std::collections::HashSet::new();
    if let Some(message) = capturer.mark(&mut prepared, &mut partners) {
        return Err(ApiError::validation(message));
    }
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
    let partners: Vec<String> = partners.into_iter().collect();
    let org = capturer.org.clone();
    blocking(&state, move |s| s.add_partners(&org, &partners)).await?;
    Metrics::add(&state.metrics.events_captured, 1);
    state.subscriptions.events_stored();
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
    Auth(caller): Auth,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(event_id): Path<String>,
) -> Result<Response, ApiError> {
    let binding = accepted_binding(&headers)?;
    let formats = output_formats_for(&headers, binding)?;
    let view = access::read_view(&state, &caller).await?;
    let lookup = event_id.clone();
    let event = blocking(&state, move |s| s.event(&lookup)).await?;
    let Some(event) = event else {
        return Err(
            ApiError::not_found(format!("no event with eventID {event_id}"))
                .with("instance", json!(uri.path())),
        );
    };
    let shown = access::present(&state, &view, vec![event]).await?;
    render(&shown, binding, formats, "SimpleEventQuery")
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
