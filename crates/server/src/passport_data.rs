//! What the passport page knows about products, parties and places beyond the EPCIS
//! events: one small lookup trait, so the product and organisation registries plug in
//! without touching the page. [`NoRegistry`] knows nothing; the page then shows what the
//! events say (ILMD, locations, dates).

use gs1::DigitalLink;

/// A text in both page languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalText {
    /// Vietnamese.
    pub vi: String,
    /// English.
    pub en: String,
}

impl LocalText {
    /// The same text in both languages (a proper name).
    pub fn same(text: &str) -> LocalText {
        LocalText {
            vi: text.to_owned(),
            en: text.to_owned(),
        }
    }
}

/// A registered product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductInfo {
    /// Name.
    pub name: LocalText,
    /// Picture URL, when any.
    pub image: Option<String>,
    /// The brand owner, when registered.
    pub producer: Option<Party>,
    /// Certificates (e.g. VietGAP, organic), as shown to consumers.
    pub certificates: Vec<String>,
}

/// A registered organisation or place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// Name.
    pub name: LocalText,
    /// Province or region.
    pub province: Option<String>,
    /// Whether the registry checked the legal entity (tax code).
    pub verified: bool,
}

/// A recall notice for a product, lot or item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallNotice {
    /// What to tell the consumer.
    pub message: LocalText,
    /// Where to read more, when any.
    pub url: Option<String>,
}

/// The registry lookups the passport page uses. Calls may block (run them off the async threads).
pub trait PassportData: Send + Sync {
    /// The product with this 14-digit GTIN.
    fn product(&self, gtin: &str) -> Option<ProductInfo>;
    /// The organisation or place with this GLN (13 digits).
    fn party(&self, gln: &str) -> Option<Party>;
    /// A recall that covers this identifier (product, lot or item), when any.
    fn recall(&self, identifier: &DigitalLink) -> Option<RecallNotice>;
    /// Something in the registries may have changed: forget any cached answer.
    fn registries_changed(&self) {}
}

/// No registry: every lookup answers `None`.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoRegistry;

impl PassportData for NoRegistry {
    fn product(&self, _gtin: &str) -> Option<ProductInfo> {
        None
    }
    fn party(&self, _gln: &str) -> Option<Party> {
        None
    }
    fn recall(&self, _identifier: &DigitalLink) -> Option<RecallNotice> {
        None
    }
}
