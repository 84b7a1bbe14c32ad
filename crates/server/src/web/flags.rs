//! Flagged events: foreign identifiers, suspended or revoked export codes.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::{error_page, esc, page, Ui};
use crate::AppState;

/// The flagged events route.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/ui/flags", get(flags))
}

async fn flags(State(state): State<AppState>, ui: Ui) -> Response {
    let Ui {
        caller,
        lang,
        headers,
        ..
    } = ui;
    let list = match crate::places_api::flagged_events(&state, &caller, 500).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, &caller, &headers, e),
    };
    let rows: String = list
        .iter()
        .map(|f| {
            format!(
                "<tr><td><a href=\"/events/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                crate::paging::encode(&f.event_id),
                esc(&f.event_id),
                esc(f.event["eventTime"].as_str().unwrap_or_default()),
                esc(f.event["bizStep"].as_str().unwrap_or_default()),
                esc(&f.flags.join(", ")),
            )
        })
        .collect();
    let body = format!(
        "<p>{}</p><table><tr><th>eventID</th><th>{}</th><th>bizStep</th><th>{}</th></tr>{rows}</table>",
        lang.t(
            "Sự kiện dùng mã định danh của tổ chức khác, hoặc nêu mã số vùng trồng đã bị tạm dừng hay thu hồi.",
            "Events using another organisation's identifiers, or naming a suspended or revoked export code."
        ),
        lang.t("Thời điểm", "Time"),
        lang.t("Cờ", "Flags"),
    );
    page(
        lang,
        &caller,
        &headers,
        lang.t("Sự kiện bị gắn cờ", "Flagged events"),
        &body,
    )
    .into_response()
}
