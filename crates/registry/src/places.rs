//! Places: locations (GLN or SGLN, address, coordinates) and farm plots with a WGS84 GeoJSON
//! geometry as the EU Deforestation Regulation asks: a point for a plot of at most 4 ha, a
//! polygon above, coordinates with at least 6 decimals.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::validate::InvalidField;

/// Largest plot that may be given as a point, hectares.
pub const POINT_MAX_HA: f64 = 4.0;
/// Fewest decimals of a coordinate.
pub const MIN_DECIMALS: usize = 6;

/// A location of an organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Location {
    /// GLN (13 digits), or SGLN as `GLN/254/extension`.
    pub id: String,
    /// Registry id of the organisation (set by the server from the caller).
    #[serde(default)]
    pub owner: String,
    /// Name in Vietnamese.
    pub name_vi: String,
    /// Name in English.
    #[serde(default)]
    pub name_en: String,
    /// Street address.
    #[serde(default)]
    pub address: String,
    /// Province code (in force).
    #[serde(default)]
    pub province_code: String,
    /// Commune code (in force), if known.
    #[serde(default)]
    pub commune_code: String,
    /// WGS84 latitude, longitude.
    #[serde(default)]
    pub coordinates: Option<(f64, f64)>,
}

/// A farm plot (or pond).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plot {
    /// Registry id of the plot (e.g. its planting-area code or a local number).
    pub id: String,
    /// Registry id of the organisation.
    #[serde(default)]
    pub owner: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Crop or species.
    #[serde(default)]
    pub crop: String,
    /// Area in hectares (required for a point; computed for a polygon when absent).
    #[serde(default)]
    pub area_ha: Option<f64>,
    /// Province code (in force).
    pub province_code: String,
    /// Commune code (in force), if known.
    #[serde(default)]
    pub commune_code: String,
    /// GeoJSON `Point` or `Polygon` geometry, WGS84 (`[longitude, latitude]`).
    pub geometry: Value,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> InvalidField {
    InvalidField {
        field: field.into(),
        message: message.into(),
    }
}

/// The decimals of every number in the `"coordinates"` member of raw GeoJSON text, in order
/// (the parsed numbers have lost trailing zeros, so precision is read from the text).
pub fn coordinate_decimals(raw: &str) -> Vec<usize> {
    let Some(start) = raw.find("\"coordinates\"") else {
        return Vec::new();
    };
    let rest = &raw[start + 13..];
    let Some(open) = rest.find('[') else {
        return Vec::new();
    };
    let mut depth = 0usize;
    let mut out = Vec::new();
    let mut number: Option<(bool, usize)> = None; // (seen '.', decimals)
    for c in rest[open..].chars() {
        match c {
            '[' => depth += 1,
            ']' => {
                if let Some((_, d)) = number.take() {
                    out.push(d);
                }
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            '0'..='9' | '-' | '+' | 'e' | 'E' => {
                if let Some((dot, d)) = number.as_mut() {
                    if *dot && c.is_ascii_digit() {
                        *d += 1;
                    }
                } else if c != 'e' && c != 'E' && c != '+' {
                    number = Some((false, 0));
                }
            }
            '.' => {
                if let Some((dot, _)) = number.as_mut() {
                    *dot = true;
                }
            }
            _ => {
                if let Some((_, d)) = number.take() {
                    out.push(d);
                }
            }
        }
    }
    out
}

fn position(field: &str, v: &Value) -> Result<(f64, f64), InvalidField> {
    let arr = v
        .as_array()
        .filter(|a| a.len() == 2 || a.len() == 3)
        .ok_or_else(|| invalid(field, "a position is [longitude, latitude]"))?;
    let lon = arr[0]
        .as_f64()
        .ok_or_else(|| invalid(field, "longitude must be a number"))?;
    let lat = arr[1]
        .as_f64()
        .ok_or_else(|| invalid(field, "latitude must be a number"))?;
    if !(-180.0..=180.0).contains(&lon) {
        return Err(invalid(
            field,
            format!("longitude {lon} is outside -180..180"),
        ));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(invalid(
            field,
            format!("latitude {lat} is outside -90..90 (GeoJSON puts longitude first)"),
        ));
    }
    Ok((lon, lat))
}

/// Orientation of the triangle (a, b, c): >0 counter-clockwise, <0 clockwise, 0 collinear.
fn orient(a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> f64 {
    (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
}

fn on_segment(a: (f64, f64), b: (f64, f64), p: (f64, f64)) -> bool {
    p.0 >= a.0.min(b.0) && p.0 <= a.0.max(b.0) && p.1 >= a.1.min(b.1) && p.1 <= a.1.max(b.1)
}

fn segments_cross(p1: (f64, f64), p2: (f64, f64), q1: (f64, f64), q2: (f64, f64)) -> bool {
    let (d1, d2) = (orient(q1, q2, p1), orient(q1, q2, p2));
    let (d3, d4) = (orient(p1, p2, q1), orient(p1, p2, q2));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(q1, q2, p1))
        || (d2 == 0.0 && on_segment(q1, q2, p2))
        || (d3 == 0.0 && on_segment(p1, p2, q1))
        || (d4 == 0.0 && on_segment(p1, p2, q2))
}

/// Checks a linear ring: at least 4 positions, closed, not self-intersecting.
fn check_ring(field: &str, ring: &[(f64, f64)]) -> Result<(), InvalidField> {
    if ring.len() < 4 {
        return Err(invalid(
            field,
            "a polygon ring needs at least 4 positions (the last repeating the first)",
        ));
    }
    if ring.first() != ring.last() {
        return Err(invalid(
            field,
            "a polygon ring must be closed: its last position must equal its first",
        ));
    }
    let n = ring.len() - 1; // segments
    for i in 0..n {
        for j in i + 1..n {
            // Neighbouring segments share an end point; the first and last do too.
            if j == i + 1 || (i == 0 && j == n - 1) {
                continue;
            }
            if segments_cross(ring[i], ring[i + 1], ring[j], ring[j + 1]) {
                return Err(invalid(
                    field,
                    format!("the ring intersects itself (segments {i} and {j})"),
                ));
            }
        }
    }
    Ok(())
}

/// Area of a ring in hectares (equirectangular projection around its mean latitude: exact
/// enough for farm plots).
fn ring_area_ha(ring: &[(f64, f64)]) -> f64 {
    const R: f64 = 6_371_008.8;
    let lat0 = ring.iter().map(|p| p.1).sum::<f64>() / ring.len() as f64;
    let k = lat0.to_radians().cos();
    let xy: Vec<(f64, f64)> = ring
        .iter()
        .map(|(lon, lat)| (lon.to_radians() * R * k, lat.to_radians() * R))
        .collect();
    let twice: f64 = xy
        .windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum();
    (twice / 2.0).abs() / 10_000.0
}

/// Checks a plot's geometry (and, when given, the raw request text for the decimals) and
/// returns the plot's area in hectares.
pub fn check_plot(plot: &Plot, raw: Option<&str>) -> Result<f64, InvalidField> {
    crate::validate::check_id("id", &plot.id.to_ascii_lowercase())?;
    let g = &plot.geometry;
    let kind = g.get("type").and_then(Value::as_str).unwrap_or_default();
    let coords = g
        .get("coordinates")
        .ok_or_else(|| invalid("geometry/coordinates", "required"))?;
    if let Some(raw) = raw {
        if let Some((i, d)) = coordinate_decimals(raw)
            .into_iter()
            .enumerate()
            .find(|(_, d)| *d < MIN_DECIMALS)
        {
            return Err(invalid(
                "geometry/coordinates",
                format!(
                    "coordinate number {} has {d} decimals; at least {MIN_DECIMALS} are required",
                    i + 1
                ),
            ));
        }
    }
    let area = match kind {
        "Point" => {
            position("geometry/coordinates", coords)?;
            let area = plot
                .area_ha
                .ok_or_else(|| invalid("areaHa", "required for a plot given as a point"))?;
            if area > POINT_MAX_HA {
                return Err(invalid(
                    "geometry",
                    format!("a plot of {area} ha must be a Polygon: points are for plots of at most {POINT_MAX_HA} ha"),
                ));
            }
            area
        }
        "Polygon" => {
            let rings = coords
                .as_array()
                .filter(|r| !r.is_empty())
                .ok_or_else(|| invalid("geometry/coordinates", "a polygon is an array of rings"))?;
            let mut area = 0.0;
            for (r, ring) in rings.iter().enumerate() {
                let field = format!("geometry/coordinates/{r}");
                let positions = ring
                    .as_array()
                    .ok_or_else(|| invalid(&field, "a ring is an array of positions"))?
                    .iter()
                    .enumerate()
                    .map(|(i, p)| position(&format!("{field}/{i}"), p))
                    .collect::<Result<Vec<_>, _>>()?;
                check_ring(&field, &positions)?;
                let a = ring_area_ha(&positions);
                area += if r == 0 { a } else { -a };
            }
            area
        }
        other => {
            return Err(invalid(
                "geometry/type",
                format!("{other:?}: a plot is a GeoJSON Point or Polygon"),
            ))
        }
    };
    if area <= 0.0 {
        return Err(invalid("geometry", "the plot has no area"));
    }
    Ok(area)
}

/// A serde_json formatter writing every fractional number with at least [`MIN_DECIMALS`]
/// decimals (`106.1335` as `106.133500`), so coordinates keep the precision EUDR asks for.
struct SixDecimals;

impl serde_json::ser::Formatter for SixDecimals {
    fn write_f64<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        value: f64,
    ) -> std::io::Result<()> {
        let shortest = value.to_string();
        let decimals = shortest.split_once('.').map_or(0, |(_, d)| d.len());
        if shortest.contains(['e', 'E']) || decimals < MIN_DECIMALS {
            write!(w, "{value:.prec$}", prec = MIN_DECIMALS)
        } else {
            w.write_all(shortest.as_bytes())
        }
    }
}

/// GeoJSON text of `value` with every fractional number written with at least six
/// decimals (the EU Deforestation Regulation's plot geolocation precision).
pub fn geojson_text(value: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SixDecimals);
    // Writing a JSON value into memory cannot fail.
    let _ = serde::Serialize::serialize(value, &mut ser);
    String::from_utf8(out).unwrap_or_default()
}

/// Twice the signed planar area of a ring of `[longitude, latitude]` positions: positive
/// when it turns counter-clockwise.
fn ring_turn(ring: &[Value]) -> f64 {
    let xy: Vec<(f64, f64)> = ring
        .iter()
        .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
        .collect();
    xy.windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum()
}

/// Rewinds the rings of a polygon (its coordinates) as RFC 7946 §3.1.6 asks: the outer
/// ring counter-clockwise, holes clockwise.
fn rewind_polygon(rings: &mut [Value]) {
    for (i, ring) in rings.iter_mut().enumerate() {
        if let Some(positions) = ring.as_array_mut() {
            let turn = ring_turn(positions);
            if (i == 0 && turn < 0.0) || (i > 0 && turn > 0.0) {
                positions.reverse();
            }
        }
    }
}

/// A plot's geometry as RFC 7946 writes it: polygons (and multipolygons) with their outer
/// rings counter-clockwise and holes clockwise, whichever way they were registered (GeoJSON
/// validators and GIS tools read the winding); other geometries as they are.
pub fn rfc7946_geometry(geometry: &Value) -> Value {
    let mut g = geometry.clone();
    let kind = g
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Some(coords) = g.get_mut("coordinates").and_then(Value::as_array_mut) {
        match kind.as_str() {
            "Polygon" => rewind_polygon(coords),
            "MultiPolygon" => coords
                .iter_mut()
                .filter_map(Value::as_array_mut)
                .for_each(|p| rewind_polygon(p)),
            _ => {}
        }
    }
    g
}

/// Checks a location's GLN (under `prefixes`), province, commune and coordinates.
pub fn check_location(location: &Location, prefixes: &[String]) -> Result<(), InvalidField> {
    let gln = location.id.split("/254/").next().unwrap_or_default();
    crate::validate::check_gln("id", gln, prefixes)?;
    check_place(&location.province_code, &location.commune_code)?;
    if let Some((lat, lon)) = location.coordinates {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(invalid(
                "coordinates",
                "latitude within -90..90 and longitude within -180..180",
            ));
        }
    }
    Ok(())
}

/// Checks a province code (in force; empty allowed abroad) and that the commune lies in it.
pub fn check_place(province: &str, commune: &str) -> Result<(), InvalidField> {
    let units = crate::admin::units();
    if !province.is_empty() && units.province(province).is_none() {
        let hint = units
            .current_province_of_old(province)
            .map(|p| format!(" (an old code; it is now {} {})", p.code, p.name))
            .unwrap_or_default();
        return Err(invalid(
            "provinceCode",
            format!("{province:?} is not one of the 34 provinces in force since 2025-07-01{hint}"),
        ));
    }
    if !commune.is_empty() {
        match units.commune(commune) {
            Some(c) if c.province == province => {}
            Some(c) => {
                return Err(invalid(
                    "communeCode",
                    format!(
                        "commune {commune} ({}) is in province {}, not {province}",
                        c.name, c.province
                    ),
                ))
            }
            None => {
                return Err(invalid(
                    "communeCode",
                    format!("{commune:?} is not a commune in force since 2025-07-01"),
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geojson_keeps_six_decimals() {
        let v = serde_json::json!({"type": "Point", "coordinates": [106.1335, 20.0], "n": 3});
        assert_eq!(
            geojson_text(&v),
            r#"{"type":"Point","coordinates":[106.133500,20.000000],"n":3}"#
        );
        let precise = serde_json::json!([106.13354712]);
        assert_eq!(geojson_text(&precise), "[106.13354712]");
    }
    use serde_json::json;

    fn plot(geometry: Value, area: Option<f64>) -> Plot {
        Plot {
            id: "vn-hylo-0012".into(),
            owner: "a".into(),
            name: String::new(),
            crop: "longan".into(),
            area_ha: area,
            province_code: "33".into(),
            commune_code: String::new(),
            geometry,
        }
    }

    fn field(r: Result<f64, InvalidField>) -> String {
        r.err().map(|e| e.field).unwrap_or_default()
    }

    #[test]
    fn points_are_for_small_plots() {
        let g = json!({"type": "Point", "coordinates": [106.133547, 20.664812]});
        assert_eq!(check_plot(&plot(g.clone(), Some(1.5)), None), Ok(1.5));
        assert_eq!(
            field(check_plot(&plot(g.clone(), Some(4.5)), None)),
            "geometry"
        );
        assert_eq!(field(check_plot(&plot(g, None), None)), "areaHa");
        let swapped = json!({"type": "Point", "coordinates": [20.664812, 106.133547]});
        let e = check_plot(&plot(swapped, Some(1.0)), None).unwrap_err();
        assert!(e.message.contains("latitude"), "{e}");
    }

    #[test]
    fn decimals_are_read_from_the_text() {
        let raw = r#"{"geometry": {"type": "Point", "coordinates": [106.133500, 20.66]}}"#;
        assert_eq!(coordinate_decimals(raw), vec![6, 2]);
        let g: Value = serde_json::from_str::<Value>(raw).unwrap()["geometry"].clone();
        let e = check_plot(&plot(g.clone(), Some(1.0)), Some(raw)).unwrap_err();
        assert!(
            e.message.contains("coordinate number 2 has 2 decimals"),
            "{e}"
        );
        let ok = r#"{"geometry": {"type": "Point", "coordinates": [106.133500, 20.660000]}}"#;
        assert!(check_plot(&plot(g, Some(1.0)), Some(ok)).is_ok());
        let nested = r#"{"coordinates": [[[1.000001, 2.000001], [3.1, 4.000001]]]}"#;
        assert_eq!(coordinate_decimals(nested), vec![6, 6, 1, 6]);
    }

    #[test]
    fn polygons_are_written_counter_clockwise_with_clockwise_holes() {
        // Registered clockwise, with a counter-clockwise hole.
        let g = json!({"type": "Polygon", "coordinates": [
            [[106.0, 10.0], [106.0, 10.1], [106.1, 10.1], [106.1, 10.0], [106.0, 10.0]],
            [[106.02, 10.02], [106.08, 10.02], [106.08, 10.08], [106.02, 10.08], [106.02, 10.02]]
        ]});
        let out = rfc7946_geometry(&g);
        let rings = out["coordinates"].as_array().unwrap();
        assert!(ring_turn(rings[0].as_array().unwrap()) > 0.0, "{out}");
        assert!(ring_turn(rings[1].as_array().unwrap()) < 0.0, "{out}");
        // Still closed, same first position after the reversal (a closed ring's ends agree).
        assert_eq!(rings[0][0], rings[0][4]);
        assert_eq!(rfc7946_geometry(&out), out, "already right: unchanged");
        let point = json!({"type": "Point", "coordinates": [108.1, 12.6]});
        assert_eq!(rfc7946_geometry(&point), point);
        let multi = json!({"type": "MultiPolygon", "coordinates": [g["coordinates"].clone()]});
        assert_eq!(
            rfc7946_geometry(&multi)["coordinates"][0],
            out["coordinates"]
        );
    }

    #[test]
    fn polygons_are_closed_simple_and_measured() {
        // About 200 m × 250 m near Hưng Yên: ~5 ha.
        let square = json!({"type": "Polygon", "coordinates": [[
            [106.130000, 20.660000], [106.131920, 20.660000], [106.131920, 20.662250],
            [106.130000, 20.662250], [106.130000, 20.660000]]]});
        let area = check_plot(&plot(square, None), None).unwrap();
        assert!((area - 5.0).abs() < 0.1, "{area}");
        let bowtie = json!({"type": "Polygon", "coordinates": [[
            [106.130000, 20.660000], [106.131920, 20.662250], [106.131920, 20.660000],
            [106.130000, 20.662250], [106.130000, 20.660000]]]});
        let e = check_plot(&plot(bowtie, None), None).unwrap_err();
        assert!(e.message.contains("intersects itself"), "{e}");
        let open = json!({"type": "Polygon", "coordinates": [[
            [106.130000, 20.660000], [106.131920, 20.660000], [106.131920, 20.662250], [106.130000, 20.662250]]]});
        assert!(check_plot(&plot(open, None), None)
            .unwrap_err()
            .message
            .contains("closed"));
        let line = json!({"type": "LineString", "coordinates": [[106.1, 20.6], [106.2, 20.7]]});
        assert_eq!(field(check_plot(&plot(line, None), None)), "geometry/type");
    }

    #[test]
    fn places_use_units_in_force() {
        assert!(check_place("33", "").is_ok());
        let e = check_place("34", "").unwrap_err();
        assert!(e.message.contains("now 33"), "{e}");
        assert!(check_place("01", "00004").is_ok());
        assert_eq!(check_place("33", "00004").unwrap_err().field, "communeCode");
        assert_eq!(check_place("01", "99999").unwrap_err().field, "communeCode");
    }
}
