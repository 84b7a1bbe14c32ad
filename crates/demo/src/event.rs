//! A small builder for EPCIS 2.0 JSON-LD event objects, shared by the demo data set and
//! the synthetic generator so both write fields the same way and in the same order.

use serde_json::{Map, Value};

/// A quantity element: class, amount and optional unit of measure (UN/CEFACT code).
pub(crate) struct Qty<'a>(pub String, pub f64, pub Option<&'a str>);

/// Builds one event object field by field, in the order GS1's examples use.
pub(crate) struct EventBuilder {
    map: Map<String, Value>,
}

impl EventBuilder {
    /// Starts an event of `event_type` at `time` (RFC 3339 with offset) in zone `offset`.
    pub fn new(event_type: &str, time: String, offset: &str) -> EventBuilder {
        let mut map = Map::with_capacity(14);
        map.insert("type".into(), Value::String(event_type.into()));
        map.insert("eventTime".into(), Value::String(time));
        map.insert("eventTimeZoneOffset".into(), Value::String(offset.into()));
        EventBuilder { map }
    }

    /// Changes the event type (the field keeps its first position).
    pub fn kind(self, event_type: &str) -> EventBuilder {
        self.str("type", event_type)
    }

    /// Sets any field.
    pub fn set(mut self, key: &str, value: Value) -> EventBuilder {
        self.map.insert(key.into(), value);
        self
    }

    /// Sets a string field.
    pub fn str(self, key: &str, value: impl Into<String>) -> EventBuilder {
        self.set(key, Value::String(value.into()))
    }

    /// Sets `eventID`.
    pub fn id(self, id: impl Into<String>) -> EventBuilder {
        self.str("eventID", id)
    }

    /// Sets `action` (`ADD`, `OBSERVE`, `DELETE`).
    pub fn action(self, action: &str) -> EventBuilder {
        self.str("action", action)
    }

    /// Sets `bizStep` and, when given, `disposition` (CBV bare words).
    pub fn step(self, biz_step: &str, disposition: Option<&str>) -> EventBuilder {
        let b = self.str("bizStep", biz_step);
        match disposition {
            Some(d) => b.str("disposition", d),
            None => b,
        }
    }

    /// Sets `readPoint` and `bizLocation` to the same place.
    pub fn at(self, location: &str) -> EventBuilder {
        self.set("readPoint", obj(&[("id", location)]))
            .set("bizLocation", obj(&[("id", location)]))
    }

    /// Sets `readPoint` only.
    pub fn read_point(self, location: &str) -> EventBuilder {
        self.set("readPoint", obj(&[("id", location)]))
    }

    /// Sets a list of identifiers (`epcList`, `childEPCs`, `inputEPCList`, …).
    pub fn epcs(self, key: &str, epcs: Vec<String>) -> EventBuilder {
        self.set(
            key,
            Value::Array(epcs.into_iter().map(Value::String).collect()),
        )
    }

    /// Sets a quantity list (`quantityList`, `childQuantityList`, `inputQuantityList`, …).
    pub fn quantities(self, key: &str, list: Vec<Qty<'_>>) -> EventBuilder {
        let items = list
            .into_iter()
            .map(|Qty(class, quantity, uom)| {
                let mut m = Map::with_capacity(3);
                m.insert("epcClass".into(), Value::String(class));
                m.insert("quantity".into(), number(quantity));
                if let Some(u) = uom {
                    m.insert("uom".into(), Value::String(u.into()));
                }
                Value::Object(m)
            })
            .collect();
        self.set(key, Value::Array(items))
    }

    /// Sets `bizTransactionList` from `(type, id)` pairs.
    pub fn transactions(self, list: &[(&str, &str)]) -> EventBuilder {
        let items = list
            .iter()
            .map(|(t, id)| obj(&[("type", t), ("bizTransaction", id)]))
            .collect();
        self.set("bizTransactionList", Value::Array(items))
    }

    /// Sets `sourceList` and `destinationList` for a hand-over from one party and place to another.
    pub fn hand_over(self, from: (&str, &str), to: (&str, &str)) -> EventBuilder {
        let list = |key: &str, (party, place): (&str, &str)| {
            Value::Array(vec![
                obj(&[("type", "owning_party"), (key, party)]),
                obj(&[("type", "location"), (key, place)]),
            ])
        };
        self.set("sourceList", list("source", from))
            .set("destinationList", list("destination", to))
    }

    /// The finished event object.
    pub fn build(self) -> Value {
        Value::Object(self.map)
    }
}

/// A JSON object of string fields, built directly (the `json!` macro goes through `Serialize`).
pub(crate) fn obj(fields: &[(&str, &str)]) -> Value {
    let mut m = Map::with_capacity(fields.len());
    for (k, v) in fields {
        m.insert((*k).to_owned(), Value::String((*v).to_owned()));
    }
    Value::Object(m)
}

/// A JSON number that stays an integer when it is one, so `1200` is not written `1200.0`.
pub(crate) fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}
