//! What an identifier names, read from its canonical Digital Link: a lot, an item, a
//! logistic unit, a bare product class (not traceable on its own), an asset, or anything else.

use gs1::{AiValue, DigitalLink};
use serde::Serialize;

/// The kind of thing a trace node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum NodeKind {
    /// A lot or batch of a product (GTIN + lot number, `urn:epc:class:lgtin`).
    Lot,
    /// One serialised item (GTIN + serial, SGTIN).
    Item,
    /// A logistic unit: a pallet, case or container (SSCC).
    LogisticUnit,
    /// A product class with no lot (a bare GTIN): it names every lot ever made, so a
    /// trace never passes through it.
    Product,
    /// A returnable or individual asset (GRAI, GIAI), e.g. a crate or a sensor.
    Asset,
    /// Any other identifier (non-GS1 URIs, other GS1 keys).
    Other,
}

/// An identifier and what it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRef {
    /// The kind.
    pub kind: NodeKind,
    /// The GTIN of a lot, item or product class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// The lot number (AI 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    /// The serial number (AI 21).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// The SSCC of a logistic unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sscc: Option<String>,
}

/// Reads what a canonical identifier names.
pub fn classify(id: &str) -> NodeRef {
    let mut node = NodeRef {
        kind: NodeKind::Other,
        gtin: None,
        lot: None,
        serial: None,
        sscc: None,
    };
    let Ok(dl) = DigitalLink::parse(id) else {
        return node;
    };
    match dl.primary.ai {
        "01" => {
            node.gtin = Some(dl.primary.value.clone());
            node.lot = dl.qualifier("10").map(str::to_owned);
            node.serial = dl.qualifier("21").map(str::to_owned);
            node.kind = match (&node.serial, &node.lot) {
                (Some(_), _) => NodeKind::Item,
                (None, Some(_)) => NodeKind::Lot,
                (None, None) => NodeKind::Product,
            };
        }
        "00" => {
            node.kind = NodeKind::LogisticUnit;
            node.sscc = Some(dl.primary.value.clone());
        }
        "8003" | "8004" => node.kind = NodeKind::Asset,
        _ => {}
    }
    node
}

/// The canonical identifier of lot `lot` of `gtin`; `None` when either is not valid.
pub fn lot_id(gtin: &str, lot: &str) -> Option<String> {
    let primary = AiValue::new("01", gtin).ok()?;
    let qualifier = AiValue::new("10", lot).ok()?;
    DigitalLink::new(primary, vec![qualifier])
        .ok()
        .map(|dl| dl.canonical())
}

/// Why a trace key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not an identifier traceport can read.
    #[error("{0:?} is not a GS1 identifier (give an EPC URN, a GS1 Digital Link or an element string such as (01)…(10)…)")]
    Unreadable(String),
    /// A bare GTIN: every lot of the product, which is not a trace.
    #[error("{0} names a product, not a lot: add a lot number (10) or a serial (21)")]
    ProductOnly(String),
}

/// Reads a trace starting key (EPC URN, Digital Link or bracketed element string) into its
/// canonical identifier.
pub fn parse_key(text: &str) -> Result<String, KeyError> {
    let text = text.trim();
    let canonical = if text.starts_with('(') {
        gs1::element::element_string_to_digital_link(text)
            .map(|dl| dl.canonical())
            .map_err(|_| KeyError::Unreadable(text.to_owned()))?
    } else {
        gs1::to_digital_link(text).map_err(|_| KeyError::Unreadable(text.to_owned()))?
    };
    if classify(&canonical).kind == NodeKind::Product {
        return Err(KeyError::ProductOnly(canonical));
    }
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_identifiers() {
        let lot = gs1::to_digital_link("urn:epc:class:lgtin:4012345.012345.998877").unwrap();
        assert_eq!(classify(&lot).kind, NodeKind::Lot);
        assert_eq!(classify(&lot).lot.as_deref(), Some("998877"));
        let item = gs1::to_digital_link("urn:epc:id:sgtin:0614141.107346.2018").unwrap();
        assert_eq!(classify(&item).kind, NodeKind::Item);
        let sscc = gs1::to_digital_link("urn:epc:id:sscc:0614141.1234567890").unwrap();
        assert_eq!(classify(&sscc).kind, NodeKind::LogisticUnit);
        assert_eq!(classify("urn:uuid:x").kind, NodeKind::Other);
        let class = gs1::to_digital_link("urn:epc:idpat:sgtin:4012345.012345.*").ok();
        if let Some(class) = class {
            assert_eq!(classify(&class).kind, NodeKind::Product);
        }
    }

    #[test]
    fn keys_in_any_spelling_are_one_identifier() {
        let urn = parse_key("urn:epc:class:lgtin:4012345.012345.998877").unwrap();
        let dl = parse_key("https://example.com/01/04012345123456/10/998877?x=1").unwrap();
        let es = parse_key("(01)04012345123456(10)998877").unwrap();
        assert_eq!(urn, dl);
        assert_eq!(urn, es);
        assert_eq!(
            lot_id("04012345123456", "998877").as_deref(),
            Some(urn.as_str())
        );
        assert!(matches!(
            parse_key("(01)04012345123456"),
            Err(KeyError::ProductOnly(_))
        ));
        assert!(matches!(
            parse_key("nonsense"),
            Err(KeyError::Unreadable(_))
        ));
    }
}
