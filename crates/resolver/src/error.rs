//! Why a link definition or a resolver request was refused.

/// A refused link definition or request parameter; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolverError {
    /// A link type that is not in the GS1 Web Vocabulary.
    #[error(
        "linkType {0:?} is not a GS1 Web Vocabulary link type (e.g. gs1:pip, gs1:traceability)"
    )]
    UnknownLinkType(String),
    /// A link target that is not an absolute http(s) URI.
    #[error("href {0:?} must be an absolute http or https URI")]
    BadHref(String),
    /// A language tag that is not a BCP 47 shape.
    #[error("hreflang {0:?} is not a language tag (e.g. vi, en-GB)")]
    BadLanguage(String),
    /// A media type that is not `type/subtype`.
    #[error("type {0:?} is not a media type (e.g. text/html)")]
    BadMediaType(String),
    /// A scope the key does not allow (lot on an SSCC, range ends swapped …).
    #[error("scope: {0}")]
    BadScope(String),
    /// The key is not a Digital Link primary key.
    #[error(transparent)]
    Key(#[from] gs1::Gs1Error),
}
