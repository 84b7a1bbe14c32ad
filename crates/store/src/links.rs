//! Storage for the resolver: published links, scan records and consumer problem reports.
//!
//! Scan records hold no personal data: no IP address, no full user agent, only a
//! coarse location the client chose to give and a user-agent class.

use resolver::Link;

use crate::StoreError;

/// One resolution of an identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// When, Unix milliseconds.
    pub at_ms: i64,
    /// The canonical Digital Link of the primary key alone (the link lookup key).
    pub key: String,
    /// The canonical Digital Link that was scanned (with lot and serial).
    pub identifier: String,
    /// The requested link type, if any.
    pub link_type: Option<String>,
    /// Country code the client gave (e.g. from a `country`/`geo` hint), if any.
    pub country: Option<String>,
    /// Coarse region (province) the client gave, if any.
    pub region: Option<String>,
    /// User-agent class: `ios`, `android`, `desktop`, `bot`, `other`.
    pub ua_class: String,
    /// HTTP status answered.
    pub status: u16,
}

/// What the scans of one identifier say about it (for the authenticity panel).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// Number of scans.
    pub count: i64,
    /// First scan, Unix milliseconds.
    pub first_ms: Option<i64>,
    /// Region of the first scan that gave one.
    pub first_region: Option<String>,
    /// Scans per region that gave one, most first.
    pub regions: Vec<(String, i64)>,
    /// Scans since `recent_since_ms`.
    pub recent: i64,
}

/// A consumer's report of a problem with a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemReport {
    /// Report id.
    pub id: String,
    /// When, Unix milliseconds.
    pub at_ms: i64,
    /// The canonical Digital Link the report is about.
    pub identifier: String,
    /// Category (`quality`, `counterfeit`, `label`, `other`).
    pub category: String,
    /// What the consumer wrote.
    pub message: String,
}

/// Links, scans and problem reports.
pub trait LinkStore: Send + Sync {
    /// Inserts a link, or replaces the link with the same id.
    fn put_link(&self, link: &Link) -> Result<(), StoreError>;
    /// Removes a link; `NotFound` when there is none with this id.
    fn delete_link(&self, id: &str) -> Result<(), StoreError>;
    /// One link by id.
    fn link(&self, id: &str) -> Result<Option<Link>, StoreError>;
    /// Every link of a primary key (all lots and serial ranges), in creation order.
    fn links_for_key(&self, key: &str) -> Result<Vec<Link>, StoreError>;
    /// Appends scan records.
    fn record_scans(&self, scans: &[Scan]) -> Result<(), StoreError>;
    /// Summary of the scans of one identifier; `recent` counts scans at or after `recent_since_ms`.
    fn scan_summary(
        &self,
        identifier: &str,
        recent_since_ms: i64,
    ) -> Result<ScanSummary, StoreError>;
    /// Stores a consumer problem report.
    fn add_problem_report(&self, report: &ProblemReport) -> Result<(), StoreError>;
    /// Problem reports about identifiers of a primary key (lot/serial included), newest first.
    fn problem_reports(&self, key: &str, limit: usize) -> Result<Vec<ProblemReport>, StoreError>;
}
