//! Streaming reader of EPCIS XML documents (2.0 and 1.2): events come out one at a time,
//! already in their JSON-LD form and validated like JSON-LD input.

use std::io::BufRead;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::names::{
    Prefixes, EPCIS_1, EPCIS_2, EPCIS_MASTERDATA_1, EPCIS_MASTERDATA_2, EPCIS_QUERY_1,
    EPCIS_QUERY_2,
};
use super::scan::{Item, Node, Scanner};
use super::to_json;
use crate::context::Namespaces;
use crate::document::{build_event, Document, DocumentError, DocumentKind, FieldError, Limits};
use crate::Event;

/// The JSON-LD context URL of EPCIS 2.0.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// Which EPCIS version a document was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmlVersion {
    /// EPCIS 1.x (`urn:epcglobal:epcis:xsd:1`); read as 2.0.
    V1,
    /// EPCIS 2.0.
    V2,
}

/// One event of the document: valid, or its errors.
pub type EventResult = Result<Event, Vec<FieldError>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Body,
    QueryResults,
    ResultsBody,
    EventList,
}

/// Reads an EPCIS XML document event by event. Memory stays bounded by the largest event,
/// whatever the length of the document.
pub struct XmlEvents<R: BufRead> {
    scanner: Scanner<R>,
    prefixes: Prefixes,
    declared_taken: usize,
    snapshot: Arc<Namespaces>,
    snapshot_generation: u64,
    hash_ignored: Arc<[String]>,
    levels: Vec<Level>,
    kind: DocumentKind,
    version: XmlVersion,
    schema_version: Option<String>,
    creation_date: Option<String>,
    master_data: Vec<Value>,
    count: usize,
    max_events: usize,
    done: bool,
    raw_mode: bool,
}

/// An event read without validation: its JSON-LD object and what its hash needs.
#[derive(Debug, Clone)]
pub struct RawEvent {
    /// The JSON-LD object.
    pub json: Map<String, Value>,
    /// The prefixes in scope.
    pub namespaces: Arc<Namespaces>,
    /// Extension fields the document asks hashers to leave out, as `{namespace}local`.
    pub hash_ignored: Arc<[String]>,
}

impl RawEvent {
    /// The canonical hash of the event as read.
    pub fn hash(&self) -> String {
        crate::hash::event_hash_ignoring(&self.json, &self.namespaces, &self.hash_ignored)
    }
    /// The pre-hash string of the event as read.
    pub fn pre_hash_string(&self) -> String {
        crate::hash::pre_hash_string_ignoring(&self.json, &self.namespaces, &self.hash_ignored)
    }
}

impl<R: BufRead> XmlEvents<R> {
    /// Reads up to and including the root element; fails when it is not an EPCIS document.
    pub fn new(input: R, limits: &Limits) -> Result<XmlEvents<R>, DocumentError> {
        let mut scanner = Scanner::new(input, limits);
        let root = match scanner.next_item()? {
            Item::Start(node) => node,
            _ => return Err(scanner.error("no root element")),
        };
        let (kind, version) = root_kind(&root).ok_or_else(|| DocumentError::Xml {
            line: root.line,
            message: format!(
                "the root element {} (namespace {}) is not an EPCIS document: expected \
                 EPCISDocument in {EPCIS_2} (or {EPCIS_1} for EPCIS 1.2), EPCISQueryDocument \
                 in {EPCIS_QUERY_2} (or {EPCIS_QUERY_1}), or EPCISMasterDataDocument in \
                 {EPCIS_MASTERDATA_2} (or {EPCIS_MASTERDATA_1})",
                root.display_name(),
                root.ns.as_deref().unwrap_or("none")
            ),
        })?;
        let mut reader = XmlEvents {
            scanner,
            prefixes: Prefixes::new(),
            declared_taken: 0,
            snapshot: Arc::new(Namespaces {
                from_xml: true,
                ..Namespaces::standard()
            }),
            snapshot_generation: u64::MAX,
            hash_ignored: Arc::from([]),
            levels: vec![Level::Root],
            kind,
            version,
            schema_version: root.attr("schemaVersion").map(str::to_string),
            creation_date: root.attr("creationDate").map(str::to_string),
            master_data: Vec::new(),
            count: 0,
            max_events: limits.max_events,
            done: false,
            raw_mode: false,
        };
        reader.take_declarations();
        Ok(reader)
    }

    /// `EPCISDocument` or `EPCISQueryDocument`.
    pub fn kind(&self) -> DocumentKind {
        self.kind
    }
    /// The EPCIS version of the input.
    pub fn version(&self) -> XmlVersion {
        self.version
    }
    /// The root's `creationDate`, if given.
    pub fn creation_date(&self) -> Option<&str> {
        self.creation_date.as_deref()
    }
    /// The root's `schemaVersion`, if given.
    pub fn schema_version(&self) -> Option<&str> {
        self.schema_version.as_deref()
    }
    /// Master data vocabularies read so far (the header comes before the events).
    pub fn master_data(&self) -> &[Value] {
        &self.master_data
    }
    /// The JSON-LD `@context` equivalent to the namespaces declared so far.
    pub fn context(&self) -> Value {
        let own: Map<String, Value> = self
            .prefixes
            .document_prefixes()
            .into_iter()
            .map(|(p, ns)| (p, Value::String(ns)))
            .collect();
        let mut context = vec![Value::String(EPCIS_CONTEXT.into())];
        if !own.is_empty() {
            context.push(Value::Object(own));
        }
        Value::Array(context)
    }
    /// The JSON pointer of event `i` in the JSON-LD form of this document.
    pub fn event_pointer(&self, i: usize) -> String {
        match self.kind {
            DocumentKind::EpcisDocument => format!("/epcisBody/eventList/{i}"),
            DocumentKind::EpcisQueryDocument => {
                format!("/epcisBody/queryResults/resultsBody/eventList/{i}")
            }
        }
    }

    fn take_declarations(&mut self) {
        while self.declared_taken < self.scanner.declared.len() {
            let (p, ns) = &self.scanner.declared[self.declared_taken];
            self.prefixes.declare(p, ns);
            self.declared_taken += 1;
        }
    }

    fn namespaces(&mut self) -> Arc<Namespaces> {
        if self.snapshot_generation != self.prefixes.generation {
            self.snapshot = Arc::new(Namespaces {
                from_xml: true,
                ..self.prefixes.namespaces.clone()
            });
            self.snapshot_generation = self.prefixes.generation;
        }
        Arc::clone(&self.snapshot)
    }

    fn next_event(&mut self) -> Result<Option<EventResult>, DocumentError> {
        loop {
            let item = self.scanner.next_item()?;
            self.take_declarations();
            let node = match item {
                Item::Eof => return Ok(None),
                Item::End => {
                    self.levels.pop();
                    continue;
                }
                Item::Start(node) => node,
            };
            let level = self.levels.last().copied().unwrap_or(Level::Root);
            let local = node.local.as_str();
            let unqualified = node.ns.is_none();
            match (level, local) {
                (Level::Root, "EPCISHeader") | (Level::Body, "VocabularyList") if unqualified => {
                    let header = self.scanner.subtree(node)?;
                    self.take_declarations();
                    let mut md = to_json::master_data(header, &mut self.prefixes);
                    self.master_data.append(&mut md);
                }
                (Level::Root, "EPCISBody") if unqualified => self.levels.push(Level::Body),
                (Level::Body | Level::Root, "QueryResults") => {
                    self.levels.push(Level::QueryResults)
                }
                (Level::QueryResults | Level::Root, "resultsBody") if unqualified => {
                    self.levels.push(Level::ResultsBody)
                }
                (Level::Body | Level::ResultsBody | Level::Root, "EventList") if unqualified => {
                    self.levels.push(Level::EventList)
                }
                (Level::EventList, "extension") if unqualified => {
                    self.levels.push(Level::EventList)
                }
                (Level::EventList, name) if unqualified && to_json::is_event_name(name) => {
                    return self.event(node).map(Some);
                }
                (Level::EventList, _) => {
                    return Err(DocumentError::Xml {
                        line: node.line,
                        message: format!(
                            "{} is not an event; EventList holds ObjectEvent, AggregationEvent, \
                             TransactionEvent, TransformationEvent and AssociationEvent",
                            node.display_name()
                        ),
                    });
                }
                (Level::Root | Level::QueryResults | Level::Body, "ignoreFields")
                    if !unqualified =>
                {
                    let list = self.scanner.subtree(node)?;
                    let mut names: Vec<String> = self.hash_ignored.to_vec();
                    names.extend(to_json::ignored_names(&list));
                    names.sort();
                    names.dedup();
                    self.hash_ignored = names.into();
                }
                _ => self.scanner.skip()?,
            }
        }
    }

    /// The next event as its JSON-LD object, before validation (for tools that must look at
    /// events the validation refuses, such as hash comparisons). Structural errors (an
    /// element that has no place in the event) still come back as field errors.
    pub fn next_unvalidated(
        &mut self,
    ) -> Option<Result<Result<RawEvent, Vec<FieldError>>, DocumentError>> {
        if self.done {
            return None;
        }
        self.raw_mode = true;
        let result = self.next_event();
        self.raw_mode = false;
        match result {
            Ok(Some(Ok(event))) => Some(Ok(Ok(RawEvent {
                json: event.json().clone(),
                namespaces: Arc::new(event.namespaces().clone()),
                hash_ignored: self.hash_ignored.clone(),
            }))),
            Ok(Some(Err(errors))) => Some(Ok(Err(errors))),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    fn event(&mut self, node: Node) -> Result<EventResult, DocumentError> {
        if self.count >= self.max_events {
            return Err(DocumentError::TooLarge(format!(
                "the document holds more than {} events",
                self.max_events
            )));
        }
        let pointer = self.event_pointer(self.count);
        self.count += 1;
        let tree = self.scanner.subtree(node)?;
        self.take_declarations();
        let line = tree.line;
        let json = match to_json::event(tree, &mut self.prefixes, &pointer) {
            Ok(json) => json,
            Err(errors) => return Ok(Err(errors)),
        };
        let namespaces = self.namespaces();
        if self.raw_mode {
            return Ok(Ok(Event::unvalidated(
                json,
                namespaces,
                self.hash_ignored.clone(),
            )));
        }
        Ok(build_event(
            Value::Object(json),
            &pointer,
            &namespaces,
            &self.hash_ignored,
        )
        .map_err(|errors| {
            errors
                .into_iter()
                .map(|e| FieldError {
                    message: format!("{} (XML event at line {line})", e.message),
                    ..e
                })
                .collect()
        }))
    }
}

impl<R: BufRead> Iterator for XmlEvents<R> {
    type Item = Result<EventResult, DocumentError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_event() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

fn root_kind(root: &Node) -> Option<(DocumentKind, XmlVersion)> {
    match (root.ns.as_deref()?, root.local.as_str()) {
        (EPCIS_2, "EPCISDocument") => Some((DocumentKind::EpcisDocument, XmlVersion::V2)),
        (EPCIS_1, "EPCISDocument") => Some((DocumentKind::EpcisDocument, XmlVersion::V1)),
        (EPCIS_QUERY_2, "EPCISQueryDocument") => {
            Some((DocumentKind::EpcisQueryDocument, XmlVersion::V2))
        }
        (EPCIS_QUERY_1, "EPCISQueryDocument") => {
            Some((DocumentKind::EpcisQueryDocument, XmlVersion::V1))
        }
        // A master data document reads as an EPCISDocument with header master data and no events.
        (EPCIS_MASTERDATA_2, "EPCISMasterDataDocument") => {
            Some((DocumentKind::EpcisDocument, XmlVersion::V2))
        }
        (EPCIS_MASTERDATA_1, "EPCISMasterDataDocument") => {
            Some((DocumentKind::EpcisDocument, XmlVersion::V1))
        }
        _ => None,
    }
}

/// Parses a whole EPCIS XML document (2.0 or 1.2) into the same [`Document`] the JSON-LD
/// binding gives.
pub fn parse_xml_document(bytes: &[u8], limits: &Limits) -> Result<Document, DocumentError> {
    if bytes.len() > limits.max_bytes {
        return Err(DocumentError::TooLarge(format!(
            "the document is {} bytes; at most {} are accepted",
            bytes.len(),
            limits.max_bytes
        )));
    }
    let mut reader = XmlEvents::new(bytes, limits)?;
    let mut events = Vec::new();
    for event in reader.by_ref() {
        events.push(event?);
    }
    let mut header = Map::new();
    if !reader.master_data.is_empty() {
        header.insert(
            "epcisMasterData".into(),
            serde_json::json!({ "vocabularyList": reader.master_data }),
        );
    }
    Ok(Document {
        kind: reader.kind,
        context: reader.context(),
        header: (!header.is_empty()).then_some(Value::Object(header)),
        events,
        master_data: reader.master_data,
    })
}

/// Parses one event sent alone (the XML body of `POST /events`): an event element, or an
/// EPCIS document holding exactly one event.
pub fn parse_xml_event(bytes: &[u8], limits: &Limits) -> Result<Event, DocumentError> {
    if bytes.len() > limits.max_bytes {
        return Err(DocumentError::TooLarge(format!(
            "the event is {} bytes; at most {} are accepted",
            bytes.len(),
            limits.max_bytes
        )));
    }
    let mut scanner = Scanner::new(bytes, limits);
    let root = match scanner.next_item()? {
        Item::Start(node) => node,
        _ => return Err(scanner.error("no root element")),
    };
    if to_json::is_event_name(&root.local) && root_kind(&root).is_none() {
        let tree = scanner.subtree(root)?;
        let mut prefixes = Prefixes::new();
        for (p, ns) in &scanner.declared {
            prefixes.declare(p, ns);
        }
        let json = to_json::event(tree, &mut prefixes, "").map_err(DocumentError::Invalid)?;
        let namespaces = Arc::new(prefixes.namespaces.clone());
        return build_event(Value::Object(json), "", &namespaces, &Arc::from([]))
            .map_err(DocumentError::Invalid);
    }
    let document = parse_xml_document(bytes, limits)?;
    let count = document.events.len();
    match document.events.into_iter().next() {
        Some(event) if count == 1 => event.map_err(DocumentError::Invalid),
        _ => Err(DocumentError::Invalid(vec![FieldError {
            pointer: String::new(),
            message: format!(
                "expected one event (an event element, or a document holding one event); found {count}"
            ),
        }])),
    }
}
