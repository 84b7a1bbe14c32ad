//! XML element trees (EPCIS 2.0 or 1.2) → the JSON-LD objects of the JSON binding.
//!
//! The `extension` and `baseExtension` wrappers of both versions are unwrapped in place, so
//! a 1.2 `<extension><quantityList>` and a 2.0 `<quantityList>` give the same field; a 1.2
//! `QuantityEvent` becomes the `ObjectEvent` (action `OBSERVE`) that EPCIS 2.0 prescribes.
//! Elements in any other namespace are user extensions, named `prefix:local` with the
//! document's prefixes; an unknown unqualified element is an error naming it and its line.

use std::str::FromStr;

use serde_json::{Map, Number, Value};

use super::names::{is_standard_namespace, Prefixes, XSI};
use super::scan::Node;
use crate::document::FieldError;

/// Converts one event element. `pointer` is the event's JSON pointer (for errors).
pub(crate) fn event(
    node: Node,
    prefixes: &mut Prefixes,
    pointer: &str,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut conv = Conv {
        prefixes,
        errors: Vec::new(),
        pointer: pointer.to_string(),
    };
    let map = conv.event(node);
    if conv.errors.is_empty() {
        Ok(map)
    } else {
        Err(conv.errors)
    }
}

/// The event element names of both versions.
pub(crate) fn is_event_name(local: &str) -> bool {
    matches!(
        local,
        "ObjectEvent"
            | "AggregationEvent"
            | "TransactionEvent"
            | "TransformationEvent"
            | "AssociationEvent"
            | "QuantityEvent"
    )
}

/// Converts the vocabularies of the `VocabularyList` found anywhere in `node` (a header's
/// `EPCISMasterData`, or the body of an `EPCISMasterDataDocument`).
pub(crate) fn master_data(node: Node, prefixes: &mut Prefixes) -> Vec<Value> {
    let Some(list) = find(node, "VocabularyList") else {
        return Vec::new();
    };
    let mut conv = Conv {
        prefixes,
        errors: Vec::new(),
        pointer: "/epcisHeader/epcisMasterData".into(),
    };
    flatten(list.children)
        .into_iter()
        .filter(|vocab| vocab.local == "Vocabulary")
        .map(|vocab| conv.vocabulary(vocab))
        .collect()
}

/// The expanded names (`{ns}local`) listed in an `ignoreFields` element.
pub(crate) fn ignored_names(node: &Node) -> Vec<String> {
    node.children
        .iter()
        .map(|c| match &c.ns {
            Some(ns) => format!("{{{ns}}}{}", c.local),
            None => c.local.clone(),
        })
        .collect()
}

fn find(node: Node, local: &str) -> Option<Node> {
    if node.local == local {
        return Some(node);
    }
    node.children.into_iter().find_map(|c| find(c, local))
}

/// Children with the unqualified `extension`/`baseExtension` wrappers replaced by their content.
fn flatten(children: Vec<Node>) -> Vec<Node> {
    let mut out = Vec::with_capacity(children.len());
    for child in children {
        if child.ns.is_none() && (child.local == "extension" || child.local == "baseExtension") {
            out.extend(flatten(child.children));
        } else {
            out.push(child);
        }
    }
    out
}

/// Inserts `value` under `key`; a repeated key becomes an array.
fn put(map: &mut Map<String, Value>, key: String, value: Value) {
    match map.get_mut(&key) {
        None => {
            map.insert(key, value);
        }
        Some(Value::Array(items)) if !matches!(value, Value::Array(_)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

fn text(node: &Node) -> Value {
    Value::String(node.text.trim().to_string())
}

/// A decimal as a JSON number; text that is no number stays a string (validation says so).
fn number(text: &str) -> Value {
    let t = text.trim();
    match Number::from_str(t) {
        Ok(n) => Value::Number(n),
        Err(_) => Value::String(t.to_string()),
    }
}

const NUMERIC_REPORT_ATTRIBUTES: [&str; 7] = [
    "value",
    "minValue",
    "maxValue",
    "sDev",
    "meanValue",
    "percRank",
    "percValue",
];

struct Conv<'p> {
    prefixes: &'p mut Prefixes,
    errors: Vec<FieldError>,
    pointer: String,
}

impl Conv<'_> {
    fn error(&mut self, node: &Node, message: String) {
        self.errors.push(FieldError {
            pointer: self.pointer.clone(),
            message: format!("XML line {}: {message}", node.line),
        });
    }

    fn unexpected(&mut self, node: &Node, parent: &str) {
        let message = match &node.ns {
            Some(ns) if is_standard_namespace(ns) => format!(
                "{} is in the EPCIS namespace {ns}; the fields of {parent} are unqualified",
                node.display_name()
            ),
            _ => format!("{} is not an element of {parent}", node.display_name()),
        };
        self.error(node, message);
    }

    fn extension_name(&mut self, node: &Node) -> Option<String> {
        match &node.ns {
            Some(ns) if !is_standard_namespace(ns) => {
                Some(self.prefixes.name(ns, node.prefix.as_deref(), &node.local))
            }
            _ => None,
        }
    }

    fn event(&mut self, node: Node) -> Map<String, Value> {
        let quantity_event = node.local == "QuantityEvent";
        let type_name = if quantity_event {
            "ObjectEvent".to_string()
        } else {
            node.local.clone()
        };
        let mut out = Map::new();
        out.insert("type".into(), Value::String(type_name.clone()));
        let mut quantity = Map::new();
        for child in flatten(node.children) {
            if let Some(name) = self.extension_name(&child) {
                let v = self.ext_value(child);
                put(&mut out, name, v);
                continue;
            }
            if child.ns.is_some() {
                self.unexpected(&child, &type_name);
                continue;
            }
            let key = child.local.clone();
            let value = match key.as_str() {
                "epcClass" if quantity_event => {
                    quantity.insert("epcClass".into(), text(&child));
                    continue;
                }
                "quantity" if quantity_event => {
                    quantity.insert("quantity".into(), number(&child.text));
                    continue;
                }
                "eventTime"
                | "recordTime"
                | "eventTimeZoneOffset"
                | "eventID"
                | "action"
                | "bizStep"
                | "disposition"
                | "parentID"
                | "transformationID"
                | "certificationInfo" => text(&child),
                "epcList" | "childEPCs" | "inputEPCList" | "outputEPCList" => {
                    self.list(child, "epc", |_, c| text(&c))
                }
                "quantityList" | "childQuantityList" | "inputQuantityList"
                | "outputQuantityList" => {
                    self.list(child, "quantityElement", |conv, c| conv.quantity_element(c))
                }
                "readPoint" | "bizLocation" => self.location(child),
                "bizTransactionList" => {
                    self.list(child, "bizTransaction", |_, c| typed(c, "bizTransaction"))
                }
                "sourceList" => self.list(child, "source", |_, c| typed(c, "source")),
                "destinationList" => {
                    self.list(child, "destination", |_, c| typed(c, "destination"))
                }
                "sensorElementList" => {
                    self.list(child, "sensorElement", |conv, c| conv.sensor_element(c))
                }
                "persistentDisposition" => self.persistent_disposition(child),
                "ilmd" => self.extensions_object(child, "ilmd"),
                "errorDeclaration" => self.error_declaration(child),
                _ => {
                    self.unexpected(&child, &type_name);
                    continue;
                }
            };
            put(&mut out, key, value);
        }
        if quantity_event {
            out.insert(
                "quantityList".into(),
                Value::Array(vec![Value::Object(quantity)]),
            );
            out.entry("action")
                .or_insert_with(|| Value::String("OBSERVE".into()));
        }
        out
    }

    /// A list element whose children are all `item` elements.
    fn list(
        &mut self,
        node: Node,
        item: &str,
        mut convert: impl FnMut(&mut Self, Node) -> Value,
    ) -> Value {
        let parent = node.local.clone();
        let mut items = Vec::new();
        for child in flatten(node.children) {
            if child.ns.is_none() && child.local == item {
                items.push(convert(self, child));
            } else {
                self.unexpected(&child, &parent);
            }
        }
        Value::Array(items)
    }

    fn quantity_element(&mut self, node: Node) -> Value {
        let mut out = Map::new();
        for child in flatten(node.children) {
            match (child.ns.is_none(), child.local.as_str()) {
                (true, "epcClass") | (true, "uom") => {
                    out.insert(child.local.clone(), text(&child));
                }
                // `xsi:nil` (or an empty element) is a quantity left unsaid, as in JSON-LD.
                (true, "quantity") if child.text.trim().is_empty() => {}
                (true, "quantity") => {
                    out.insert("quantity".into(), number(&child.text));
                }
                _ => self.unexpected(&child, "quantityElement"),
            }
        }
        Value::Object(out)
    }

    fn location(&mut self, node: Node) -> Value {
        let parent = node.local.clone();
        let mut out = Map::new();
        for child in flatten(node.children) {
            if let Some(name) = self.extension_name(&child) {
                let v = self.ext_value(child);
                put(&mut out, name, v);
            } else if child.ns.is_none() && child.local == "id" {
                out.insert("id".into(), text(&child));
            } else {
                self.unexpected(&child, &parent);
            }
        }
        Value::Object(out)
    }

    fn sensor_element(&mut self, node: Node) -> Value {
        let mut out = Map::new();
        let mut reports = Vec::new();
        for child in flatten(node.children) {
            if let Some(name) = self.extension_name(&child) {
                let v = self.ext_value(child);
                put(&mut out, name, v);
                continue;
            }
            match (child.ns.is_none(), child.local.as_str()) {
                (true, "sensorMetadata") => {
                    let v = self.attributes(&child);
                    out.insert("sensorMetadata".into(), v);
                }
                (true, "sensorReport") => reports.push(self.attributes(&child)),
                _ => self.unexpected(&child, "sensorElement"),
            }
        }
        if !reports.is_empty() {
            out.insert("sensorReport".into(), Value::Array(reports));
        }
        Value::Object(out)
    }

    /// The attributes of `sensorMetadata` / `sensorReport` as fields, typed as the XSD says.
    fn attributes(&mut self, node: &Node) -> Value {
        let mut out = Map::new();
        for a in &node.attrs {
            match &a.ns {
                Some(ns) if ns == XSI => {}
                Some(ns) => {
                    let name = self.prefixes.name(ns, a.prefix.as_deref(), &a.local);
                    out.insert(name, Value::String(a.value.clone()));
                }
                None if NUMERIC_REPORT_ATTRIBUTES.contains(&a.local.as_str()) => {
                    out.insert(a.local.clone(), number(&a.value));
                }
                None if a.local == "booleanValue" => {
                    let v = match a.value.trim() {
                        "true" | "1" => Value::Bool(true),
                        "false" | "0" => Value::Bool(false),
                        other => Value::String(other.to_string()),
                    };
                    out.insert(a.local.clone(), v);
                }
                None => {
                    out.insert(a.local.clone(), Value::String(a.value.clone()));
                }
            }
        }
        Value::Object(out)
    }

    fn persistent_disposition(&mut self, node: Node) -> Value {
        let mut out = Map::new();
        for child in flatten(node.children) {
            match (child.ns.is_none(), child.local.as_str()) {
                (true, "set") | (true, "unset") => {
                    let list = out
                        .entry(child.local.clone())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(items) = list {
                        items.push(text(&child));
                    }
                }
                _ => self.unexpected(&child, "persistentDisposition"),
            }
        }
        Value::Object(out)
    }

    fn error_declaration(&mut self, node: Node) -> Value {
        let mut out = Map::new();
        for child in flatten(node.children) {
            if let Some(name) = self.extension_name(&child) {
                let v = self.ext_value(child);
                put(&mut out, name, v);
                continue;
            }
            match (child.ns.is_none(), child.local.as_str()) {
                (true, "declarationTime") | (true, "reason") => {
                    out.insert(child.local.clone(), text(&child));
                }
                (true, "correctiveEventIDs") => {
                    let v = self.list(child, "correctiveEventID", |_, c| text(&c));
                    out.insert("correctiveEventIDs".into(), v);
                }
                _ => self.unexpected(&child, "errorDeclaration"),
            }
        }
        Value::Object(out)
    }

    /// An element holding only user extensions (`ilmd`).
    fn extensions_object(&mut self, node: Node, parent: &str) -> Value {
        let mut out = Map::new();
        for child in flatten(node.children) {
            match self.extension_name(&child) {
                Some(name) => {
                    let v = self.ext_value(child);
                    put(&mut out, name, v);
                }
                None => self.unexpected(&child, parent),
            }
        }
        Value::Object(out)
    }

    /// A user extension element: an object of its attributes and children (attributes count
    /// as fields, as in GS1's hash vectors), or its text.
    fn ext_value(&mut self, node: Node) -> Value {
        let attrs: Vec<_> = node
            .attrs
            .iter()
            .filter(|a| a.ns.as_deref() != Some(XSI))
            .collect();
        if node.children.is_empty() && attrs.is_empty() {
            return text(&node);
        }
        let mut out = Map::new();
        for a in attrs {
            let name = match &a.ns {
                Some(ns) => self.prefixes.name(ns, a.prefix.as_deref(), &a.local),
                None => a.local.clone(),
            };
            put(&mut out, name, Value::String(a.value.clone()));
        }
        if node.children.is_empty() {
            let t = node.text.trim();
            if !t.is_empty() {
                out.insert("@value".into(), Value::String(t.to_string()));
            }
        }
        for child in node.children {
            let name = match &child.ns {
                Some(ns) => self
                    .prefixes
                    .name(ns, child.prefix.as_deref(), &child.local),
                None => child.local.clone(),
            };
            let v = self.ext_value(child);
            put(&mut out, name, v);
        }
        Value::Object(out)
    }

    fn vocabulary(&mut self, node: Node) -> Value {
        let mut out = Map::new();
        if let Some(t) = node.attr("type") {
            out.insert("type".into(), Value::String(t.to_string()));
        }
        let mut elements = Vec::new();
        for list in flatten(node.children) {
            if list.local != "VocabularyElementList" {
                continue;
            }
            for element in flatten(list.children) {
                if element.local == "VocabularyElement" {
                    elements.push(self.vocabulary_element(element));
                }
            }
        }
        out.insert("vocabularyElementList".into(), Value::Array(elements));
        Value::Object(out)
    }

    fn vocabulary_element(&mut self, node: Node) -> Value {
        let mut out = Map::new();
        if let Some(id) = node.attr("id") {
            out.insert("id".into(), Value::String(id.to_string()));
        }
        let mut attributes = Vec::new();
        let mut children = Vec::new();
        for child in flatten(node.children) {
            if let Some(name) = self.extension_name(&child) {
                let v = self.ext_value(child);
                put(&mut out, name, v);
                continue;
            }
            match child.local.as_str() {
                "attribute" => {
                    let mut a = Map::new();
                    if let Some(id) = child.attr("id") {
                        a.insert("id".into(), Value::String(id.to_string()));
                    }
                    let mut content = child;
                    content.attrs.clear();
                    let v = self.ext_value(content);
                    a.insert("attribute".into(), v);
                    attributes.push(Value::Object(a));
                }
                "children" => children.extend(child.children.iter().map(text)),
                _ => {}
            }
        }
        if !attributes.is_empty() {
            out.insert("attributes".into(), Value::Array(attributes));
        }
        if !children.is_empty() {
            out.insert("children".into(), Value::Array(children));
        }
        Value::Object(out)
    }
}

/// `<source type="…">id</source>` → `{"type": …, "source": id}`.
fn typed(node: Node, field: &str) -> Value {
    let mut out = Map::new();
    if let Some(t) = node.attr("type") {
        out.insert("type".into(), Value::String(t.trim().to_string()));
    }
    out.insert(field.into(), text(&node));
    Value::Object(out)
}
