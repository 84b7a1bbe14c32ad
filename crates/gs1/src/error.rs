//! The one error type of the crate: every variant says what was refused and where.

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Gs1Error {
    /// A character that is not a digit where only digits are allowed.
    #[error("{what}: character {ch:?} at position {pos} is not a digit")]
    NotNumeric {
        /// What was being read (a key name, an AI, "check digit input").
        what: String,
        /// Zero-based character position in the offending value.
        pos: usize,
        /// The offending character.
        ch: char,
    },
    /// A character outside the character set allowed for the value.
    #[error("{what}: character {ch:?} at position {pos} is not allowed ({charset})")]
    InvalidChar {
        /// What was being read.
        what: String,
        /// Zero-based character position.
        pos: usize,
        /// The offending character.
        ch: char,
        /// Name of the allowed character set.
        charset: &'static str,
    },
    /// A value of the wrong length.
    #[error("{what}: length {found}, expected {expected}")]
    Length {
        /// What was being read.
        what: String,
        /// Actual length in characters.
        found: usize,
        /// Allowed length(s), in words ("14", "1 to 20", "8, 12, 13 or 14").
        expected: String,
    },
    /// A wrong GS1 mod-10 check digit.
    #[error("{key} {value}: check digit (position {position}) is {found}, expected {expected}")]
    CheckDigit {
        /// The key type ("GTIN", "SSCC", "GLN" …).
        key: &'static str,
        /// The full digits that were checked.
        value: String,
        /// One-based position of the check digit in `value`.
        position: usize,
        /// The digit computed from the others.
        expected: u8,
        /// The digit present.
        found: u8,
    },
    /// An Application Identifier that is not in the table.
    #[error("unknown Application Identifier ({0})")]
    UnknownAi(String),
    /// A value that breaks a content rule of its AI (date, zero, piece of total …).
    #[error("AI ({ai}): {reason}")]
    AiRule {
        /// The AI code.
        ai: String,
        /// The rule that failed.
        reason: String,
    },
    /// A `%` not followed by two hex digits, or an escape that decodes to invalid UTF-8.
    #[error("bad percent-encoding at position {pos} in {text:?}")]
    PercentEncoding {
        /// The text being decoded.
        text: String,
        /// Zero-based byte position of the bad escape.
        pos: usize,
    },
    /// A Digital Link qualifier that the primary key does not accept at all.
    #[error("Digital Link: ({qualifier}) is not a qualifier of primary key ({key})")]
    QualifierNotAllowed {
        /// The primary key AI.
        key: String,
        /// The refused qualifier AI.
        qualifier: String,
    },
    /// A Digital Link qualifier out of the fixed order (or repeated).
    #[error("Digital Link: qualifier ({qualifier}) out of order for primary key ({key}); allowed order: {order}")]
    QualifierOrder {
        /// The primary key AI.
        key: String,
        /// The qualifier found out of order.
        qualifier: String,
        /// The allowed sequence(s), e.g. "22, 10, 21 | 235".
        order: String,
    },
    /// A query-string AI a Digital Link may not carry there.
    #[error("Digital Link query attribute ({ai}): {reason}")]
    AttributeNotAllowed {
        /// The AI code.
        ai: String,
        /// Why it is refused.
        reason: String,
    },
    /// A URI that is not a GS1 Digital Link.
    #[error("not a GS1 Digital Link ({reason}): {uri}")]
    NotDigitalLink {
        /// The URI.
        uri: String,
        /// Why.
        reason: String,
    },
    /// A malformed EPC URN.
    #[error("bad EPC URN {urn}: {reason}")]
    InvalidEpcUrn {
        /// The URN.
        urn: String,
        /// Why.
        reason: String,
    },
    /// An EPC scheme this crate does not know.
    #[error("unsupported EPC URN scheme {0:?}")]
    UnsupportedScheme(String),
    /// A company prefix outside the 4 to 12 digits that fit the key.
    #[error("company prefix {prefix:?}: length {len} does not fit the {key}")]
    CompanyPrefixLength {
        /// The key type.
        key: &'static str,
        /// The prefix.
        prefix: String,
        /// Its length.
        len: usize,
    },
    /// Converting a Digital Link to an EPC URN needs the company prefix length, which is not known.
    #[error("company prefix length unknown for {key} {digits}: add its company prefix to the prefix list")]
    UnknownCompanyPrefix {
        /// The key type.
        key: &'static str,
        /// The key digits.
        digits: String,
    },
    /// A GS1 identifier that has no EPC URN form (e.g. a GTIN with only a CPV).
    #[error("no EPC URN form for {what}")]
    NoEpcForm {
        /// What the identifier was.
        what: String,
    },
    /// A malformed GS1 element string.
    #[error("element string: {reason} at position {pos}")]
    ElementString {
        /// Zero-based character position.
        pos: usize,
        /// Why.
        reason: String,
    },
    /// Text that is neither an EPC URN nor a Digital Link.
    #[error("not a GS1 identifier: {0}")]
    NotGs1(String),
}
