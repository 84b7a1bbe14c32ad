//! The GS1 EPCIS headers: versions on every response, discovery headers for `OPTIONS`,
//! output-format request headers, and the media types a body may have.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use epcis::format::{CbvFormat, EpcFormat};

use crate::problem::{ApiError, ExceptionType};
use crate::AppState;

/// The EPCIS version this server speaks.
pub const EPCIS_VERSION: &str = "2.0.0";
/// The CBV version this server speaks.
pub const CBV_VERSION: &str = "2.0.0";
/// This server's own version, announced in `GS1-Vendor-Version`.
pub const VENDOR_VERSION: &str = concat!("traceport-", env!("CARGO_PKG_VERSION"));

/// Adds `GS1-EPCIS-Version` and `GS1-CBV-Version` to every response.
pub async fn version_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert("gs1-epcis-version", HeaderValue::from_static(EPCIS_VERSION));
    h.insert("gs1-cbv-version", HeaderValue::from_static(CBV_VERSION));
    response
}

/// Which discovery headers an `OPTIONS` answer carries beyond the common ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discovery {
    /// The common set.
    Default,
    /// `/capture`: also the capture limits and error behaviours.
    Capture,
}

/// The `204` answer to `OPTIONS` on a route that allows `allow`.
pub fn options_response(state: &AppState, allow: &'static str, kind: Discovery) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert(header::ALLOW, HeaderValue::from_static(allow));
    for (name, value) in [
        ("gs1-epcis-min", "2.0.0"),
        ("gs1-epcis-max", EPCIS_VERSION),
        ("gs1-cbv-min", "2.0.0"),
        ("gs1-cbv-max", CBV_VERSION),
        (
            "gs1-epc-format",
            "Never_Translates, Always_GS1_Digital_Link, Always_EPC_URN",
        ),
        (
            "gs1-cbv-xml-format",
            "Never_Translates, Always_Web_URI, Always_URN",
        ),
        (
            "gs1-cbv-format",
            "Never_Translates, Always_Web_URI, Always_URN",
        ),
        ("gs1-extensions", ""),
        ("gs1-vendor-version", VENDOR_VERSION),
    ] {
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if kind == Discovery::Capture {
        insert_capture_limits(h, state);
        h.insert(
            "gs1-capture-error-behaviour",
            HeaderValue::from_static("all"),
        );
    }
    response
}

/// Adds `GS1-EPCIS-Capture-Limit` and `GS1-EPCIS-Capture-File-Size-Limit`.
pub fn insert_capture_limits(h: &mut HeaderMap, state: &AppState) {
    h.insert(
        "gs1-epcis-capture-limit",
        HeaderValue::from(state.config.max_capture_events),
    );
    h.insert(
        "gs1-epcis-capture-file-size-limit",
        HeaderValue::from(state.config.max_body_bytes),
    );
}

/// The output forms a request asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputFormats {
    /// `GS1-EPC-Format`.
    pub epc: EpcFormat,
    /// `GS1-CBV-Format` (or the standard's `GS1-CBV-XML-Format`).
    pub cbv: CbvFormat,
}

/// Reads `GS1-EPC-Format` and `GS1-CBV-Format` / `GS1-CBV-XML-Format`; an unknown value is 406.
pub fn output_formats(headers: &HeaderMap) -> Result<OutputFormats, ApiError> {
    output_formats_for(headers, Binding::Json)
}

/// Like [`output_formats`] for a response in `binding`: an XML response reads
/// `GS1-CBV-XML-Format` first, a JSON one `GS1-CBV-Format`.
pub fn output_formats_for(
    headers: &HeaderMap,
    binding: Binding,
) -> Result<OutputFormats, ApiError> {
    let (first, second) = match binding {
        Binding::Json => (
            ("gs1-cbv-format", "GS1-CBV-Format"),
            ("gs1-cbv-xml-format", "GS1-CBV-XML-Format"),
        ),
        Binding::Xml => (
            ("gs1-cbv-xml-format", "GS1-CBV-XML-Format"),
            ("gs1-cbv-format", "GS1-CBV-Format"),
        ),
    };
    let epc = match header_str(headers, "gs1-epc-format")? {
        None | Some("No_Preference") | Some("Never_Translates") => EpcFormat::NeverTranslates,
        Some("Always_GS1_Digital_Link") => EpcFormat::AlwaysDigitalLink,
        Some("Always_EPC_URN") => EpcFormat::AlwaysEpcUrn,
        Some(other) => return Err(not_acceptable("GS1-EPC-Format", other)),
    };
    let cbv_header = match header_str(headers, first.0)? {
        Some(v) => Some((first.1, v)),
        None => header_str(headers, second.0)?.map(|v| (second.1, v)),
    };
    let cbv = match cbv_header {
        None | Some((_, "No_Preference")) | Some((_, "Never_Translates")) => {
            CbvFormat::NeverTranslates
        }
        Some((_, "Always_Web_URI")) => CbvFormat::AlwaysWebUri,
        Some((_, "Always_URN")) => CbvFormat::AlwaysUrn,
        Some((name, other)) => return Err(not_acceptable(name, other)),
    };
    Ok(OutputFormats { epc, cbv })
}

fn not_acceptable(name: &str, value: &str) -> ApiError {
    ApiError::new(
        ExceptionType::NotAcceptable,
        format!("header {name}: unsupported value {value:?}"),
    )
}

/// A header as text; a header that is not visible ASCII is a 400.
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.trim()))
            .map_err(|_| ApiError::validation(format!("header {name} is not visible ASCII"))),
    }
}

/// Refuses requests whose `GS1-EPCIS-Min`/`-Max` or `GS1-CBV-Min`/`-Max` exclude 2.0 (406),
/// and request bodies declaring an EPCIS version other than 2.0.
pub async fn check_versions(request: Request, next: Next) -> Response {
    match version_problem(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

fn version_problem(headers: &HeaderMap) -> Result<(), ApiError> {
    for (name, is_min) in [
        ("gs1-epcis-min", true),
        ("gs1-epcis-max", false),
        ("gs1-cbv-min", true),
        ("gs1-cbv-max", false),
    ] {
        if let Some(v) = header_str(headers, name)? {
            let asked = parse_version(v).ok_or_else(|| {
                ApiError::validation(format!("header {name}: {v:?} is not a version"))
            })?;
            let ok = if is_min {
                asked <= (2, 0, 0)
            } else {
                asked >= (2, 0, 0)
            };
            if !ok {
                return Err(ApiError::new(
                    ExceptionType::NotAcceptable,
                    format!("header {name}: {v}, but this server speaks only EPCIS/CBV 2.0"),
                ));
            }
        }
    }
    for name in ["gs1-epcis-version", "gs1-cbv-version"] {
        if let Some(v) = header_str(headers, name)? {
            match parse_version(v) {
                Some((2, 0, _)) => {}
                _ => {
                    return Err(ApiError::new(
                        ExceptionType::NotAcceptable,
                        format!("header {name}: {v}, but this server speaks only 2.0"),
                    ))
                }
            }
        }
    }
    Ok(())
}

/// `2`, `2.0` or `2.0.0` as a triple.
fn parse_version(v: &str) -> Option<(u32, u32, u32)> {
    let mut parts = v.split('.').map(|p| p.parse::<u32>());
    let major = parts.next()?.ok()?;
    let minor = parts.next().transpose().ok()?.unwrap_or(0);
    let patch = parts.next().transpose().ok()?.unwrap_or(0);
    if parts.next().is_some() {
        return None;
    }
    Some((major, minor, patch))
}

/// The two bindings an EPCIS body can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// JSON-LD (`application/json`, `application/ld+json`).
    Json,
    /// XML (`application/xml`, `text/xml`).
    Xml,
}

impl Binding {
    /// The media type of a response in this binding.
    pub fn media_type(self) -> &'static str {
        match self {
            Binding::Json => "application/ld+json",
            Binding::Xml => "application/xml",
        }
    }
}

fn media_binding(essence: &str) -> Option<Binding> {
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        Some(Binding::Json)
    } else if essence == "application/xml"
        || essence == "text/xml"
        || (essence.starts_with("application/") && essence.ends_with("+xml"))
    {
        Some(Binding::Xml)
    } else {
        None
    }
}

/// The binding of a request body, from its `Content-Type`; 415 for anything else.
pub fn body_binding(headers: &HeaderMap) -> Result<Binding, ApiError> {
    let unsupported = |what: &str| {
        ApiError::new(
            ExceptionType::UnsupportedMediaType,
            format!(
                "{what}; send application/json, application/ld+json, application/xml or text/xml"
            ),
        )
    };
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(unsupported("the request has no Content-Type"));
    };
    let ct = value
        .to_str()
        .map_err(|_| unsupported("the Content-Type is not readable"))?;
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media_binding(&essence)
        .ok_or_else(|| unsupported(&format!("Content-Type {ct} is not supported")))
}

/// The response binding the `Accept` header asks for: the acceptable one with the highest
/// quality (JSON-LD on a tie, and when there is no `Accept`); 406 when neither is acceptable.
pub fn accepted_binding(headers: &HeaderMap) -> Result<Binding, ApiError> {
    let Some(accept) = header_str(headers, "accept")? else {
        return Ok(Binding::Json);
    };
    if accept.is_empty() {
        return Ok(Binding::Json);
    }
    let (mut json, mut xml) = (0.0f32, 0.0f32);
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
            .next()
            .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
        match essence.as_str() {
            "*/*" | "application/*" => {
                json = json.max(q);
                xml = xml.max(q);
            }
            "text/*" => xml = xml.max(q),
            other => match media_binding(other) {
                Some(Binding::Json) => json = json.max(q),
                Some(Binding::Xml) => xml = xml.max(q),
                None => {}
            },
        }
    }
    if json <= 0.0 && xml <= 0.0 {
        return Err(ApiError::new(
            ExceptionType::NotAcceptable,
            format!("Accept: {accept}; this resource is available as application/ld+json, application/json, application/xml or text/xml"),
        ));
    }
    Ok(if xml > json {
        Binding::Xml
    } else {
        Binding::Json
    })
}

/// Requires a JSON body (`application/json`, `application/ld+json` or another `+json` type).
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let unsupported = |what: &str| {
        ApiError::new(
            ExceptionType::UnsupportedMediaType,
            format!("{what}; send application/json or application/ld+json"),
        )
    };
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(unsupported("the request has no Content-Type"));
    };
    let ct = value
        .to_str()
        .map_err(|_| unsupported("the Content-Type is not readable"))?;
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        Ok(())
    } else {
        Err(unsupported(&format!("Content-Type {ct} is not supported")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn formats_default_and_explicit() {
        assert_eq!(
            output_formats(&HeaderMap::new()).ok(),
            Some(OutputFormats::default())
        );
        let f = output_formats(&headers(&[
            ("gs1-epc-format", "Always_EPC_URN"),
            ("gs1-cbv-format", "Always_URN"),
        ]));
        assert_eq!(
            f.ok(),
            Some(OutputFormats {
                epc: EpcFormat::AlwaysEpcUrn,
                cbv: CbvFormat::AlwaysUrn
            })
        );
        let f = output_formats(&headers(&[("gs1-cbv-xml-format", "Always_Web_URI")]));
        assert_eq!(f.map(|f| f.cbv).ok(), Some(CbvFormat::AlwaysWebUri));
    }

    #[test]
    fn unknown_format_is_406() {
        let e = output_formats(&headers(&[("gs1-epc-format", "Sometimes")])).err();
        assert_eq!(e.map(|e| e.kind.status()), Some(StatusCode::NOT_ACCEPTABLE));
    }

    #[test]
    fn json_media_types() {
        assert!(require_json(&headers(&[(
            "content-type",
            "application/json; charset=utf-8"
        )]))
        .is_ok());
        assert!(require_json(&headers(&[("content-type", "application/ld+json")])).is_ok());
        let e = require_json(&headers(&[("content-type", "text/xml")])).err();
        assert_eq!(
            e.map(|e| e.kind.status()),
            Some(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        );
        assert!(require_json(&HeaderMap::new()).is_err());
    }

    #[test]
    fn bindings_from_content_type_and_accept() {
        assert_eq!(
            body_binding(&headers(&[("content-type", "text/xml; charset=utf-8")])).ok(),
            Some(Binding::Xml)
        );
        assert_eq!(
            body_binding(&headers(&[("content-type", "application/ld+json")])).ok(),
            Some(Binding::Json)
        );
        assert!(body_binding(&headers(&[("content-type", "text/plain")])).is_err());
        assert_eq!(
            accepted_binding(&HeaderMap::new()).ok(),
            Some(Binding::Json)
        );
        assert_eq!(
            accepted_binding(&headers(&[("accept", "application/xml")])).ok(),
            Some(Binding::Xml)
        );
        assert_eq!(
            accepted_binding(&headers(&[("accept", "*/*")])).ok(),
            Some(Binding::Json)
        );
        assert_eq!(
            accepted_binding(&headers(&[("accept", "application/json;q=0.5, text/xml")])).ok(),
            Some(Binding::Xml)
        );
        assert_eq!(
            accepted_binding(&headers(&[(
                "accept",
                "application/xml;q=0.2, application/*"
            )]))
            .ok(),
            Some(Binding::Json)
        );
        let e = accepted_binding(&headers(&[("accept", "text/html, application/xml;q=0")])).err();
        assert_eq!(e.map(|e| e.kind.status()), Some(StatusCode::NOT_ACCEPTABLE));
    }

    #[test]
    fn version_negotiation() {
        assert!(version_problem(&headers(&[
            ("gs1-epcis-min", "1.2.0"),
            ("gs1-epcis-max", "2.0.0")
        ]))
        .is_ok());
        assert!(version_problem(&headers(&[("gs1-epcis-max", "1.2")])).is_err());
        assert!(version_problem(&headers(&[("gs1-epcis-min", "2.1")])).is_err());
        assert!(version_problem(&headers(&[("gs1-epcis-version", "2.0")])).is_ok());
        assert!(version_problem(&headers(&[("gs1-epcis-version", "1.2.0")])).is_err());
        assert_eq!(parse_version("2.0.0"), Some((2, 0, 0)));
        assert_eq!(parse_version("x"), None);
    }
}
