//! Web pages (server-rendered HTML, no script) in Vietnamese (default) or English
//! (`?lang=en`): sign-in, registration, organisations with the officials' verification and
//! suspension form, an organisation's products and API tokens. Every form that changes
//! something carries a token derived from the session (CSRF), and the session cookie is
//! `SameSite=Strict`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use registry::accounts::{AccountRole, Binding};
use registry::policy::decide;
use registry::{
    Action, Caller, ChainRole, NewOrganisation, Organisation, Product, ProductGroup, Scope,
    Verification,
};

use crate::auth::{self, Auth};
use crate::problem::ApiError;
use crate::registry_api::{self, Decision};
use crate::session;
use crate::{blocking, AppState};

/// The page routes, under `/ui`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui", get(home))
        .route("/ui/login", get(login_page).post(login))
        .route("/ui/logout", post(logout))
        .route("/ui/register", get(register_page).post(register))
        .route("/ui/organisations", get(organisations))
        .route("/ui/organisations/{id}", get(organisation))
        .route("/ui/organisations/{id}/status", post(set_status))
        .route("/ui/products", get(products).post(save_product))
        .route("/ui/products/{gtin}/delete", post(delete_product))
        .route("/ui/tokens", get(tokens).post(create_token))
        .route("/ui/tokens/{id}/revoke", post(revoke_token))
        .route("/ui/codes", get(codes))
        .route("/ui/codes/{code}/status", post(set_code_status))
        .route("/ui/flags", get(flags))
        .merge(crate::recall_pages::routes())
        .layer(axum::middleware::map_response(no_store))
}

type Params = Query<HashMap<String, String>>;
type Fields = Form<HashMap<String, String>>;

/// The page language.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Vi,
    En,
}

impl Lang {
    pub(crate) fn from(params: &HashMap<String, String>) -> Lang {
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

/// HTML-escapes text.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
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

/// The CSRF token of the request's session (empty without one).
fn csrf_token(headers: &HeaderMap) -> String {
    auth::session_cookie(headers)
        .map(|s| auth::sha256_hex(&format!("csrf:{s}"))[..32].to_owned())
        .unwrap_or_default()
}

/// Refuses a form without the session's CSRF token.
pub(crate) fn check_csrf(
    headers: &HeaderMap,
    fields: &HashMap<String, String>,
) -> Result<(), ApiError> {
    let expected = csrf_token(headers);
    if expected.is_empty() || fields.get("csrf") != Some(&expected) {
        return Err(ApiError::forbidden(
            "the form is stale or was not sent from this site; reload the page and try again",
        ));
    }
    Ok(())
}

pub(crate) fn hidden_csrf(headers: &HeaderMap) -> String {
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
         <body><nav><a href=\"/ui{q}\">traceport</a> · <a href=\"/ui/organisations{q}\">{orgs}</a> · <a href=\"/ui/products{q}\">{prods}</a> · <a href=\"/ui/tokens{q}\">{toks}</a> · <a href=\"/ui/codes{q}\">{codes}</a> · <a href=\"/ui/flags{q}\">{flags}</a> · <a href=\"/ui/recalls{q}\">{recalls}</a> | {who} | {other}</nav>\
         <h1>{title}</h1>{body}</body></html>",
        code = lang.t("vi", "en"),
        title = esc(title),
        orgs = lang.t("Tổ chức", "Organisations"),
        prods = lang.t("Sản phẩm", "Products"),
        toks = lang.t("Mã API", "API tokens"),
        codes = lang.t("Mã số vùng trồng", "Export codes"),
        flags = lang.t("Sự kiện bị gắn cờ", "Flagged events"),
        recalls = lang.t("Thu hồi", "Recalls"),
    ))
}

/// An error as a page with the error's status.
pub(crate) fn error_page(
    lang: Lang,
    caller: &Caller,
    headers: &HeaderMap,
    e: ApiError,
) -> Response {
    let status = e.kind.status();
    let body = format!("<p class=\"error\" role=\"alert\">{}</p>", esc(&e.detail));
    (
        status,
        page(lang, caller, headers, lang.t("Lỗi", "Error"), &body),
    )
        .into_response()
}

pub(crate) fn redirect(to: &str) -> Response {
    Redirect::to(to).into_response()
}

async fn home(Auth(caller): Auth, Query(p): Params, headers: HeaderMap) -> Response {
    let lang = Lang::from(&p);
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

async fn login_page(Auth(caller): Auth, Query(p): Params, headers: HeaderMap) -> Response {
    let lang = Lang::from(&p);
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
    Query(p): Params,
    headers: HeaderMap,
    Form(f): Fields,
) -> Response {
    let lang = Lang::from(&p);
    let name = f.get("name").cloned().unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    match session::sign_in(&state, name, password).await {
        Ok((_, secret)) => {
            let mut r = redirect(&format!("/ui{}", lang.q()));
            r.headers_mut()
                .insert(header::SET_COOKIE, session::session_cookie(&state, &secret));
            r
        }
        Err(e) => error_page(lang, &Caller::public(), &headers, e),
    }
}

async fn logout(
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
    if let Err(e) = session::sign_out(&state, &headers).await {
        return error_page(lang, &caller, &headers, e);
    }
    let mut r = redirect(&format!("/ui{}", lang.q()));
    r.headers_mut()
        .insert(header::SET_COOKIE, session::session_cookie(&state, ""));
    r
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

async fn register_page(Auth(caller): Auth, Query(p): Params, headers: HeaderMap) -> Response {
    let lang = Lang::from(&p);
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

pub(crate) fn text_field(f: &HashMap<String, String>, name: &str) -> String {
    f.get(name).map(|v| v.trim().to_owned()).unwrap_or_default()
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

async fn organisations(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(p): Params,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from(&p);
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

async fn organisation(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(p): Params,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from(&p);
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
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(p): Params,
    headers: HeaderMap,
    Form(f): Fields,
) -> Response {
    let lang = Lang::from(&p);
    if let Err(e) = check_csrf(&headers, &f) {
        return error_page(lang, &caller, &headers, e);
    }
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

fn group_options(lang: Lang, selected: ProductGroup) -> String {
    const GROUPS: [(ProductGroup, &str, &str); 9] = [
        (ProductGroup::Other, "Khác", "Other"),
        (ProductGroup::Beer, "Bia", "Beer"),
        (
            ProductGroup::Alcohol,
            "Rượu, đồ uống có cồn",
            "Alcohol and alcoholic drinks",
        ),
        (ProductGroup::SoftDrinks, "Nước giải khát", "Soft drinks"),
        (
            ProductGroup::ProcessedMilk,
            "Sữa chế biến",
            "Processed milk",
        ),
        (ProductGroup::VegetableOil, "Dầu thực vật", "Vegetable oil"),
        (
            ProductGroup::FlourStarch,
            "Bột, tinh bột",
            "Flour and starch",
        ),
        (
            ProductGroup::Confectionery,
            "Bánh, mứt, kẹo",
            "Confectionery",
        ),
        (
            ProductGroup::FoodPackaging,
            "Bao bì thực phẩm",
            "Food packaging materials",
        ),
    ];
    GROUPS
        .iter()
        .map(|(g, vi, en)| {
            let v = serde_json::to_value(g)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let sel = if *g == selected { " selected" } else { "" };
            format!("<option value=\"{v}\"{sel}>{}</option>", lang.t(vi, en))
        })
        .collect()
}

async fn products(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(p): Params,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from(&p);
    let owner = p
        .get("owner")
        .cloned()
        .or_else(|| caller.org().map(str::to_owned));
    let request = store::PageRequest {
        per_page: 500,
        after: None,
    };
    let lookup = owner.clone();
    let items = match blocking(&state, move |s| s.products(lookup.as_deref(), &request)).await {
        Ok(page) => page.items,
        Err(e) => return error_page(lang, &caller, &headers, e),
    };
    let may_manage = owner
        .as_deref()
        .is_some_and(|o| decide(&caller, Action::ManageProducts { org: o }).is_allowed())
        && !caller.name.is_empty();
    let rows: String = items
        .iter()
        .map(|pr| {
            let delete = if may_manage {
                format!(
                    "<a href=\"/ui/products?edit={}{}\">{}</a> \
                     <form method=\"post\" action=\"/ui/products/{}/delete{}\" style=\"display:inline\">{}<button>{}</button></form>",
                    pr.gtin, lang.q().replacen('?', "&", 1), lang.t("Sửa", "Edit"),
                    pr.gtin, lang.q(), hidden_csrf(&headers), lang.t("Xoá", "Delete")
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{delete}</td></tr>",
                esc(&pr.gtin),
                esc(lang.t(&pr.name_vi, &pr.name_en)),
                esc(&pr.owner),
                esc(&pr.category),
                esc(&pr.net_content),
            )
        })
        .collect();
    let mut body = format!(
        "<table><tr><th>GTIN</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>{rows}</table>",
        lang.t("Tên", "Name"),
        lang.t("Chủ sở hữu", "Owner"),
        lang.t("Loại", "Category"),
        lang.t("Khối lượng tịnh", "Net content")
    );
    if may_manage {
        // `?edit=GTIN` fills the form with that product, so a change starts from what is stored.
        let editing = p
            .get("edit")
            .and_then(|g| items.iter().find(|pr| pr.gtin == *g));
        let value = |f: fn(&Product) -> String| {
            editing
                .map(|pr| format!(" value=\"{}\"", esc(&f(pr))))
                .unwrap_or_default()
        };
        body.push_str(&format!(
            "<h2>{}</h2><form method=\"post\" action=\"/ui/products{q}\">{csrf}\
             <label>GTIN <input name=\"gtin\" required{gtin}></label><label>{} <input name=\"nameVi\" required{name_vi}></label>\
             <label>{} <input name=\"nameEn\"{name_en}></label><label>{} <input name=\"brand\"{brand}></label>\
             <label>{} <select name=\"group\">{}</select></label><label>{} <input name=\"category\"{category}></label>\
             <label>{} <input name=\"netContent\"{net}></label><label>{} <input name=\"shelfLifeDays\" type=\"number\" min=\"0\"{shelf}></label>\
             <label>{} <input name=\"standards\"{standards}></label><button>{}</button></form>",
            lang.t("Thêm hoặc sửa sản phẩm", "Add or change a product"),
            lang.t("Tên tiếng Việt", "Name in Vietnamese"),
            lang.t("Tên tiếng Anh", "Name in English"),
            lang.t("Nhãn hiệu", "Brand"),
            lang.t("Nhóm sản phẩm", "Product group"),
            group_options(lang, editing.map_or(ProductGroup::Other, |pr| pr.group)),
            lang.t("Loại", "Category"),
            lang.t("Khối lượng tịnh", "Net content"),
            lang.t("Hạn sử dụng (ngày)", "Shelf life (days)"),
            lang.t("Tiêu chuẩn áp dụng (cách nhau bởi dấu phẩy)", "Standards applied (comma-separated)"),
            lang.t("Lưu", "Save"),
            q = lang.q(),
            csrf = hidden_csrf(&headers),
            gtin = value(|pr| pr.gtin.clone()),
            name_vi = value(|pr| pr.name_vi.clone()),
            name_en = value(|pr| pr.name_en.clone()),
            brand = value(|pr| pr.brand.clone()),
            category = value(|pr| pr.category.clone()),
            net = value(|pr| pr.net_content.clone()),
            shelf = value(|pr| pr.shelf_life_days.map(|d| d.to_string()).unwrap_or_default()),
            standards = value(|pr| pr.standards.join(", ")),
        ));
    }
    page(
        lang,
        &caller,
        &headers,
        lang.t("Sản phẩm", "Products"),
        &body,
    )
    .into_response()
}

async fn save_product(
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
    let group: ProductGroup =
        serde_json::from_value(serde_json::Value::String(text_field(&f, "group")))
            .unwrap_or(ProductGroup::Other);
    let shelf = text_field(&f, "shelfLifeDays");
    let shelf_life_days = if shelf.is_empty() {
        None
    } else {
        match shelf.parse::<u32>() {
            Ok(d) => Some(d),
            Err(_) => {
                return error_page(
                    lang,
                    &caller,
                    &headers,
                    ApiError::validation("shelfLifeDays: a whole number of days"),
                )
            }
        }
    };
    let gtin = text_field(&f, "gtin");
    let product = Product {
        gtin: gtin.clone(),
        owner: String::new(),
        name_vi: text_field(&f, "nameVi"),
        name_en: text_field(&f, "nameEn"),
        description_vi: text_field(&f, "descriptionVi"),
        description_en: text_field(&f, "descriptionEn"),
        images: list_field(&f, "images"),
        brand: text_field(&f, "brand"),
        group,
        category: text_field(&f, "category"),
        net_content: text_field(&f, "netContent"),
        shelf_life_days,
        standards: list_field(&f, "standards"),
        certificates: Vec::new(),
    };
    // The form shows only some fields; the others (descriptions, images, certificates) keep what
    // is stored, so saving the form never erases what was set through the API.
    let mut product = product;
    if let Ok(key) = gs1::keys::normalize_gtin(&gtin) {
        match blocking(&state, move |s| s.product(&key)).await {
            Ok(Some(stored)) => {
                if !f.contains_key("descriptionVi") {
                    product.description_vi = stored.description_vi;
                }
                if !f.contains_key("descriptionEn") {
                    product.description_en = stored.description_en;
                }
                if !f.contains_key("images") {
                    product.images = stored.images;
                }
                product.certificates = stored.certificates;
            }
            Ok(None) => {}
            Err(e) => return error_page(lang, &caller, &headers, e),
        }
    }
    match registry_api::save_product(&state, &caller, &gtin, product).await {
        Ok(_) => redirect(&format!("/ui/products{}", lang.q())),
        Err(e) => error_page(lang, &caller, &headers, e),
    }
}

async fn delete_product(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(gtin): Path<String>,
    Query(p): Params,
    headers: HeaderMap,
    Form(f): Fields,
) -> Response {
    let lang = Lang::from(&p);
    if let Err(e) = check_csrf(&headers, &f) {
        return error_page(lang, &caller, &headers, e);
    }
    match registry_api::remove_product(&state, &caller, &gtin).await {
        Ok(()) => redirect(&format!("/ui/products{}", lang.q())),
        Err(e) => error_page(lang, &caller, &headers, e),
    }
}

async fn tokens(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(p): Params,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from(&p);
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
    let body = format!(
        "<table><tr><th>Id</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>{rows}</table>\
         <h2>{}</h2><form method=\"post\" action=\"/ui/tokens{q}\">{csrf}<label>{} <input name=\"name\" required></label>\
         <label><input type=\"checkbox\" name=\"scope_read\" checked> read</label><label><input type=\"checkbox\" name=\"scope_capture\" checked> capture</label>\
         <label><input type=\"checkbox\" name=\"scope_registry\"> registry</label><button>{}</button></form>",
        lang.t("Tên", "Name"), lang.t("Vai trò", "Role"), lang.t("Phạm vi", "Scopes"), lang.t("Lần dùng cuối", "Last use"),
        lang.t("Tạo mã API", "Create an API token"), lang.t("Tên", "Name"), lang.t("Tạo", "Create"),
        q = lang.q(), csrf = hidden_csrf(&headers),
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

async fn create_token(
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
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(p): Params,
    headers: HeaderMap,
    Form(f): Fields,
) -> Response {
    let lang = Lang::from(&p);
    if let Err(e) = check_csrf(&headers, &f) {
        return error_page(lang, &caller, &headers, e);
    }
    match registry_api::revoke(&state, &caller, &id).await {
        Ok(()) => redirect(&format!("/ui/tokens{}", lang.q())),
        Err(e) => error_page(lang, &caller, &headers, e),
    }
}

async fn codes(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(p): Params,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from(&p);
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
    Auth(caller): Auth,
    Path(code): Path<String>,
    Query(p): Params,
    headers: HeaderMap,
    Form(f): Fields,
) -> Response {
    let lang = Lang::from(&p);
    if let Err(e) = check_csrf(&headers, &f) {
        return error_page(lang, &caller, &headers, e);
    }
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

async fn flags(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(p): Params,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from(&p);
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

/// Marks responses of the web pages as not cacheable (they depend on the session).
async fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
