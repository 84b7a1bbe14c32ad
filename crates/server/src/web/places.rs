//! An organisation's places: locations (GLN or SGLN, address, coordinates) and farm plots
//! (GeoJSON geometry or a point), listed, added, changed and deleted, with the reason a save
//! fails shown next to the field at fault.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use registry::places::{Location, Plot, MIN_DECIMALS};
use registry::{Action, Caller};
use serde_json::Value;

use super::{error_page, esc, form, page, redirect, text_field, FormState, Lang, Posted, Ui};
use crate::paging::encode;
use crate::places_api::{self, Kind, LOCATIONS, PLOTS};
use crate::problem::ApiError;
use crate::AppState;

/// The place routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ui/places", get(places))
        .route("/ui/places/locations", post(save_location))
        .route("/ui/places/locations/{id}/delete", post(delete_location))
        .route("/ui/places/plots", post(save_plot))
        .route("/ui/places/plots/{id}/delete", post(delete_plot))
}

/// Whose places the page shows: `?owner=` (operators) or the caller's organisation; the
/// caller must manage them.
fn owner_of(caller: &Caller, p: &HashMap<String, String>) -> Result<String, ApiError> {
    let owner = p
        .get("owner")
        .filter(|o| !o.is_empty())
        .map(String::as_str)
        .or(caller.org())
        .ok_or_else(|| {
            ApiError::forbidden(
                "places are managed by the members of their organisation; operators add ?owner=ORG",
            )
        })?
        .to_owned();
    crate::access::require(caller, Action::ManageProducts { org: &owner })?;
    Ok(owner)
}

/// The query suffix of the page links: the language and the owner when named.
fn query(lang: Lang, p: &HashMap<String, String>) -> String {
    let mut q = lang.q().to_owned();
    if let Some(owner) = p.get("owner").filter(|o| !o.is_empty()) {
        q.push(if q.is_empty() { '?' } else { '&' });
        q.push_str(&format!("owner={}", encode(owner)));
    }
    q
}

/// The province options, `selected` chosen.
fn province_options(selected: &str) -> String {
    registry::admin::units()
        .provinces()
        .iter()
        .map(|u| {
            let sel = if u.code == selected { " selected" } else { "" };
            format!(
                "<option value=\"{}\"{sel}>{} {}</option>",
                u.code,
                u.code,
                esc(&u.name)
            )
        })
        .collect()
}

/// The province and commune fields; the commune suggestions are the province's.
fn place_fields(lang: Lang, form: &FormState, list: &str) -> String {
    let province = form.value("provinceCode");
    let communes: String = registry::admin::units()
        .communes_in(province)
        .iter()
        .map(|c| format!("<option value=\"{}\">{}</option>", c.code, esc(&c.name)))
        .collect();
    format!(
        "<label>{} <select name=\"provinceCode\"><option value=\"\">—</option>{}</select>{}</label>\
         {}<datalist id=\"{list}\">{communes}</datalist>",
        lang.t("Tỉnh, thành phố", "Province"),
        province_options(province),
        form.error_for("provinceCode"),
        form.input(
            "communeCode",
            lang.t("Mã xã, phường", "Commune code"),
            &format!(" list=\"{list}\" inputmode=\"numeric\"")
        ),
    )
}

/// The name of a commune in force, or the code when unknown.
fn place_name(province: &str, commune: &str) -> String {
    let units = registry::admin::units();
    let province = units
        .province(province)
        .map_or(province.to_owned(), |u| u.name.clone());
    match units.commune(commune) {
        Some(c) => format!("{}, {province}", c.name),
        None if commune.is_empty() => province,
        None => format!("{commune}, {province}"),
    }
}

/// A coordinate written with at least [`MIN_DECIMALS`] decimals (so a stored geometry saves
/// again unchanged).
fn coordinate_text(n: &serde_json::Number) -> String {
    let text = n.to_string();
    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
    match n.as_f64() {
        Some(f) if decimals < MIN_DECIMALS => format!("{f:.MIN_DECIMALS$}"),
        _ => text,
    }
}

/// GeoJSON text of a stored geometry, coordinates with their decimals.
fn geometry_text(geometry: &Value) -> String {
    fn coords(v: &Value, out: &mut String) {
        match v {
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    coords(item, out);
                }
                out.push(']');
            }
            Value::Number(n) => out.push_str(&coordinate_text(n)),
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = format!(
        "{{\"type\":{},\"coordinates\":",
        geometry.get("type").unwrap_or(&Value::Null)
    );
    coords(
        geometry.get("coordinates").unwrap_or(&Value::Null),
        &mut out,
    );
    out.push('}');
    out
}

fn location_values(l: &Location) -> HashMap<String, String> {
    let (lat, lon) = l
        .coordinates
        .map_or((String::new(), String::new()), |(lat, lon)| {
            (lat.to_string(), lon.to_string())
        });
    [
        ("id", l.id.clone()),
        ("nameVi", l.name_vi.clone()),
        ("nameEn", l.name_en.clone()),
        ("address", l.address.clone()),
        ("provinceCode", l.province_code.clone()),
        ("communeCode", l.commune_code.clone()),
        ("latitude", lat),
        ("longitude", lon),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn plot_values(p: &Plot) -> HashMap<String, String> {
    [
        ("id", p.id.clone()),
        ("name", p.name.clone()),
        ("crop", p.crop.clone()),
        (
            "areaHa",
            p.area_ha.map(|a| a.to_string()).unwrap_or_default(),
        ),
        ("provinceCode", p.province_code.clone()),
        ("communeCode", p.commune_code.clone()),
        ("geometry", geometry_text(&p.geometry)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn location_form(lang: Lang, headers: &HeaderMap, q: &str, f: &FormState) -> String {
    let fields = format!(
        "{}{}{}{}{}<fieldset><legend>{}</legend>{}{}{}</fieldset>",
        f.input(
            "id",
            lang.t(
                "GLN (13 chữ số) hoặc GLN/254/phần mở rộng",
                "GLN (13 digits) or GLN/254/extension"
            ),
            " required"
        ),
        f.input(
            "nameVi",
            lang.t("Tên tiếng Việt", "Name in Vietnamese"),
            " required"
        ),
        f.input("nameEn", lang.t("Tên tiếng Anh", "Name in English"), ""),
        f.input("address", lang.t("Địa chỉ", "Address"), ""),
        place_fields(lang, f, "communes-location"),
        lang.t("Toạ độ WGS84", "WGS84 coordinates"),
        f.input(
            "latitude",
            lang.t("Vĩ độ", "Latitude"),
            " inputmode=\"decimal\""
        ),
        f.input(
            "longitude",
            lang.t("Kinh độ", "Longitude"),
            " inputmode=\"decimal\""
        ),
        f.error_for("coordinates"),
    );
    format!(
        "<h3>{}</h3>{}",
        lang.t("Thêm hoặc sửa địa điểm", "Add or change a location"),
        form(
            headers,
            &format!("/ui/places/locations{q}"),
            "location-form",
            &f.other_error(&[
                "id",
                "nameVi",
                "nameEn",
                "address",
                "provinceCode",
                "communeCode",
                "coordinates"
            ]),
            &fields,
            lang.t("Lưu địa điểm", "Save the location"),
        )
    )
}

fn plot_form(lang: Lang, headers: &HeaderMap, q: &str, f: &FormState) -> String {
    let fields = format!(
        "{}{}{}{}{}<fieldset><legend>{}</legend><label>{} <textarea name=\"geometry\" rows=\"4\" cols=\"60\">{}</textarea></label>\
         <p>{}</p>{}{}{}</fieldset>",
        f.input(
            "id",
            lang.t("Mã thửa (vd. mã số vùng trồng)", "Plot id (e.g. its planting-area code)"),
            " required"
        ),
        f.input("name", lang.t("Tên", "Name"), ""),
        f.input("crop", lang.t("Cây trồng, vật nuôi", "Crop or species"), ""),
        f.input(
            "areaHa",
            lang.t("Diện tích (ha; bắt buộc với điểm)", "Area (ha; required for a point)"),
            " inputmode=\"decimal\""
        ),
        place_fields(lang, f, "communes-plot"),
        lang.t("Ranh giới", "Boundary"),
        lang.t(
            "GeoJSON (Polygon, [kinh độ, vĩ độ], ít nhất 6 chữ số thập phân)",
            "GeoJSON (Polygon, [longitude, latitude], at least 6 decimals)"
        ),
        esc(f.value("geometry")),
        lang.t(
            "hoặc một điểm, cho thửa đến 4 ha:",
            "or a point, for a plot of at most 4 ha:"
        ),
        f.input("latitude", lang.t("Vĩ độ", "Latitude"), " inputmode=\"decimal\""),
        f.input("longitude", lang.t("Kinh độ", "Longitude"), " inputmode=\"decimal\""),
        f.error_for("geometry"),
    );
    format!(
        "<h3>{}</h3>{}",
        lang.t("Thêm hoặc sửa thửa đất", "Add or change a plot"),
        form(
            headers,
            &format!("/ui/places/plots{q}"),
            "plot-form",
            &f.other_error(&[
                "id",
                "name",
                "crop",
                "areaHa",
                "provinceCode",
                "communeCode",
                "geometry"
            ]),
            &fields,
            lang.t("Lưu thửa đất", "Save the plot"),
        )
    )
}

/// The buttons of a listed record: edit (fills the form) and delete.
fn row_actions(
    lang: Lang,
    headers: &HeaderMap,
    p: &HashMap<String, String>,
    kind: &str,
    id: &str,
) -> String {
    let q = query(lang, p);
    let edit_q = if q.is_empty() {
        "?".to_owned()
    } else {
        format!("{q}&")
    };
    let edit = if kind == "locations" {
        "editLocation"
    } else {
        "editPlot"
    };
    format!(
        "<a href=\"/ui/places{edit_q}{edit}={id}\">{}</a> {}",
        lang.t("Sửa", "Edit"),
        form(
            headers,
            &format!("/ui/places/{kind}/{id}/delete{q}"),
            "inline",
            "",
            "",
            lang.t("Xoá", "Delete"),
        ),
        id = encode(id),
    )
}

/// The whole page: both lists and both forms (`location` and `plot` hold what the forms show).
async fn render(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    headers: &HeaderMap,
    p: &HashMap<String, String>,
    location: FormState,
    plot: FormState,
) -> Result<String, ApiError> {
    let owner = owner_of(caller, p)?;
    let locations = places_api::list(state, &LOCATIONS, Some(owner.clone())).await?;
    let plots = places_api::list(state, &PLOTS, Some(owner.clone())).await?;
    let q = query(lang, p);
    let location_rows: String = locations
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&l.id),
                esc(lang.t(&l.name_vi, &l.name_en)),
                esc(&l.address),
                esc(&place_name(&l.province_code, &l.commune_code)),
                l.coordinates
                    .map(|(lat, lon)| format!("{lat}, {lon}"))
                    .unwrap_or_default(),
                row_actions(lang, headers, p, "locations", &l.id),
            )
        })
        .collect();
    let plot_rows: String = plots
        .iter()
        .map(|pl| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&pl.id),
                esc(&pl.name),
                esc(&pl.crop),
                pl.area_ha.map(|a| a.to_string()).unwrap_or_default(),
                esc(&place_name(&pl.province_code, &pl.commune_code)),
                esc(pl.geometry["type"].as_str().unwrap_or_default()),
                row_actions(lang, headers, p, "plots", &pl.id),
            )
        })
        .collect();
    // `?editLocation=ID` / `?editPlot=ID` fill a form with the stored record.
    let org_province = || async {
        crate::registry_api::find_organisation(state, &owner)
            .await
            .map(|o| o.details.province_code)
            .unwrap_or_default()
    };
    let location = match p.get("editLocation") {
        Some(id) if location.values.is_empty() => FormState::with_values(location_values(
            &find_owned(state, &LOCATIONS, id, &owner).await?,
        )),
        _ if location.values.is_empty() => FormState::with_values(HashMap::from([(
            "provinceCode".to_owned(),
            org_province().await,
        )])),
        _ => location,
    };
    let plot = match p.get("editPlot") {
        Some(id) if plot.values.is_empty() => {
            FormState::with_values(plot_values(&find_owned(state, &PLOTS, id, &owner).await?))
        }
        _ if plot.values.is_empty() => FormState::with_values(HashMap::from([(
            "provinceCode".to_owned(),
            org_province().await,
        )])),
        _ => plot,
    };
    Ok(format!(
        "<h2>{}</h2><table id=\"locations\"><tr><th>GLN</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>{location_rows}</table>{}\
         <h2>{}</h2><table id=\"plots\"><tr><th>Id</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>{plot_rows}</table>{}",
        lang.t("Địa điểm", "Locations"),
        lang.t("Tên", "Name"),
        lang.t("Địa chỉ", "Address"),
        lang.t("Xã, tỉnh", "Commune, province"),
        lang.t("Toạ độ", "Coordinates"),
        location_form(lang, headers, &q, &location),
        lang.t("Thửa đất", "Plots"),
        lang.t("Tên", "Name"),
        lang.t("Cây trồng", "Crop"),
        lang.t("Diện tích (ha)", "Area (ha)"),
        lang.t("Xã, tỉnh", "Commune, province"),
        lang.t("Hình học", "Geometry"),
        plot_form(lang, headers, &q, &plot),
    ))
}

/// A record of `owner` (404 for another organisation's, as for a missing one).
async fn find_owned<T: Send + 'static>(
    state: &AppState,
    kind: &Kind<T>,
    id: &str,
    owner: &str,
) -> Result<T, ApiError> {
    let record = places_api::find(state, kind, id).await?;
    if kind.owner_of(&record) != owner {
        return Err(ApiError::not_found(format!(
            "no {} {id} of {owner}",
            kind.what()
        )));
    }
    Ok(record)
}

/// The page, or the sign-in page for the public.
async fn show(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    headers: &HeaderMap,
    p: &HashMap<String, String>,
    forms: (FormState, FormState),
    status: axum::http::StatusCode,
) -> Response {
    if caller.name.is_empty() {
        return redirect(&format!("/ui/login{}", lang.q()));
    }
    match render(state, caller, lang, headers, p, forms.0, forms.1).await {
        Ok(body) => (
            status,
            page(
                lang,
                caller,
                headers,
                lang.t("Địa điểm và thửa đất", "Places and plots"),
                &body,
            ),
        )
            .into_response(),
        Err(e) => error_page(lang, caller, headers, e),
    }
}

async fn places(State(state): State<AppState>, ui: Ui) -> Response {
    let Ui {
        caller,
        lang,
        p,
        headers,
    } = ui;
    let forms = (FormState::default(), FormState::default());
    show(
        &state,
        &caller,
        lang,
        &headers,
        &p,
        forms,
        axum::http::StatusCode::OK,
    )
    .await
}

/// A number field: `None` when empty, the field's error when not a number.
fn number(f: &HashMap<String, String>, name: &str) -> Result<Option<f64>, ApiError> {
    let text = text_field(f, name);
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .map(Some)
        .ok_or_else(|| {
            ApiError::validation(format!("{name}: {text:?} is not a number"))
                .with("field", serde_json::json!(name))
        })
}

/// Latitude and longitude, both or neither.
fn lat_lon(f: &HashMap<String, String>, field: &str) -> Result<Option<(f64, f64)>, ApiError> {
    match (number(f, "latitude")?, number(f, "longitude")?) {
        (Some(lat), Some(lon)) => Ok(Some((lat, lon))),
        (None, None) => Ok(None),
        _ => Err(
            ApiError::validation(format!("{field}: give both latitude and longitude"))
                .with("field", serde_json::json!(field)),
        ),
    }
}

/// After a save: back to the page, or the page again with the error next to its field.
async fn saved(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    headers: &HeaderMap,
    p: &HashMap<String, String>,
    result: Result<(), (ApiError, bool)>,
    f: HashMap<String, String>,
) -> Response {
    match result {
        Ok(()) => redirect(&format!("/ui/places{}", query(lang, p))),
        Err((e, _)) if !e.kind.status().is_client_error() || e.kind.status().as_u16() == 403 => {
            error_page(lang, caller, headers, e)
        }
        Err((e, is_plot)) => {
            let status = e.kind.status();
            let failed = FormState::failed(f, &e);
            let forms = if is_plot {
                (FormState::default(), failed)
            } else {
                (failed, FormState::default())
            };
            show(state, caller, lang, headers, p, forms, status).await
        }
    }
}

async fn save_location(State(state): State<AppState>, posted: Posted) -> Response {
    let Posted {
        ui: Ui {
            caller,
            lang,
            p,
            headers,
        },
        f,
    } = posted;
    let result = async {
        let owner = owner_of(&caller, &p)?;
        let location = Location {
            id: text_field(&f, "id"),
            owner,
            name_vi: text_field(&f, "nameVi"),
            name_en: text_field(&f, "nameEn"),
            address: text_field(&f, "address"),
            province_code: text_field(&f, "provinceCode"),
            commune_code: text_field(&f, "communeCode"),
            coordinates: lat_lon(&f, "coordinates")?,
        };
        if location.name_vi.is_empty() {
            return Err(
                ApiError::validation("nameVi: the Vietnamese name is required")
                    .with("field", serde_json::json!("nameVi")),
            );
        }
        let id = location.id.clone();
        places_api::save_location(&state, &caller, &id, location).await?;
        Ok(())
    }
    .await
    .map_err(|e| (e, false));
    saved(&state, &caller, lang, &headers, &p, result, f).await
}

/// The plot's geometry from the form: the GeoJSON text, else a point from latitude and
/// longitude; returns it with its text (whose decimals are checked).
fn geometry(f: &HashMap<String, String>) -> Result<(Value, String), ApiError> {
    let bad = |m: String| ApiError::validation(m).with("field", serde_json::json!("geometry"));
    let mut raw = text_field(f, "geometry");
    if raw.is_empty() {
        if lat_lon(f, "geometry")?.is_none() {
            return Err(bad(
                "geometry: give the boundary as GeoJSON or a point's latitude and longitude".into(),
            ));
        }
        raw = format!(
            "{{\"type\":\"Point\",\"coordinates\":[{},{}]}}",
            text_field(f, "longitude"),
            text_field(f, "latitude")
        );
    }
    let value = serde_json::from_str::<Value>(&raw)
        .map_err(|e| bad(format!("geometry: not GeoJSON: {e}")))?;
    Ok((value, raw))
}

async fn save_plot(State(state): State<AppState>, posted: Posted) -> Response {
    let Posted {
        ui: Ui {
            caller,
            lang,
            p,
            headers,
        },
        f,
    } = posted;
    let result = async {
        let owner = owner_of(&caller, &p)?;
        let (geometry, raw) = geometry(&f)?;
        let plot = Plot {
            id: text_field(&f, "id"),
            owner,
            name: text_field(&f, "name"),
            crop: text_field(&f, "crop"),
            area_ha: number(&f, "areaHa")?,
            province_code: text_field(&f, "provinceCode"),
            commune_code: text_field(&f, "communeCode"),
            geometry,
        };
        let id = plot.id.clone();
        places_api::save_plot(&state, &caller, &id, plot, Some(&raw)).await?;
        Ok(())
    }
    .await
    .map_err(|e| (e, true));
    saved(&state, &caller, lang, &headers, &p, result, f).await
}

/// Deletes a record of `kind` (the form's CSRF token checked).
async fn delete<T: Send + 'static>(
    state: &AppState,
    kind: &Kind<T>,
    id: &str,
    posted: Posted,
) -> Response {
    let Ui {
        caller,
        lang,
        p,
        headers,
    } = posted.ui;
    match places_api::remove(state, &caller, kind, id).await {
        Ok(()) => redirect(&format!("/ui/places{}", query(lang, &p))),
        Err(e) => error_page(lang, &caller, &headers, e),
    }
}

async fn delete_location(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Response {
    delete(&state, &LOCATIONS, &id, posted).await
}

async fn delete_plot(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Response {
    delete(&state, &PLOTS, &id, posted).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_geometry_is_written_back_with_six_decimals() {
        let g: Value = serde_json::from_str(
            r#"{"type":"Polygon","coordinates":[[[106.1,10.25],[106.123456789,10.2],[106.1,10.2],[106.1,10.25]]]}"#,
        )
        .unwrap_or_default();
        let text = geometry_text(&g);
        assert_eq!(
            text,
            r#"{"type":"Polygon","coordinates":[[[106.100000,10.250000],[106.123456789,10.200000],[106.100000,10.200000],[106.100000,10.250000]]]}"#
        );
        assert!(registry::places::coordinate_decimals(&text)
            .iter()
            .all(|d| *d >= MIN_DECIMALS));
    }

    #[test]
    fn latitude_and_longitude_come_together() {
        let f = |lat: &str, lon: &str| {
            HashMap::from([
                ("latitude".to_owned(), lat.to_owned()),
                ("longitude".to_owned(), lon.to_owned()),
            ])
        };
        assert_eq!(lat_lon(&f("", ""), "coordinates").ok(), Some(None));
        assert_eq!(
            lat_lon(&f("10.5", "106.25"), "coordinates").ok(),
            Some(Some((10.5, 106.25)))
        );
        assert!(lat_lon(&f("10.5", ""), "coordinates").is_err());
        assert!(lat_lon(&f("north", "106"), "coordinates").is_err());
    }
}
