//! Master data sent in an EPCIS header (`epcisHeader.epcisMasterData.vocabularyList`):
//! the business locations, read points and product classes it describes become registry
//! records, but only for identifiers under the sender's own company prefixes.

use serde_json::Value;

use crate::model::{Product, ProductGroup};
use crate::places::Location;

/// What a header offers to the registries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MasterData {
    /// Locations of the sender.
    pub locations: Vec<Location>,
    /// Products of the sender.
    pub products: Vec<Product>,
    /// Elements not taken, with why.
    pub refused: Vec<String>,
}

/// The local name of an attribute id (`urn:epcglobal:cbv:mda#name` → `name`, `tp:nameEn` → `nameEn`).
fn local(id: &str) -> &str {
    id.rsplit(['#', ':', '/']).next().unwrap_or(id)
}

fn attribute<'a>(element: &'a Value, name: &str) -> Option<&'a Value> {
    element
        .get("attributes")?
        .as_array()?
        .iter()
        .find(|a| a.get("id").and_then(Value::as_str).map(local) == Some(name))
        .and_then(|a| a.get("attribute"))
}

fn text(element: &Value, name: &str) -> String {
    match attribute(element, name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn under(digits: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|p| digits.starts_with(p.as_str()))
}

/// Reads the header's vocabularies for organisation `org` holding `prefixes`.
pub fn from_header(header: &Value, org: &str, prefixes: &[String]) -> MasterData {
    let mut out = MasterData::default();
    let vocabularies = header
        .pointer("/epcisMasterData/vocabularyList")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for vocabulary in &vocabularies {
        let kind = vocabulary
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let elements = vocabulary
            .get("vocabularyElementList")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for element in &elements {
            let Some(id) = element.get("id").and_then(Value::as_str) else {
                continue;
            };
            let canonical = gs1::canonical_id(id);
            let Ok(dl) = gs1::DigitalLink::parse(&canonical) else {
                out.refused.push(format!("{id}: not a GS1 identifier"));
                continue;
            };
            match (local(kind), dl.primary.ai) {
                ("BusinessLocation" | "ReadPoint", "414") => {
                    let gln = dl.primary.value.clone();
                    if !under(&gln, prefixes) {
                        out.refused.push(format!(
                            "{id}: GLN {gln} is not under the prefixes of {org}"
                        ));
                        continue;
                    }
                    let location_id = match dl.qualifier("254") {
                        Some(ext) => format!("{gln}/254/{ext}"),
                        None => gln,
                    };
                    let coordinates = text(element, "latitude")
                        .parse::<f64>()
                        .ok()
                        .zip(text(element, "longitude").parse::<f64>().ok());
                    let province = text(element, "provinceCode");
                    out.locations.push(Location {
                        id: location_id,
                        owner: org.to_owned(),
                        name_vi: [text(element, "nameVi"), text(element, "name")]
                            .into_iter()
                            .find(|s| !s.is_empty())
                            .unwrap_or_default(),
                        name_en: text(element, "nameEn"),
                        address: text(element, "streetAddressOne"),
                        province_code: if crate::admin::is_current_province(&province) {
                            province
                        } else {
                            String::new()
                        },
                        commune_code: String::new(),
                        coordinates,
                    });
                }
                ("EPCClass", "01") => {
                    let gtin = dl.primary.value.clone();
                    if !under(&gtin[1..], prefixes) {
                        out.refused.push(format!(
                            "{id}: GTIN {gtin} is not under the prefixes of {org}"
                        ));
                        continue;
                    }
                    let description = text(element, "tradeItemDescription");
                    let name_vi = [text(element, "nameVi"), description.clone()]
                        .into_iter()
                        .find(|s| !s.is_empty())
                        .unwrap_or_default();
                    if name_vi.is_empty() || out.products.iter().any(|p| p.gtin == gtin) {
                        continue;
                    }
                    out.products.push(Product {
                        gtin,
                        owner: org.to_owned(),
                        name_vi,
                        name_en: [text(element, "nameEn"), description]
                            .into_iter()
                            .find(|s| !s.is_empty())
                            .unwrap_or_default(),
                        description_vi: String::new(),
                        description_en: String::new(),
                        images: Vec::new(),
                        brand: String::new(),
                        group: ProductGroup::Other,
                        category: text(element, "category"),
                        net_content: text(element, "netContent"),
                        shelf_life_days: text(element, "shelfLifeDays").parse().ok(),
                        standards: Vec::new(),
                        certificates: Vec::new(),
                    });
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_senders_own_identifiers_are_taken() {
        let header = json!({"epcisMasterData": {"vocabularyList": [
            {"type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": [
                {"id": "urn:epc:id:sgln:893601001.012.0", "attributes": [
                    {"id": "urn:epcglobal:cbv:mda#name", "attribute": "Vùng trồng An Xá"},
                    {"id": "tp:nameEn", "attribute": "An Xa plot"},
                    {"id": "tp:provinceCode", "attribute": "33"},
                    {"id": "urn:epcglobal:cbv:mda#latitude", "attribute": "20.664812"},
                    {"id": "urn:epcglobal:cbv:mda#longitude", "attribute": "106.133547"}]},
                {"id": "urn:epc:id:sgln:893602001.100.0", "attributes": []}]},
            {"type": "urn:epcglobal:epcis:vtype:EPCClass", "vocabularyElementList": [
                {"id": "https://id.gs1.org/01/08936010011014", "attributes": [
                    {"id": "tp:nameVi", "attribute": "Nhãn lồng"},
                    {"id": "urn:epcglobal:cbv:mda#tradeItemDescription", "attribute": "Longan"},
                    {"id": "tp:shelfLifeDays", "attribute": 10}]}]}
        ]}});
        let md = from_header(&header, "longan-coop", &["893601001".to_string()]);
        assert_eq!(md.locations.len(), 1);
        let l = &md.locations[0];
        assert_eq!(l.id, "8936010010123");
        assert_eq!(
            (
                l.name_vi.as_str(),
                l.name_en.as_str(),
                l.province_code.as_str()
            ),
            ("Vùng trồng An Xá", "An Xa plot", "33")
        );
        assert_eq!(l.coordinates, Some((20.664812, 106.133547)));
        assert_eq!(md.refused.len(), 1);
        assert!(md.refused[0].contains("not under"), "{:?}", md.refused);
        assert_eq!(md.products.len(), 1);
        assert_eq!(md.products[0].gtin, "08936010011014");
        assert_eq!(md.products[0].name_en, "Longan");
        assert_eq!(md.products[0].shelf_life_days, Some(10));
    }
}
