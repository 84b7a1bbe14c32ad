//! Why a code or label could not be made.

/// A refused code or label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// The data does not fit the symbol.
    #[error("too much data for the symbol: {0}")]
    TooLong(String),
    /// The identifier is not valid.
    #[error(transparent)]
    Identifier(#[from] gs1::Gs1Error),
    /// A label size or sheet request that cannot be laid out.
    #[error("label layout: {0}")]
    Layout(String),
    /// The PNG encoder failed.
    #[error("PNG: {0}")]
    Png(String),
}
