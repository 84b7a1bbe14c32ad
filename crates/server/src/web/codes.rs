//! Planting-area and packing-house codes, and the officials' status form.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use registry::policy::decide;
use registry::Action;

use super::{error_page, esc, hidden_csrf, page, redirect, text_field, Posted, Ui};
use crate::problem::ApiError;
use crate::{blocking, AppState};

/// The export code routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/codes", get(codes))
        .route("/ui/codes/{code}/status", post(set_code_status))
}

async fn codes(State(state): State<AppState>, ui: Ui) -> Response {
    let Ui {
        caller,
        lang,
        p,
        headers,
    } = ui;
    let province = p.get("province").filter(|v| !v.is_empty()).cloned();
    let list = match blocking(&state, move |s| s.codes(None, province.as_deref())).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, &caller, &headers, e),
    };
    let rows: String = list
        .iter()
        .map(|c| {
            let last = c.history.last();
            let form = if !caller.name.is_empty()
                && decide(&caller, Action::JudgeOrganisation { province: &c.province_code }).is_allowed()
            {
                format!(
                    "<form method=\"post\" action=\"/ui/codes/{code}/status{q}\">{csrf}<select name=\"status\">\
                     <option value=\"issued\">{}</option><option value=\"suspended\">{}</option><option value=\"revoked\">{}</option></select>\
                     <input name=\"reason\" placeholder=\"{}\"><input name=\"authority\" placeholder=\"{}\"><button>{}</button></form>",
                    lang.t("Cấp", "Issue"), lang.t("Tạm dừng", "Suspend"), lang.t("Thu hồi", "Revoke"),
                    lang.t("Lý do", "Reason"), lang.t("Cơ quan", "Authority"), lang.t("Ghi nhận", "Record"),
                    code = esc(&c.code), q = lang.q(), csrf = hidden_csrf(&headers),
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"status\">{}</td><td>{}</td><td>{form}</td></tr>",
                esc(&c.code), esc(&c.owner), esc(&c.crop), esc(&c.province_code), esc(&c.target_market),
                c.status.as_str(),
                last.map(|e| esc(&e.reason)).unwrap_or_default(),
            )
        })
        .collect();
    let body = format!(
        "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>{rows}</table>",
        lang.t("Mã", "Code"), lang.t("Chủ sở hữu", "Holder"), lang.t("Cây trồng", "Crop"), lang.t("Tỉnh", "Province"),
        lang.t("Thị trường", "Market"), lang.t("Trạng thái", "Status"), lang.t("Lý do", "Reason"),
    );
    page(
        lang,
        &caller,
        &headers,
        lang.t(
            "Mã số vùng trồng, cơ sở đóng gói",
            "Planting-area and packing-house codes",
        ),
        &body,
    )
    .into_response()
}

async fn set_code_status(
    State(state): State<AppState>,
    Path(code): Path<String>,
    posted: Posted,
) -> Response {
    let Posted {
        ui: Ui {
            caller,
            lang,
            headers,
            ..
        },
        f,
    } = posted;
    let status = match serde_json::from_value(serde_json::Value::String(text_field(&f, "status"))) {
        Ok(s) => s,
        Err(_) => {
            return error_page(
                lang,
                &caller,
                &headers,
                ApiError::validation("status: issued, suspended or revoked"),
            )
        }
    };
    match crate::places_api::change_code(
        &state,
        &caller,
        &code,
        status,
        text_field(&f, "reason"),
        text_field(&f, "authority"),
    )
    .await
    {
        Ok(_) => redirect(&format!("/ui/codes{}", lang.q())),
        Err(e) => error_page(lang, &caller, &headers, e),
    }
}
