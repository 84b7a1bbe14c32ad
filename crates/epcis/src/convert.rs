//! Conversion between the bindings: JSON-LD ⇄ XML 2.0, and XML 1.2 → 2.0 (either binding).
//!
//! XML input streams: events are read, validated and written one at a time, so memory stays
//! bounded whatever the document's length. JSON-LD input is read whole (within the limits).
//! Every event is validated; an invalid one stops the conversion with its errors, so that
//! what comes out is always a valid document.

use std::io::{BufRead, Read, Write};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::context::Namespaces;
use crate::document::{DocumentError, DocumentKind, FieldError, Limits};
use crate::format::{convert_event, CbvFormat, EpcFormat};
use crate::xml::{self, WriteError, XmlEvents, XmlVersion};
use crate::Event;

/// The binding of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// JSON-LD.
    Json,
    /// XML.
    Xml,
}

/// What to convert to, and how to spell identifiers and CBV values.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    /// Output binding; `None` for the other one than the input's.
    pub target: Option<Binding>,
    /// Identifier spelling.
    pub epc: EpcFormat,
    /// CBV value spelling.
    pub cbv: CbvFormat,
    /// Input bounds.
    pub limits: Limits,
    /// Refuse events that fail validation (the default). When false, events are converted
    /// as read; a document that is not EPCIS, or an element with no place in its event,
    /// still stops the conversion.
    pub validate: bool,
}

/// What a conversion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertSummary {
    /// Input binding.
    pub from: Binding,
    /// True when the input was EPCIS 1.x XML.
    pub from_epcis_1: bool,
    /// Output binding.
    pub to: Binding,
    /// Events converted.
    pub events: usize,
}

/// Why a conversion stopped.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The input is not a readable EPCIS document.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// An event is invalid (errors point into the JSON-LD form of the document).
    #[error("event {index} is invalid: {}", .errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    InvalidEvent {
        /// 0-based index of the event.
        index: usize,
        /// What is wrong.
        errors: Vec<FieldError>,
    },
    /// An event has no XML form.
    #[error(transparent)]
    Xml(#[from] WriteError),
    /// Reading or writing failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Converts the document read from `input` into `output`.
pub fn convert<R: BufRead, W: Write>(
    mut input: R,
    output: W,
    options: &ConvertOptions,
) -> Result<ConvertSummary, ConvertError> {
    let from = sniff(&mut input)?;
    let to = options.target.unwrap_or(match from {
        Binding::Json => Binding::Xml,
        Binding::Xml => Binding::Json,
    });
    match from {
        Binding::Xml => from_xml(input, output, to, options),
        Binding::Json => from_json(input, output, to, options),
    }
}

/// The input's binding, from its first non-blank byte (`<` for XML), consuming only blanks
/// and a byte-order mark.
fn sniff<R: BufRead>(input: &mut R) -> Result<Binding, ConvertError> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Err(DocumentError::Syntax {
                line: 1,
                column: 1,
                message: "empty input".into(),
            }
            .into());
        }
        let skip = if buf.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            buf.iter().take_while(|b| b.is_ascii_whitespace()).count()
        };
        if skip == 0 {
            return Ok(if buf[0] == b'<' {
                Binding::Xml
            } else {
                Binding::Json
            });
        }
        input.consume(skip);
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn prepare(event: &Event, options: &ConvertOptions, embed: bool) -> Map<String, Value> {
    let mut event = event.clone();
    if embed {
        event.embed_context();
    }
    let mut value = Value::Object(event.json().clone());
    convert_event(&mut value, options.epc, options.cbv, &gs1::NoPrefixes);
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The JSON-LD document around the events, split where the events go.
fn json_frame(
    kind: DocumentKind,
    context: Value,
    creation_date: &str,
    master_data: &[Value],
) -> (String, &'static str) {
    let mut doc = Map::new();
    doc.insert("@context".into(), context);
    let (type_name, body, end) = match kind {
        DocumentKind::EpcisDocument => {
            ("EPCISDocument", json!({"eventList": ["@EVENTS@"]}), "]}}\n")
        }
        DocumentKind::EpcisQueryDocument => (
            "EPCISQueryDocument",
            json!({"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": ["@EVENTS@"]}}}),
            "]}}}}\n",
        ),
    };
    doc.insert("type".into(), Value::String(type_name.into()));
    doc.insert("schemaVersion".into(), Value::String("2.0".into()));
    doc.insert("creationDate".into(), Value::String(creation_date.into()));
    if !master_data.is_empty() {
        doc.insert(
            "epcisHeader".into(),
            json!({"epcisMasterData": {"vocabularyList": master_data}}),
        );
    }
    doc.insert("epcisBody".into(), body);
    let text = Value::Object(doc).to_string();
    let start = text
        .split_once("\"@EVENTS@\"")
        .map(|(head, _)| head.to_string())
        .unwrap_or(text);
    (start, end)
}

fn from_xml<R: BufRead, W: Write>(
    input: R,
    mut output: W,
    to: Binding,
    options: &ConvertOptions,
) -> Result<ConvertSummary, ConvertError> {
    let mut reader = XmlEvents::new(input, &options.limits)?;
    let kind = reader.kind();
    let creation = reader.creation_date().map_or_else(now, str::to_string);
    let mut started = false;
    let mut prologue_context = Value::Null;
    let mut count = 0usize;
    let mut buffer = String::new();
    let mut end = "";
    loop {
        let item = if options.validate {
            reader.next()
        } else {
            reader.next_unvalidated().map(|r| {
                r.map(|e| {
                    e.map(|raw| Event::unvalidated(raw.json, raw.namespaces, raw.hash_ignored))
                })
            })
        };
        let Some(item) = item else { break };
        let event = item?.map_err(|errors| ConvertError::InvalidEvent {
            index: count,
            errors,
        })?;
        if !started {
            started = true;
            match to {
                Binding::Json => {
                    prologue_context = reader.context();
                    let (start, tail) = json_frame(
                        kind,
                        prologue_context.clone(),
                        &creation,
                        reader.master_data(),
                    );
                    output.write_all(start.as_bytes())?;
                    end = tail;
                }
                Binding::Xml => {
                    let start = xml::document_start(kind, &creation, None, reader.master_data());
                    output.write_all(start.as_bytes())?;
                }
            }
        }
        buffer.clear();
        match to {
            Binding::Json => {
                // A namespace first declared inside this event is not in the document's
                // context: the event then carries its own.
                let embed = reader.context() != prologue_context;
                let map = prepare(&event, options, embed);
                if count > 0 {
                    buffer.push(',');
                }
                buffer.push_str(&Value::Object(map).to_string());
            }
            Binding::Xml => {
                let map = prepare(&event, options, false);
                xml::write_event(&mut buffer, &map, event.namespaces())?;
            }
        }
        output.write_all(buffer.as_bytes())?;
        count += 1;
    }
    if !started {
        match to {
            Binding::Json => {
                let (start, tail) =
                    json_frame(kind, reader.context(), &creation, reader.master_data());
                output.write_all(start.as_bytes())?;
                end = tail;
            }
            Binding::Xml => {
                let start = xml::document_start(kind, &creation, None, reader.master_data());
                output.write_all(start.as_bytes())?;
            }
        }
    }
    match to {
        Binding::Json => output.write_all(end.as_bytes())?,
        Binding::Xml => output.write_all(xml::document_end(kind).as_bytes())?,
    }
    output.flush()?;
    Ok(ConvertSummary {
        from: Binding::Xml,
        from_epcis_1: reader.version() == XmlVersion::V1,
        to,
        events: count,
    })
}

fn from_json<R: BufRead, W: Write>(
    mut input: R,
    mut output: W,
    to: Binding,
    options: &ConvertOptions,
) -> Result<ConvertSummary, ConvertError> {
    let mut bytes = Vec::new();
    let cap = options.limits.max_bytes.saturating_add(1) as u64;
    input.by_ref().take(cap).read_to_end(&mut bytes)?;
    let document = crate::parse_document(&bytes, &options.limits)?;
    let root = serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null);
    drop(bytes);
    let creation = root
        .get("creationDate")
        .and_then(Value::as_str)
        .map_or_else(now, str::to_string);
    let mut events = Vec::with_capacity(document.events.len());
    if options.validate {
        for (index, event) in document.events.into_iter().enumerate() {
            events.push(event.map_err(|errors| ConvertError::InvalidEvent { index, errors })?);
        }
    } else if let Some(root) = root.as_object() {
        let namespaces = Namespaces::from_context(&document.context);
        let ignored: Arc<[String]> = crate::hash::ignored_fields(root, &namespaces).into();
        for event in crate::hash::document_events(root) {
            let mut own = namespaces.clone();
            if let Some(context) = event.get("@context") {
                own.add_context(context);
            }
            events.push(Event::unvalidated(
                event.clone(),
                Arc::new(own),
                ignored.clone(),
            ));
        }
    }
    let count = events.len();
    match to {
        Binding::Xml => {
            let start = xml::document_start(document.kind, &creation, None, &document.master_data);
            output.write_all(start.as_bytes())?;
            let mut buffer = String::new();
            for event in &events {
                buffer.clear();
                let map = prepare(event, options, false);
                xml::write_event(&mut buffer, &map, event.namespaces())?;
                output.write_all(buffer.as_bytes())?;
            }
            output.write_all(xml::document_end(document.kind).as_bytes())?;
        }
        Binding::Json => {
            let (start, end) = json_frame(
                document.kind,
                document.context.clone(),
                &creation,
                &document.master_data,
            );
            output.write_all(start.as_bytes())?;
            for (i, event) in events.iter().enumerate() {
                if i > 0 {
                    output.write_all(b",")?;
                }
                let map = prepare(event, options, false);
                output.write_all(Value::Object(map).to_string().as_bytes())?;
            }
            output.write_all(end.as_bytes())?;
        }
    }
    output.flush()?;
    Ok(ConvertSummary {
        from: Binding::Json,
        from_epcis_1: false,
        to,
        events: count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2" creationDate="2019-01-01T00:00:00Z" xmlns:ex="https://ns.example.com/epcis/">
<EPCISBody><EventList>
<ObjectEvent><eventTime>2019-01-01T10:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
<epcList><epc>urn:epc:id:sgtin:8934567.012345.1</epc></epcList><action>OBSERVE</action>
<bizStep>urn:epcglobal:cbv:bizstep:inspecting</bizStep><ex:note>a</ex:note></ObjectEvent>
<ObjectEvent xmlns:late="https://late.example/"><eventTime>2019-01-01T11:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
<epcList><epc>urn:epc:id:sgtin:8934567.012345.2</epc></epcList><action>OBSERVE</action><late:x>b</late:x></ObjectEvent>
</EventList></EPCISBody></epcis:EPCISDocument>"#;

    fn options(target: Option<Binding>) -> ConvertOptions {
        ConvertOptions {
            target,
            epc: EpcFormat::NeverTranslates,
            cbv: CbvFormat::NeverTranslates,
            limits: Limits::default(),
            validate: true,
        }
    }

    fn hashes(bytes: &[u8]) -> Vec<String> {
        crate::parse_any_document(bytes, &Limits::default())
            .unwrap()
            .events
            .into_iter()
            .map(|e| e.unwrap().hash())
            .collect()
    }

    #[test]
    fn xml_1_2_to_json_to_xml_keeps_hashes() {
        let mut json = Vec::new();
        let summary = convert(XML.as_bytes(), &mut json, &options(None)).unwrap();
        assert_eq!(
            summary,
            ConvertSummary {
                from: Binding::Xml,
                from_epcis_1: true,
                to: Binding::Json,
                events: 2
            }
        );
        let doc: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(doc["@context"][1]["ex"], "https://ns.example.com/epcis/");
        assert_eq!(
            doc["epcisBody"]["eventList"][1]["@context"]["late"],
            "https://late.example/"
        );
        let mut xml = Vec::new();
        convert(json.as_slice(), &mut xml, &options(None)).unwrap();
        let text = String::from_utf8(xml.clone()).unwrap();
        assert!(text.contains("urn:epcglobal:epcis:xsd:2"));
        assert_eq!(hashes(XML.as_bytes()), hashes(&json));
        assert_eq!(hashes(&json), hashes(&xml));
    }

    #[test]
    fn invalid_event_stops_the_conversion() {
        let bad = XML.replace(
            "<action>OBSERVE</action><late:x>",
            "<action>SHOUT</action><late:x>",
        );
        let err = convert(bad.as_bytes(), Vec::new(), &options(None)).err();
        assert!(
            matches!(err, Some(ConvertError::InvalidEvent { index: 1, .. })),
            "{err:?}"
        );
        assert!(convert(&b"  "[..], Vec::new(), &options(None)).is_err());
    }
}
