//! Codes and labels over HTTP: QR codes with the Digital Link on this resolver, GS1
//! DataMatrix with the element string, A4 PDF label sheets, and random serials.

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gs1::{AiValue, DigitalLink, ParseOptions};
use labels::{Label, LabelError, LabelSize, Sheet};
use resolver::link::key_of;
use serde::Deserialize;
use serde_json::json;

use crate::links::authorise_brand_owner;
use crate::paging::{base_url, parse_query};
use crate::problem::{ApiError, ExceptionType};
use crate::AppState;

/// Most labels in one sheet request, and most random serials in one call.
pub const MAX_LABELS: usize = 2_000;

impl From<LabelError> for ApiError {
    fn from(e: LabelError) -> ApiError {
        match e {
            LabelError::Identifier(e) => e.into(),
            LabelError::Png(_) => ApiError::internal(e),
            e => ApiError::query_param(e.to_string()),
        }
    }
}

/// The identifier in a label path (`/labels/{kind}/01/…`), with its AI query attributes
/// checked and kept; other query parameters are the label options.
fn identifier(
    uri: &axum::http::Uri,
    prefix: &str,
) -> Result<(DigitalLink, Vec<(String, String)>), ApiError> {
    let rest = uri.path().strip_prefix(prefix).unwrap_or("");
    let dl = DigitalLink::parse_with(&format!("http://labels{rest}"), ParseOptions::STRICT)?;
    let params = parse_query(uri.query())?;
    let is_ai = |k: &str| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit());
    let mut dl = dl;
    dl.attributes = params.iter().filter(|(k, _)| is_ai(k)).cloned().collect();
    dl.check_attributes()?;
    let options = params.into_iter().filter(|(k, _)| !is_ai(k)).collect();
    Ok((dl, options))
}

fn option<'a>(options: &'a [(String, String)], name: &str) -> Option<&'a str> {
    options
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn number(
    options: &[(String, String)],
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match option(options, name) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                ApiError::query_param(format!("{name}: {v:?} is not a number from 1 to {max}"))
            }),
    }
}

/// The Digital Link a code carries: on this resolver (the configured or requested host).
fn code_uri(state: &AppState, headers: &HeaderMap, dl: &DigitalLink) -> String {
    let base = base_url(state, headers);
    let base = if base.is_empty() {
        gs1::dl::CANONICAL_BASE.to_owned()
    } else {
        base
    };
    dl.to_uri(&base)
}

fn image(
    format: Option<&str>,
    matrix: &labels::Matrix,
    scale: usize,
    title: &str,
) -> Result<Response, ApiError> {
    let (body, mime) = match format.unwrap_or("svg") {
        "svg" => (labels::svg(matrix, title).into_bytes(), "image/svg+xml"),
        "png" => (labels::png(matrix, scale)?, "image/png"),
        other => {
            return Err(ApiError::query_param(format!(
                "format: {other:?}; use svg or png"
            )))
        }
    };
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(r)
}

/// `GET /labels/qr/{digital link path}?format=svg|png&scale=N`: the QR code of the Digital Link.
pub async fn qr(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let (dl, options) = identifier(&uri, "/labels/qr")?;
    let text = code_uri(&state, &headers, &dl);
    let scale = number(&options, "scale", 8, 40)?;
    image(
        option(&options, "format"),
        &labels::qr(&text)?,
        scale,
        &text,
    )
}

/// `GET /labels/datamatrix/{digital link path}?format=svg|png&scale=N`: GS1 DataMatrix of the element string.
pub async fn datamatrix(OriginalUri(uri): OriginalUri) -> Result<Response, ApiError> {
    let (dl, options) = identifier(&uri, "/labels/datamatrix")?;
    let title = gs1::format_bracketed(&dl.to_elements()?);
    let scale = number(&options, "scale", 8, 40)?;
    image(
        option(&options, "format"),
        &labels::gs1_datamatrix(&dl)?,
        scale,
        &title,
    )
}

/// Human-readable lines of a label: one per element, `(AI) value`.
fn hri(dl: &DigitalLink) -> Result<Vec<String>, ApiError> {
    Ok(dl
        .to_elements()?
        .iter()
        .map(|e| format!("({}) {}", e.ai, e.value))
        .collect())
}

/// `GET /labels/sheet/{digital link path}?size=70x37&copies=N` (or `serials=A,B,…`, or
/// `from=100&to=199`, `symbol=datamatrix`): an A4 PDF of labels.
pub async fn sheet(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, ApiError> {
    let (dl, options) = identifier(&uri, "/labels/sheet")?;
    let size = LabelSize::parse(option(&options, "size").unwrap_or("70x37"))?;
    let symbol = option(&options, "symbol").unwrap_or("qr");
    let items: Vec<DigitalLink> = match (option(&options, "serials"), option(&options, "from")) {
        (Some(list), _) => list
            .split(',')
            .map(|s| with_serial(&dl, s.trim()))
            .collect::<Result<_, _>>()?,
        (None, Some(from)) => {
            let to = option(&options, "to")
                .ok_or_else(|| ApiError::query_param("to: give the last serial of the range"))?;
            let (a, b) = (
                parse_serial_number(from, "from")?,
                parse_serial_number(to, "to")?,
            );
            if b < a || b - a >= MAX_LABELS as u64 {
                return Err(ApiError::query_param(format!(
                    "from {a} to {b}: give an ascending range of at most {MAX_LABELS} serials"
                )));
            }
            (a..=b)
                .map(|n| with_serial(&dl, &n.to_string()))
                .collect::<Result<_, _>>()?
        }
        (None, None) => vec![dl.clone(); number(&options, "copies", 1, MAX_LABELS)?],
    };
    if items.len() > MAX_LABELS {
        return Err(ApiError::query_param(format!(
            "at most {MAX_LABELS} labels per sheet"
        )));
    }
    let labels = items
        .iter()
        .map(|item| {
            let code = match symbol {
                "qr" => labels::qr(&code_uri(&state, &headers, item))?,
                "datamatrix" => labels::gs1_datamatrix(item)?,
                other => {
                    return Err(ApiError::query_param(format!(
                        "symbol: {other:?}; use qr or datamatrix"
                    )))
                }
            };
            Ok(Label {
                code,
                lines: hri(item)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let pdf = Sheet { size, labels }.pdf()?;
    let mut r = (StatusCode::OK, pdf).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"labels.pdf\""),
    );
    Ok(r)
}

fn parse_serial_number(text: &str, name: &str) -> Result<u64, ApiError> {
    text.parse::<u64>()
        .ok()
        .filter(|_| !text.starts_with('0') || text == "0")
        .ok_or_else(|| {
            ApiError::query_param(format!(
                "{name}: {text:?} is not a serial number without leading zeros"
            ))
        })
}

/// The item of `dl` with serial `serial` (replacing any serial already there).
fn with_serial(dl: &DigitalLink, serial: &str) -> Result<DigitalLink, ApiError> {
    let mut qualifiers: Vec<AiValue> = dl
        .qualifiers
        .iter()
        .filter(|q| q.ai != "21")
        .cloned()
        .collect();
    qualifiers.push(AiValue::new("21", serial)?);
    let mut item = DigitalLink::new(dl.primary.clone(), qualifiers)?;
    item.attributes = dl.attributes.clone();
    Ok(item)
}

/// Body of `POST /labels/serials`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerialsBody {
    /// The GTIN or lot the serials are for.
    pub anchor: String,
    /// How many.
    pub count: usize,
    /// Characters per serial (8 to 20; default 12, 60 random bits).
    pub length: Option<usize>,
}

/// `POST /labels/serials`: random, unguessable serials for a GTIN or lot, with their
/// Digital Links (brand owner only).
pub async fn serials(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: SerialsBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(ExceptionType::Validation, format!("serials body: {e}")))?;
    let dl = DigitalLink::parse(&req.anchor)?;
    authorise_brand_owner(&state, &headers, &key_of(&dl)).await?;
    let length = req.length.unwrap_or(12);
    if !(8..=20).contains(&length) || !(1..=MAX_LABELS).contains(&req.count) {
        return Err(ApiError::validation(format!(
            "count 1 to {MAX_LABELS} and length 8 to 20 (got {} and {length})",
            req.count
        )));
    }
    let serials = labels::random_serials(&mut rand::rngs::OsRng, req.count, length);
    let links = serials
        .iter()
        .map(|s| with_serial(&dl, s).map(|item| code_uri(&state, &headers, &item)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "anchor": dl.canonical(), "serials": serials, "links": links })),
    )
        .into_response())
}
