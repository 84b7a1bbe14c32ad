//! [`EventRecord`]: what tracing needs from one event, extracted once when the event is
//! stored and kept as a small serialised record beside it, so that a trace never re-reads
//! whole event bodies. Identifiers are canonical (`gs1::canonical_id`), CBV values bare words.

use std::borrow::Cow;

use epcis::cbv::{self, Vocab};
use epcis::ids::CanonicalIds;
use epcis::model::{Action, EventBody, EventView, QuantityElement};
use epcis::EventType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::node::{classify, lot_id, NodeKind};

/// A short text that is usually one of a few standard words (a CBV value, a time zone
/// offset, a unit): records read from the store share those instead of allocating each.
pub type Word = Cow<'static, str>;

/// How an identifier takes part in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// In `epcList` or `quantityList` (object and transaction events).
    #[serde(rename = "e")]
    Epc,
    /// `parentID` (aggregation, association, transaction).
    #[serde(rename = "p")]
    Parent,
    /// In `childEPCs` or `childQuantityList`.
    #[serde(rename = "c")]
    Child,
    /// In `inputEPCList` or `inputQuantityList`.
    #[serde(rename = "i")]
    Input,
    /// In `outputEPCList` or `outputQuantityList`.
    #[serde(rename = "o")]
    Output,
    /// The lot the event's items belong to: from `ilmd` `lotNumber`, from the items'
    /// own Digital Links (AI 10), or from a lot of the same GTIN in the same event.
    #[serde(rename = "l")]
    LotOf,
}

/// One identifier of an event, with its quantity when given by class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Role.
    #[serde(rename = "r")]
    pub role: Role,
    /// Canonical identifier.
    #[serde(rename = "n")]
    pub node: String,
    /// Quantity (class-level lists).
    #[serde(rename = "q", default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    /// Unit of measure (UN/CEFACT Rec 20), when given.
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub uom: Option<Word>,
}

/// A source, destination or business transaction: its type (bare CBV word, or as written)
/// and its identifier (canonical).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Party {
    /// `type` (`owning_party`, `possessing_party`, `location`; `po`, `desadv`, …).
    #[serde(rename = "k", default, skip_serializing_if = "str::is_empty")]
    pub kind: Word,
    /// The identifier.
    #[serde(rename = "v")]
    pub id: String,
}

/// What tracing needs from one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// `eventID`.
    #[serde(rename = "id")]
    pub event_id: String,
    /// Event type.
    #[serde(rename = "y", with = "type_code")]
    pub event_type: EventType,
    /// `eventTime`, epoch milliseconds.
    #[serde(rename = "t")]
    pub time_ms: i64,
    /// `eventTimeZoneOffset` (`+07:00`).
    #[serde(rename = "z", default, skip_serializing_if = "str::is_empty")]
    pub time_zone: Word,
    /// `action`, for the types that have one.
    #[serde(
        rename = "a",
        default,
        with = "action_code",
        skip_serializing_if = "Option::is_none"
    )]
    pub action: Option<Action>,
    /// `bizStep`, as a bare CBV word when standard.
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    pub biz_step: Option<Word>,
    /// `disposition`, as a bare CBV word when standard.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Word>,
    /// `readPoint` id.
    #[serde(rename = "rp", default, skip_serializing_if = "Option::is_none")]
    pub read_point: Option<String>,
    /// `bizLocation` id.
    #[serde(rename = "bl", default, skip_serializing_if = "Option::is_none")]
    pub biz_location: Option<String>,
    /// `sourceList`.
    #[serde(rename = "s", default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Party>,
    /// `destinationList`.
    #[serde(rename = "ds", default, skip_serializing_if = "Vec::is_empty")]
    pub destinations: Vec<Party>,
    /// `bizTransactionList` (reference documents).
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    pub biz_transactions: Vec<Party>,
    /// Every identifier the event names, with its role.
    #[serde(rename = "l", default)]
    pub links: Vec<Link>,
}

/// The stored code of each event type, in both stored forms of a record (JSON and
/// [`crate::codec`]).
pub(crate) const EVENT_TYPE_CODES: [(EventType, u8); 5] = [
    (EventType::ObjectEvent, 1),
    (EventType::AggregationEvent, 2),
    (EventType::TransactionEvent, 3),
    (EventType::TransformationEvent, 4),
    (EventType::AssociationEvent, 5),
];

mod type_code {
    use super::EVENT_TYPE_CODES as CODES;
    use epcis::EventType;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &EventType, s: S) -> Result<S::Ok, S::Error> {
        let code = CODES.iter().find(|(k, _)| k == t).map_or(0, |(_, c)| *c);
        s.serialize_u8(code)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<EventType, D::Error> {
        let code = u8::deserialize(d)?;
        CODES
            .iter()
            .find(|(_, c)| *c == code)
            .map(|(t, _)| *t)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown event type code {code}")))
    }
}

mod action_code {
    use epcis::model::Action;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(a: &Option<Action>, s: S) -> Result<S::Ok, S::Error> {
        match a {
            Some(a) => s.serialize_str(a.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Action>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        Ok(text.as_deref().and_then(Action::parse))
    }
}

fn bare(vocab: Vocab, value: &str) -> Word {
    Cow::Owned(cbv::to_bare(vocab, value).into_owned())
}

impl EventRecord {
    /// The record of a stored event object (as kept by the store: with `eventID`); `None`
    /// when the object is not a readable event.
    pub fn from_json(obj: &Map<String, Value>) -> Option<EventRecord> {
        let view = epcis::view_event(obj)?;
        let event_id = obj
            .get("eventID")
            .and_then(Value::as_str)
            .unwrap_or_default();
        Some(EventRecord::from_view(event_id, &view))
    }

    /// The record of a stored event body (serialised JSON object).
    pub fn from_body(body: &str) -> Option<EventRecord> {
        let obj: Map<String, Value> = serde_json::from_str(body).ok()?;
        EventRecord::from_json(&obj)
    }

    /// The record of a typed event view.
    pub fn from_view(event_id: &str, view: &EventView<'_>) -> EventRecord {
        EventRecord::from_view_with(event_id, view, &CanonicalIds::default())
    }

    /// The record of a typed event view, taking identifiers' canonical forms from `ids`
    /// where the event's validation kept them ([`epcis::Event::canonical_ids`]).
    pub fn from_view_with(event_id: &str, view: &EventView<'_>, ids: &CanonicalIds) -> EventRecord {
        let canonical = |id: &str| ids.canonical_id(id).into_owned();
        let c = &view.common;
        let mut links = Vec::new();
        let mut ilmd = None;
        match &view.body {
            EventBody::Object(e) => {
                push_ids(&mut links, ids, Role::Epc, &e.epc_list);
                push_quantities(&mut links, ids, Role::Epc, &e.quantity_list);
                ilmd = e.ilmd;
            }
            EventBody::Aggregation(e) => {
                if let Some(p) = e.parent_id {
                    push_ids(&mut links, ids, Role::Parent, &[p]);
                }
                push_ids(&mut links, ids, Role::Child, &e.child_epcs);
                push_quantities(&mut links, ids, Role::Child, &e.child_quantity_list);
            }
            EventBody::Association(e) => {
                push_ids(&mut links, ids, Role::Parent, &[e.parent_id]);
                push_ids(&mut links, ids, Role::Child, &e.child_epcs);
                push_quantities(&mut links, ids, Role::Child, &e.child_quantity_list);
            }
            EventBody::Transaction(e) => {
                if let Some(p) = e.parent_id {
                    push_ids(&mut links, ids, Role::Parent, &[p]);
                }
                push_ids(&mut links, ids, Role::Epc, &e.epc_list);
                push_quantities(&mut links, ids, Role::Epc, &e.quantity_list);
            }
            EventBody::Transformation(e) => {
                push_ids(&mut links, ids, Role::Input, &e.input_epc_list);
                push_quantities(&mut links, ids, Role::Input, &e.input_quantity_list);
                push_ids(&mut links, ids, Role::Output, &e.output_epc_list);
                push_quantities(&mut links, ids, Role::Output, &e.output_quantity_list);
                ilmd = e.ilmd;
            }
        }
        add_item_lots(&mut links, ilmd);
        let parties = |list: &[epcis::model::SourceDest<'_>]| {
            list.iter()
                .map(|p| Party {
                    kind: bare(Vocab::SourceDestType, p.kind),
                    id: canonical(p.id),
                })
                .collect::<Vec<_>>()
        };
        EventRecord {
            event_id: event_id.to_owned(),
            event_type: view.event_type(),
            time_ms: c.event_time.epoch_ms,
            time_zone: Cow::Owned(c.event_time_zone_offset.to_owned()),
            action: view.action(),
            biz_step: c.biz_step.map(|s| bare(Vocab::BizStep, s)),
            disposition: c.disposition.map(|s| bare(Vocab::Disposition, s)),
            read_point: c.read_point.as_ref().map(|l| canonical(l.id)),
            biz_location: c.biz_location.as_ref().map(|l| canonical(l.id)),
            sources: parties(&c.sources),
            destinations: parties(&c.destinations),
            biz_transactions: c
                .biz_transactions
                .iter()
                .map(|t| Party {
                    kind: t
                        .kind
                        .map(|k| bare(Vocab::BizTransactionType, k))
                        .unwrap_or_default(),
                    id: t.id.to_owned(),
                })
                .collect(),
            links,
        }
    }

    /// The identifiers of this event with `role`.
    pub fn with_role(&self, role: Role) -> impl Iterator<Item = &Link> {
        self.links.iter().filter(move |l| l.role == role)
    }

    /// The distinct identifiers this event is found under in the trace index.
    pub fn index_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.links.iter().map(|l| l.node.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The first party of `kind` in the source list.
    pub fn source(&self, kind: &str) -> Option<&str> {
        self.sources
            .iter()
            .find(|p| p.kind == kind)
            .map(|p| p.id.as_str())
    }

    /// The first party of `kind` in the destination list.
    pub fn destination(&self, kind: &str) -> Option<&str> {
        self.destinations
            .iter()
            .find(|p| p.kind == kind)
            .map(|p| p.id.as_str())
    }
}

fn push_ids(links: &mut Vec<Link>, canon: &CanonicalIds, role: Role, ids: &[&str]) {
    for id in ids {
        links.push(Link {
            role,
            node: canon.canonical_id(id).into_owned(),
            quantity: None,
            uom: None,
        });
    }
}

fn push_quantities(
    links: &mut Vec<Link>,
    canon: &CanonicalIds,
    role: Role,
    list: &[QuantityElement<'_>],
) {
    for q in list {
        links.push(Link {
            role,
            node: canon.canonical_id(q.epc_class).into_owned(),
            quantity: q.quantity,
            uom: q.uom.map(|u| Cow::Owned(u.to_owned())),
        });
    }
}

/// The lot number in an ILMD (`cbvmda:lotNumber` in any spelling of its namespace).
fn ilmd_lot(ilmd: Option<&Map<String, Value>>) -> Option<&str> {
    ilmd?.iter().find_map(|(k, v)| {
        let local = k.rsplit([':', '#', '/']).next().unwrap_or(k);
        (local == "lotNumber").then(|| v.as_str()).flatten()
    })
}

/// Adds [`Role::LotOf`] links for the lots the event's items belong to, so that a lot
/// finds the events that commissioned its items.
fn add_item_lots(links: &mut Vec<Link>, ilmd: Option<&Map<String, Value>>) {
    let ilmd_lot = ilmd_lot(ilmd);
    let mut lots = Vec::new();
    for link in links.iter() {
        if !matches!(link.role, Role::Epc | Role::Output) {
            continue;
        }
        let node = classify(&link.node);
        if node.kind != NodeKind::Item {
            continue;
        }
        let Some(gtin) = node.gtin.as_deref() else {
            continue;
        };
        let lot = node
            .lot
            .map(|l| lot_id(gtin, &l))
            .or_else(|| ilmd_lot.map(|l| lot_id(gtin, l)))
            .flatten()
            .or_else(|| same_gtin_lot(links, gtin));
        if let Some(lot) = lot {
            if !lots.contains(&lot) {
                lots.push(lot);
            }
        }
    }
    for lot in lots {
        links.push(Link {
            role: Role::LotOf,
            node: lot,
            quantity: None,
            uom: None,
        });
    }
}

/// The one lot of `gtin` the event names by class, if exactly one.
fn same_gtin_lot(links: &[Link], gtin: &str) -> Option<String> {
    let mut found = links.iter().filter(|l| {
        let n = classify(&l.node);
        n.kind == NodeKind::Lot && n.gtin.as_deref() == Some(gtin)
    });
    let first = found.next()?;
    found.next().is_none().then(|| first.node.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(v: Value) -> EventRecord {
        EventRecord::from_json(v.as_object().unwrap()).unwrap()
    }

    #[test]
    fn object_event_with_items_and_ilmd_lot() {
        let r = record(json!({
            "type": "ObjectEvent", "eventID": "urn:x:e1",
            "eventTime": "2025-07-28T06:30:00.000+07:00", "eventTimeZoneOffset": "+07:00",
            "action": "ADD", "bizStep": "urn:epcglobal:cbv:bizstep:commissioning",
            "epcList": ["urn:epc:id:sgtin:0614141.107346.2018"],
            "bizLocation": {"id": "urn:epc:id:sgln:0614141.00888.0"},
            "ilmd": {"cbvmda:lotNumber": "LOT7"}
        }));
        assert_eq!(r.event_type, EventType::ObjectEvent);
        assert_eq!(r.action, Some(Action::Add));
        assert_eq!(r.biz_step.as_deref(), Some("commissioning"));
        assert_eq!(r.time_zone, "+07:00");
        assert_eq!(
            r.biz_location.as_deref(),
            Some(gs1::canonical_id("urn:epc:id:sgln:0614141.00888.0").as_ref())
        );
        let lot: Vec<_> = r.with_role(Role::LotOf).map(|l| l.node.as_str()).collect();
        assert_eq!(
            lot,
            [gs1::canonical_id("urn:epc:class:lgtin:0614141.107346.LOT7").as_ref()]
        );
        let back: EventRecord = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn transformation_quantities_keep_their_units() {
        let r = record(json!({
            "type": "TransformationEvent", "eventID": "urn:x:t1",
            "eventTime": "2025-07-31T10:00:00Z", "eventTimeZoneOffset": "+00:00",
            "inputQuantityList": [
                {"epcClass": "urn:epc:class:lgtin:4012345.012345.A", "quantity": 10, "uom": "KGM"},
                {"epcClass": "urn:epc:class:lgtin:4012345.012345.B", "quantity": 5.5, "uom": "KGM"}
            ],
            "outputQuantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.099999.C", "quantity": 12}]
        }));
        let inputs: Vec<_> = r.with_role(Role::Input).collect();
        assert_eq!(inputs.len(), 2);
        assert_eq!(inputs[1].quantity, Some(5.5));
        assert_eq!(inputs[1].uom.as_deref(), Some("KGM"));
        let out = r.with_role(Role::Output).next().unwrap();
        assert_eq!(out.node, "https://id.gs1.org/01/04012345999990/10/C");
        assert_eq!(out.uom, None);
        assert_eq!(r.action, None);
    }
}
