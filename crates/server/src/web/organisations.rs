//! Registering an organisation, the list of organisations, and the officials' verification
//! and suspension form.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use registry::policy::decide;
use registry::{Action, ChainRole, NewOrganisation, Organisation, Verification};

use super::{
    error_page, esc, hidden_csrf, list_field, page, redirect, text_field, Fields, Lang, Params,
    Posted, Ui,
};
use crate::auth::Auth;
use crate::problem::ApiError;
use crate::registry_api::{self, Decision};
use crate::{blocking, AppState};

/// The registration and organisation routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/register", get(register_page).post(register))
        .route("/ui/organisations", get(organisations))
        .route("/ui/organisations/{id}", get(organisation))
        .route("/ui/organisations/{id}/status", post(set_status))
}

const ROLES: [(ChainRole, &str, &str); 8] = [
    (ChainRole::Farm, "Trang trại", "Farm"),
    (ChainRole::Cooperative, "Hợp tác xã", "Cooperative"),
    (ChainRole::Processor, "Chế biến", "Processor"),
    (ChainRole::Distributor, "Phân phối", "Distributor"),
    (ChainRole::Retailer, "Bán lẻ", "Retailer"),
    (ChainRole::Exporter, "Xuất khẩu", "Exporter"),
    (ChainRole::Importer, "Nhập khẩu", "Importer"),
    (
        ChainRole::SolutionProvider,
        "Nhà cung cấp giải pháp",
        "Solution provider",
    ),
];

fn role_name(lang: Lang, role: ChainRole) -> &'static str {
    ROLES
        .iter()
        .find(|(r, _, _)| *r == role)
        .map_or("", |(_, vi, en)| lang.t(vi, en))
}

async fn register_page(ui: Ui) -> Response {
    let Ui {
        caller,
        lang,
        headers,
        ..
    } = ui;
    let provinces: String = registry::admin::units()
        .provinces()
        .iter()
        .map(|u| {
            format!(
                "<option value=\"{}\">{} {}</option>",
                u.code,
                u.code,
                esc(&u.name)
            )
        })
        .collect();
    let roles: String = ROLES
        .iter()
        .map(|(r, vi, en)| {
            let v = serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!(
                "<label><input type=\"checkbox\" name=\"role_{v}\" value=\"1\"> {}</label>",
                lang.t(vi, en)
            )
        })
        .collect();
    let field = |name: &str, vi: &str, en: &str| {
        format!("<label>{} <input name=\"{name}\"></label>", lang.t(vi, en))
    };
    let body = format!(
        "<form method=\"post\" action=\"/ui/register{q}\">{}{}{}{}{}{}{}\
         <label>{} <select name=\"provinceCode\"><option value=\"\">—</option>{provinces}</select></label>\
         <label>{} <input name=\"country\" value=\"VN\"></label><fieldset><legend>{}</legend>{roles}</fieldset>\
         <fieldset><legend>{}</legend>{}<label>{} <input name=\"adminPassword\" type=\"password\"></label></fieldset>\
         <button>{}</button></form>",
        field("id", "Mã định danh (vd. htx-thanh-long)", "Registry id (e.g. dragon-fruit-coop)"),
        field("nameVi", "Tên tiếng Việt", "Name in Vietnamese"),
        field("nameEn", "Tên tiếng Anh", "Name in English"),
        field("taxCode", "Mã số doanh nghiệp / thuế", "Enterprise / tax code"),
        field("companyPrefixes", "Mã doanh nghiệp GS1 (cách nhau bởi dấu phẩy)", "GS1 company prefixes (comma-separated)"),
        field("glns", "GLN (cách nhau bởi dấu phẩy)", "GLNs (comma-separated)"),
        field("address", "Địa chỉ", "Address"),
        lang.t("Tỉnh, thành phố", "Province"),
        lang.t("Quốc gia", "Country"),
        lang.t("Vai trò trong chuỗi", "Roles in chains"),
        lang.t("Tài khoản quản trị", "Administrator account"),
        field("adminName", "Tên đăng nhập", "User name"),
        lang.t("Mật khẩu (ít nhất 10 ký tự)", "Password (at least 10 characters)"),
        lang.t("Đăng ký", "Register"),
        q = lang.q()
    );
    page(
        lang,
        &caller,
        &headers,
        lang.t("Đăng ký tổ chức", "Register an organisation"),
        &body,
    )
    .into_response()
}

async fn register(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(p): Params,
    headers: HeaderMap,
    Form(f): Fields,
) -> Response {
    let lang = Lang::from(&p);
    let roles = ROLES
        .iter()
        .filter(|(r, _, _)| {
            let v = serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            f.contains_key(&format!("role_{v}"))
        })
        .map(|(r, _, _)| *r)
        .collect();
    let details = NewOrganisation {
        id: text_field(&f, "id"),
        name_vi: text_field(&f, "nameVi"),
        name_en: text_field(&f, "nameEn"),
        tax_code: text_field(&f, "taxCode"),
        company_prefixes: list_field(&f, "companyPrefixes"),
        glns: list_field(&f, "glns"),
        address: text_field(&f, "address"),
        province_code: text_field(&f, "provinceCode"),
        country: text_field(&f, "country"),
        roles,
    };
    let admin_name = text_field(&f, "adminName");
    let password = f.get("adminPassword").cloned().unwrap_or_default();
    if password.chars().count() < registry_api::MIN_PASSWORD_LEN {
        let e = ApiError::validation(format!(
            "adminPassword: at least {} characters",
            registry_api::MIN_PASSWORD_LEN
        ));
        return error_page(lang, &caller, &headers, e);
    }
    let store = state.store.clone();
    let result = tokio::task::spawn_blocking(move || {
        registry_api::register_blocking(store.as_ref(), details, Some((admin_name, password)))
    })
    .await
    .map_err(ApiError::internal)
    .and_then(|r| r);
    match result {
        Ok(org) => {
            let body = format!(
                "<p class=\"ok\">{} <a href=\"/ui/organisations/{id}{q}\">{id}</a>. {}</p>",
                lang.t("Đã đăng ký", "Registered"),
                lang.t(
                    "Tổ chức chờ cơ quan quản lý cấp tỉnh xác minh; đăng nhập bằng tài khoản quản trị.",
                    "The organisation awaits verification by its provincial authority; sign in with the administrator account."
                ),
                id = esc(org.id()),
                q = lang.q()
            );
            (
                StatusCode::CREATED,
                page(
                    lang,
                    &caller,
                    &headers,
                    lang.t("Đăng ký tổ chức", "Register an organisation"),
                    &body,
                ),
            )
                .into_response()
        }
        Err(e) => error_page(lang, &caller, &headers, e),
    }
}

fn status_text(lang: Lang, org: &Organisation) -> String {
    let v = match &org.verification {
        Verification::Pending => lang.t("chờ xác minh", "awaiting verification").to_owned(),
        Verification::Verified { by, .. } => {
            format!("{} ({})", lang.t("đã xác minh", "verified"), esc(by))
        }
        Verification::Rejected { by, reason, .. } => format!(
            "{} ({}): {}",
            lang.t("bị từ chối", "rejected"),
            esc(by),
            esc(reason)
        ),
    };
    match &org.suspension {
        Some(s) => format!(
            "{v}; <b>{}</b>: {}",
            lang.t("đình chỉ", "suspended"),
            esc(&s.reason)
        ),
        None => v,
    }
}

async fn organisations(State(state): State<AppState>, ui: Ui) -> Response {
    let Ui {
        caller,
        lang,
        p,
        headers,
    } = ui;
    let province = p.get("province").filter(|v| !v.is_empty()).cloned();
    let request = store::PageRequest {
        per_page: 500,
        after: None,
    };
    let orgs = match blocking(&state, move |s| {
        s.organisations(province.as_deref(), &request)
    })
    .await
    {
        Ok(page) => page.items,
        Err(e) => return error_page(lang, &caller, &headers, e),
    };
    let rows: String = orgs
        .iter()
        .map(|o| {
            format!(
                "<tr><td><a href=\"/ui/organisations/{id}{q}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(lang.t(&o.details.name_vi, &o.details.name_en)),
                esc(&o.details.tax_code),
                esc(&o.details.province_code),
                status_text(lang, o),
                id = esc(o.id()),
                q = lang.q()
            )
        })
        .collect();
    let body = format!(
        "<table><tr><th>Id</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{rows}</table>",
        lang.t("Tên", "Name"),
        lang.t("Mã số thuế", "Tax code"),
        lang.t("Tỉnh", "Province"),
        lang.t("Trạng thái", "Status")
    );
    page(
        lang,
        &caller,
        &headers,
        lang.t("Tổ chức", "Organisations"),
        &body,
    )
    .into_response()
}

async fn organisation(State(state): State<AppState>, Path(id): Path<String>, ui: Ui) -> Response {
    let Ui {
        caller,
        lang,
        headers,
        ..
    } = ui;
    let org = match registry_api::find_organisation(&state, &id).await {
        Ok(o) => o,
        Err(e) => return error_page(lang, &caller, &headers, e),
    };
    let d = &org.details;
    let roles: Vec<&str> = d.roles.iter().map(|r| role_name(lang, *r)).collect();
    let province = registry::admin::units()
        .province(&d.province_code)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let mut body = format!(
        "<dl><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>GLN</dt><dd>{}</dd>\
         <dt>{}</dt><dd>{}, {} {} ({})</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd id=\"status\">{}</dd></dl>",
        lang.t("Tên tiếng Việt", "Name in Vietnamese"), esc(&d.name_vi),
        lang.t("Tên tiếng Anh", "Name in English"), esc(&d.name_en),
        lang.t("Mã số thuế", "Tax code"), esc(&d.tax_code),
        lang.t("Mã doanh nghiệp GS1", "GS1 company prefixes"), esc(&d.company_prefixes.join(", ")),
        esc(&d.glns.join(", ")),
        lang.t("Địa chỉ", "Address"), esc(&d.address), esc(&d.province_code), esc(&province), esc(&d.country),
        lang.t("Vai trò", "Roles"), esc(&roles.join(", ")),
        lang.t("Trạng thái", "Status"), status_text(lang, &org),
    );
    if decide(
        &caller,
        Action::JudgeOrganisation {
            province: &d.province_code,
        },
    )
    .is_allowed()
        && !caller.name.is_empty()
    {
        body.push_str(&format!(
            "<h2>{}</h2><form method=\"post\" action=\"/ui/organisations/{id}/status{q}\">{csrf}\
             <label>{} <select name=\"decision\"><option value=\"verify\">{}</option><option value=\"reject\">{}</option>\
             <option value=\"suspend\">{}</option><option value=\"reinstate\">{}</option></select></label>\
             <label>{} <input name=\"reason\"></label><button>{}</button></form>",
            lang.t("Quyết định của cơ quan quản lý", "Official decision"),
            lang.t("Quyết định", "Decision"),
            lang.t("Xác minh", "Verify"),
            lang.t("Từ chối", "Reject"),
            lang.t("Đình chỉ", "Suspend"),
            lang.t("Khôi phục", "Reinstate"),
            lang.t("Lý do", "Reason"),
            lang.t("Ghi nhận", "Record"),
            id = esc(org.id()),
            q = lang.q(),
            csrf = hidden_csrf(&headers),
        ));
    }
    page(
        lang,
        &caller,
        &headers,
        lang.t(&d.name_vi, &d.name_en),
        &body,
    )
    .into_response()
}

async fn set_status(
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
        f,
    } = posted;
    let decision = match f.get("decision").map(String::as_str) {
        Some("verify") => Decision::Verify,
        Some("reject") => Decision::Reject,
        Some("suspend") => Decision::Suspend,
        Some("reinstate") => Decision::Reinstate,
        _ => {
            return error_page(
                lang,
                &caller,
                &headers,
                ApiError::validation("decision: verify, reject, suspend or reinstate"),
            )
        }
    };
    match registry_api::judge(&state, &caller, &id, decision, text_field(&f, "reason")).await {
        Ok(_) => redirect(&format!(
            "/ui/organisations/{}{}",
            crate::paging::encode(&id),
            lang.q()
        )),
        Err(e) => error_page(lang, &caller, &headers, e),
    }
}
