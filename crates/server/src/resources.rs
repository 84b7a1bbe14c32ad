//! The top-level resources: `/eventTypes`, `/epcs`, `/bizSteps`, `/bizLocations`,
//! `/readPoints`, `/dispositions`, each with `/{value}` and `/{value}/events`.

use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use epcis::EventType;
use serde_json::{json, Value};

use crate::access::require;
use crate::events::{query_at, EPCIS_CONTEXT};
use crate::paging::{next_link, page_params, parse_query};
use crate::problem::ApiError;
use crate::{blocking, AppState};
use registry::{Action, Caller};

/// A top-level resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// `/eventTypes`.
    EventTypes,
    /// `/epcs`.
    Epcs,
    /// `/bizSteps`.
    BizSteps,
    /// `/bizLocations`.
    BizLocations,
    /// `/readPoints`.
    ReadPoints,
    /// `/dispositions`.
    Dispositions,
}

impl Resource {
    /// All of them.
    pub const ALL: [Resource; 6] = [
        Resource::EventTypes,
        Resource::Epcs,
        Resource::BizSteps,
        Resource::BizLocations,
        Resource::ReadPoints,
        Resource::Dispositions,
    ];

    /// The collection's path.
    pub fn path(self) -> &'static str {
        match self {
            Resource::EventTypes => "/eventTypes",
            Resource::Epcs => "/epcs",
            Resource::BizSteps => "/bizSteps",
            Resource::BizLocations => "/bizLocations",
            Resource::ReadPoints => "/readPoints",
            Resource::Dispositions => "/dispositions",
        }
    }

    /// The facet fields whose values make up the collection.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Resource::EventTypes => &[],
            Resource::Epcs => &["epc", "parentID", "childEPC", "inputEPC", "outputEPC"],
            Resource::BizSteps => &["bizStep"],
            Resource::BizLocations => &["bizLocation"],
            Resource::ReadPoints => &["readPoint"],
            Resource::Dispositions => &["disposition"],
        }
    }

    /// The query parameter that restricts a query to one member.
    pub fn param(self) -> &'static str {
        match self {
            Resource::EventTypes => "eventType",
            Resource::Epcs => "MATCH_anyEPC",
            Resource::BizSteps => "EQ_bizStep",
            Resource::BizLocations => "EQ_bizLocation",
            Resource::ReadPoints => "EQ_readPoint",
            Resource::Dispositions => "EQ_disposition",
        }
    }
}

fn collection(members: Vec<Value>) -> Value {
    json!({ "@context": EPCIS_CONTEXT, "type": "Collection", "member": members })
}

/// `GET /{resource}`: the known members, paged.
pub async fn list(
    resource: Resource,
    state: AppState,
    caller: Caller,
    headers: HeaderMap,
    raw: Option<String>,
) -> Result<Response, ApiError> {
    // The members listed are identifiers and vocabulary the consumer view keeps.
    require(&caller, Action::ReadEvents)?;
    let path = resource.path();
    let page = page_params(&state, path, parse_query(raw.as_deref())?)?;
    if let Some((name, _)) = page.params.first() {
        return Err(
            ApiError::query_param(format!("unknown query parameter {name} for {path}"))
                .with("parameter", json!(name)),
        );
    }
    if resource == Resource::EventTypes {
        // The five standard types are always supported, whether or not events of them exist yet.
        let members = EventType::ALL.iter().map(|t| json!(t.as_str())).collect();
        return Ok(Json(collection(members)).into_response());
    }
    let request = page.request();
    let fields = resource.fields();
    let result = blocking(&state, move |s| s.distinct_values(fields, &request)).await?;
    let mut response = Json(collection(
        result.items.into_iter().map(Value::String).collect(),
    ))
    .into_response();
    if let Some(link) = next_link(&state, &headers, path, &page, result.next.as_deref()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// `GET /{resource}/{value}`: its sub-resources (`events`), or 404 when no event mentions it.
pub async fn one(
    resource: Resource,
    state: AppState,
    caller: Caller,
    value: String,
) -> Result<Response, ApiError> {
    require(&caller, Action::ReadEvents)?;
    let known = if resource == Resource::EventTypes {
        EventType::parse(&value).is_some()
    } else {
        let query = epcis::query::from_params(&[(resource.param().to_string(), value.clone())])?;
        let request = store::PageRequest {
            per_page: 1,
            after: None,
        };
        !blocking(&state, move |s| s.query(&query, &request))
            .await?
            .items
            .is_empty()
    };
    if !known {
        return Err(ApiError::not_found(format!(
            "{} has no member {value}",
            resource.path()
        )));
    }
    Ok(Json(collection(vec![json!("events")])).into_response())
}

/// `GET /{resource}/{value}/events`: the query restricted to that member.
pub async fn events(
    resource: Resource,
    state: AppState,
    caller: Caller,
    headers: HeaderMap,
    path: String,
    value: String,
    raw: Option<String>,
) -> Result<Response, ApiError> {
    if resource == Resource::EventTypes && EventType::parse(&value).is_none() {
        return Err(ApiError::not_found(format!("unknown event type {value}")));
    }
    query_at(
        &state,
        &caller,
        &headers,
        &path,
        raw.as_deref(),
        Some((resource.param(), &value)),
    )
    .await
}
