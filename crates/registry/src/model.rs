//! Registry records: organisations (legal entities) and products. The same types are the
//! JSON of the registry API (camelCase) and what the store keeps.

use serde::{Deserialize, Serialize};

/// What an organisation does in supply chains (one organisation may have several roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChainRole {
    /// A farm, including aquaculture.
    Farm,
    /// A cooperative (hợp tác xã).
    Cooperative,
    /// A processor or manufacturer.
    Processor,
    /// A wholesaler or distributor.
    Distributor,
    /// A retailer.
    Retailer,
    /// An exporter.
    Exporter,
    /// A buyer abroad.
    Importer,
    /// A traceability solution provider acting for others.
    SolutionProvider,
}

/// Whether an official has checked the organisation's legal identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum Verification {
    /// Registered, not yet checked.
    Pending,
    /// Checked and confirmed.
    #[serde(rename_all = "camelCase")]
    Verified {
        /// Who verified it (user name).
        by: String,
        /// When, epoch ms.
        at_ms: i64,
    },
    /// Checked and refused.
    #[serde(rename_all = "camelCase")]
    Rejected {
        /// Who refused it.
        by: String,
        /// When, epoch ms.
        at_ms: i64,
        /// Why.
        reason: String,
    },
}

/// A suspension: the organisation may no longer capture or manage its records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suspension {
    /// Who suspended it.
    pub by: String,
    /// When, epoch ms.
    pub at_ms: i64,
    /// Why.
    pub reason: String,
}

/// What a registrant sends: the legal entity without the fields officials set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOrganisation {
    /// Registry id: short, lower-case letters, digits and `-` (e.g. `longan-coop`).
    pub id: String,
    /// Legal name in Vietnamese (or the local language abroad).
    pub name_vi: String,
    /// Name in English.
    pub name_en: String,
    /// Enterprise / tax code (mã số doanh nghiệp; a VAT number abroad).
    pub tax_code: String,
    /// GS1 company prefixes the organisation owns.
    #[serde(default)]
    pub company_prefixes: Vec<String>,
    /// GLNs of the organisation (as a party and its main sites).
    #[serde(default)]
    pub glns: Vec<String>,
    /// Street address.
    #[serde(default)]
    pub address: String,
    /// Province code (the 34 units in force since 2025-07-01); empty abroad.
    #[serde(default)]
    pub province_code: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// Roles in chains.
    #[serde(default)]
    pub roles: Vec<ChainRole>,
}

/// A registered organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organisation {
    /// What was registered.
    #[serde(flatten)]
    pub details: NewOrganisation,
    /// Verification state.
    pub verification: Verification,
    /// Set while suspended.
    pub suspension: Option<Suspension>,
    /// When registered, epoch ms.
    pub created_ms: i64,
}

impl Organisation {
    /// The registry id.
    pub fn id(&self) -> &str {
        &self.details.id
    }

    /// True when verified and not suspended: only then may its members capture.
    pub fn is_active(&self) -> bool {
        self.suspension.is_none() && matches!(self.verification, Verification::Verified { .. })
    }
}

/// Product groups. The first eight are those for which traceability is mandatory
/// (Circular 02/2024/TT-BKHCN); everything else is [`ProductGroup::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProductGroup {
    /// Beer.
    Beer,
    /// Alcohol and alcoholic drinks.
    Alcohol,
    /// Soft drinks.
    SoftDrinks,
    /// Processed milk.
    ProcessedMilk,
    /// Vegetable oil.
    VegetableOil,
    /// Flour and starch.
    FlourStarch,
    /// Confectionery.
    Confectionery,
    /// Food packaging materials.
    FoodPackaging,
    /// Any other product (the free-text `category` says which).
    Other,
}

impl ProductGroup {
    /// True for the eight groups where traceability is mandatory.
    pub fn is_mandatory(self) -> bool {
        self != ProductGroup::Other
    }
}

/// A certificate held for a product (e.g. VietGAP, organic, HACCP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Certificate {
    /// Scheme or standard, e.g. `VietGAP`.
    pub scheme: String,
    /// Certificate number.
    #[serde(default)]
    pub number: String,
    /// Issuing body.
    #[serde(default)]
    pub issuer: String,
    /// Valid until (ISO date), if it expires.
    #[serde(default)]
    pub valid_until: Option<String>,
}

/// A product (trade item class) identified by its GTIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Product {
    /// GTIN-14 (shorter GTINs are padded).
    #[serde(default)]
    pub gtin: String,
    /// Registry id of the brand owner (set by the server from the caller).
    #[serde(default)]
    pub owner: String,
    /// Name in Vietnamese.
    pub name_vi: String,
    /// Name in English.
    #[serde(default)]
    pub name_en: String,
    /// Description in Vietnamese.
    #[serde(default)]
    pub description_vi: String,
    /// Description in English.
    #[serde(default)]
    pub description_en: String,
    /// Image URLs.
    #[serde(default)]
    pub images: Vec<String>,
    /// Brand.
    #[serde(default)]
    pub brand: String,
    /// Product group (mandatory groups or `other`).
    pub group: ProductGroup,
    /// Free-text category within the group, e.g. `fruit`, `coffee`.
    #[serde(default)]
    pub category: String,
    /// Net content with unit, e.g. `500 g`.
    #[serde(default)]
    pub net_content: String,
    /// Shelf life in days.
    #[serde(default)]
    pub shelf_life_days: Option<u32>,
    /// Standards applied (TCVN, QCVN, Codex …).
    #[serde(default)]
    pub standards: Vec<String>,
    /// Certificates.
    #[serde(default)]
    pub certificates: Vec<Certificate>,
}
