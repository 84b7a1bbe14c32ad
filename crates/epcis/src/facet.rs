//! Facets: the (field, value) pairs an event is indexed by.
//!
//! Every query condition in [`crate::query`] is expressed over facet field names, so the
//! store only needs one generic index: `(field, text value)` and `(field, number)` rows.
//! The naming convention for fields is owned by this module and documented on
//! [`Facet::field`]; identifiers are always in canonical form (see `gs1::canonical_id`).

/// One indexed fact about an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Facet {
    /// Field name, e.g. `epc`, `parentID`, `childEPC`, `inputEPC`, `outputEPC`, `epcClass`,
    /// `bizStep`, `disposition`, `readPoint`, `bizLocation`, `bizTransaction:{type}`,
    /// `source:{type}`, `destination:{type}`, `ilmd:{name}`, `quantity` …
    pub field: String,
    /// The value: text for identifiers and vocabulary, number for quantities, measurements and times (epoch ms).
    pub value: FacetValue,
}

/// A facet value.
#[derive(Debug, Clone, PartialEq)]
pub enum FacetValue {
    /// An identifier, vocabulary value or string.
    Text(String),
    /// A number; times are milliseconds since the Unix epoch.
    Number(f64),
}
