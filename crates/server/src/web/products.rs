//! An organisation's products: list, add or change, delete.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use registry::policy::decide;
use registry::{Action, Product, ProductGroup};

use super::{
    check_csrf, error_page, esc, hidden_csrf, list_field, page, redirect, text_field, Fields, Lang,
    Params,
};
use crate::auth::Auth;
use crate::problem::ApiError;
use crate::registry_api::{self};
use crate::{blocking, AppState};

/// The product routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/products", get(products).post(save_product))
        .route("/ui/products/{gtin}/delete", post(delete_product))
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
