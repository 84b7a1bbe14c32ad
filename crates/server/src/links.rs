//! Link management: brand owners add, change and remove the links the resolver serves
//! for a GTIN, a lot or a serial range.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gs1::DigitalLink;
use resolver::link::key_of;
use resolver::{Link, Scope, SerialRange};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::paging::{base_url, encode, parse_query};
use crate::problem::{ApiError, ExceptionType};
use crate::AppState;

/// Checks that the caller may manage the links of `key` (a canonical primary-key Digital
/// Link): a member with product rights of the organisation holding the key's company prefix
/// (or an operator), or whoever presents the server's `link_admin_token`, if one is set.
pub async fn authorise_brand_owner(
    state: &AppState,
    headers: &HeaderMap,
    key: &str,
) -> Result<(), ApiError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let (Some(expected), Some(token)) = (state.config.link_admin_token.as_deref(), given) {
        if constant_time_eq(token.as_bytes(), expected.as_bytes()) {
            return Ok(());
        }
    }
    let caller = crate::auth::resolve(state, headers).await?;
    let prefixes = crate::blocking(state, |s| s.company_prefixes()).await?;
    let index = registry::ownership::PrefixIndex::new(prefixes);
    let Some(owner) = index.owner_of(key) else {
        return Err(ApiError::new(
            ExceptionType::Forbidden,
            format!("no registered organisation holds the company prefix of {key}"),
        ));
    };
    crate::access::require(&caller, registry::Action::ManageProducts { org: owner })?;
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A link as clients write it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinkBody {
    /// Digital Link of the GTIN, lot (`/10/…`) or item (`/21/…`) the link is for.
    pub anchor: String,
    /// Serial range (instead of one serial in the anchor).
    pub serial_range: Option<SerialRange>,
    /// Link type (`gs1:pip`, `pip` or the full vocabulary URI).
    pub link_type: String,
    /// Target.
    pub href: String,
    /// Title.
    pub title: String,
    /// Languages of the target.
    #[serde(default)]
    pub hreflang: Vec<String>,
    /// Media type of the target.
    #[serde(rename = "type")]
    pub media_type: Option<String>,
    /// Context.
    pub context: Option<String>,
    /// Whether this is the default link of its anchor.
    #[serde(default)]
    pub default: bool,
}

impl LinkBody {
    /// The validated link with id `id`.
    fn into_link(self, id: String) -> Result<Link, ApiError> {
        let dl = DigitalLink::parse(&self.anchor)?;
        let serial = dl.qualifier("21").map(|s| SerialRange {
            from: s.to_owned(),
            to: s.to_owned(),
        });
        if serial.is_some() && self.serial_range.is_some() {
            return Err(ApiError::new(
                ExceptionType::InvalidLink,
                "give a serial in the anchor or a serialRange, not both",
            ));
        }
        let scope = Scope::new(
            &key_of(&dl),
            dl.qualifier("10"),
            serial.or(self.serial_range),
        )?;
        let link = Link {
            id,
            scope,
            link_type: self.link_type,
            href: self.href,
            title: self.title,
            hreflang: self.hreflang,
            media_type: self.media_type,
            context: self.context,
            default: self.default,
        };
        Ok(link.validated()?)
    }
}

/// The JSON form of a link.
pub fn link_json(link: &Link) -> Value {
    let mut anchor = link.scope.key.clone();
    if let Some(lot) = &link.scope.lot {
        anchor.push_str("/10/");
        anchor.push_str(&gs1::dl::encode_value(lot));
    }
    json!({
        "id": link.id,
        "anchor": anchor,
        "serialRange": link.scope.serials,
        "linkType": link.link_type,
        "href": link.href,
        "title": link.title,
        "hreflang": link.hreflang,
        "type": link.media_type,
        "context": link.context,
        "default": link.default,
    })
}

fn parse_body(body: &[u8]) -> Result<LinkBody, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(ExceptionType::InvalidLink, format!("link body: {e}")))
}

fn new_id() -> String {
    let bytes: [u8; 12] = rand::random();
    hex_lower(&bytes)
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `POST /links`: publishes a link; 201 with its `Location`.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let link = parse_body(&body)?.into_link(new_id())?;
    authorise_brand_owner(&state, &headers, &link.scope.key).await?;
    let stored = link.clone();
    crate::blocking(&state, move |s| s.put_link(&stored)).await?;
    state.links.invalidate(&link.scope.key);
    let location = format!("{}/links/{}", base_url(&state, &headers), encode(&link.id));
    let mut r = (StatusCode::CREATED, Json(link_json(&link))).into_response();
    r.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&location).map_err(ApiError::internal)?,
    );
    Ok(r)
}

/// `GET /links?anchor=…`: the links of a key (all its lots and serial ranges).
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let params = parse_query(q.as_deref())?;
    let anchor = params
        .iter()
        .find(|(k, _)| k == "anchor")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| {
            ApiError::query_param("anchor: give the Digital Link of a GTIN (or other key)")
        })?;
    let key = key_of(&DigitalLink::parse(&anchor)?);
    authorise_brand_owner(&state, &headers, &key).await?;
    let links = crate::blocking(&state, move |s| s.links_for_key(&key)).await?;
    Ok(Json(json!({ "links": links.iter().map(link_json).collect::<Vec<_>>() })).into_response())
}

async fn existing(state: &AppState, headers: &HeaderMap, id: &str) -> Result<Link, ApiError> {
    let owned = id.to_owned();
    let link = crate::blocking(state, move |s| s.link(&owned))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no link {id}")))?;
    authorise_brand_owner(state, headers, &link.scope.key).await?;
    Ok(link)
}

/// `GET /links/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let link = existing(&state, &headers, &id).await?;
    Ok(Json(link_json(&link)).into_response())
}

/// `PUT /links/{id}`: replaces a link (its anchor may change, within keys the caller owns).
pub async fn replace(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let old = existing(&state, &headers, &id).await?;
    let link = parse_body(&body)?.into_link(id)?;
    authorise_brand_owner(&state, &headers, &link.scope.key).await?;
    let stored = link.clone();
    crate::blocking(&state, move |s| s.put_link(&stored)).await?;
    state.links.invalidate(&old.scope.key);
    state.links.invalidate(&link.scope.key);
    Ok(Json(link_json(&link)).into_response())
}

/// `DELETE /links/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(_uri): OriginalUri,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let link = existing(&state, &headers, &id).await?;
    crate::blocking(&state, move |s| s.delete_link(&id)).await?;
    state.links.invalidate(&link.scope.key);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /scans?identifier=…`: scan statistics of one identifier (brand owner only).
pub async fn scan_stats(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let params = parse_query(q.as_deref())?;
    let text = params
        .iter()
        .find(|(k, _)| k == "identifier")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| ApiError::query_param("identifier: give a Digital Link"))?;
    let dl = DigitalLink::parse(&text)?;
    authorise_brand_owner(&state, &headers, &key_of(&dl)).await?;
    let identifier = dl.canonical();
    let day_ago = crate::passport::now_ms() - 24 * 3600 * 1000;
    let id = identifier.clone();
    let s = crate::blocking(&state, move |st| st.scan_summary(&id, day_ago)).await?;
    Ok(Json(json!({
        "identifier": identifier,
        "count": s.count,
        "firstScan": s.first_ms.map(crate::capture::rfc3339),
        "firstRegion": s.first_region,
        "regions": s.regions.iter().map(|(r, n)| json!({"region": r, "count": n})).collect::<Vec<_>>(),
        "last24h": s.recent,
    }))
    .into_response())
}
