//! The recall pages under `/ui` (Vietnamese, `?lang=en` for English; no script):
//! `/ui/recalls` is an organisation's inbox (the recalls affecting it, each with an
//! acknowledge button, and their closings) and the recalls it declared; officials see every recall with its
//! acknowledgement progress and the declaration form (the trace page links here with the
//! lot filled in). `/ui/recalls/{id}` shows the scope and who acknowledged.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use registry::{Caller, Principal};
use trace::recall::{LotInput, RecallState, RecallStatus};

use super::{check_csrf, error_page, esc, hidden_csrf, page, redirect, text_field, Lang};
use crate::auth::Auth;
use crate::capture::rfc3339;
use crate::paging::encode;
use crate::problem::ApiError;
use crate::recalls;
use crate::AppState;

type Params = Query<HashMap<String, String>>;
type Fields = Form<HashMap<String, String>>;

/// Most recalls a page lists.
const PAGE: usize = 200;

/// The recall page routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/recalls", get(list).post(declare))
        .route("/ui/recalls/{id}", get(detail))
        .route("/ui/recalls/{id}/acknowledge", post(acknowledge))
        .route("/ui/recalls/{id}/close", post(close))
}

fn is_official(caller: &Caller) -> bool {
    matches!(
        caller.principal,
        Principal::ProvincialOfficial { .. } | Principal::NationalOfficial | Principal::Operator
    )
}

fn severity_text(lang: Lang, s: &RecallStatus) -> String {
    let level = s.recall.severity.level();
    let word = match level {
        "high" => lang.t("cao", "high"),
        "medium" => lang.t("trung bình", "medium"),
        _ => lang.t("thấp", "low"),
    };
    format!("{} ({word})", s.recall.severity.as_str())
}

fn state_text(lang: Lang, s: &RecallStatus) -> &'static str {
    match s.recall.state {
        RecallState::Open => lang.t("Đang thu hồi", "Open"),
        RecallState::Closed => lang.t("Đã kết thúc", "Closed"),
    }
}

fn lots_text(s: &RecallStatus) -> String {
    s.recall
        .lots
        .iter()
        .map(|l| esc(&l.element_string()))
        .collect::<Vec<_>>()
        .join("<br>")
}

fn acknowledge_form(lang: Lang, headers: &HeaderMap, s: &RecallStatus) -> String {
    format!(
        "<form method=\"post\" action=\"/ui/recalls/{}/acknowledge{}\">{}\
         <label>{} <input name=\"note\" maxlength=\"2000\"></label>\
         <button class=\"acknowledge\">{}</button></form>",
        encode(&s.recall.id),
        lang.q(),
        hidden_csrf(headers),
        lang.t("Đã làm gì (không bắt buộc)", "What you did (optional)"),
        lang.t("Xác nhận đã nhận thông báo", "Acknowledge"),
    )
}

fn declare_form(lang: Lang, headers: &HeaderMap, key: &str) -> String {
    let option =
        |v: &str, vi: &str, en: &str| format!("<option value=\"{v}\">{}</option>", lang.t(vi, en));
    format!(
        "<h2>{}</h2><form method=\"post\" action=\"/ui/recalls{}\" id=\"declare\">{}\
         <label>{} <textarea name=\"lots\" rows=\"3\" cols=\"50\" required>{}</textarea></label>\
         <label>{} <input name=\"reason\" size=\"60\" maxlength=\"2000\" required></label>\
         <label>{} <select name=\"severity\">{}{}{}</select></label>\
         <button>{}</button></form>",
        lang.t("Công bố thu hồi", "Declare a recall"),
        lang.q(),
        hidden_csrf(headers),
        lang.t(
            "Lô hàng (mỗi dòng một mã, ví dụ (01)08936020033013(10)BM-2601-R07)",
            "Lots (one per line, e.g. (01)08936020033013(10)BM-2601-R07)"
        ),
        esc(key),
        lang.t("Lý do", "Reason"),
        lang.t("Mức độ", "Severity"),
        option("I", "Loại I — nguy hại cao", "Class I — high"),
        option("II", "Loại II — trung bình", "Class II — medium"),
        option("III", "Loại III — thấp", "Class III — low"),
        lang.t("Công bố", "Declare"),
    )
}

/// `GET /ui/recalls`.
async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(p): Params,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from(&p);
    let request = store::PageRequest {
        per_page: PAGE,
        after: None,
    };
    let recalls = match recalls::list_for(&state, &caller, request).await {
        Ok(r) => r.items,
        Err(e) => return error_page(lang, &caller, &headers, e),
    };
    let org = caller.org().map(str::to_owned);
    let mut body = String::new();
    if let Some(org) = &org {
        // The inbox: what the organisation was told, newest first: each recall affecting
        // it as declared, and again when it was closed (the notices its webhook receives).
        let mut inbox: Vec<(i64, bool, &RecallStatus)> = Vec::new();
        for s in recalls.iter().filter(|s| s.recall.affects(org)) {
            inbox.push((s.recall.declared_ms, false, s));
            if let Some(at) = s.recall.closed_ms {
                inbox.push((at, true, s));
            }
        }
        inbox.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        body.push_str(&format!(
            "<h2>{}</h2>",
            lang.t(
                "Thông báo thu hồi gửi tổ chức",
                "Recalls affecting your organisation"
            )
        ));
        if inbox.is_empty() {
            body.push_str(&format!("<p>{}</p>", lang.t("Không có.", "None.")));
        } else {
            body.push_str(&format!(
                "<table id=\"inbox\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
                lang.t("Thông báo", "Notice"),
                lang.t("Lô hàng", "Lots"),
                lang.t("Lý do", "Reason"),
                lang.t("Mức độ", "Severity"),
                lang.t("Ngày", "Date"),
                lang.t("Xác nhận", "Acknowledgement"),
            ));
            for (at, closing, s) in inbox {
                let (class, notice, last) = if closing {
                    let note = s.recall.close_note.as_deref().unwrap_or("");
                    (
                        "closed",
                        lang.t("Đã kết thúc thu hồi", "Recall closed"),
                        esc(note),
                    )
                } else {
                    let ack = match s.acknowledgement_of(org) {
                        Some(a) if a.at_ms.is_some() => format!(
                            "<span class=\"ok\">{} {}</span>",
                            lang.t("Đã xác nhận", "Acknowledged"),
                            esc(&a.at_ms.map(rfc3339).unwrap_or_default())
                        ),
                        _ if s.recall.state == RecallState::Closed => {
                            lang.t("Đã kết thúc", "Closed").to_owned()
                        }
                        _ => acknowledge_form(lang, &headers, s),
                    };
                    ("declared", lang.t("Thu hồi", "Recall"), ack)
                };
                body.push_str(&format!(
                    "<tr class=\"{class}\"><td>{notice}</td><td><a href=\"/ui/recalls/{}{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{last}</td></tr>",
                    encode(&s.recall.id),
                    lang.q(),
                    lots_text(s),
                    esc(&s.recall.reason),
                    severity_text(lang, s),
                    esc(&rfc3339(at)),
                ));
            }
            body.push_str("</table>");
        }
    }
    let declared: Vec<&RecallStatus> = match &org {
        Some(org) => recalls
            .iter()
            .filter(|s| s.recall.declarer_org() == Some(org.as_str()))
            .collect(),
        None => recalls.iter().collect(),
    };
    if is_official(&caller) || !declared.is_empty() {
        body.push_str(&format!(
            "<h2>{}</h2>",
            if org.is_some() {
                lang.t("Thu hồi do tổ chức công bố", "Recalls you declared")
            } else {
                lang.t("Các đợt thu hồi", "Recalls")
            }
        ));
        body.push_str(&format!(
            "<table id=\"recalls\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            lang.t("Lô hàng", "Lots"),
            lang.t("Lý do", "Reason"),
            lang.t("Mức độ", "Severity"),
            lang.t("Trạng thái", "State"),
            lang.t("Đã xác nhận", "Acknowledged"),
        ));
        for s in declared {
            let (done, total) = s.progress();
            body.push_str(&format!(
                "<tr><td><a href=\"/ui/recalls/{}{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td>\
                 <td class=\"progress\"><progress max=\"{total}\" value=\"{done}\"></progress> {done}/{total}</td></tr>",
                encode(&s.recall.id),
                lang.q(),
                lots_text(s),
                esc(&s.recall.reason),
                severity_text(lang, s),
                state_text(lang, s),
            ));
        }
        body.push_str("</table>");
    }
    if is_official(&caller) || org.is_some() {
        body.push_str(&declare_form(
            lang,
            &headers,
            p.get("key").map(String::as_str).unwrap_or(""),
        ));
    }
    page(lang, &caller, &headers, lang.t("Thu hồi", "Recalls"), &body).into_response()
}

/// `POST /ui/recalls`: the declaration form.
async fn declare(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(p): Params,
    headers: HeaderMap,
    Form(f): Fields,
) -> Response {
    let lang = Lang::from(&p);
    if let Err(e) = check_csrf(&headers, &f) {
        return error_page(lang, &caller, &headers, e);
    }
    let lots: Vec<LotInput> = text_field(&f, "lots")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| LotInput::Key(l.to_owned()))
        .collect();
    match recalls::declare_for(
        &state,
        &caller,
        lots,
        text_field(&f, "reason"),
        text_field(&f, "severity"),
    )
    .await
    {
        Ok(s) => redirect(&format!("/ui/recalls/{}{}", encode(&s.recall.id), lang.q())),
        Err(e) => error_page(lang, &caller, &headers, e),
    }
}

/// `GET /ui/recalls/{id}`.
async fn detail(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(p): Params,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from(&p);
    let s = match recalls::visible(&state, &caller, &id).await {
        Ok(s) => s,
        Err(e) => return error_page(lang, &caller, &headers, e),
    };
    let (done, total) = s.progress();
    let mut body = format!(
        "<p id=\"recall-state\">{}: <b>{}</b> · {}: {} · {}: {}</p><p>{}: {}</p><p>{}</p>\
         <p class=\"progress\">{}: <progress max=\"{total}\" value=\"{done}\"></progress> {done}/{total}</p>",
        lang.t("Trạng thái", "State"),
        state_text(lang, &s),
        lang.t("Mức độ", "Severity"),
        severity_text(lang, &s),
        lang.t("Công bố", "Declared"),
        esc(&rfc3339(s.recall.declared_ms)),
        lang.t("Lý do", "Reason"),
        esc(&s.recall.reason),
        lots_text(&s),
        lang.t("Đã xác nhận", "Acknowledged"),
    );
    if s.recall.truncated {
        body.push_str(&format!(
            "<p class=\"error\">{}</p>",
            lang.t(
                "Truy xuất đạt giới hạn: phạm vi có thể chưa đủ.",
                "The trace reached its limit: the scope may be incomplete."
            )
        ));
    }
    body.push_str(&format!(
        "<h2>{}</h2><table id=\"scope\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        lang.t("Tổ chức bị ảnh hưởng", "Affected organisations"),
        lang.t("Tổ chức", "Organisation"),
        lang.t("Địa điểm, tỉnh, số lượng", "Places, provinces, quantities"),
        lang.t("Xác nhận", "Acknowledgement"),
        lang.t("Ghi chú", "Note"),
    ));
    for a in &s.recall.affected {
        let sites: Vec<String> = a
            .sites
            .iter()
            .map(|site| {
                let qty: Vec<String> = site
                    .holdings
                    .iter()
                    .filter_map(|h| {
                        h.quantity
                            .map(|q| format!("{q} {}", h.uom.as_deref().unwrap_or("")))
                    })
                    .collect();
                format!(
                    "{} ({}) {}",
                    esc(if site.name.is_empty() {
                        &site.location
                    } else {
                        &site.name
                    }),
                    esc(&site.province),
                    esc(&qty.join(", "))
                )
            })
            .collect();
        let ack = s.acknowledgement_of(&a.org);
        body.push_str(&format!(
            "<tr><td>{} <small>{}</small></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.name),
            esc(&a.org),
            sites.join("<br>"),
            ack.and_then(|k| k.at_ms)
                .map(|t| format!("✔ {}", esc(&rfc3339(t))))
                .unwrap_or_else(|| lang.t("Chưa", "Not yet").to_owned()),
            esc(ack.and_then(|k| k.note.as_deref()).unwrap_or("")),
        ));
    }
    body.push_str("</table>");
    let org = caller.org().unwrap_or("");
    let mine = s.acknowledgement_of(org);
    if s.recall.state == RecallState::Open && mine.is_some_and(|a| a.at_ms.is_none()) {
        body.push_str(&acknowledge_form(lang, &headers, &s));
    }
    if s.recall.state == RecallState::Open && recalls::may_close(&state, &caller, &s).await {
        body.push_str(&format!(
            "<h2>{}</h2><form method=\"post\" action=\"/ui/recalls/{}/close{}\">{}\
             <label>{} <input name=\"note\" maxlength=\"2000\"></label><button>{}</button></form>",
            lang.t("Kết thúc thu hồi", "Close the recall"),
            encode(&s.recall.id),
            lang.q(),
            hidden_csrf(&headers),
            lang.t("Ghi chú", "Note"),
            lang.t("Kết thúc", "Close"),
        ));
    }
    page(
        lang,
        &caller,
        &headers,
        &format!("{} {}", lang.t("Thu hồi", "Recall"), s.recall.id),
        &body,
    )
    .into_response()
}

fn note(f: &HashMap<String, String>) -> Option<String> {
    Some(text_field(f, "note")).filter(|n| !n.is_empty())
}

/// `POST /ui/recalls/{id}/acknowledge`.
async fn acknowledge(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(p): Params,
    headers: HeaderMap,
    Form(f): Fields,
) -> Response {
    let lang = Lang::from(&p);
    let done: Result<_, ApiError> = match check_csrf(&headers, &f) {
        Ok(()) => recalls::acknowledge_for(&state, &caller, &id, note(&f)).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => redirect(&format!("/ui/recalls{}", lang.q())),
        Err(e) => error_page(lang, &caller, &headers, e),
    }
}

/// `POST /ui/recalls/{id}/close`.
async fn close(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(p): Params,
    headers: HeaderMap,
    Form(f): Fields,
) -> Response {
    let lang = Lang::from(&p);
    let done = match check_csrf(&headers, &f) {
        Ok(()) => recalls::close_for(&state, &caller, &id, note(&f)).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => redirect(&format!("/ui/recalls/{}{}", encode(&id), lang.q())),
        Err(e) => error_page(lang, &caller, &headers, e),
    }
}
