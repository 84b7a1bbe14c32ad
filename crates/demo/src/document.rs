//! The `EPCISDocument` envelope and the master data carried in its header.

use serde_json::{json, Map, Value};

use crate::registry::{Location, Organisation, Product};

/// The standard EPCIS 2.0 JSON-LD context.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld";

/// traceport's namespace for extension fields (prefix `tp`).
pub const EXT_NS: &str = "https://ns.traceport.org/epcis/";

/// The prefix bound to [`EXT_NS`] in every generated document.
pub const EXT_PREFIX: &str = "tp";

/// Master data attribute names from the CBV (the `urn:epcglobal:cbv:mda#` vocabulary).
const MDA: &str = "urn:epcglobal:cbv:mda#";

/// The `@context` of every generated document.
pub fn context() -> Value {
    json!([EPCIS_CONTEXT, { EXT_PREFIX: EXT_NS }])
}

/// Wraps events in an `EPCISDocument`; `header` is `epcisHeader` when given.
pub fn epcis_document(
    id: Option<&str>,
    creation_date: &str,
    header: Option<Value>,
    events: Vec<Value>,
) -> Value {
    let mut doc = Map::new();
    doc.insert("@context".into(), context());
    if let Some(id) = id {
        doc.insert("id".into(), Value::String(id.into()));
    }
    doc.insert("type".into(), Value::String("EPCISDocument".into()));
    doc.insert("schemaVersion".into(), Value::String("2.0".into()));
    doc.insert("creationDate".into(), Value::String(creation_date.into()));
    if let Some(h) = header {
        doc.insert("epcisHeader".into(), h);
    }
    // Built directly: `json!` would copy every event through `Serialize`.
    let mut body = Map::with_capacity(1);
    body.insert("eventList".into(), Value::Array(events));
    doc.insert("epcisBody".into(), Value::Object(body));
    Value::Object(doc)
}

fn attr(id: &str, value: Value) -> Value {
    json!({ "id": id, "attribute": value })
}

fn mda(name: &str, value: Value) -> Value {
    attr(&format!("{MDA}{name}"), value)
}

fn tp(name: &str, value: Value) -> Value {
    attr(&format!("{EXT_PREFIX}:{name}"), value)
}

/// The EPCClass vocabulary element of a product: names in Vietnamese and English.
fn product_element(p: &Product, owner: Option<&Organisation>) -> Value {
    let mut attributes = vec![
        mda("tradeItemDescription", json!(p.name_en)),
        tp("nameVi", json!(p.name_vi)),
        tp("nameEn", json!(p.name_en)),
        tp("gtin", json!(p.gtin.gtin14)),
        tp("category", json!(p.category)),
        tp("shelfLifeDays", json!(p.shelf_life_days)),
    ];
    if let Some(o) = owner {
        attributes.push(mda("manufacturerOfTradeItemPartyName", json!(o.name_vi)));
        attributes.push(mda("countryOfOrigin", json!(o.country)));
        attributes.push(tp("brandOwnerGLN", json!(o.gln)));
    }
    json!({ "id": p.gtin.class(crate::ids::IdStyle::DigitalLink), "attributes": attributes })
}

/// The BusinessLocation vocabulary element of a place: address, province and, for plots,
/// the planting-area code and WGS84 point.
fn location_element(l: &Location, owner: Option<&Organisation>) -> Value {
    let style = owner.map_or(crate::ids::IdStyle::DigitalLink, |o| o.id_style);
    let mut attributes = vec![
        mda("name", json!(l.name_vi)),
        tp("nameEn", json!(l.name_en)),
        mda("streetAddressOne", json!(l.address)),
        mda("state", json!(l.province)),
        mda("countryCode", json!(l.country)),
        tp("gln", json!(l.gln.gln)),
    ];
    if !l.province_code.is_empty() {
        // Province codes were reused with new meanings on 2025-07-01, so the code travels with its validity.
        attributes.push(tp("provinceCode", json!(l.province_code)));
        attributes.push(tp("provinceCodeValidFrom", json!("2025-07-01")));
    }
    if let Some(code) = l.planting_area_code {
        attributes.push(tp("plantingAreaCode", json!(code)));
    }
    if let Some((lat, lon)) = l.geo {
        attributes.push(mda("latitude", json!(format!("{lat:.6}"))));
        attributes.push(mda("longitude", json!(format!("{lon:.6}"))));
        attributes.push(tp(
            "geoJSON",
            json!({ "type": "Point", "coordinates": [lon, lat] }),
        ));
    }
    if let Some(o) = owner {
        attributes.push(tp("operatorName", json!(o.name_vi)));
        attributes.push(tp("operatorGLN", json!(o.gln)));
        attributes.push(tp("operatorTaxCode", json!(o.tax_code)));
    }
    json!({ "id": l.gln.location(style), "attributes": attributes })
}

/// `epcisHeader` with master data for the given products and locations.
pub fn master_data_header(
    orgs: &[Organisation],
    products: &[&Product],
    locations: &[&Location],
) -> Value {
    let owner = |key: &str| orgs.iter().find(|o| o.key == key);
    let classes: Vec<Value> = products
        .iter()
        .map(|p| product_element(p, owner(p.owner)))
        .collect();
    let places: Vec<Value> = locations
        .iter()
        .map(|l| location_element(l, owner(l.owner)))
        .collect();
    json!({
        "epcisMasterData": {
            "vocabularyList": [
                { "type": "urn:epcglobal:epcis:vtype:EPCClass", "vocabularyElementList": classes },
                { "type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": places },
            ]
        }
    })
}
