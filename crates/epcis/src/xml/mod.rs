//! The XML binding of EPCIS: 2.0 documents (`urn:epcglobal:epcis:xsd:2`) and 1.2 documents
//! (`urn:epcglobal:epcis:xsd:1`, read as 2.0), turned into the same JSON-LD events the JSON
//! binding produces, so that validation, facets and the canonical hash are shared; and the
//! way back, JSON-LD events written as EPCIS 2.0 XML.
//!
//! Reading streams: [`XmlEvents`] yields events one by one. Hostile XML is refused before it
//! costs anything: DTDs and entities, deep nesting, many attributes, long texts, large input.

mod names;
mod read;
mod scan;
mod to_json;
mod write;

pub use names::{EPCIS_1, EPCIS_2, EPCIS_QUERY_1, EPCIS_QUERY_2};
pub use read::{
    parse_xml_document, parse_xml_event, EventResult, RawEvent, XmlEvents, XmlVersion,
    EPCIS_CONTEXT,
};
pub use write::{document_end, document_start, write_document, write_event, WriteError};

/// Whether `bytes` look like XML (first non-blank byte after any BOM is `<`) rather than JSON.
pub fn is_xml(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}
