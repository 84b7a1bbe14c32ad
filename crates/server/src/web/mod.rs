//! Web pages (server-rendered HTML, no script) in Vietnamese (default) or English
//! (`?lang=en`): sign-in, registration, organisations with the officials' verification and
//! suspension form, an organisation's products, places (locations and farm plots), API
//! tokens and recalls (an organisation's inbox, officials' declarations and progress). Every form that changes
//! something carries a token derived from the session (CSRF), and the session cookie is
//! `SameSite=Strict`.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use registry::Caller;

use crate::auth::{self, Auth};
use crate::problem::ApiError;
use crate::AppState;

mod codes;
mod flags;
mod forms;
mod login;
mod organisations;
mod places;
mod products;
mod recalls;
mod tokens;

use forms::{form, FormState, Posted};

/// The page routes, under `/ui`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui", get(home))
        .merge(login::routes())
        .merge(organisations::routes())
        .merge(products::routes())
        .merge(places::routes())
        .merge(tokens::routes())
        .merge(codes::routes())
        .merge(flags::routes())
        .merge(recalls::routes())
        .layer(axum::middleware::map_response(no_store))
}

type Params = Query<HashMap<String, String>>;
type Fields = Form<HashMap<String, String>>;

/// What every page reads of its request: the caller, the language, the query and the headers.
pub(super) struct Ui {
    caller: Caller,
    lang: Lang,
    p: HashMap<String, String>,
    headers: HeaderMap,
}

impl FromRequestParts<AppState> for Ui {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ui, Response> {
        let Auth(caller) = Auth::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Query(p) = Params::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Ui {
            caller,
            lang: Lang::from(&p),
            p,
            headers: parts.headers.clone(),
        })
    }
}

/// The page language.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Vi,
    En,
}

impl Lang {
    fn from(params: &HashMap<String, String>) -> Lang {
        match params.get("lang").map(String::as_str) {
            Some("en") => Lang::En,
            _ => Lang::Vi,
        }
    }

    /// Vietnamese or English text.
    pub(crate) fn t<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    /// The query string suffix keeping the language on links.
    pub(crate) fn q(self) -> &'static str {
        match self {
            Lang::Vi => "",
            Lang::En => "?lang=en",
        }
    }
}

/// HTML-escapes text (the one escaper of the server's pages).
pub(crate) use crate::html::escape as esc;

/// The CSRF token of the request's session (empty without one).
fn csrf_token(headers: &HeaderMap) -> String {
    auth::session_cookie(headers)
        .map(|s| auth::sha256_hex(&format!("csrf:{s}"))[..32].to_owned())
        .unwrap_or_default()
}

/// Refuses a form without the session's CSRF token.
fn check_csrf(headers: &HeaderMap, fields: &HashMap<String, String>) -> Result<(), ApiError> {
    let expected = csrf_token(headers);
    if expected.is_empty() || fields.get("csrf") != Some(&expected) {
        return Err(ApiError::forbidden(
            "the form is stale or was not sent from this site; reload the page and try again",
        ));
    }
    Ok(())
}

fn hidden_csrf(headers: &HeaderMap) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        csrf_token(headers)
    )
}

/// A whole page.
pub(crate) fn page(
    lang: Lang,
    caller: &Caller,
    headers: &HeaderMap,
    title: &str,
    body: &str,
) -> Html<String> {
    let q = lang.q();
    let who = if caller.name.is_empty() {
        format!(
            "<a href=\"/ui/login{q}\">{}</a> · <a href=\"/ui/register{q}\">{}</a>",
            lang.t("Đăng nhập", "Sign in"),
            lang.t("Đăng ký tổ chức", "Register an organisation")
        )
    } else {
        format!(
            "{} <b>{}</b> <form method=\"post\" action=\"/ui/logout{q}\" style=\"display:inline\">{}<button>{}</button></form>",
            lang.t("Đã đăng nhập:", "Signed in as"),
            esc(&caller.name),
            hidden_csrf(headers),
            lang.t("Đăng xuất", "Sign out")
        )
    };
    let other = match lang {
        Lang::Vi => "<a href=\"?lang=en\">English</a>",
        Lang::En => "<a href=\"?\">Tiếng Việt</a>",
    };
    Html(format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\"><title>{title} · traceport</title>\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <style>body{{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .5em;text-align:left}}.error{{color:#a00}}.ok{{color:#070}}label{{display:block;margin:.4em 0}}</style></head>\
         <body><nav><a href=\"/ui{q}\">traceport</a> · <a href=\"/ui/organisations{q}\">{orgs}</a> · <a href=\"/ui/products{q}\">{prods}</a> · <a href=\"/ui/places{q}\">{places}</a> · <a href=\"/ui/tokens{q}\">{toks}</a> · <a href=\"/ui/codes{q}\">{codes}</a> · <a href=\"/ui/flags{q}\">{flags}</a> · <a href=\"/ui/recalls{q}\">{recalls}</a> | {who} | {other}</nav>\
         <h1>{title}</h1>{body}</body></html>",
        code = lang.t("vi", "en"),
        title = esc(title),
        orgs = lang.t("Tổ chức", "Organisations"),
        prods = lang.t("Sản phẩm", "Products"),
        places = lang.t("Địa điểm", "Places"),
        toks = lang.t("Mã API", "API tokens"),
        codes = lang.t("Mã số vùng trồng", "Export codes"),
        flags = lang.t("Sự kiện bị gắn cờ", "Flagged events"),
        recalls = lang.t("Thu hồi", "Recalls"),
    ))
}

/// An error as a page with the error's status.
fn error_page(lang: Lang, caller: &Caller, headers: &HeaderMap, e: ApiError) -> Response {
    let status = e.kind.status();
    let body = format!("<p class=\"error\" role=\"alert\">{}</p>", esc(&e.detail));
    let mut r = (
        status,
        page(lang, caller, headers, lang.t("Lỗi", "Error"), &body),
    )
        .into_response();
    if let Some(wait) = e.retry_after() {
        r.headers_mut().insert(header::RETRY_AFTER, wait);
    }
    r
}

fn redirect(to: &str) -> Response {
    Redirect::to(to).into_response()
}

async fn home(ui: Ui) -> Response {
    let Ui {
        caller,
        lang,
        headers,
        ..
    } = ui;
    let body = format!(
        "<p>{}</p><p>{}: <code>{}</code></p>",
        lang.t(
            "Nền tảng truy xuất nguồn gốc sản phẩm quốc gia: sổ đăng ký tổ chức, sản phẩm và sự kiện EPCIS 2.0.",
            "National product traceability: registries of organisations and products, and EPCIS 2.0 events."
        ),
        lang.t("Vai trò", "Role"),
        esc(crate::session::caller_json(&caller)["role"].as_str().unwrap_or_default()),
    );
    page(lang, &caller, &headers, "traceport", &body).into_response()
}

fn list_field(f: &HashMap<String, String>, name: &str) -> Vec<String> {
    f.get(name)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn text_field(f: &HashMap<String, String>, name: &str) -> String {
    f.get(name).map(|v| v.trim().to_owned()).unwrap_or_default()
}

/// Marks responses of the web pages as not cacheable (they depend on the session).
async fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
