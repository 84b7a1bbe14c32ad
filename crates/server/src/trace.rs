//! `/trace`: the trace of a lot, item or logistic unit as a JSON graph, as an FSMA 204
//! spreadsheet (CSV, XLSX), as an EPCIS document of its events, and as an official's page
//! (see [`crate::trace_page`]).
//!
//! Every form goes through [`trace_graph`], the one place where a viewer's access policy
//! will filter the graph (`TraceGraph::retain_events`) before anything is rendered.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use epcis::query::{Condition, Query};
use registry::Caller;
use serde_json::{json, Value};
use store::{PageRequest, StoreError};
use trace::{Direction, TraceGraph, TraceRequest};

use crate::access::{self, View};
use crate::auth::Auth;
use crate::capture::rfc3339;
use crate::events::EPCIS_CONTEXT;
use crate::paging::parse_query;
use crate::problem::ApiError;
use crate::{blocking, AppState};

/// Most identifiers a trace may hold unless the request asks for fewer.
pub const MAX_NODES: usize = 10_000;

/// A parsed trace request, with the key as given (for messages and links).
#[derive(Debug, Clone)]
pub struct TraceParams {
    /// The request for the engine.
    pub request: TraceRequest,
    /// The key as the client wrote it.
    pub key: String,
    /// `from` as given.
    pub from: Option<String>,
    /// `to` as given.
    pub to: Option<String>,
}

/// Reads `key`, `direction`, `from`, `to` and `maxNodes`.
pub fn parse_params(raw: Option<&str>) -> Result<TraceParams, ApiError> {
    let mut key = None;
    let mut direction = Direction::Both;
    let (mut from, mut to) = (None, None);
    let mut max_nodes = MAX_NODES;
    for (name, value) in parse_query(raw)? {
        let bad = |what: &str| {
            ApiError::query_param(format!("{name}: {value:?} {what}"))
                .with("parameter", json!(name))
        };
        match name.as_str() {
            "key" => key = Some(value.clone()),
            "direction" => {
                direction = Direction::parse(&value)
                    .ok_or_else(|| bad("is not backward, forward or both"))?;
            }
            "from" if !value.is_empty() => from = Some(value.clone()),
            "to" if !value.is_empty() => to = Some(value.clone()),
            "from" | "to" => {}
            "maxNodes" => {
                max_nodes = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_NODES).contains(n))
                    .ok_or_else(|| bad(&format!("is not a number from 1 to {MAX_NODES}")))?;
            }
            _ => {
                return Err(ApiError::query_param(format!(
                    "unknown parameter {name}; a trace takes key, direction, from, to and maxNodes"
                ))
                .with("parameter", json!(name)))
            }
        }
    }
    let key = key.ok_or_else(|| {
        ApiError::query_param("key is required: the lot, item or logistic unit to trace")
            .with("parameter", json!("key"))
    })?;
    let start = trace::parse_key(&key)
        .map_err(|e| ApiError::query_param(format!("key: {e}")).with("parameter", json!("key")))?;
    let from_ms = from
        .as_deref()
        .map(|t| time_param("from", t, false))
        .transpose()?;
    let to_ms = to
        .as_deref()
        .map(|t| time_param("to", t, true))
        .transpose()?;
    if let (Some(f), Some(t)) = (from_ms, to_ms) {
        if f > t {
            return Err(ApiError::query_param("from is after to"));
        }
    }
    Ok(TraceParams {
        request: TraceRequest {
            start,
            direction,
            from_ms,
            to_ms,
            max_nodes,
        },
        key,
        from,
        to,
    })
}

/// An RFC 3339 time, or a date (`YYYY-MM-DD`, UTC; the whole day for `to`).
fn time_param(name: &str, text: &str, end_of_day: bool) -> Result<i64, ApiError> {
    if let Ok(ms) = epcis::lexical::parse_time_ms(text) {
        return Ok(ms);
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ApiError::query_param(format!(
            "{name}: {text:?} is neither a date (2026-01-31) nor a date-time (2026-01-31T08:00:00+07:00)"
        ))
        .with("parameter", json!(name))
    })?;
    let start = day
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or_default();
    Ok(if end_of_day {
        start + 86_400_000 - 1
    } else {
        start
    })
}

/// Computes the trace a request asks for; 404 when no event names the key.
pub async fn trace_graph(
    state: &AppState,
    caller: &Caller,
    params: &TraceParams,
) -> Result<TraceGraph, ApiError> {
    // A trace shows parties, places and quantities: it is never public, and each reader
    // sees only the events of their scope (their own and partners', their province, all).
    let view = access::read_view(state, caller).await?;
    if view == View::Consumer {
        return Err(ApiError::unauthenticated(
            "sign in to trace: a trace shows parties, places and quantities",
        ));
    }
    let request = params.request.clone();
    let mut graph = blocking(state, move |s| s.trace(&request)).await?;
    if view != View::All {
        let ids: Vec<String> = graph
            .events
            .iter()
            .map(|e| e.record.event_id.clone())
            .collect();
        let seqs: HashMap<String, i64> = blocking(state, move |s| {
            let mut seqs = HashMap::with_capacity(ids.len());
            for id in ids {
                if let Some(e) = s.event(&id)? {
                    seqs.insert(id, e.seq);
                }
            }
            Ok(seqs)
        })
        .await?;
        let full = access::seen_in_full(state, &view, seqs.values().copied().collect()).await?;
        graph.retain_events(|e| {
            seqs.get(&e.record.event_id)
                .is_some_and(|seq| full.contains(seq))
        });
    }
    if graph.events.is_empty() && params.request.from_ms.is_none() && params.request.to_ms.is_none()
    {
        return Err(ApiError::not_found(format!(
            "no event names {} ({})",
            params.key, params.request.start
        )));
    }
    Ok(graph)
}

/// `GET /trace?key=…`: the graph as JSON, with the origins of its upstream lots.
pub async fn json(
    State(state): State<AppState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = parse_params(raw.as_deref())?;
    let graph = trace_graph(&state, &caller, &params).await?;
    let mut doc = serde_json::to_value(&graph).map_err(ApiError::internal)?;
    if let Some(obj) = doc.as_object_mut() {
        obj.insert(
            "origins".into(),
            serde_json::to_value(graph.origins()).map_err(ApiError::internal)?,
        );
    }
    Ok(Json(doc).into_response())
}

/// The product description for the FSMA sheet. The product registry will answer here;
/// until then the sheet shows the GTIN.
fn describe(_gtin: &str) -> Option<String> {
    None
}

fn attachment(content_type: &'static str, name: &str, body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// A file name for a trace export.
fn file_name(graph: &TraceGraph, ext: &str) -> String {
    let n = trace::node::classify(&graph.start);
    let stem = match (&n.gtin, &n.lot, &n.serial, &n.sscc) {
        (Some(g), Some(l), _, _) => format!("{g}-{l}"),
        (Some(g), None, Some(s), _) => format!("{g}-{s}"),
        (_, _, _, Some(s)) => s.clone(),
        _ => "trace".into(),
    };
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("trace-{safe}.{ext}")
}

/// `GET /trace/fsma.csv?key=…`.
pub async fn fsma_csv(
    State(state): State<AppState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = parse_params(raw.as_deref())?;
    let graph = trace_graph(&state, &caller, &params).await?;
    let csv = tokio::task::spawn_blocking(move || {
        let rows = trace::fsma::rows(&graph, &describe);
        (trace::fsma::to_csv(&rows), file_name(&graph, "csv"))
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        &csv.1,
        csv.0.into_bytes(),
    ))
}

/// `GET /trace/fsma.xlsx?key=…`.
pub async fn fsma_xlsx(
    State(state): State<AppState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = parse_params(raw.as_deref())?;
    let graph = trace_graph(&state, &caller, &params).await?;
    let (bytes, name) = tokio::task::spawn_blocking(move || {
        let rows = trace::fsma::rows(&graph, &describe);
        (trace::fsma::to_xlsx(&rows), file_name(&graph, "xlsx"))
    })
    .await
    .map_err(ApiError::internal)?;
    let bytes = bytes.map_err(ApiError::internal)?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &name,
        bytes,
    ))
}

/// `GET /trace/epcis?key=…`: the trace's events, as stored, in one `EPCISDocument`.
pub async fn epcis_document(
    State(state): State<AppState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = parse_params(raw.as_deref())?;
    let graph = trace_graph(&state, &caller, &params).await?;
    let ids: Vec<String> = graph
        .events
        .iter()
        .map(|e| e.record.event_id.clone())
        .collect();
    let stored = blocking(&state, move |s| {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let query = Query {
                conditions: vec![Condition::EventIdIn(chunk.to_vec())],
                ..Query::default()
            };
            let mut page = PageRequest {
                per_page: chunk.len(),
                after: None,
            };
            loop {
                let result = s.query(&query, &page)?;
                out.extend(result.items);
                match result.next {
                    Some(next) => page.after = Some(next),
                    None => break,
                }
            }
        }
        Ok(out)
    })
    .await?;
    let mut bodies = Vec::with_capacity(stored.len());
    let mut sorted = stored;
    sorted.sort_by_key(|e| (e.event_time_ms, e.seq));
    for e in &sorted {
        let v: Value = serde_json::from_str(&e.body).map_err(|err| {
            ApiError::internal(format!("stored event {} is not JSON: {err}", e.event_id))
        })?;
        bodies.push(v);
    }
    let doc = json!({
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": rfc3339(chrono::Utc::now().timestamp_millis()),
        "epcisBody": { "eventList": bodies }
    });
    let mut response = Json(doc).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/ld+json"),
    );
    Ok(response)
}

/// The ILMD member of an event body whose name ends with `name` (any prefix).
fn ilmd_text<'a>(ilmd: Option<&'a Value>, name: &str) -> Option<&'a str> {
    ilmd?
        .as_object()?
        .iter()
        .find(|(k, _)| k.rsplit([':', '/', '#']).next() == Some(name))
        .and_then(|(_, v)| v.as_str())
}

/// The origin plots of a (backward) trace as a GeoJSON `FeatureCollection` for an EU
/// Deforestation Regulation due-diligence statement: each upstream lot's commissioning
/// event names its planting-area code in ILMD (`…plantingAreaCode`); the export-code
/// registry gives the code's plots (or a plot is registered under the code itself), and
/// the plot registry their geometry (a point up to 4 ha, a polygon above, WGS84). Each
/// feature carries the plot, producer, country, province, area and the harvests (lots,
/// dates) that came from it. Plots are in registry order of first appearance; polygons are
/// wound as RFC 7946 asks (outer rings counter-clockwise).
pub fn origin_plots(s: &dyn store::Backend, graph: &TraceGraph) -> Result<Value, StoreError> {
    struct Harvest {
        plot: registry::places::Plot,
        code: String,
        lots: Vec<Value>,
    }
    let mut plots: Vec<Harvest> = Vec::new();
    let mut unmatched = Vec::new();
    for origin in graph.origins() {
        let event = &graph.events[origin.event].record;
        let Some(stored) = s.event(&event.event_id)? else {
            continue;
        };
        let body: Value = serde_json::from_str(&stored.body).unwrap_or(Value::Null);
        let ilmd = body.get("ilmd");
        let node = trace::node::classify(&origin.node);
        let lot = json!({
            "lot": node.lot,
            "gtin": node.gtin,
            "id": origin.node,
            "harvestStartDate": ilmd_text(ilmd, "harvestStartDate"),
            "harvestEndDate": ilmd_text(ilmd, "harvestEndDate"),
            "eventTime": rfc3339(event.time_ms),
            "location": origin.location,
        });
        let Some(code) = ilmd_text(ilmd, "plantingAreaCode").map(str::to_owned) else {
            unmatched.push(
                json!({"lot": origin.node, "why": "its first event names no plantingAreaCode"}),
            );
            continue;
        };
        let mut ids = s.code(&code)?.map(|c| c.plots).unwrap_or_default();
        if ids.is_empty() {
            ids = vec![code.clone(), code.to_ascii_lowercase()];
        }
        let mut found = false;
        for id in ids {
            if let Some(h) = plots.iter_mut().find(|h| h.plot.id == id) {
                if !h.lots.contains(&lot) {
                    h.lots.push(lot.clone());
                }
                found = true;
            } else if let Some(plot) = s.plot(&id)? {
                plots.push(Harvest {
                    plot,
                    code: code.clone(),
                    lots: vec![lot.clone()],
                });
                found = true;
            }
            if found {
                break;
            }
        }
        if !found {
            unmatched.push(json!({"lot": origin.node, "plantingAreaCode": code, "why": "no registered plot has this code"}));
        }
    }
    let mut features = Vec::with_capacity(plots.len());
    for h in plots {
        let org = s.organisation(&h.plot.owner)?;
        let area = h
            .plot
            .area_ha
            .or_else(|| registry::places::check_plot(&h.plot, None).ok());
        features.push(json!({
            "type": "Feature",
            "id": h.plot.id,
            "geometry": registry::places::rfc7946_geometry(&h.plot.geometry),
            "properties": {
                "plotId": h.plot.id,
                "name": h.plot.name,
                "plantingAreaCode": h.code,
                "crop": h.plot.crop,
                "producer": {
                    "id": h.plot.owner,
                    "name": org.as_ref().map(|o| o.details.name_vi.clone()),
                    "taxCode": org.as_ref().map(|o| o.details.tax_code.clone()),
                },
                "country": org.as_ref().map_or("VN".to_owned(), |o| o.details.country.clone()),
                "province": h.plot.province_code,
                "areaHa": area,
                "harvests": h.lots,
            }
        }));
    }
    Ok(json!({
        "type": "FeatureCollection",
        "features": features,
        "traceport:start": graph.start,
        "traceport:unmatched": unmatched,
    }))
}

/// `GET /trace/plots.geojson?key=…`: the origin plots of the lot (a backward trace,
/// whatever `direction` says), as GeoJSON.
pub async fn plots_geojson(
    State(state): State<AppState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut params = parse_params(raw.as_deref())?;
    params.request.direction = Direction::Backward;
    let graph = trace_graph(&state, &caller, &params).await?;
    let name = file_name(&graph, "geojson");
    let doc = blocking(&state, move |s| origin_plots(s, &graph)).await?;
    Ok(attachment(
        "application/geo+json",
        &name,
        registry::places::geojson_text(&doc).into_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked_and_named() {
        let p = parse_params(Some("key=urn:epc:class:lgtin:4012345.012345.998877&direction=backward&from=2026-01-01&to=2026-01-31")).unwrap();
        assert_eq!(p.request.direction, Direction::Backward);
        assert_eq!(p.request.from_ms, Some(1_767_225_600_000));
        assert_eq!(
            p.request.to_ms,
            Some(1_767_225_600_000 + 31 * 86_400_000 - 1)
        );
        for bad in [
            "direction=up&key=(01)04012345123456(10)1",
            "key=(01)04012345123456",
            "",
            "key=(01)04012345123456(10)1&from=yesterday",
            "key=(01)04012345123456(10)1&maxNodes=0",
            "key=(01)04012345123456(10)1&colour=red",
            "key=(01)04012345123456(10)1&from=2026-02-01&to=2026-01-01",
        ] {
            let e = parse_params(Some(bad)).unwrap_err();
            assert_eq!(
                e.kind.status(),
                axum::http::StatusCode::BAD_REQUEST,
                "{bad}"
            );
        }
    }
}
