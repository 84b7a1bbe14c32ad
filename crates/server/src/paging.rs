//! Query strings and cursor paging: `perPage`, `nextPageToken` and the `Link: rel="next"` header.
//!
//! A page token carries the route, the query parameters and the store's cursor, so that
//! following the `Link` alone continues the same query. It is signed (HMAC-SHA256 with the
//! server's key) so a changed token is refused instead of silently running another query.

use axum::http::{header, HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::problem::ApiError;
use crate::AppState;

/// Characters left as they are in a query-string value: RFC 3986 unreserved.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a value for a URL query string or a path segment.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Splits a raw query string into decoded `(name, value)` pairs, in order.
/// `+` stays `+`: EPCIS times carry `+07:00` offsets and RFC 3986 gives `+` no special meaning.
pub fn parse_query(raw: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let mut pairs = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| {
                    ApiError::query_param(format!(
                        "query string part {part:?} is not UTF-8 once decoded"
                    ))
                })
        };
        pairs.push((decode(name)?, decode(value)?));
    }
    Ok(pairs)
}

/// What a page request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageParams {
    /// Page size.
    pub per_page: usize,
    /// The store cursor from the token, if any.
    pub after: Option<String>,
    /// The non-paging query parameters (from the token when one was given).
    pub params: Vec<(String, String)>,
}

impl PageParams {
    /// The store's page request.
    pub fn request(&self) -> store::PageRequest {
        store::PageRequest {
            per_page: self.per_page,
            after: self.after.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct TokenPayload {
    /// Route path the token belongs to.
    p: String,
    /// Query parameters.
    q: Vec<(String, String)>,
    /// Store cursor.
    c: String,
}

type HmacSha256 = Hmac<Sha256>;

/// The signing key: one SHA-256 block, so HMAC uses it as is.
pub type PageKey = [u8; 64];

fn mac(key: &PageKey) -> HmacSha256 {
    <HmacSha256 as KeyInit>::new(key.into())
}

/// Makes a signed, URL-safe token.
pub fn make_token(key: &PageKey, path: &str, params: &[(String, String)], cursor: &str) -> String {
    let payload = TokenPayload {
        p: path.to_string(),
        q: params.to_vec(),
        c: cursor.to_string(),
    };
    let json = serde_json::to_vec(&payload).unwrap_or_default();
    let mut m = mac(key);
    m.update(&json);
    let sig = m.finalize().into_bytes();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&json),
        URL_SAFE_NO_PAD.encode(sig)
    )
}

fn read_token(key: &PageKey, path: &str, token: &str) -> Result<TokenPayload, ApiError> {
    let invalid = || {
        ApiError::query_param("nextPageToken is not valid (changed, or issued by another server)")
    };
    let (body, sig) = token.split_once('.').ok_or_else(invalid)?;
    let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| invalid())?;
    let mut m = mac(key);
    m.update(&json);
    m.verify_slice(&sig).map_err(|_| invalid())?;
    let payload: TokenPayload = serde_json::from_slice(&json).map_err(|_| invalid())?;
    if payload.p != path {
        return Err(ApiError::query_param(format!(
            "nextPageToken was issued for {}, not {path}",
            payload.p
        )));
    }
    Ok(payload)
}

/// Splits paging parameters from the others and checks the token.
pub fn page_params(
    state: &AppState,
    path: &str,
    pairs: Vec<(String, String)>,
) -> Result<PageParams, ApiError> {
    let mut per_page = None;
    let mut token = None;
    let mut params = Vec::new();
    for (name, value) in pairs {
        match name.as_str() {
            "perPage" => {
                if per_page.is_some() {
                    return Err(ApiError::query_param("perPage given more than once")
                        .with("parameter", "perPage".into()));
                }
                let n: usize = value.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    ApiError::query_param(format!(
                        "perPage must be a positive integer, not {value:?}"
                    ))
                    .with("parameter", "perPage".into())
                })?;
                per_page = Some(n);
            }
            "nextPageToken" => {
                if token.is_some() {
                    return Err(ApiError::query_param("nextPageToken given more than once"));
                }
                token = Some(value);
            }
            _ => params.push((name, value)),
        }
    }
    let per_page = per_page
        .unwrap_or(state.config.default_per_page)
        .min(state.config.max_per_page)
        .max(1);
    let mut after = None;
    if let Some(token) = token {
        let payload = read_token(&state.page_key, path, &token)?;
        if !params.is_empty() && params != payload.q {
            return Err(ApiError::query_param(
                "nextPageToken was issued for other query parameters; follow the Link header as given",
            ));
        }
        params = payload.q;
        after = Some(payload.c);
    }
    Ok(PageParams {
        per_page,
        after,
        params,
    })
}

/// The base of absolute URLs: the configured one, else from `Host`, else empty (relative URLs).
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(base) = &state.config.base_url {
        return base.trim_end_matches('/').to_string();
    }
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) if host.bytes().all(|b| b.is_ascii_graphic()) => format!("http://{host}"),
        _ => String::new(),
    }
}

/// The `Link` header for the next page, when there is one.
pub fn next_link(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    page: &PageParams,
    next: Option<&str>,
) -> Option<HeaderValue> {
    let cursor = next?;
    let token = make_token(&state.page_key, path, &page.params, cursor);
    let url = format!(
        "{}{}?perPage={}&nextPageToken={}",
        base_url(state, headers),
        path,
        page.per_page,
        token
    );
    HeaderValue::from_str(&format!("<{url}>; rel=\"next\"")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn query_string_decoding_keeps_plus() {
        let got = parse_query(Some(
            "GE_eventTime=2024-01-01T00:00:00+07:00&EQ_bizStep=shipping%7Creceiving&x",
        ));
        assert_eq!(
            got.ok(),
            Some(p(&[
                ("GE_eventTime", "2024-01-01T00:00:00+07:00"),
                ("EQ_bizStep", "shipping|receiving"),
                ("x", "")
            ]))
        );
        assert!(parse_query(Some("a=%FF")).is_err());
        assert_eq!(parse_query(None).ok(), Some(vec![]));
    }

    #[test]
    fn token_round_trip() {
        let key = &[1u8; 64];
        let t = make_token(key, "/events", &p(&[("EQ_bizStep", "shipping")]), "c42");
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'));
        let back = read_token(key, "/events", &t).ok().map(|pl| (pl.q, pl.c));
        assert_eq!(
            back,
            Some((p(&[("EQ_bizStep", "shipping")]), "c42".to_string()))
        );
    }

    #[test]
    fn tampered_or_foreign_tokens_are_refused() {
        let t = make_token(&[1u8; 64], "/events", &[], "c42");
        assert!(read_token(&[2u8; 64], "/events", &t).is_err());
        assert!(read_token(&[1u8; 64], "/epcs", &t).is_err());
        let mut bytes = t.into_bytes();
        bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap_or_default();
        assert!(read_token(&[1u8; 64], "/events", &tampered).is_err());
        assert!(read_token(&[1u8; 64], "/events", "garbage").is_err());
    }

    #[test]
    fn encode_is_path_safe() {
        assert_eq!(
            encode("ni:///sha-256;ab?ver=CBV2.0"),
            "ni%3A%2F%2F%2Fsha-256%3Bab%3Fver%3DCBV2.0"
        );
    }
}
