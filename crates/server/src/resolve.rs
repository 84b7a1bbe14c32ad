//! The GS1-Conformant resolver over HTTP: Digital Link paths on this host redirect to the
//! chosen link (307), answer a linkset, offer choices (300) or explain what is wrong (400,
//! 404). Link choice itself is the pure `resolver` crate; this module does HTTP, the link
//! cache, the built-in links and the scan record.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use gs1::{DigitalLink, ParseOptions};
use resolver::link::key_of;
use resolver::{accept, decide, linkset, Decision, Level, Link, Request, Scope};
use serde_json::json;
use store::Scan;

use crate::html::{self, escape, Lang};
use crate::paging::base_url;
use crate::passport::now_ms;
use crate::problem::{ApiError, ExceptionType};
use crate::scans::{coarse_region, ua_class};
use crate::ttl_cache::{Cached, TtlCache};
use crate::AppState;

/// How long a key known to exist stays cached (link writes through this server drop it at once).
const KNOWN_TTL: Duration = Duration::from_secs(30);
/// How long "unknown key" is remembered: short, so a product works moments after its first event.
const UNKNOWN_TTL: Duration = Duration::from_secs(2);
/// Most cached keys; the cache is emptied when full.
const CACHE_KEYS: usize = 200_000;

/// What the resolver knows about one primary key.
#[derive(Debug)]
pub struct KeyEntry {
    /// Published links of the key (all lots and serial ranges).
    pub links: Vec<Link>,
    /// Whether the key exists here: links, a registered product, or events mention it.
    pub known: bool,
}

/// Links per key, cached in memory: the redirect path is the hottest endpoint.
pub struct LinkCache(TtlCache<Arc<KeyEntry>>);

impl Default for LinkCache {
    fn default() -> Self {
        LinkCache(TtlCache::new(CACHE_KEYS))
    }
}

impl LinkCache {
    fn get(&self, key: &str) -> Option<Cached<Arc<KeyEntry>>> {
        self.0.get(key)
    }

    fn put(&self, key: String, entry: Arc<KeyEntry>) {
        let ttl = if entry.known { KNOWN_TTL } else { UNKNOWN_TTL };
        self.0.put(key, entry, ttl);
    }

    /// Forgets a key after its links changed.
    pub fn invalidate(&self, key: &str) {
        self.0.invalidate(key);
    }
}

/// The options the resolver parses request URIs with.
fn parse_options(state: &AppState) -> ParseOptions {
    ParseOptions {
        legacy: state.config.legacy_digital_links,
        strict_attributes: true,
        compressed: true,
    }
}

/// Whether a path no route matched is a compressed Digital Link (`/{base64url}`) the resolver should answer.
pub fn is_compressed_link(state: &AppState, uri: &axum::http::Uri) -> bool {
    let path = uri.path().trim_start_matches('/');
    !path.is_empty()
        && !path.contains('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && request_link(state, uri).is_ok()
}

/// Parses the request target as a Digital Link on this host.
pub fn request_link(state: &AppState, uri: &axum::http::Uri) -> Result<DigitalLink, ApiError> {
    let text = match uri.query() {
        Some(q) => format!("http://resolver{}?{q}", uri.path()),
        None => format!("http://resolver{}", uri.path()),
    };
    Ok(DigitalLink::parse_with(&text, parse_options(state))?)
}

/// The key's links and whether it exists, from the cache or the store.
pub async fn key_entry(state: &AppState, key: &str) -> Result<Arc<KeyEntry>, ApiError> {
    // Expired entries are fetched again by one request while the others are served them.
    if let Some(Cached::Fresh(entry)) = state.links.get(key) {
        return Ok(entry);
    }
    let owned = key.to_owned();
    let passport = state.passport.clone();
    let entry = crate::blocking(state, move |s| {
        let links = s.links_for_key(&owned)?;
        let known = !links.is_empty()
            || gtin_of_key(&owned).is_some_and(|g| passport.product(&g).is_some())
            || crate::passport::key_has_events(s, &owned)?;
        Ok(KeyEntry { links, known })
    })
    .await?;
    let entry = Arc::new(entry);
    state.links.put(key.to_owned(), entry.clone());
    Ok(entry)
}

/// The GTIN of a link key `https://id.gs1.org/01/{gtin}`.
fn gtin_of_key(key: &str) -> Option<String> {
    key.strip_prefix("https://id.gs1.org/01/")
        .map(str::to_owned)
}

/// traceport's own pages for an identifier: the passport (default), its journey, the
/// EPCIS events, and the authenticity check for serialised items.
pub fn builtin_links(base: &str, dl: &DigitalLink) -> Vec<Link> {
    let scope = Scope {
        key: key_of(dl),
        lot: None,
        serials: None,
    };
    let passport = format!("{base}/passport{}", dl.path());
    let link = |id: &str, link_type: &str, href: String, title: &str, media: &str, default| Link {
        id: id.to_owned(),
        scope: scope.clone(),
        link_type: link_type.to_owned(),
        href,
        title: title.to_owned(),
        hreflang: if media == "text/html" {
            vec!["vi".into(), "en".into()]
        } else {
            Vec::new()
        },
        media_type: Some(media.to_owned()),
        context: None,
        default,
    };
    let param = if dl.qualifier("21").is_some() || dl.primary.ai != "01" {
        "MATCH_anyEPC"
    } else {
        "MATCH_anyEPCClass"
    };
    let mut links = vec![
        link(
            "builtin-pip",
            "gs1:pip",
            passport.clone(),
            "Product passport",
            "text/html",
            true,
        ),
        link(
            "builtin-traceability",
            "gs1:traceability",
            format!("{passport}#journey"),
            "Journey",
            "text/html",
            false,
        ),
        link(
            "builtin-epcis",
            "gs1:epcis",
            format!(
                "{base}/events?{param}={}",
                crate::paging::encode(&dl.canonical())
            ),
            "EPCIS events",
            "application/ld+json",
            false,
        ),
    ];
    if dl.qualifier("21").is_some() {
        links.push(link(
            "builtin-verification",
            "gs1:verificationService",
            format!("{passport}#authenticity"),
            "Authenticity check",
            "text/html",
            false,
        ));
    }
    links
}

/// The built-in `gs1:recallStatus` link of a recalled lot: the recall's public status.
fn recall_link(base: &str, dl: &DigitalLink, recall_id: &str) -> Link {
    Link {
        id: "builtin-recall".into(),
        scope: Scope {
            key: key_of(dl),
            lot: None,
            serials: None,
        },
        link_type: "gs1:recallStatus".into(),
        href: format!("{base}/recalls/{}/status", crate::paging::encode(recall_id)),
        title: "Recall status".into(),
        hreflang: Vec::new(),
        media_type: Some("application/json".into()),
        context: None,
        default: false,
    }
}

/// `GET`/`HEAD` on a Digital Link path.
pub async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let (response, scan) = match resolve_inner(&state, &headers, &uri).await {
        Ok(pair) => pair,
        Err(e) => (error_response(&headers, &uri, e), None),
    };
    if let Some(mut scan) = scan {
        scan.status = response.status().as_u16();
        state.scans.record(&state.store, scan);
    }
    with_cors(response)
}

async fn resolve_inner(
    state: &AppState,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
) -> Result<(Response, Option<Scan>), ApiError> {
    let dl = request_link(state, uri)?;
    let key = key_of(&dl);
    let attr = |name: &str| {
        dl.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let header_text = |name: HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let request = Request {
        link_type: attr("linkType"),
        context: attr("context"),
        languages: accept::parse(&header_text(header::ACCEPT_LANGUAGE)),
        media: accept::parse(&header_text(header::ACCEPT)),
    };
    let location = attr("region").and_then(|r| coarse_region(&r));
    let scan = Scan {
        at_ms: now_ms(),
        key: key.clone(),
        identifier: dl.canonical(),
        link_type: request.link_type.clone(),
        country: location.as_ref().map(|(c, _)| c.clone()),
        region: location.and_then(|(_, r)| r),
        ua_class: ua_class(&header_text(header::USER_AGENT)).to_owned(),
        status: 0,
    };
    let entry = key_entry(state, &key).await?;
    if !entry.known {
        let e = ApiError::not_found(format!(
            "{} is not known here: no product is registered and no event mentions it",
            dl.canonical()
        ))
        .with("instance", json!(uri.path()));
        return Ok((error_response(headers, uri, e), Some(scan)));
    }
    let base = base_url(state, headers);
    let mut builtin = builtin_links(&base, &dl);
    // A declared recall answers `gs1:recallStatus` (and shows in the linkset); the default
    // redirect needs no lookup.
    if let (Some(_), "01", Some(lot)) = (&request.link_type, dl.primary.ai, dl.qualifier("10")) {
        let (gtin, lot) = (dl.primary.value.clone(), lot.to_owned());
        let recall =
            crate::blocking(state, move |s| crate::recalls::open_recall(s, &gtin, &lot)).await?;
        if let Some(r) = recall {
            builtin.push(recall_link(&base, &dl, &r.id));
        }
    }
    let candidates: Vec<(Level, &Link)> = entry
        .links
        .iter()
        .filter_map(|l| l.scope.level_for(&dl).map(|lv| (lv, l)))
        .chain(builtin.iter().map(|l| (Level::BuiltIn, l)))
        .collect();
    let self_uri = format!("{base}{}", dl.path());
    let linkset_link = format!(
        "<{self_uri}?linkType=linkset>; rel=\"linkset\"; type=\"application/linkset+json\""
    );
    let mut response = match decide(&candidates, &request) {
        Decision::Redirect(link) => {
            let target = pass_on_query(&link.href, &dl.attributes);
            let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
            r.headers_mut()
                .insert(header::LOCATION, header_value(&target)?);
            r
        }
        Decision::Linkset => {
            let doc = linkset::linkset(&dl.canonical(), &candidates);
            let mut r = (StatusCode::OK, doc.to_string()).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/linkset+json"),
            );
            r
        }
        Decision::Choices(links) => choices(headers, &dl, &links),
        Decision::NotFound => {
            let e = ApiError::not_found(format!(
                "no link of type {} for {}; ask for linkType=linkset to see the links there are",
                request.link_type.as_deref().unwrap_or("gs1:defaultLink"),
                dl.canonical()
            ))
            .with("instance", json!(uri.path()));
            return Ok((error_response(headers, uri, e), Some(scan)));
        }
    };
    response
        .headers_mut()
        .insert(header::LINK, header_value(&linkset_link)?);
    // Caches must not hand one language's redirect to a phone set to another.
    response.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language"),
    );
    Ok((response, Some(scan)))
}

/// HTTP 300: the links that fit equally, as HTML for people and JSON for programs.
fn choices(headers: &HeaderMap, dl: &DigitalLink, links: &[&Link]) -> Response {
    let mut r = if html::prefers_html(headers) {
        let lang = Lang::choose(headers, None);
        let items: String = links
            .iter()
            .map(|l| {
                format!(
                    "<li><a href=\"{}\"{}>{}</a></li>",
                    escape(&l.href),
                    l.hreflang
                        .first()
                        .map(|h| format!(" hreflang=\"{}\"", escape(h)))
                        .unwrap_or_default(),
                    escape(&l.title)
                )
            })
            .collect();
        let body = format!(
            "<h1>{}</h1><ul>{items}</ul>",
            lang.pick("Chọn một liên kết", "Choose a link")
        );
        html::response(
            StatusCode::MULTIPLE_CHOICES,
            html::page(lang, &dl.canonical(), None, &body),
        )
    } else {
        let pairs: Vec<(Level, &Link)> = links.iter().map(|l| (Level::Key, *l)).collect();
        let doc = linkset::linkset(&dl.canonical(), &pairs);
        let mut r = (StatusCode::MULTIPLE_CHOICES, doc.to_string()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/linkset+json"),
        );
        r
    };
    let alternates: Vec<String> = links
        .iter()
        .map(|l| format!("<{}>; rel=\"alternate\"", l.href))
        .collect();
    if let Ok(v) = HeaderValue::from_str(&alternates.join(", ")) {
        r.headers_mut().append(header::LINK, v);
    }
    r
}

/// The target with the request's query string passed on (minus `linkType`, which is spent),
/// placed before any fragment.
pub fn pass_on_query(href: &str, attributes: &[(String, String)]) -> String {
    let pairs: Vec<String> = attributes
        .iter()
        .filter(|(k, _)| k != "linkType")
        .map(|(k, v)| format!("{}={}", gs1::dl::encode_value(k), gs1::dl::encode_value(v)))
        .collect();
    if pairs.is_empty() {
        return href.to_owned();
    }
    let (head, fragment) = match href.split_once('#') {
        Some((h, f)) => (h, Some(f)),
        None => (href, None),
    };
    let sep = if head.contains('?') { '&' } else { '?' };
    let mut out = format!("{head}{sep}{}", pairs.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

fn header_value(text: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(text).map_err(ApiError::internal)
}

/// An error as the client wants it: a page for a browser, a problem document otherwise.
pub fn error_response(headers: &HeaderMap, uri: &axum::http::Uri, e: ApiError) -> Response {
    if !html::prefers_html(headers) {
        return e.into_response();
    }
    let lang = Lang::choose(headers, None);
    let (title, hint) = match e.kind {
        ExceptionType::NoSuchName => (
            lang.pick("Không tìm thấy sản phẩm", "Product not found"),
            lang.pick(
                "Mã này chưa được đăng ký hoặc chưa có dữ liệu truy xuất. Hãy kiểm tra lại mã trên bao bì.",
                "This code is not registered or has no traceability data yet. Check the code on the pack.",
            ),
        ),
        ExceptionType::BadDigitalLink => (
            lang.pick("Mã không hợp lệ", "Invalid code"),
            lang.pick(
                "Đường dẫn không phải GS1 Digital Link hợp lệ.",
                "The address is not a valid GS1 Digital Link.",
            ),
        ),
        _ => (
            lang.pick("Đã có lỗi", "Something went wrong"),
            lang.pick("Vui lòng thử lại sau.", "Please try again later."),
        ),
    };
    let body = format!(
        "<h1>{}</h1><p>{}</p><p class=\"small\"><code>{}</code></p><p class=\"small\">{}</p>",
        escape(title),
        escape(hint),
        escape(uri.path()),
        escape(&e.detail)
    );
    html::response(e.kind.status(), html::page(lang, title, None, &body))
}

/// Adds the CORS headers every resolver answer carries: any origin may read the links.
pub fn with_cors(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Link, Location, Content-Type"),
    );
    r
}

/// `OPTIONS` on a Digital Link path: what is allowed, including a CORS preflight answer.
pub async fn preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert(
        header::ALLOW,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Accept, Accept-Language, Content-Type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    with_cors(r)
}

/// `GET /.well-known/gs1resolver`: the resolver description document.
pub async fn well_known(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = base_url(&state, &headers);
    let doc = json!({
        "name": "traceport resolver",
        "resolverRoot": base,
        "supportedPrimaryKeys": ["all"],
        "supportedLinkType": [{
            "namespace": resolver::vocab::GS1_VOC,
            "prefix": "gs1:",
            "profile": "https://gs1.org/voc/?show=linktypes"
        }],
        "linkTypeDefaultCanBeLinkset": false,
        "supportedContextValuesEnumerated": [],
        "validatingSchema": "https://gs1.github.io/linkset/gs1-linkset-schema.json",
        "legacyDigitalLinks": state.config.legacy_digital_links,
    });
    with_cors(axum::Json(doc).into_response())
}

/// Every method other than GET, HEAD and OPTIONS on a Digital Link path.
pub async fn method_not_allowed(method: Method) -> Response {
    with_cors(
        ApiError::new(
            ExceptionType::MethodNotAllowed,
            format!("{method} is not allowed on a Digital Link; use GET, HEAD or OPTIONS"),
        )
        .into_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_passed_on() {
        let attrs = vec![
            ("linkType".to_string(), "gs1:pip".to_string()),
            ("17".to_string(), "261231".to_string()),
            ("utm".to_string(), "a b".to_string()),
        ];
        assert_eq!(
            pass_on_query("https://b.example/p#top", &attrs),
            "https://b.example/p?17=261231&utm=a%20b#top"
        );
        assert_eq!(
            pass_on_query("https://b.example/p?x=1", &attrs[..2]),
            "https://b.example/p?x=1&17=261231"
        );
        assert_eq!(
            pass_on_query("https://b.example/p", &attrs[..1]),
            "https://b.example/p"
        );
    }
}
