//! The JSON-LD binding: parsing and validating EPCIS documents and single events.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::context::Namespaces;
use crate::facet::Facet;
use crate::ids::CanonicalIds;
use crate::model::{EventType, EventView};
use crate::path::Path;

/// Bounds on what a parser accepts; exceeding one is an error, never a crash.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest document, bytes.
    pub max_bytes: usize,
    /// Most events in one document.
    pub max_events: usize,
    /// Deepest JSON nesting, and deepest XML element nesting.
    pub max_depth: usize,
    /// Most attributes on one XML element (namespace declarations included).
    pub max_attributes: usize,
    /// Largest XML text node or attribute value, bytes.
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 16 * 1024 * 1024,
            max_events: 10_000,
            max_depth: 32,
            max_attributes: 64,
            max_text_bytes: 1024 * 1024,
        }
    }
}

/// One thing wrong with an event or a document: where (JSON pointer) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct FieldError {
    /// JSON pointer to the offending value, from the document root, e.g. `/epcisBody/eventList/3/epcList/0`.
    pub pointer: String,
    /// What is wrong, in plain words.
    pub message: String,
}

/// A document that cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Not JSON, or not valid UTF-8.
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// Bigger than a [`Limits`] bound.
    #[error("{0}")]
    TooLarge(String),
    /// Nested deeper than [`Limits::max_depth`]; refused before parsing.
    #[error("JSON nesting deeper than {max_depth} levels (at byte {byte})")]
    TooDeep {
        /// The bound.
        max_depth: usize,
        /// Offset of the first byte past the bound.
        byte: usize,
    },
    /// XML that is malformed, hostile (DTD, entities, too deep, too many attributes, too
    /// long a text) or not EPCIS XML (wrong namespace, misplaced element).
    #[error("XML line {line}: {message}")]
    Xml {
        /// 1-based line where the problem was found.
        line: usize,
        /// What is wrong, naming the element.
        message: String,
    },
    /// Well-formed JSON but not an EPCIS document (the errors say where).
    #[error("invalid EPCIS document: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
}

/// A parsed, validated EPCIS event: its JSON-LD object kept losslessly, plus the typed
/// fields that traceport needs.
#[derive(Debug, Clone)]
pub struct Event {
    event_type: EventType,
    event_time_ms: i64,
    json: Map<String, Value>,
    namespaces: Arc<Namespaces>,
    /// Extension fields the document asks hashers to leave out (`…:ignoreFields`).
    hash_ignored: Arc<[String]>,
    /// The Digital Links of the GS1 identifiers, as computed by validation.
    ids: CanonicalIds,
}

impl Event {
    /// Wraps a JSON-LD object without validating it (type and time read if present).
    pub(crate) fn unvalidated(
        json: Map<String, Value>,
        namespaces: Arc<Namespaces>,
        hash_ignored: Arc<[String]>,
    ) -> Event {
        let event_type = json
            .get("type")
            .and_then(Value::as_str)
            .and_then(EventType::parse)
            .unwrap_or(EventType::ObjectEvent);
        let event_time_ms = json
            .get("eventTime")
            .and_then(Value::as_str)
            .and_then(|t| crate::lexical::parse_time_ms(t).ok())
            .unwrap_or(0);
        Event {
            event_type,
            event_time_ms,
            json,
            namespaces,
            hash_ignored,
            ids: CanonicalIds::default(),
        }
    }
    /// The event type.
    pub fn event_type(&self) -> EventType {
        self.event_type
    }
    /// `eventID`, if set.
    pub fn event_id(&self) -> Option<&str> {
        self.json.get("eventID").and_then(Value::as_str)
    }
    /// Sets `eventID`.
    pub fn set_event_id(&mut self, id: String) {
        self.json.insert("eventID".into(), Value::String(id));
    }
    /// `eventTime`, epoch milliseconds.
    pub fn event_time_ms(&self) -> i64 {
        self.event_time_ms
    }
    /// Sets `recordTime` (RFC 3339, UTC, milliseconds).
    pub fn set_record_time_ms(&mut self, ms: i64) {
        if let Some(text) = crate::lexical::format_time_ms(ms) {
            self.json.insert("recordTime".into(), Value::String(text));
        }
    }
    /// The event's JSON-LD object.
    pub fn json(&self) -> &Map<String, Value> {
        &self.json
    }
    /// The namespaces of the document the event came in.
    pub fn namespaces(&self) -> &Namespaces {
        &self.namespaces
    }
    /// The facets this event is indexed by.
    pub fn facets(&self) -> Vec<Facet> {
        match self.view() {
            Some(view) => self.facets_of(&view),
            None => Vec::new(),
        }
    }
    /// The facets of this event's [`Event::view`], for a caller that needs the view for
    /// more than the facets (reading the event once).
    pub fn facets_of(&self, view: &EventView<'_>) -> Vec<Facet> {
        crate::facet::extract(view, &self.namespaces, &self.ids)
    }
    /// The canonical Digital Links of the event's GS1 identifiers as validation computed
    /// them (empty for an event that was not validated).
    pub fn canonical_ids(&self) -> &CanonicalIds {
        &self.ids
    }
    /// The typed view of the event's standard fields (borrowing from its JSON object).
    /// `None` only if the object was made invalid after validation.
    pub fn view(&self) -> Option<EventView<'_>> {
        crate::validate::view_event(&self.json)
    }
    /// Writes the namespaces of the prefixes the event uses (in field names, or as the
    /// prefix of a value such as `example:x`) into the event's own `@context`, unless the
    /// standard context already means the same, so that a stored event stays self-describing
    /// once separated from its document. An event that already has a `@context` keeps it.
    pub fn embed_context(&mut self) {
        if self.json.contains_key("@context") {
            return;
        }
        let standard = Namespaces::standard_shared();
        // Most events come with the standard context only: nothing to embed.
        if self
            .namespaces
            .prefixes
            .iter()
            .all(|(p, ns)| standard.prefixes.get(p) == Some(ns))
        {
            return;
        }
        let mut used = Map::new();
        for (key, value) in &self.json {
            collect_prefixes(
                &Value::String(key.clone()),
                &self.namespaces,
                standard,
                &mut used,
            );
            collect_prefixes(value, &self.namespaces, standard, &mut used);
        }
        if used.is_empty() {
            return;
        }
        let mut json = Map::with_capacity(self.json.len() + 1);
        json.insert("@context".into(), Value::Object(used));
        json.extend(std::mem::take(&mut self.json));
        self.json = json;
    }
    /// The canonical pre-hash string the hash is taken of.
    pub fn pre_hash_string(&self) -> String {
        crate::hash::pre_hash_string_with(
            &self.json,
            &self.namespaces,
            &self.hash_ignored,
            &self.ids,
        )
    }
    /// The canonical event hash (`ni:///sha-256;…?ver=CBV2.0`).
    pub fn hash(&self) -> String {
        crate::hash::hash_pre_hash_string(&self.pre_hash_string())
    }
}

/// Adds to `used` every prefix of `value` (keys, and `prefix:rest` strings) that `namespaces`
/// declares differently from the standard context.
fn collect_prefixes(
    value: &Value,
    namespaces: &Namespaces,
    standard: &Namespaces,
    used: &mut Map<String, Value>,
) {
    fn note(
        text: &str,
        namespaces: &Namespaces,
        standard: &Namespaces,
        used: &mut Map<String, Value>,
    ) {
        let Some((prefix, _)) = text.split_once(':') else {
            return;
        };
        if used.contains_key(prefix) {
            return;
        }
        if let Some(ns) = namespaces.prefixes.get(prefix) {
            if standard.prefixes.get(prefix) != Some(ns) {
                used.insert(prefix.to_string(), Value::String(ns.clone()));
            }
        }
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                note(k, namespaces, standard, used);
                collect_prefixes(v, namespaces, standard, used);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| collect_prefixes(v, namespaces, standard, used)),
        Value::String(s) => note(s, namespaces, standard, used),
        _ => {}
    }
}

/// Which kind of document was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// `EPCISDocument`.
    EpcisDocument,
    /// `EPCISQueryDocument`.
    EpcisQueryDocument,
}

/// A parsed EPCIS document: each event either valid or with its errors.
#[derive(Debug, Clone)]
pub struct Document {
    /// The kind.
    pub kind: DocumentKind,
    /// The `@context` as given.
    pub context: Value,
    /// `epcisHeader`, if any.
    pub header: Option<Value>,
    /// The events in document order; an invalid event carries its errors (pointers from the document root).
    pub events: Vec<Result<Event, Vec<FieldError>>>,
    /// Master data vocabularies from the header (`epcisMasterData.vocabularyList`), in the
    /// JSON-LD form whichever binding the document came in.
    pub master_data: Vec<Value>,
}

/// The master data vocabularies of a JSON-LD `epcisHeader`.
pub fn header_master_data(header: Option<&Value>) -> Vec<Value> {
    header
        .and_then(|h| h.pointer("/epcisMasterData/vocabularyList"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Parses and validates an `EPCISDocument` or `EPCISQueryDocument` in JSON-LD.
pub fn parse_document(bytes: &[u8], limits: &Limits) -> Result<Document, DocumentError> {
    let mut root = parse_json(bytes, limits)?;
    let Some(obj) = root.as_object_mut() else {
        return Err(invalid(
            "",
            "expected a JSON object (an EPCISDocument or EPCISQueryDocument)",
        ));
    };
    let kind = match obj.get("type").and_then(Value::as_str) {
        Some("EPCISDocument") => DocumentKind::EpcisDocument,
        Some("EPCISQueryDocument") => DocumentKind::EpcisQueryDocument,
        Some(other) => {
            return Err(invalid(
                "/type",
                &format!(
                "`{other}` is not a document type; expected EPCISDocument or EPCISQueryDocument"
            ),
            ))
        }
        None => {
            return Err(invalid(
                "/type",
                "`type` (EPCISDocument or EPCISQueryDocument) is required",
            ))
        }
    };
    check_header_fields(obj)?;
    let context = obj.get("@context").cloned().unwrap_or(Value::Null);
    let header = obj.get("epcisHeader").cloned();
    let (list, list_pointer) = take_event_list(obj, kind)?;
    if list.len() > limits.max_events {
        return Err(DocumentError::TooLarge(format!(
            "the document holds {} events; at most {} are accepted in one document",
            list.len(),
            limits.max_events
        )));
    }
    let namespaces = Arc::new(Namespaces::from_context(&context));
    let hash_ignored: Arc<[String]> = crate::hash::ignored_fields(obj, &namespaces).into();
    let events = list
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let prefix = format!("{list_pointer}/{i}");
            build_event(item, &prefix, &namespaces, &hash_ignored)
        })
        .collect();
    let master_data = header_master_data(header.as_ref());
    Ok(Document {
        kind,
        context,
        header,
        events,
        master_data,
    })
}

/// Parses a document in either binding: XML (2.0 or 1.2) when it starts with `<`, else JSON-LD.
pub fn parse_any_document(bytes: &[u8], limits: &Limits) -> Result<Document, DocumentError> {
    if crate::xml::is_xml(bytes) {
        crate::xml::parse_xml_document(bytes, limits)
    } else {
        parse_document(bytes, limits)
    }
}

/// Parses a single event in either binding (see [`parse_any_document`]).
pub fn parse_any_event(bytes: &[u8], limits: &Limits) -> Result<Event, DocumentError> {
    if crate::xml::is_xml(bytes) {
        crate::xml::parse_xml_event(bytes, limits)
    } else {
        parse_event(bytes, limits)
    }
}

/// Parses and validates a single event (the body of `POST /events`): an event object,
/// optionally with its own `@context`.
pub fn parse_event(bytes: &[u8], limits: &Limits) -> Result<Event, DocumentError> {
    let root = parse_json(bytes, limits)?;
    // Without its own context the event still gets the standard prefixes (cbvmda, gs1 …).
    let namespaces = Arc::new(Namespaces::from_context(
        root.get("@context").unwrap_or(&Value::Null),
    ));
    build_event(root, "", &namespaces, &Arc::from([])).map_err(DocumentError::Invalid)
}

/// Reads JSON after enforcing the size and depth bounds (depth by a byte scan, so that a
/// hostile nesting never reaches the recursive parser).
fn parse_json(bytes: &[u8], limits: &Limits) -> Result<Value, DocumentError> {
    if bytes.len() > limits.max_bytes {
        return Err(DocumentError::TooLarge(format!(
            "the document is {} bytes; at most {} are accepted",
            bytes.len(),
            limits.max_bytes
        )));
    }
    if let Some(depth) = exceeds_depth(bytes, limits.max_depth) {
        return Err(DocumentError::TooDeep {
            max_depth: limits.max_depth,
            byte: depth,
        });
    }
    serde_json::from_slice(bytes).map_err(|e| DocumentError::Syntax {
        line: e.line().max(1),
        column: e.column().max(1),
        message: e.to_string(),
    })
}

/// The byte offset where nesting first exceeds `max_depth`, if it does. Brackets inside
/// strings do not count; malformed input is left for the parser to report.
fn exceeds_depth(bytes: &[u8], max_depth: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return Some(i);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn invalid(pointer: &str, message: &str) -> DocumentError {
    DocumentError::Invalid(vec![FieldError {
        pointer: pointer.into(),
        message: message.into(),
    }])
}

const DOCUMENT_FIELDS: &[&str] = &[
    "@context",
    "type",
    "id",
    "schemaVersion",
    "creationDate",
    "epcisHeader",
    "epcisBody",
    "sender",
    "receiver",
    "instanceIdentifier",
];

/// Checks the document-level fields (everything but the events).
fn check_header_fields(obj: &Map<String, Value>) -> Result<(), DocumentError> {
    let mut errors = Vec::new();
    let mut push = |pointer: String, message: String| errors.push(FieldError { pointer, message });
    for (k, v) in obj {
        let p = format!("/{}", crate::lexical::escape_pointer_token(k));
        match k.as_str() {
            "schemaVersion" => {
                let ok = v.as_str().is_some_and(|s| {
                    !s.is_empty() && s.split('.').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                });
                if !ok {
                    push(p, "schemaVersion must be a version string such as \"2.0\"".into());
                }
            }
            "creationDate" => match v.as_str() {
                Some(t) => {
                    if let Err(m) = crate::lexical::parse_time_ms(t) {
                        push(p, m);
                    }
                }
                None => push(p, format!("expected a date-time string, found {}", crate::validate::kind(v))),
            },
            "epcisHeader" if !v.is_object() => push(p, "epcisHeader must be an object".into()),
            _ if DOCUMENT_FIELDS.contains(&k.as_str()) || k.contains(':') => {}
            _ => push(p, format!("unknown document field `{k}`; extension fields must be namespaced (`prefix:{k}`)")),
        }
    }
    for required in ["schemaVersion", "creationDate", "epcisBody"] {
        if !obj.contains_key(required) {
            push(format!("/{required}"), format!("`{required}` is required"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DocumentError::Invalid(errors))
    }
}

/// Moves the event list out of the document, with its JSON pointer.
fn take_event_list(
    obj: &mut Map<String, Value>,
    kind: DocumentKind,
) -> Result<(Vec<Value>, &'static str), DocumentError> {
    let (path, pointer): (&[&str], &str) = match kind {
        DocumentKind::EpcisDocument => (&["epcisBody", "eventList"], "/epcisBody/eventList"),
        DocumentKind::EpcisQueryDocument => (
            &["epcisBody", "queryResults", "resultsBody", "eventList"],
            "/epcisBody/queryResults/resultsBody/eventList",
        ),
    };
    let mut here = obj;
    let mut at = String::new();
    for (i, step) in path.iter().enumerate() {
        at.push('/');
        at.push_str(step);
        let last = i + 1 == path.len();
        let Some(next) = here.get_mut(*step) else {
            return Err(invalid(&at, &format!("`{step}` is required")));
        };
        if last {
            return match next.take() {
                Value::Array(items) => Ok((items, pointer)),
                other => Err(invalid(
                    &at,
                    &format!(
                        "expected an array of events, found {}",
                        crate::validate::kind(&other)
                    ),
                )),
            };
        }
        if !next.is_object() {
            return Err(invalid(
                &at,
                &format!("expected an object, found {}", crate::validate::kind(next)),
            ));
        }
        let Some(obj) = next.as_object_mut() else {
            break;
        };
        here = obj;
    }
    Err(invalid(pointer, "no event list"))
}

/// Validates one event value and, when valid, wraps it. An event carrying its own
/// `@context` (as stored events do) adds its prefixes to the document's.
pub(crate) fn build_event(
    item: Value,
    pointer: &str,
    namespaces: &Arc<Namespaces>,
    hash_ignored: &Arc<[String]>,
) -> Result<Event, Vec<FieldError>> {
    let Value::Object(json) = item else {
        let message = format!(
            "expected an event object, found {}",
            crate::validate::kind(&item)
        );
        return Err(vec![FieldError {
            pointer: pointer.into(),
            message,
        }]);
    };
    let namespaces = match json.get("@context") {
        Some(own) => {
            let mut merged = Namespaces::clone(namespaces);
            merged.add_context(own);
            Arc::new(merged)
        }
        None => Arc::clone(namespaces),
    };
    let root = Path::root(pointer);
    let (event_type, event_time_ms, ids) = {
        let (view, ids) = crate::validate::read_event(&json, &root)?;
        (view.event_type(), view.common.event_time.epoch_ms, ids)
    };
    Ok(Event {
        event_type,
        event_time_ms,
        json,
        namespaces,
        hash_ignored: Arc::clone(hash_ignored),
        ids,
    })
}
