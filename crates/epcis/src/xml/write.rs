//! JSON-LD events → EPCIS 2.0 XML, in the element order of the 2.0 XSD.
//!
//! Identifier and CBV spellings are the caller's choice (apply [`crate::format::convert_event`]
//! first); a bare CBV word, which the XML binding has no spelling for, is written as its URN.
//! User extensions become elements in their namespace, declared on the event element, so
//! that each event can be written on its own (streaming).

use std::fmt::Write as _;

use indexmap::IndexMap;
use quick_xml::escape::escape;
use serde_json::{Map, Value};

use super::names::{EPCIS_2, EPCIS_QUERY_2};
use crate::cbv::{self, Vocab};
use crate::context::Namespaces;
use crate::document::DocumentKind;

/// An event that has no XML form (a field name that is no XML name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event cannot be written as XML: {0}")]
pub struct WriteError(pub String);

const COMMON: [&str; 6] = [
    "eventTime",
    "recordTime",
    "eventTimeZoneOffset",
    "eventID",
    "errorDeclaration",
    "certificationInfo",
];

fn fields_of(event_type: &str) -> &'static [&'static str] {
    match event_type {
        "ObjectEvent" => &[
            "epcList",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "quantityList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
            "ilmd",
        ],
        "AggregationEvent" => &[
            "parentID",
            "childEPCs",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "childQuantityList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
        ],
        "TransactionEvent" => &[
            "bizTransactionList",
            "parentID",
            "epcList",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "quantityList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
        ],
        "TransformationEvent" => &[
            "inputEPCList",
            "inputQuantityList",
            "outputEPCList",
            "outputQuantityList",
            "transformationID",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
            "ilmd",
        ],
        "AssociationEvent" => &[
            "parentID",
            "childEPCs",
            "childQuantityList",
            "action",
            "bizStep",
            "disposition",
            "readPoint",
            "bizLocation",
            "bizTransactionList",
            "sourceList",
            "destinationList",
            "sensorElementList",
            "persistentDisposition",
        ],
        _ => &[],
    }
}

/// The XML declaration and the start of a document, up to the opening `<EventList>`.
pub fn document_start(
    kind: DocumentKind,
    creation_date: &str,
    query_name: Option<&str>,
    master_data: &[Value],
) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let date = escape(creation_date);
    let header = master_data_xml(master_data);
    match kind {
        DocumentKind::EpcisDocument => {
            let _ = write!(
                out,
                "<epcis:EPCISDocument xmlns:epcis=\"{EPCIS_2}\" schemaVersion=\"2.0\" creationDate=\"{date}\">\n{header}<EPCISBody>\n<EventList>\n"
            );
        }
        DocumentKind::EpcisQueryDocument => {
            let name = escape(query_name.unwrap_or("SimpleEventQuery"));
            let _ = write!(
                out,
                "<epcisq:EPCISQueryDocument xmlns:epcisq=\"{EPCIS_QUERY_2}\" xmlns:epcis=\"{EPCIS_2}\" schemaVersion=\"2.0\" creationDate=\"{date}\">\n{header}<EPCISBody>\n<epcisq:QueryResults>\n<queryName>{name}</queryName>\n<resultsBody>\n<EventList>\n"
            );
        }
    }
    out
}

/// The end of a document started with [`document_start`].
pub fn document_end(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::EpcisDocument => "</EventList>\n</EPCISBody>\n</epcis:EPCISDocument>\n",
        DocumentKind::EpcisQueryDocument => {
            "</EventList>\n</resultsBody>\n</epcisq:QueryResults>\n</EPCISBody>\n</epcisq:EPCISQueryDocument>\n"
        }
    }
}

fn master_data_xml(vocabularies: &[Value]) -> String {
    if vocabularies.is_empty() {
        return String::new();
    }
    let mut out = String::from("<EPCISHeader>\n<extension>\n<EPCISMasterData>\n<VocabularyList>\n");
    for vocab in vocabularies {
        let t = vocab.get("type").and_then(Value::as_str).unwrap_or("");
        let _ = writeln!(
            out,
            "<Vocabulary type=\"{}\">\n<VocabularyElementList>",
            escape(t)
        );
        let elements = vocab.get("vocabularyElementList").and_then(Value::as_array);
        for element in elements.into_iter().flatten() {
            let id = element.get("id").and_then(Value::as_str).unwrap_or("");
            let _ = write!(out, "<VocabularyElement id=\"{}\">", escape(id));
            let attributes = element.get("attributes").and_then(Value::as_array);
            for a in attributes.into_iter().flatten() {
                let aid = a.get("id").and_then(Value::as_str).unwrap_or("");
                let _ = write!(out, "<attribute id=\"{}\">", escape(aid));
                match a.get("attribute") {
                    Some(Value::Object(_)) | None => {}
                    Some(v) => out.push_str(&escape(scalar(v))),
                }
                out.push_str("</attribute>");
            }
            if let Some(children) = element.get("children").and_then(Value::as_array) {
                out.push_str("<children>");
                for c in children {
                    let _ = write!(out, "<id>{}</id>", escape(scalar(c)));
                }
                out.push_str("</children>");
            }
            out.push_str("</VocabularyElement>\n");
        }
        out.push_str("</VocabularyElementList>\n</Vocabulary>\n");
    }
    out.push_str("</VocabularyList>\n</EPCISMasterData>\n</extension>\n</EPCISHeader>\n");
    out
}

/// Writes one event (its JSON-LD object) as an XML event element. `base` gives the prefixes
/// of the document the event sits in; the event's own `@context` adds to them.
pub fn write_event(
    out: &mut String,
    event: &Map<String, Value>,
    base: &Namespaces,
) -> Result<(), WriteError> {
    let event_type = event
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| WriteError("no event type".into()))?;
    let order = fields_of(event_type);
    if order.is_empty() {
        return Err(WriteError(format!("`{event_type}` is not an event type")));
    }
    let mut namespaces = base.clone();
    if let Some(own) = event.get("@context") {
        namespaces.add_context(own);
    }
    let mut w = Writer {
        body: String::new(),
        namespaces: &namespaces,
        declared: IndexMap::new(),
    };
    for name in COMMON.iter().chain(order) {
        if let Some(v) = event.get(*name) {
            w.standard(name, v)?;
        }
    }
    for (k, v) in event {
        if k.starts_with('@')
            || k == "type"
            || COMMON.contains(&k.as_str())
            || order.contains(&k.as_str())
        {
            continue;
        }
        w.extension(k, v)?;
    }
    let _ = write!(out, "<{event_type}");
    for (prefix, ns) in &w.declared {
        let _ = write!(out, " xmlns:{prefix}=\"{}\"", escape(ns.as_str()));
    }
    out.push('>');
    out.push_str(&w.body);
    let _ = writeln!(out, "</{event_type}>");
    Ok(())
}

/// A whole document (all events in memory) as XML; see [`write_event`].
pub fn write_document(
    kind: DocumentKind,
    creation_date: &str,
    query_name: Option<&str>,
    master_data: &[Value],
    events: &[&Map<String, Value>],
    namespaces: &Namespaces,
) -> Result<String, WriteError> {
    let mut out = document_start(kind, creation_date, query_name, master_data);
    for e in events {
        write_event(&mut out, e, namespaces)?;
    }
    out.push_str(document_end(kind));
    Ok(out)
}

struct Writer<'n> {
    body: String,
    namespaces: &'n Namespaces,
    declared: IndexMap<String, String>,
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A CBV value as the XML binding spells it: a bare standard word becomes its URN.
fn cbv_xml(vocab: Vocab, v: &Value) -> String {
    let s = scalar(v);
    if s.contains(':') {
        return s;
    }
    cbv::to_urn(vocab, &s).into_owned()
}

impl Writer<'_> {
    fn leaf(&mut self, name: &str, text: &str) {
        let _ = write!(self.body, "<{name}>{}</{name}>", escape(text));
    }

    fn standard(&mut self, name: &str, v: &Value) -> Result<(), WriteError> {
        match name {
            "bizStep" => self.leaf(name, &cbv_xml(Vocab::BizStep, v)),
            "disposition" => self.leaf(name, &cbv_xml(Vocab::Disposition, v)),
            "epcList" | "childEPCs" | "inputEPCList" | "outputEPCList" => {
                let _ = write!(self.body, "<{name}>");
                for id in v.as_array().into_iter().flatten() {
                    self.leaf("epc", &scalar(id));
                }
                let _ = write!(self.body, "</{name}>");
            }
            "quantityList" | "childQuantityList" | "inputQuantityList" | "outputQuantityList" => {
                let _ = write!(self.body, "<{name}>");
                for q in v.as_array().into_iter().flatten() {
                    self.body.push_str("<quantityElement>");
                    for field in ["epcClass", "quantity", "uom"] {
                        if let Some(x) = q.get(field) {
                            self.leaf(field, &scalar(x));
                        }
                    }
                    self.body.push_str("</quantityElement>");
                }
                let _ = write!(self.body, "</{name}>");
            }
            "readPoint" | "bizLocation" => {
                let _ = write!(self.body, "<{name}>");
                if let Some(id) = v.get("id") {
                    self.leaf("id", &scalar(id));
                }
                self.extensions_of(v, &["id"])?;
                let _ = write!(self.body, "</{name}>");
            }
            "bizTransactionList" => {
                self.typed_list(name, v, "bizTransaction", Vocab::BizTransactionType)
            }
            "sourceList" => self.typed_list(name, v, "source", Vocab::SourceDestType),
            "destinationList" => self.typed_list(name, v, "destination", Vocab::SourceDestType),
            "persistentDisposition" => {
                self.body.push_str("<persistentDisposition>");
                for field in ["unset", "set"] {
                    for d in v.get(field).and_then(Value::as_array).into_iter().flatten() {
                        self.leaf(field, &cbv_xml(Vocab::Disposition, d));
                    }
                }
                self.body.push_str("</persistentDisposition>");
            }
            "ilmd" => {
                self.body.push_str("<ilmd>");
                self.extensions_of(v, &[])?;
                self.body.push_str("</ilmd>");
            }
            "errorDeclaration" => {
                self.body.push_str("<errorDeclaration>");
                if let Some(t) = v.get("declarationTime") {
                    self.leaf("declarationTime", &scalar(t));
                }
                if let Some(r) = v.get("reason") {
                    self.leaf("reason", &cbv_xml(Vocab::ErrorReason, r));
                }
                if let Some(ids) = v.get("correctiveEventIDs").and_then(Value::as_array) {
                    self.body.push_str("<correctiveEventIDs>");
                    for id in ids {
                        self.leaf("correctiveEventID", &scalar(id));
                    }
                    self.body.push_str("</correctiveEventIDs>");
                }
                self.extensions_of(v, &["declarationTime", "reason", "correctiveEventIDs"])?;
                self.body.push_str("</errorDeclaration>");
            }
            "sensorElementList" => {
                self.body.push_str("<sensorElementList>");
                for el in v.as_array().into_iter().flatten() {
                    self.sensor_element(el)?;
                }
                self.body.push_str("</sensorElementList>");
            }
            "certificationInfo" => match v {
                Value::Array(items) => {
                    for c in items {
                        self.leaf(name, &scalar(c));
                    }
                }
                other => self.leaf(name, &scalar(other)),
            },
            _ => self.leaf(name, &scalar(v)),
        }
        Ok(())
    }

    fn typed_list(&mut self, name: &str, v: &Value, member: &str, vocab: Vocab) {
        let _ = write!(self.body, "<{name}>");
        for item in v.as_array().into_iter().flatten() {
            let id = item.get(member).map(scalar).unwrap_or_default();
            match item.get("type") {
                Some(t) => {
                    let _ = write!(
                        self.body,
                        "<{member} type=\"{}\">{}</{member}>",
                        escape(cbv_xml(vocab, t)),
                        escape(&id)
                    );
                }
                None => self.leaf(member, &id),
            }
        }
        let _ = write!(self.body, "</{name}>");
    }

    fn sensor_element(&mut self, el: &Value) -> Result<(), WriteError> {
        self.body.push_str("<sensorElement>");
        if let Some(meta) = el.get("sensorMetadata").and_then(Value::as_object) {
            self.attributes_element("sensorMetadata", meta)?;
        }
        for r in el
            .get("sensorReport")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(report) = r.as_object() {
                self.attributes_element("sensorReport", report)?;
            }
        }
        self.extensions_of(el, &["sensorMetadata", "sensorReport"])?;
        self.body.push_str("</sensorElement>");
        Ok(())
    }

    fn attributes_element(
        &mut self,
        name: &str,
        fields: &Map<String, Value>,
    ) -> Result<(), WriteError> {
        let _ = write!(self.body, "<{name}");
        for (k, v) in fields {
            if k.starts_with('@') {
                continue;
            }
            let attr = if k.contains(':') {
                self.qualified(k)?
            } else {
                check_name(k)?;
                k.clone()
            };
            let text = match k.as_str() {
                "component" => cbv_xml(Vocab::Component, v),
                "type" => cbv_xml(Vocab::MeasurementType, v),
                "exception" => cbv_xml(Vocab::SensorAlert, v),
                _ => scalar(v),
            };
            let _ = write!(self.body, " {attr}=\"{}\"", escape(&text));
        }
        self.body.push_str("/>");
        Ok(())
    }

    /// The user extensions of an object (every key but `skip` and JSON-LD keywords).
    fn extensions_of(&mut self, v: &Value, skip: &[&str]) -> Result<(), WriteError> {
        let Some(obj) = v.as_object() else {
            return Ok(());
        };
        for (k, x) in obj {
            if k.starts_with('@') || skip.contains(&k.as_str()) {
                continue;
            }
            self.extension(k, x)?;
        }
        Ok(())
    }

    fn extension(&mut self, key: &str, v: &Value) -> Result<(), WriteError> {
        let name = if key.contains(':') {
            self.qualified(key)?
        } else {
            check_name(key)?;
            key.to_string()
        };
        match v {
            Value::Array(items) => {
                for item in items {
                    self.extension_element(&name, item)?;
                }
            }
            other => self.extension_element(&name, other)?,
        }
        Ok(())
    }

    fn extension_element(&mut self, name: &str, v: &Value) -> Result<(), WriteError> {
        match v {
            Value::Object(obj) => {
                if let Some(value) = obj.get("@value") {
                    // A value with fields of its own: the XML element's attributes.
                    let mut attrs = String::new();
                    for (k, x) in obj {
                        if k.starts_with('@') {
                            continue;
                        }
                        let attr = if k.contains(':') {
                            self.qualified(k)?
                        } else {
                            check_name(k)?;
                            k.clone()
                        };
                        let _ = write!(attrs, " {attr}=\"{}\"", escape(scalar(x)));
                    }
                    let _ = write!(
                        self.body,
                        "<{name}{attrs}>{}</{name}>",
                        escape(scalar(value))
                    );
                    return Ok(());
                }
                let _ = write!(self.body, "<{name}>");
                for (k, x) in obj {
                    if !k.starts_with('@') {
                        self.extension(k, x)?;
                    }
                }
                let _ = write!(self.body, "</{name}>");
            }
            Value::Array(items) => {
                for item in items {
                    self.extension_element(name, item)?;
                }
            }
            other => {
                let _ = write!(self.body, "<{name}>{}</{name}>", escape(scalar(other)));
            }
        }
        Ok(())
    }

    /// `prefix:local` (or a full IRI) as an XML qualified name, declaring its namespace.
    fn qualified(&mut self, key: &str) -> Result<String, WriteError> {
        let (ns, prefix, local) = if key.contains("://") {
            let split = key.rfind(['/', '#']).map(|i| i + 1).unwrap_or(0);
            let (ns, local) = key.split_at(split);
            let prefix = match self.declared.iter().find(|(_, n)| n.as_str() == ns) {
                Some((p, _)) => p.clone(),
                None => format!("ext{}", self.declared.len() + 1),
            };
            (ns.to_string(), prefix, local.to_string())
        } else {
            let (prefix, local) = key.split_once(':').unwrap_or(("", key));
            let ns = match self.namespaces.prefixes.get(prefix) {
                Some(ns) => ns.clone(),
                // A prefix no context declares: the name still needs a namespace in XML.
                None => format!("urn:x-traceport:undeclared-prefix:{prefix}"),
            };
            (ns, prefix.to_string(), local.to_string())
        };
        check_name(&prefix)?;
        check_name(&local)?;
        match self.declared.get(&prefix) {
            Some(bound) if *bound != ns => {
                return Err(WriteError(format!(
                    "prefix `{prefix}` is bound to both {bound} and {ns}"
                )))
            }
            Some(_) => {}
            None => {
                self.declared.insert(prefix.clone(), ns);
            }
        }
        Ok(format!("{prefix}:{local}"))
    }
}

/// An XML NCName (the ASCII subset traceport writes).
fn check_name(name: &str) -> Result<(), WriteError> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok && !name.to_ascii_lowercase().starts_with("xml") {
        Ok(())
    } else {
        Err(WriteError(format!("`{name}` is not an XML name")))
    }
}
