//! Consumer-safe data: what anyone may see of an event they have no business relation to.
//!
//! Kept: what happened to which object, when and where: `type`, `eventID`, `eventTime`,
//! `eventTimeZoneOffset`, `recordTime`, `action`, `bizStep`, `disposition`,
//! `persistentDisposition`, the EPC lists (`epcList`, `parentID`, `childEPCs`,
//! `inputEPCList`, `outputEPCList`), the class identifiers of quantity lists (without
//! quantity and unit), `readPoint`, `bizLocation`, `transformationID`, `certificationInfo`,
//! `errorDeclaration`, and the CBV master data attributes (`cbvmda:…`) of `ilmd` (lot data
//! such as expiry and origin).
//!
//! Stripped: quantities and units, `bizTransactionList` (orders, invoices, prices),
//! `sourceList` and `destinationList` (trading partners), `sensorElementList`, every
//! extension field and every other `ilmd` field (these may hold prices or partners).

use epcis::query::Condition;
use epcis::Query;
use serde_json::{Map, Value};

/// Top-level event members kept as they are.
const KEPT: &[&str] = &[
    "@context",
    "type",
    "eventID",
    "eventTime",
    "eventTimeZoneOffset",
    "recordTime",
    "action",
    "bizStep",
    "disposition",
    "persistentDisposition",
    "epcList",
    "parentID",
    "childEPCs",
    "inputEPCList",
    "outputEPCList",
    "readPoint",
    "bizLocation",
    "transformationID",
    "certificationInfo",
    "errorDeclaration",
];

/// Quantity lists: kept with their class identifiers only.
const QUANTITY_LISTS: &[&str] = &[
    "quantityList",
    "childQuantityList",
    "inputQuantityList",
    "outputQuantityList",
];

/// Reduces an event object to its consumer-safe members (see the module documentation).
pub fn consumer_view(event: &Value) -> Value {
    let Some(obj) = event.as_object() else {
        return Value::Object(Map::new());
    };
    let mut out = Map::new();
    for (key, value) in obj {
        if KEPT.contains(&key.as_str()) {
            out.insert(key.clone(), strip_location_extensions(key, value));
        } else if QUANTITY_LISTS.contains(&key.as_str()) {
            out.insert(key.clone(), classes_only(value));
        } else if key == "ilmd" {
            let kept: Map<String, Value> = value
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| k.starts_with("cbvmda:"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !kept.is_empty() {
                out.insert(key.clone(), Value::Object(kept));
            }
        }
    }
    Value::Object(out)
}

/// `readPoint` and `bizLocation` may carry extension members: keep only their `id`.
fn strip_location_extensions(key: &str, value: &Value) -> Value {
    match (key, value.as_object()) {
        ("readPoint" | "bizLocation", Some(obj)) => {
            let mut m = Map::new();
            if let Some(id) = obj.get("id") {
                m.insert("id".into(), id.clone());
            }
            Value::Object(m)
        }
        _ => value.clone(),
    }
}

fn classes_only(list: &Value) -> Value {
    Value::Array(
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|element| {
                let class = element.get("epcClass")?;
                let mut m = Map::new();
                m.insert("epcClass".into(), class.clone());
                Some(Value::Object(m))
            })
            .collect(),
    )
}

/// True for a facet field whose values the consumer view keeps, so that the public may
/// query by it without learning anything hidden.
pub fn is_public_field(field: &str) -> bool {
    matches!(
        field,
        "epc"
            | "childEPC"
            | "inputEPC"
            | "outputEPC"
            | "parentID"
            | "epcClass"
            | "childEPCClass"
            | "inputEPCClass"
            | "outputEPCClass"
            | "action"
            | "bizStep"
            | "disposition"
            | "persistentDisposition.set"
            | "persistentDisposition.unset"
            | "readPoint"
            | "bizLocation"
            | "transformationID"
            | "certificationInfo"
            | "errorDeclaration"
            | "errorDeclarationTime"
            | "errorReason"
            | "correctiveEventID"
    ) || field.starts_with("ilmd:https://ref.gs1.org/cbv/")
        || field.starts_with("ilmd:cbvmda:")
}

/// The facet fields a query's conditions read that the consumer view hides (sorted, once each).
/// A query over them would reveal hidden data through which events it returns.
pub fn hidden_fields(query: &Query) -> Vec<String> {
    let mut hidden: Vec<String> = query
        .conditions
        .iter()
        .flat_map(|c| match c {
            Condition::TextIn { fields, .. }
            | Condition::TextLike { fields, .. }
            | Condition::Exists { fields } => fields.clone(),
            Condition::Number { field, .. } => vec![field.clone()],
            _ => Vec::new(),
        })
        .filter(|f| !is_public_field(f))
        .collect();
    hidden.sort();
    hidden.dedup();
    hidden
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strips_quantities_partners_prices_and_extensions() {
        let event = json!({
            "type": "ObjectEvent",
            "eventID": "ni:///x",
            "eventTime": "2025-07-01T00:00:00Z",
            "action": "OBSERVE",
            "bizStep": "shipping",
            "epcList": ["urn:epc:id:sgtin:893601.0101.1"],
            "quantityList": [{"epcClass": "urn:epc:class:lgtin:893601.0101.L1", "quantity": 500, "uom": "KGM"}],
            "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:893601.00000"}],
            "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:893602.00000"}],
            "bizTransactionList": [{"type": "inv", "bizTransaction": "urn:x:inv:1"}],
            "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 4}]}],
            "bizLocation": {"id": "urn:epc:id:sgln:893601.00010.0", "example:price": 10},
            "ilmd": {"cbvmda:bestBeforeDate": "2026-01-01", "example:unitPrice": 3},
            "example:price": 12.5
        });
        let v = consumer_view(&event);
        assert_eq!(v["eventID"], "ni:///x");
        assert_eq!(v["epcList"][0], "urn:epc:id:sgtin:893601.0101.1");
        assert_eq!(
            v["quantityList"],
            json!([{"epcClass": "urn:epc:class:lgtin:893601.0101.L1"}])
        );
        assert_eq!(
            v["bizLocation"],
            json!({"id": "urn:epc:id:sgln:893601.00010.0"})
        );
        assert_eq!(v["ilmd"], json!({"cbvmda:bestBeforeDate": "2026-01-01"}));
        for hidden in [
            "sourceList",
            "destinationList",
            "bizTransactionList",
            "sensorElementList",
            "example:price",
        ] {
            assert!(v.get(hidden).is_none(), "{hidden} leaked");
        }
        let text = v.to_string();
        assert!(!text.contains("500") && !text.contains("KGM") && !text.contains("price"));
    }

    #[test]
    fn queries_over_hidden_data_are_named() {
        let params = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let q = epcis::query::from_params(&params(&[
            ("EQ_bizStep", "shipping"),
            ("MATCH_epc", "https://id.gs1.org/01/08936010010101/21/1"),
        ]))
        .unwrap();
        assert!(hidden_fields(&q).is_empty());
        let q = epcis::query::from_params(&params(&[
            ("GE_quantity", "10"),
            ("EQ_bizStep", "shipping"),
        ]))
        .unwrap();
        assert_eq!(hidden_fields(&q), vec!["quantity".to_string()]);
        let q = epcis::query::from_params(&params(&[(
            "EQ_destination_owning_party",
            "urn:epc:id:pgln:893602.00000",
        )]))
        .unwrap();
        assert_eq!(hidden_fields(&q).len(), 1);
        assert!(hidden_fields(&q)[0].starts_with("destination:"));
    }
}
