//! The pre-hash string of an event (CBV 2.0 §8.9): the standard fields in the canonical
//! property order, then the business transactions, sources, destinations, ILMD and user
//! extensions as sorted `key=value` runs, all concatenated without separators.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::context::Namespaces;
use crate::ids::CanonicalIds;

use super::time::canonical_time;
use super::value::{canonical_value, expanded_name, Vocabulary};

/// How one standard field is written.
#[derive(Clone, Copy)]
enum Kind {
    /// A date-time, in UTC with milliseconds.
    Time,
    /// A scalar (or a set of scalars), optionally from a standard vocabulary.
    Value(Option<Vocabulary>),
    /// A list of identifiers, each written `epc=…`.
    EpcList,
    /// A structure with its own property order; arrays give one entry per element.
    Struct(&'static [Field]),
    /// A list whose elements are structures written under the given name.
    StructList(&'static str, &'static [Field]),
}

type Field = (&'static str, Kind);

const QUANTITY_ELEMENT: &[Field] = &[
    ("epcClass", Kind::Value(None)),
    ("quantity", Kind::Value(None)),
    ("uom", Kind::Value(None)),
];

const LOCATION: &[Field] = &[("id", Kind::Value(None))];

const PERSISTENT_DISPOSITION: &[Field] = &[
    ("set", Kind::Value(Some(Vocabulary::Disposition))),
    ("unset", Kind::Value(Some(Vocabulary::Disposition))),
];

const SENSOR_METADATA: &[Field] = &[
    ("time", Kind::Time),
    ("startTime", Kind::Time),
    ("endTime", Kind::Time),
    ("deviceID", Kind::Value(None)),
    ("deviceMetadata", Kind::Value(None)),
    ("rawData", Kind::Value(None)),
    ("dataProcessingMethod", Kind::Value(None)),
    ("bizRules", Kind::Value(None)),
];

const SENSOR_REPORT: &[Field] = &[
    ("type", Kind::Value(Some(Vocabulary::Gs1))),
    ("exception", Kind::Value(Some(Vocabulary::Gs1))),
    ("deviceID", Kind::Value(None)),
    ("deviceMetadata", Kind::Value(None)),
    ("rawData", Kind::Value(None)),
    ("dataProcessingMethod", Kind::Value(None)),
    ("time", Kind::Time),
    ("microorganism", Kind::Value(None)),
    ("chemicalSubstance", Kind::Value(None)),
    ("value", Kind::Value(None)),
    ("component", Kind::Value(Some(Vocabulary::Component))),
    ("stringValue", Kind::Value(None)),
    ("booleanValue", Kind::Value(None)),
    ("hexBinaryValue", Kind::Value(None)),
    ("uriValue", Kind::Value(None)),
    ("minValue", Kind::Value(None)),
    ("maxValue", Kind::Value(None)),
    ("meanValue", Kind::Value(None)),
    ("sDev", Kind::Value(None)),
    ("percRank", Kind::Value(None)),
    ("percValue", Kind::Value(None)),
    ("uom", Kind::Value(None)),
    ("coordinateReferenceSystem", Kind::Value(None)),
];

const SENSOR_ELEMENT: &[Field] = &[
    ("sensorMetadata", Kind::Struct(SENSOR_METADATA)),
    ("sensorReport", Kind::Struct(SENSOR_REPORT)),
];

/// The canonical property order of the event's own fields (all five event types).
const EVENT: &[Field] = &[
    ("eventTime", Kind::Time),
    ("eventTimeZoneOffset", Kind::Value(None)),
    ("certificationInfo", Kind::Value(None)),
    ("parentID", Kind::Value(None)),
    ("epcList", Kind::EpcList),
    ("inputEPCList", Kind::EpcList),
    ("childEPCs", Kind::EpcList),
    (
        "quantityList",
        Kind::StructList("quantityElement", QUANTITY_ELEMENT),
    ),
    (
        "childQuantityList",
        Kind::StructList("quantityElement", QUANTITY_ELEMENT),
    ),
    (
        "inputQuantityList",
        Kind::StructList("quantityElement", QUANTITY_ELEMENT),
    ),
    ("outputEPCList", Kind::EpcList),
    (
        "outputQuantityList",
        Kind::StructList("quantityElement", QUANTITY_ELEMENT),
    ),
    ("action", Kind::Value(None)),
    ("transformationID", Kind::Value(None)),
    ("bizStep", Kind::Value(Some(Vocabulary::BizStep))),
    ("disposition", Kind::Value(Some(Vocabulary::Disposition))),
    (
        "persistentDisposition",
        Kind::Struct(PERSISTENT_DISPOSITION),
    ),
    ("readPoint", Kind::Struct(LOCATION)),
    ("bizLocation", Kind::Struct(LOCATION)),
    (
        "sensorElementList",
        Kind::StructList("sensorElement", SENSOR_ELEMENT),
    ),
];

/// Lists of typed entries (`{"type": …, "bizTransaction": …}`): written after the
/// ordered fields, type first, as the algorithm's rule 13 says.
const TYPED_LISTS: [(&str, &str, Vocabulary); 3] = [
    (
        "bizTransactionList",
        "bizTransaction",
        Vocabulary::BizTransactionType,
    ),
    ("sourceList", "source", Vocabulary::SourceDestinationType),
    (
        "destinationList",
        "destination",
        Vocabulary::SourceDestinationType,
    ),
];

/// The most fields of one ordered list, which [`position`] indexes into.
const MAX_FIELDS: usize = 24;

const _: () = assert!(
    EVENT.len() <= MAX_FIELDS
        && SENSOR_REPORT.len() <= MAX_FIELDS
        && SENSOR_METADATA.len() <= MAX_FIELDS
        && SENSOR_ELEMENT.len() <= MAX_FIELDS
        && QUANTITY_ELEMENT.len() <= MAX_FIELDS
        && PERSISTENT_DISPOSITION.len() <= MAX_FIELDS
        && LOCATION.len() <= MAX_FIELDS
);

/// Where `key` stands in a property order, if it is one of its fields.
fn position(order: &[Field], key: &str) -> Option<usize> {
    order.iter().position(|(name, _)| *name == key)
}

/// Event fields that never take part in the hash.
const IGNORED: [&str; 4] = ["type", "eventID", "recordTime", "errorDeclaration"];

/// Comments are annotations, not event data, wherever they appear.
const COMMENTS: [&str; 2] = ["comment", "rdfs:comment"];

/// Builds pre-hash strings for the events of one document.
pub(crate) struct PreHash<'a> {
    pub(crate) namespaces: &'a Namespaces,
    /// Extension fields (as `{namespace}local`) the document says to leave out.
    pub(crate) ignored_extensions: &'a [String],
    /// Digital Links validation already computed.
    pub(crate) ids: &'a CanonicalIds,
}

impl PreHash<'_> {
    /// The pre-hash string of one event.
    pub(crate) fn event(&self, event: &Map<String, Value>) -> String {
        let event_type = event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // One pass over the object sorts its members into the ordered fields and the rest
        // (rather than a hashed lookup of every field the order names).
        let mut ordered = [None; MAX_FIELDS];
        let mut rest: Vec<String> = Vec::new();
        for (key, value) in event {
            if let Some(slot) = position(EVENT, key).and_then(|i| ordered.get_mut(i)) {
                *slot = Some(value);
                continue;
            }
            if self.is_ignored(key) {
                continue;
            }
            match TYPED_LISTS.iter().find(|(list, _, _)| list == key) {
                Some((list, item, vocabulary)) => {
                    rest.extend(self.typed_list(list, item, *vocabulary, value))
                }
                None => rest.extend(self.generic(&expanded_name(key, self.namespaces), value)),
            }
        }
        let mut out = format!("eventType={}", event_type.trim());
        for ((name, kind), value) in EVENT.iter().zip(ordered) {
            if let Some(value) = value {
                out.extend(self.field(name, *kind, value));
            }
        }
        rest.sort();
        out.extend(rest);
        out
    }

    /// Whether a member that is not an ordered field stays out of the hash.
    fn is_ignored(&self, key: &str) -> bool {
        key.starts_with('@')
            || IGNORED.contains(&key)
            || COMMENTS.contains(&key)
            || (!self.ignored_extensions.is_empty()
                && self
                    .ignored_extensions
                    .contains(&expanded_name(key, self.namespaces)))
    }

    /// The entries one standard field contributes, sorted (several for arrays).
    fn field(&self, name: &str, kind: Kind, value: &Value) -> Vec<String> {
        let mut entries: Vec<String> = match kind {
            Kind::Time => scalars(value)
                .into_iter()
                .map(|text| {
                    let text = text.trim();
                    canonical_time(text).unwrap_or_else(|| text.to_string())
                })
                .filter(|text| !text.is_empty())
                .map(|text| entry(name, &text))
                .collect(),
            Kind::Value(vocabulary) => self.values(name, vocabulary, value),
            Kind::EpcList => {
                let mut epcs = self.values("epc", None, value);
                epcs.sort();
                non_empty(name, epcs.concat())
            }
            Kind::Struct(order) => elements(value)
                .filter_map(Value::as_object)
                .filter_map(|object| non_empty(name, self.structure(order, object)).pop())
                .collect(),
            Kind::StructList(item, order) => {
                let mut items: Vec<String> = elements(value)
                    .filter_map(Value::as_object)
                    .filter_map(|object| non_empty(item, self.structure(order, object)).pop())
                    .collect();
                items.sort();
                non_empty(name, items.concat())
            }
        };
        entries.sort();
        entries
    }

    /// `name=value` for each non-blank scalar in `value` (a scalar or an array of them).
    fn values(&self, name: &str, vocabulary: Option<Vocabulary>, value: &Value) -> Vec<String> {
        scalars(value)
            .into_iter()
            .map(|text| canonical_value(&text, vocabulary, self.namespaces, self.ids))
            .filter(|text| !text.is_empty())
            .map(|text| entry(name, &text))
            .collect()
    }

    /// The body of a structure: its ordered fields, then its extensions, sorted.
    fn structure(&self, order: &[Field], object: &Map<String, Value>) -> String {
        let mut ordered = [None; MAX_FIELDS];
        let mut extensions: Vec<String> = Vec::new();
        for (key, value) in object {
            if let Some(slot) = position(order, key).and_then(|i| ordered.get_mut(i)) {
                *slot = Some(value);
            } else if !key.starts_with('@') && !COMMENTS.contains(&key.as_str()) {
                extensions.extend(self.generic(&expanded_name(key, self.namespaces), value));
            }
        }
        let mut out = String::new();
        for ((name, kind), value) in order.iter().zip(ordered) {
            if let Some(value) = value {
                out.extend(self.field(name, *kind, value));
            }
        }
        extensions.sort();
        out.extend(extensions);
        out
    }

    /// `bizTransactionList` and friends: each entry `type=…{item}=…`, entries sorted.
    fn typed_list(
        &self,
        list: &str,
        item: &str,
        vocabulary: Vocabulary,
        value: &Value,
    ) -> Vec<String> {
        let mut entries: Vec<String> = elements(value)
            .filter_map(Value::as_object)
            .map(|entry| {
                let mut text = String::new();
                if let Some(kind) = entry.get("type") {
                    text.extend(self.values("type", Some(vocabulary), kind));
                }
                if let Some(id) = entry.get(item) {
                    text.extend(self.values(item, None, id));
                }
                text
            })
            .filter(|text| !text.is_empty())
            .collect();
        entries.sort();
        non_empty(list, entries.concat())
    }

    /// ILMD and user extensions: `name=value`, or `name` followed by the sorted entries
    /// of its children; an array gives one entry per element, all under `name`.
    fn generic(&self, name: &str, value: &Value) -> Vec<String> {
        match value {
            Value::Array(items) => items
                .iter()
                .flat_map(|item| self.generic(name, item))
                .collect(),
            Value::Object(object) => {
                let mut text = object
                    .get("@value")
                    .map(|inner| scalars(inner).concat())
                    .map(|raw| canonical_value(&raw, None, self.namespaces, self.ids))
                    .filter(|text| !text.is_empty())
                    .map(|text| format!("={text}"))
                    .unwrap_or_default();
                let mut children: Vec<String> = object
                    .iter()
                    .filter(|(key, _)| !key.starts_with('@') && !COMMENTS.contains(&key.as_str()))
                    .flat_map(|(key, child)| {
                        self.generic(&expanded_name(key, self.namespaces), child)
                    })
                    .collect();
                children.sort();
                text.extend(children);
                vec![format!("{name}{text}")]
            }
            scalar => {
                let text = scalars(scalar).concat();
                let text = canonical_value(&text, None, self.namespaces, self.ids);
                if text.is_empty() {
                    vec![name.to_string()]
                } else {
                    vec![entry(name, &text)]
                }
            }
        }
    }
}

/// The elements of an array, or the value itself when it is not one.
fn elements(value: &Value) -> std::slice::Iter<'_, Value> {
    match value {
        Value::Array(items) => items.iter(),
        other => std::slice::from_ref(other).iter(),
    }
}

/// The scalar texts in a value: a string, number or boolean, or an array of them.
fn scalars(value: &Value) -> Vec<Cow<'_, str>> {
    elements(value)
        .filter_map(|element| match element {
            Value::String(s) => Some(Cow::Borrowed(s.as_str())),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            _ => None,
        })
        .collect()
}

/// `{name}={text}`, built in one allocation (no formatting machinery: this runs for
/// every value of every hashed event).
fn entry(name: &str, text: &str) -> String {
    let mut out = String::with_capacity(name.len() + 1 + text.len());
    out.push_str(name);
    out.push('=');
    out.push_str(text);
    out
}

/// `[name + body]` when the body is not empty, else nothing (rule 4: absent data adds nothing).
fn non_empty(name: &str, body: String) -> Vec<String> {
    if body.is_empty() {
        Vec::new()
    } else {
        let mut out = String::with_capacity(name.len() + body.len());
        out.push_str(name);
        out.push_str(&body);
        vec![out]
    }
}
