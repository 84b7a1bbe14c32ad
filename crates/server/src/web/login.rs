//! Signing in and out.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use registry::Caller;

use super::{error_page, page, redirect, Fields, Lang, Params, Posted, Ui};
use crate::audit::ClientAddress;
use crate::session;
use crate::AppState;

/// The sign-in and sign-out routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/login", get(login_page).post(login))
        .route("/ui/logout", post(logout))
}

async fn login_page(ui: Ui) -> Response {
    let Ui {
        caller,
        lang,
        headers,
        ..
    } = ui;
    let body = format!(
        "<form method=\"post\" action=\"/ui/login{q}\"><label>{} <input name=\"name\" required autocomplete=\"username\"></label>\
         <label>{} <input name=\"password\" type=\"password\" required autocomplete=\"current-password\"></label><button>{}</button></form>",
        lang.t("Tên đăng nhập", "User name"),
        lang.t("Mật khẩu", "Password"),
        lang.t("Đăng nhập", "Sign in"),
        q = lang.q()
    );
    page(
        lang,
        &caller,
        &headers,
        lang.t("Đăng nhập", "Sign in"),
        &body,
    )
    .into_response()
}

async fn login(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    Query(p): Params,
    headers: HeaderMap,
    Form(f): Fields,
) -> Response {
    let lang = Lang::from(&p);
    let name = f.get("name").cloned().unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    let response = match session::sign_in(&state, name.clone(), password, &from).await {
        Ok((_, secret)) => {
            let mut r = redirect(&format!("/ui{}", lang.q()));
            r.headers_mut()
                .insert(header::SET_COOKIE, session::session_cookie(&state, &secret));
            r
        }
        Err(e) => error_page(lang, &Caller::public(), &headers, e),
    };
    session::attempted(response, name)
}

async fn logout(State(state): State<AppState>, posted: Posted) -> Response {
    let Posted {
        ui: Ui {
            caller,
            lang,
            headers,
            ..
        },
        ..
    } = posted;
    if let Err(e) = session::sign_out(&state, &headers).await {
        return error_page(lang, &caller, &headers, e);
    }
    let mut r = redirect(&format!("/ui{}", lang.q()));
    r.headers_mut()
        .insert(header::SET_COOKIE, session::session_cookie(&state, ""));
    r
}
