//! GS1 identifiers: check digits, the Application Identifier table, GS1 keys,
//! EPC URNs and GS1 Digital Link URIs, and conversion between them.
//!
//! Pure: no I/O. Every function takes its input as text and returns a typed
//! [`Gs1Error`] naming what is wrong and where.
//!
//! The canonical form of every GS1 identifier is its Digital Link on
//! `https://id.gs1.org/`: EPC URNs convert to it without outside knowledge; the way
//! back needs the company prefix length from a [`CompanyPrefixLookup`].

pub mod ai;
mod ai_table;
mod check;
mod compressed;
pub mod dl;
pub mod element;
pub mod epc;
mod error;
pub mod keys;
mod pattern;
mod prefix;

use std::borrow::Cow;

pub use ai::{ai, AiSpec};
pub use check::{check_digit, verify_check_digit};
pub use dl::{AiValue, DigitalLink, ParseOptions};
pub use element::{format_bracketed, format_unbracketed, parse_element_string};
pub use error::Gs1Error;
pub use prefix::{CompanyPrefixLookup, NoPrefixes, StaticPrefixes};

/// Whether `text` starts with `urn:epc:` (any case).
fn is_epc_urn(text: &str) -> bool {
    text.get(..8)
        .is_some_and(|h| h.eq_ignore_ascii_case("urn:epc:"))
}

/// Whether `text` starts with `http://` or `https://` (any case).
fn is_http(text: &str) -> bool {
    let starts = |p: &str| {
        text.get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    starts("https://") || starts("http://")
}

/// Parses an EPC URN or a Digital Link into a Digital Link.
fn parse_any(uri: &str) -> Result<DigitalLink, Gs1Error> {
    if is_epc_urn(uri) {
        epc::urn_to_digital_link(uri)
    } else if is_http(uri) {
        DigitalLink::parse(uri)
    } else {
        Err(Gs1Error::NotGs1(uri.to_string()))
    }
}

/// The canonical form of an identifier for indexing and comparison: a GS1
/// identifier given as an EPC URN or as any Digital Link becomes its canonical
/// Digital Link (`https://id.gs1.org/...`); anything else is returned unchanged.
///
/// Digital Link query-string attributes are not part of an identity and are dropped.
pub fn canonical_id(uri: &str) -> Cow<'_, str> {
    match parse_any(uri) {
        Ok(dl) => {
            let canonical = dl.canonical();
            if canonical == uri {
                Cow::Borrowed(uri)
            } else {
                Cow::Owned(canonical)
            }
        }
        Err(_) => Cow::Borrowed(uri),
    }
}

/// Converts an EPC URN (pure identity `urn:epc:id:…` or class `urn:epc:class:lgtin:…`)
/// or a Digital Link to the canonical Digital Link URI.
pub fn to_digital_link(uri: &str) -> Result<String, Gs1Error> {
    parse_any(uri).map(|dl| dl.canonical())
}

/// Converts a Digital Link (or an EPC URN, which is returned canonicalised) to an EPC URN.
/// Needs the company prefix length, which a Digital Link does not carry.
pub fn to_epc_urn(uri: &str, prefixes: &dyn CompanyPrefixLookup) -> Result<String, Gs1Error> {
    if is_epc_urn(uri) {
        // The URN marks its own prefix: round-trip through the Digital Link with it.
        let parts = epc::split_urn(uri)?;
        let own = StaticPrefixes::new([parts.parts[0]]);
        let dl = epc::urn_to_digital_link(uri)?;
        return epc::digital_link_to_urn(&dl, &own);
    }
    epc::digital_link_to_urn(&parse_any(uri)?, prefixes)
}

/// Translates an EPC pattern URN (`urn:epc:idpat:sgtin:0614141.107346.*`) into a SQL
/// `LIKE` pattern over canonical Digital Links (`_` one character, `%` any run; literal
/// `_`, `%` and `\` escaped with `\`), or `None` when the text is not a pattern URN.
pub fn pattern_to_like(pattern: &str) -> Option<Result<String, Gs1Error>> {
    let head = "urn:epc:idpat:";
    let is_pattern = pattern
        .get(..head.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(head));
    is_pattern.then(|| pattern::to_like(pattern))
}
