//! An organisation's API tokens: list, create (shown once), revoke.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use registry::accounts::{AccountRole, Binding};
use registry::{Action, Scope};

use super::{
    error_page, esc, form, hidden_csrf, page, redirect, text_field, FormState, Posted, Ui,
};
use crate::auth::{self};
use crate::problem::ApiError;
use crate::registry_api::{self};
use crate::{blocking, AppState};

/// The token routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/tokens", get(tokens).post(create_token))
        .route("/ui/tokens/{id}/revoke", post(revoke_token))
}

async fn tokens(State(state): State<AppState>, ui: Ui) -> Response {
    let Ui {
        caller,
        lang,
        headers,
        ..
    } = ui;
    let Some(org) = caller.org().map(str::to_owned) else {
        let e = ApiError::forbidden(lang.t(
            "Chỉ quản trị viên của tổ chức quản lý mã API tại đây.",
            "Only an organisation's administrators manage API tokens here.",
        ));
        return error_page(lang, &caller, &headers, e);
    };
    if let Err(e) = crate::access::require(&caller, Action::ManageAccess { org: &org }) {
        return error_page(lang, &caller, &headers, e);
    }
    let lookup = org.clone();
    let list = match blocking(&state, move |s| s.tokens(Some(&lookup))).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, &caller, &headers, e),
    };
    let now = auth::now_ms();
    let rows: String = list
        .iter()
        .map(|t| {
            let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
            let revoke = if t.unusable(now).is_none() {
                format!(
                    "<form method=\"post\" action=\"/ui/tokens/{}/revoke{}\">{}<button>{}</button></form>",
                    esc(&t.id), lang.q(), hidden_csrf(&headers), lang.t("Thu hồi", "Revoke")
                )
            } else {
                esc(t.unusable(now).unwrap_or_default())
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{revoke}</td></tr>",
                esc(&t.id), esc(&t.name), esc(t.binding.role.as_str()), scopes.join(", "),
                t.last_used_ms.map_or_else(|| lang.t("chưa dùng", "never").to_owned(), crate::capture::rfc3339),
            )
        })
        .collect();
    let fields = format!(
        "{}<label><input type=\"checkbox\" name=\"scope_read\" checked> read</label>\
         <label><input type=\"checkbox\" name=\"scope_capture\" checked> capture</label>\
         <label><input type=\"checkbox\" name=\"scope_registry\"> registry</label>",
        FormState::default().input("name", lang.t("Tên", "Name"), " required"),
    );
    let body = format!(
        "<table><tr><th>Id</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>{rows}</table><h2>{}</h2>{}",
        lang.t("Tên", "Name"),
        lang.t("Vai trò", "Role"),
        lang.t("Phạm vi", "Scopes"),
        lang.t("Lần dùng cuối", "Last use"),
        lang.t("Tạo mã API", "Create an API token"),
        form(
            &headers,
            &format!("/ui/tokens{}", lang.q()),
            "token-form",
            "",
            &fields,
            lang.t("Tạo", "Create")
        ),
    );
    page(
        lang,
        &caller,
        &headers,
        lang.t("Mã API", "API tokens"),
        &body,
    )
    .into_response()
}

async fn create_token(State(state): State<AppState>, posted: Posted) -> Response {
    let Posted {
        ui: Ui {
            caller,
            lang,
            headers,
            ..
        },
        f,
    } = posted;
    let Some(org) = caller.org().map(str::to_owned) else {
        return error_page(
            lang,
            &caller,
            &headers,
            ApiError::forbidden("only members of an organisation create tokens here"),
        );
    };
    if let Err(e) = crate::access::require(&caller, Action::ManageAccess { org: &org }) {
        return error_page(lang, &caller, &headers, e);
    }
    let scopes: Vec<Scope> = Scope::ALL
        .into_iter()
        .filter(|s| f.contains_key(&format!("scope_{}", s.as_str())))
        .collect();
    let binding = Binding {
        role: AccountRole::Member,
        org: Some(org),
        province: None,
    };
    match registry_api::issue(
        &state,
        &caller,
        text_field(&f, "name"),
        binding,
        scopes,
        None,
    )
    .await
    {
        Ok(issued) => {
            let body = format!(
                "<p class=\"ok\">{}</p><p><code id=\"secret\">{}</code></p><p><a href=\"/ui/tokens{}\">{}</a></p>",
                lang.t("Mã API đã tạo. Hãy lưu lại: mã chỉ hiển thị một lần.", "Token created. Keep it now: it is shown only once."),
                esc(&issued.secret),
                lang.q(),
                lang.t("Quay lại", "Back"),
            );
            (
                StatusCode::CREATED,
                page(
                    lang,
                    &caller,
                    &headers,
                    lang.t("Mã API", "API tokens"),
                    &body,
                ),
            )
                .into_response()
        }
        Err(e) => error_page(lang, &caller, &headers, e),
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Response {
    let Posted {
        ui: Ui {
            caller,
            lang,
            headers,
            ..
        },
        ..
    } = posted;
    match registry_api::revoke(&state, &caller, &id).await {
        Ok(()) => redirect(&format!("/ui/tokens{}", lang.q())),
        Err(e) => error_page(lang, &caller, &headers, e),
    }
}
