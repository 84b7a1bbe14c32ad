//! Small server-rendered HTML pages: escaping, the page frame, and the choice between
//! Vietnamese and English.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use resolver::accept::{self, language_weight};

/// The languages pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Vietnamese.
    Vi,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// Picks a text by language.
    pub fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    /// The page language: `?lang=` when given, else Vietnamese when the client prefers it
    /// to English (a Vietnamese phone), else English.
    pub fn choose(headers: &HeaderMap, explicit: Option<&str>) -> Lang {
        match explicit {
            Some("vi") => return Lang::Vi,
            Some("en") => return Lang::En,
            _ => {}
        }
        let prefs = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(accept::parse)
            .unwrap_or_default();
        let vi = language_weight(&prefs, "vi").unwrap_or(0.0);
        let en = language_weight(&prefs, "en").unwrap_or(0.0);
        if vi > 0.0 && vi >= en {
            Lang::Vi
        } else {
            Lang::En
        }
    }
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Styles shared by every page: mobile first, system fonts, contrast at least 4.5:1.
const STYLE: &str = "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1a1a1a;background:#fafaf7}\
header,main,footer{max-width:40rem;margin:0 auto;padding:0 1rem}\
header{display:flex;justify-content:space-between;align-items:center;padding-top:.75rem;padding-bottom:.75rem;border-bottom:1px solid #ddd}\
a{color:#0b57a4}h1{font-size:1.5rem;line-height:1.25;margin:1rem 0 .5rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}\
.brand{font-weight:700;color:#14532d;text-decoration:none}\
.banner{background:#b91c1c;color:#fff;padding:1rem;border-radius:.5rem;margin:1rem 0}\
.banner a{color:#fff}\
.ok{background:#14532d;color:#fff;padding:.75rem 1rem;border-radius:.5rem}\
.warn{background:#fef3c7;color:#78350f;border:2px solid #b45309;padding:.75rem 1rem;border-radius:.5rem}\
.card{background:#fff;border:1px solid #ddd;border-radius:.5rem;padding:1rem;margin:1rem 0}.card h2{margin-top:0}\
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:0}dt{color:#555}dd{margin:0}\
ol.journey{list-style:none;padding:0;margin:0;border-left:3px solid #14532d}\
ol.journey li{padding:0 0 1rem 1rem;position:relative}\
ol.journey li::before{content:'';position:absolute;left:-.55rem;top:.35rem;width:.8rem;height:.8rem;border-radius:50%;background:#14532d}\
.verified{color:#14532d;font-weight:600}\
img.product{width:100%;max-height:16rem;object-fit:cover;border-radius:.5rem}\
label{display:block;margin:.5rem 0 .25rem}select,textarea,button{font:inherit;width:100%;box-sizing:border-box;padding:.5rem}\
button{background:#14532d;color:#fff;border:0;border-radius:.4rem;margin-top:.75rem;min-height:2.75rem}\
.small{font-size:.875rem;color:#555}";

/// A whole page: `lang`, title, a language switch to `switch_href` (the same page in the
/// other language), and the main content.
pub fn page(lang: Lang, title: &str, switch_href: Option<&str>, main: &str) -> String {
    let switch = switch_href
        .map(|href| {
            let (label, name) = match lang {
                Lang::Vi => ("English", "en"),
                Lang::En => ("Tiếng Việt", "vi"),
            };
            format!(
                "<a href=\"{}\" hreflang=\"{name}\" lang=\"{name}\">{label}</a>",
                escape(href)
            )
        })
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html><html lang=\"{tag}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{title}</title><style>{STYLE}</style></head><body>\
<header><a class=\"brand\" href=\"/\">traceport</a><nav aria-label=\"{nav}\">{switch}</nav></header>\
<main id=\"main\">{main}</main>\
<footer><p class=\"small\">{foot}</p></footer></body></html>",
        tag = lang.tag(),
        title = escape(title),
        nav = lang.pick("Ngôn ngữ", "Language"),
        foot = lang.pick(
            "Truy xuất nguồn gốc theo chuẩn GS1 Digital Link và EPCIS 2.0.",
            "Traceability by the GS1 Digital Link and EPCIS 2.0 standards."
        ),
    )
}

/// An HTML response with a status.
pub fn response(status: StatusCode, html: String) -> Response {
    let mut r = (status, html).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// Whether the client would rather read HTML than JSON (a browser, a phone camera app).
/// `*/*` alone means a program, which gets JSON.
pub fn prefers_html(headers: &HeaderMap) -> bool {
    let prefs = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(accept::parse)
        .unwrap_or_default();
    // Only a client that names HTML gets it: `*/*` is what programs send.
    let html = prefs
        .iter()
        .filter(|p| p.range == "text/html" || p.range == "application/xhtml+xml")
        .map(|p| p.q)
        .fold(0.0f32, f32::max);
    let json = prefs
        .iter()
        .filter(|p| p.range.contains("json"))
        .map(|p| p.q)
        .fold(0.0f32, f32::max);
    html > 0.0 && html >= json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_choice() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::choose(&h, None), Lang::En);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("vi-VN,vi;q=0.9,en-US;q=0.8"),
        );
        assert_eq!(Lang::choose(&h, None), Lang::Vi);
        assert_eq!(Lang::choose(&h, Some("en")), Lang::En);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-GB,en;q=0.9,vi;q=0.5"),
        );
        assert_eq!(Lang::choose(&h, None), Lang::En);
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
