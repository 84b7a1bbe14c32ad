//! An organisation's products: list, add or change, delete.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use registry::policy::decide;
use registry::{Action, Certificate, Product, ProductGroup};

use super::{
    error_page, esc, form, hidden_csrf, list_field, page, redirect, text_field, FormState, Lang,
    Posted, Ui,
};
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

async fn products(State(state): State<AppState>, ui: Ui) -> Response {
    let Ui {
        caller,
        lang,
        p,
        headers,
    } = ui;
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
        body.push_str(&product_form(lang, &headers, editing));
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

/// The product form, filled with `editing` when given.
fn product_form(lang: Lang, headers: &HeaderMap, editing: Option<&Product>) -> String {
    let values = editing.map_or_else(Default::default, |pr| {
        [
            ("gtin", pr.gtin.clone()),
            ("nameVi", pr.name_vi.clone()),
            ("nameEn", pr.name_en.clone()),
            ("brand", pr.brand.clone()),
            ("category", pr.category.clone()),
            ("netContent", pr.net_content.clone()),
            (
                "shelfLifeDays",
                pr.shelf_life_days
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
            ("standards", pr.standards.join(", ")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    });
    let f = FormState::with_values(values);
    let certificates = editing.map_or_else(String::new, |pr| certificates_text(&pr.certificates));
    let fields = format!(
        "{}{}{}{}<label>{} <select name=\"group\">{}</select></label>{}{}{}{}\
         <label>{} <textarea name=\"certificates\" rows=\"3\" cols=\"60\" placeholder=\"VietGAP; VG-33-001; Chi cục TT&amp;BVTV; 2026-12-31\">{}</textarea></label>",
        f.input("gtin", "GTIN", " required"),
        f.input("nameVi", lang.t("Tên tiếng Việt", "Name in Vietnamese"), " required"),
        f.input("nameEn", lang.t("Tên tiếng Anh", "Name in English"), ""),
        f.input("brand", lang.t("Nhãn hiệu", "Brand"), ""),
        lang.t("Nhóm sản phẩm", "Product group"),
        group_options(lang, editing.map_or(ProductGroup::Other, |pr| pr.group)),
        f.input("category", lang.t("Loại", "Category"), ""),
        f.input("netContent", lang.t("Khối lượng tịnh", "Net content"), ""),
        f.input(
            "shelfLifeDays",
            lang.t("Hạn sử dụng (ngày)", "Shelf life (days)"),
            " type=\"number\" min=\"0\""
        ),
        f.input(
            "standards",
            lang.t(
                "Tiêu chuẩn áp dụng (cách nhau bởi dấu phẩy)",
                "Standards applied (comma-separated)"
            ),
            ""
        ),
        lang.t(
            "Chứng nhận, mỗi dòng một: chương trình; số; nơi cấp; hiệu lực đến (YYYY-MM-DD)",
            "Certificates, one a line: scheme; number; issuer; valid until (YYYY-MM-DD)"
        ),
        esc(&certificates),
    );
    format!(
        "<h2>{}</h2>{}",
        lang.t("Thêm hoặc sửa sản phẩm", "Add or change a product"),
        form(
            headers,
            &format!("/ui/products{}", lang.q()),
            "product-form",
            "",
            &fields,
            lang.t("Lưu", "Save"),
        )
    )
}

/// Certificates as the form shows them: one a line, `scheme; number; issuer; valid until`.
fn certificates_text(list: &[Certificate]) -> String {
    list.iter()
        .map(|c| {
            let mut parts = vec![c.scheme.as_str(), c.number.as_str(), c.issuer.as_str()];
            parts.push(c.valid_until.as_deref().unwrap_or_default());
            while parts.last() == Some(&"") {
                parts.pop();
            }
            parts.join("; ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The certificates typed in the form (blank lines skipped).
fn parse_certificates(text: &str) -> Vec<Certificate> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut parts = line.split(';').map(str::trim);
            let mut next = || parts.next().unwrap_or_default().to_owned();
            let (scheme, number, issuer, until) = (next(), next(), next(), next());
            Certificate {
                scheme,
                number,
                issuer,
                valid_until: (!until.is_empty()).then_some(until),
            }
        })
        .collect()
}

async fn save_product(State(state): State<AppState>, posted: Posted) -> Response {
    let Posted {
        ui: Ui {
            caller,
            lang,
            headers,
            ..
        },
        f,
    } = posted;
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
        certificates: parse_certificates(f.get("certificates").map_or("", String::as_str)),
    };
    // The form shows only some fields; the others (descriptions, images) keep what is stored,
    // so saving the form never erases what was set through the API.
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
                if !f.contains_key("certificates") {
                    product.certificates = stored.certificates;
                }
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
    Path(gtin): Path<String>,
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
    match registry_api::remove_product(&state, &caller, &gtin).await {
        Ok(()) => redirect(&format!("/ui/products{}", lang.q())),
        Err(e) => error_page(lang, &caller, &headers, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_read_back_as_written() {
        let text = "VietGAP; VG-33-001; Chi cục; 2026-12-31\n\n  Organic EU ;; ;\nHACCP; H-1";
        let list = parse_certificates(text);
        assert_eq!(list.len(), 3);
        assert_eq!(list[0].valid_until.as_deref(), Some("2026-12-31"));
        assert_eq!(list[1].scheme, "Organic EU");
        assert_eq!(list[1].valid_until, None);
        assert_eq!(list[2].number, "H-1");
        assert_eq!(
            certificates_text(&list),
            "VietGAP; VG-33-001; Chi cục; 2026-12-31\nOrganic EU\nHACCP; H-1"
        );
    }
}
