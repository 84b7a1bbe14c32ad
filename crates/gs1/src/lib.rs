//! GS1 identifiers: check digits, the Application Identifier table, GS1 keys,
//! EPC URNs and GS1 Digital Link URIs, and conversion between them.
//!
//! Pure: no I/O. Every function takes its input as text and returns a typed
//! [`Gs1Error`] naming what is wrong and where.

use std::borrow::Cow;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Gs1Error {
    /// Placeholder until the real error set lands.
    #[error("invalid GS1 identifier: {0}")]
    Invalid(String),
}

/// Looks up the length of the GS1 Company Prefix that starts a key, so that a
/// Digital Link (which does not mark the prefix) can be written as an EPC URN.
pub trait CompanyPrefixLookup {
    /// Length in digits of the company prefix that `key_digits` starts with, if known.
    fn prefix_len(&self, key_digits: &str) -> Option<usize>;
}

/// A lookup that knows no prefixes: Digital Links stay Digital Links.
pub struct NoPrefixes;

impl CompanyPrefixLookup for NoPrefixes {
    fn prefix_len(&self, _key_digits: &str) -> Option<usize> {
        None
    }
}

/// The GS1 mod-10 check digit for `digits` (the key without its check digit).
pub fn check_digit(digits: &str) -> Result<u8, Gs1Error> {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return Err(Gs1Error::Invalid(digits.to_string()));
        }
        let d = (c - b'0') as u32;
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    Ok(((10 - sum % 10) % 10) as u8)
}

/// The canonical form of an identifier for indexing and comparison: a GS1
/// identifier given as an EPC URN or as any Digital Link becomes its canonical
/// Digital Link (`https://id.gs1.org/...`); anything else is returned unchanged.
pub fn canonical_id(uri: &str) -> Cow<'_, str> {
    Cow::Borrowed(uri)
}

/// Converts an EPC URN (pure identity `urn:epc:id:…` or class `urn:epc:class:lgtin:…`)
/// or a Digital Link to the canonical Digital Link URI.
pub fn to_digital_link(uri: &str) -> Result<String, Gs1Error> {
    Err(Gs1Error::Invalid(uri.to_string()))
}

/// Converts a Digital Link (or an EPC URN, which is returned canonicalised) to an EPC URN.
/// Needs the company prefix length, which a Digital Link does not carry.
pub fn to_epc_urn(uri: &str, prefixes: &dyn CompanyPrefixLookup) -> Result<String, Gs1Error> {
    let _ = prefixes;
    Err(Gs1Error::Invalid(uri.to_string()))
}

/// Translates an EPC pattern URN (`urn:epc:idpat:sgtin:0614141.107346.*`) into a SQL
/// `LIKE` pattern over canonical Digital Links (`_` one character, `%` any run; literal
/// `_`, `%` and `\` escaped with `\`), or `None` when the text is not a pattern URN.
pub fn pattern_to_like(pattern: &str) -> Option<Result<String, Gs1Error>> {
    let _ = pattern;
    None
}
