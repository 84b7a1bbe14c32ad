//! Storage of the registries: organisations, their company prefixes, products, trading
//! partners, and the per-event marks (owner, province, flags) the server adds at capture.

use registry::codes::ExportCode;
use registry::places::{Location, Plot};
use registry::{Organisation, Product};

use crate::{Page, PageRequest, StoreError};

/// The registries. Implemented by every backend (see [`crate::Backend`]).
pub trait RegistryStore: Send + Sync {
    /// Registers an organisation with its company prefixes and GLNs. `Conflict` when the
    /// id, the tax code, a prefix or a GLN is already registered.
    fn create_organisation(&self, org: &Organisation) -> Result<(), StoreError>;
    /// Replaces an organisation's record (verification, suspension, details); prefixes and
    /// GLNs follow the new record. `NotFound` when absent, `Conflict` as for creation.
    fn update_organisation(&self, org: &Organisation) -> Result<(), StoreError>;
    /// One organisation.
    fn organisation(&self, id: &str) -> Result<Option<Organisation>, StoreError>;
    /// Organisations by id, optionally only those of one province.
    fn organisations(
        &self,
        province: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Organisation>, StoreError>;
    /// Every registered company prefix with its organisation's id.
    fn company_prefixes(&self) -> Result<Vec<(String, String)>, StoreError>;

    /// Creates or replaces a product (keyed by its 14-digit GTIN). `Conflict` when the GTIN
    /// is registered to another owner.
    fn put_product(&self, product: &Product) -> Result<(), StoreError>;
    /// One product.
    fn product(&self, gtin: &str) -> Result<Option<Product>, StoreError>;
    /// Products by GTIN, optionally of one owner.
    fn products(
        &self,
        owner: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Product>, StoreError>;
    /// Deletes a product; `NotFound` when absent.
    fn delete_product(&self, gtin: &str) -> Result<(), StoreError>;

    /// Creates or replaces a location (keyed by its GLN or SGLN). `Conflict` when another
    /// organisation holds it.
    fn put_location(&self, location: &Location) -> Result<(), StoreError>;
    /// One location.
    fn location(&self, id: &str) -> Result<Option<Location>, StoreError>;
    /// Locations of one organisation (all with `None`), by id.
    fn locations(&self, owner: Option<&str>) -> Result<Vec<Location>, StoreError>;
    /// Deletes a location; `NotFound` when absent.
    fn delete_location(&self, id: &str) -> Result<(), StoreError>;
    /// Creates or replaces a plot. `Conflict` when another organisation holds the id.
    fn put_plot(&self, plot: &Plot) -> Result<(), StoreError>;
    /// One plot.
    fn plot(&self, id: &str) -> Result<Option<Plot>, StoreError>;
    /// Plots of one organisation (all with `None`), by id.
    fn plots(&self, owner: Option<&str>) -> Result<Vec<Plot>, StoreError>;
    /// Deletes a plot; `NotFound` when absent.
    fn delete_plot(&self, id: &str) -> Result<(), StoreError>;

    /// Records a new export code; `Conflict` when it exists.
    fn create_code(&self, code: &ExportCode) -> Result<(), StoreError>;
    /// Replaces an export code's record (its lifecycle); `NotFound` when absent.
    fn update_code(&self, code: &ExportCode) -> Result<(), StoreError>;
    /// One export code.
    fn code(&self, code: &str) -> Result<Option<ExportCode>, StoreError>;
    /// Export codes, by code, optionally of one owner and/or one province.
    fn codes(
        &self,
        owner: Option<&str>,
        province: Option<&str>,
    ) -> Result<Vec<ExportCode>, StoreError>;
    /// The codes whose state flags events (suspended, revoked).
    fn flagging_codes(&self) -> Result<Vec<ExportCode>, StoreError>;

    /// Records that `org` named each of `partners` in a captured event.
    fn add_partners(&self, org: &str, partners: &[String]) -> Result<(), StoreError>;
    /// The organisations that named `org` as a partner (whose events `org` may therefore see).
    fn named_by(&self, org: &str) -> Result<Vec<String>, StoreError>;

    /// Those of `seqs` whose events have a text facet `field` equal to one of `values`.
    fn seqs_with_facet(
        &self,
        field: &str,
        values: &[String],
        seqs: &[i64],
    ) -> Result<Vec<i64>, StoreError>;
    /// The values of text facet `field` of the events `seqs`, as (seq, value).
    fn facet_values_of(&self, field: &str, seqs: &[i64]) -> Result<Vec<(i64, String)>, StoreError>;
}
