//! Statements of the registry tables (organisations with their prefixes and GLNs,
//! products, locations, plots, export codes, trading partners), shared by both backends,
//! and the checks both run before writing an organisation.

use registry::{Organisation, Product};

use crate::cursor::{decode_tagged, encode_text};
use crate::{Page, PageRequest, StoreError};

const ORG_TAG: &str = "o1";
const PRODUCT_TAG: &str = "p1";

/// Where a page of organisations starts: the id after which to list, and how many.
pub(crate) fn orgs_start(page: &PageRequest) -> Result<(String, usize), StoreError> {
    start(page, ORG_TAG)
}

/// Where a page of products starts: the GTIN after which to list, and how many.
pub(crate) fn products_start(page: &PageRequest) -> Result<(String, usize), StoreError> {
    start(page, PRODUCT_TAG)
}

fn start(page: &PageRequest, tag: &str) -> Result<(String, usize), StoreError> {
    let after = page
        .after
        .as_deref()
        .map(|a| decode_tagged(a, tag))
        .transpose()?
        .unwrap_or_default();
    Ok((after, page.per_page.max(1)))
}

/// Cuts organisations fetched with one extra to a page.
pub(crate) fn orgs_page(rows: Vec<Organisation>, want: usize) -> Page<Organisation> {
    super::paged(rows, want, |o| encode_text(ORG_TAG, o.id()), |o| o)
}

/// Cuts products fetched with one extra to a page.
pub(crate) fn products_page(rows: Vec<Product>, want: usize) -> Page<Product> {
    super::paged(rows, want, |p| encode_text(PRODUCT_TAG, &p.gtin), |p| p)
}

/// An organisation by id.
pub(crate) const ORG_ID: &str = "SELECT id FROM organisations WHERE id = ?1";
/// The holder of a company prefix.
pub(crate) const PREFIX_HOLDER: &str = "SELECT org_id FROM company_prefixes WHERE prefix = ?1";
/// The holder of a GLN.
pub(crate) const GLN_HOLDER: &str = "SELECT org_id FROM organisation_glns WHERE gln = ?1";
/// The organisation with a tax code.
pub(crate) const TAX_HOLDER: &str = "SELECT id FROM organisations WHERE tax_code = ?1";
/// Registers an organisation (`?1` id, `?2` tax code, `?3` province, `?4` created, `?5` record).
pub(crate) const INSERT_ORG: &str =
    "INSERT INTO organisations (id, tax_code, province_code, created_ms, record) VALUES (?1, ?2, ?3, ?4, ?5)";
/// Replaces an organisation's record (`?1` id, `?2` tax code, `?3` province, `?4` record).
pub(crate) const UPDATE_ORG: &str =
    "UPDATE organisations SET tax_code = ?2, province_code = ?3, record = ?4 WHERE id = ?1";
/// Forgets an organisation's prefixes.
pub(crate) const DELETE_PREFIXES: &str = "DELETE FROM company_prefixes WHERE org_id = ?1";
/// Forgets an organisation's GLNs.
pub(crate) const DELETE_GLNS: &str = "DELETE FROM organisation_glns WHERE org_id = ?1";
/// Records a prefix (`?1`) of an organisation (`?2`).
pub(crate) const INSERT_PREFIX: &str =
    "INSERT INTO company_prefixes (prefix, org_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
/// Records a GLN (`?1`) of an organisation (`?2`).
pub(crate) const INSERT_GLN: &str =
    "INSERT INTO organisation_glns (gln, org_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
/// One organisation's record.
pub(crate) const ORG: &str = "SELECT record FROM organisations WHERE id = ?1";
/// A page of organisations by id (`?1` after id, `?2` province or NULL, `?3` limit).
pub(crate) const ORGS_PAGE: &str =
    "SELECT record FROM organisations WHERE id > ?1 AND (CAST(?2 AS TEXT) IS NULL OR province_code = ?2) ORDER BY id LIMIT ?3";
/// Every company prefix with its organisation.
pub(crate) const PREFIXES: &str = "SELECT prefix, org_id FROM company_prefixes";
/// Creates a product or replaces its record, unless another owner holds the GTIN
/// (`?1` GTIN, `?2` owner, `?3` record): no row changes then.
pub(crate) const PUT_PRODUCT: &str =
    "INSERT INTO products (gtin, owner, record) VALUES (?1, ?2, ?3) \
     ON CONFLICT (gtin) DO UPDATE SET record = excluded.record WHERE products.owner = excluded.owner";
/// The owner of a GTIN.
pub(crate) const PRODUCT_OWNER: &str = "SELECT owner FROM products WHERE gtin = ?1";
/// One product's record.
pub(crate) const PRODUCT: &str = "SELECT record FROM products WHERE gtin = ?1";
/// A page of products by GTIN (`?1` after GTIN, `?2` owner or NULL, `?3` limit).
pub(crate) const PRODUCTS_PAGE: &str =
    "SELECT record FROM products WHERE gtin > ?1 AND (CAST(?2 AS TEXT) IS NULL OR owner = ?2) ORDER BY gtin LIMIT ?3";
/// Deletes a product.
pub(crate) const DELETE_PRODUCT: &str = "DELETE FROM products WHERE gtin = ?1";
/// Whether an export code exists.
pub(crate) const CODE_EXISTS: &str = "SELECT code FROM export_codes WHERE code = ?1";
/// Records an export code (`?1` code, `?2` owner, `?3` province, `?4` status, `?5` record).
pub(crate) const INSERT_CODE: &str =
    "INSERT INTO export_codes (code, owner, province_code, status, record) VALUES (?1, ?2, ?3, ?4, ?5)";
/// Replaces an export code's record (`?1` code, `?2` province, `?3` status, `?4` record).
pub(crate) const UPDATE_CODE: &str =
    "UPDATE export_codes SET province_code = ?2, status = ?3, record = ?4 WHERE code = ?1";
/// One export code's record.
pub(crate) const CODE: &str = "SELECT record FROM export_codes WHERE code = ?1";
/// Export codes by code (`?1` owner or NULL, `?2` province or NULL).
pub(crate) const CODES: &str =
    "SELECT record FROM export_codes WHERE (CAST(?1 AS TEXT) IS NULL OR owner = ?1) \
     AND (CAST(?2 AS TEXT) IS NULL OR province_code = ?2) ORDER BY code";
/// The export codes whose state flags events.
pub(crate) const FLAGGING_CODES: &str =
    "SELECT record FROM export_codes WHERE status IN ('suspended', 'revoked') ORDER BY code";
/// Records that an organisation (`?2`) named a partner (`?1`).
pub(crate) const INSERT_PARTNER: &str =
    "INSERT INTO trading_partners (partner_id, org_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
/// The organisations that named `?1`.
pub(crate) const NAMED_BY: &str =
    "SELECT org_id FROM trading_partners WHERE partner_id = ?1 ORDER BY org_id";

/// The tables of records keyed by `id` and held by an `owner` organisation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Owned {
    /// `locations`.
    Locations,
    /// `plots`.
    Plots,
}

impl Owned {
    /// The table name.
    pub(crate) fn table(self) -> &'static str {
        match self {
            Owned::Locations => "locations",
            Owned::Plots => "plots",
        }
    }

    /// What a record of the table is called in messages.
    pub(crate) fn what(self) -> &'static str {
        match self {
            Owned::Locations => "location",
            Owned::Plots => "plot",
        }
    }

    /// Inserts or replaces a record unless another owner holds its id (`?1` id, `?2`
    /// owner, `?3` record): no row changes then.
    pub(crate) fn put_sql(self) -> String {
        let t = self.table();
        format!(
            "INSERT INTO {t} (id, owner, record) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET record = excluded.record WHERE {t}.owner = excluded.owner"
        )
    }

    /// The owner of an id.
    pub(crate) fn owner_sql(self) -> String {
        format!("SELECT owner FROM {} WHERE id = ?1", self.table())
    }

    /// One record by id.
    pub(crate) fn one_sql(self) -> String {
        format!("SELECT record FROM {} WHERE id = ?1", self.table())
    }

    /// The records of one owner (`?1`), by id.
    pub(crate) fn of_owner_sql(self) -> String {
        format!(
            "SELECT record FROM {} WHERE owner = ?1 ORDER BY id",
            self.table()
        )
    }

    /// Deletes a record by id.
    pub(crate) fn delete_sql(self) -> String {
        format!("DELETE FROM {} WHERE id = ?1", self.table())
    }

    /// Every record, by id.
    pub(crate) fn all_sql(self) -> String {
        format!("SELECT record FROM {} ORDER BY id", self.table())
    }
}

/// `Conflict` naming who holds a key another owner tried to write.
pub(crate) fn held_by(what: &str, key: &str, holder: &str) -> StoreError {
    StoreError::Conflict(format!("{what} {key} (registered to {holder})"))
}

/// Looks up one text value by one text key (the first column of the first row).
pub(crate) trait Lookup {
    /// Runs `sql` (one `?1` parameter).
    fn lookup(&mut self, sql: &str, key: &str) -> Result<Option<String>, StoreError>;
}

/// Refuses a prefix, GLN or tax code another organisation holds, naming both.
pub(crate) fn check_unclaimed(db: &mut impl Lookup, org: &Organisation) -> Result<(), StoreError> {
    let id = org.id();
    for prefix in &org.details.company_prefixes {
        if let Some(holder) = db.lookup(PREFIX_HOLDER, prefix)?.filter(|h| h != id) {
            return Err(held_by("company prefix", prefix, &holder));
        }
    }
    for gln in &org.details.glns {
        if let Some(holder) = db.lookup(GLN_HOLDER, gln)?.filter(|h| h != id) {
            return Err(held_by("GLN", gln, &holder));
        }
    }
    let tax_code = &org.details.tax_code;
    if let Some(holder) = db.lookup(TAX_HOLDER, tax_code)?.filter(|h| h != id) {
        return Err(StoreError::Conflict(format!(
            "an organisation with tax code {tax_code} ({holder})"
        )));
    }
    Ok(())
}

/// `SELECT p.seq FROM facet_postings … WHERE f.name = ?1 AND t.value = ?2 AND p.seq IN (?3, …)`
/// for `n` sequence numbers.
pub(crate) fn seqs_with_facet_sql(n: usize) -> String {
    format!(
        "SELECT p.seq FROM facet_postings p JOIN facet_terms t ON t.id = p.term_id \
         JOIN fields f ON f.id = t.field_id \
         WHERE f.name = ?1 AND t.value = ?2 AND p.seq IN ({})",
        numbered_marks(3, n)
    )
}

/// `SELECT p.seq, t.value … WHERE f.name = ?1 AND p.seq IN (?2, …)` for `n` sequence numbers.
pub(crate) fn facet_values_sql(n: usize) -> String {
    format!(
        "SELECT p.seq, t.value FROM facet_postings p JOIN facet_terms t ON t.id = p.term_id \
         JOIN fields f ON f.id = t.field_id \
         WHERE f.name = ?1 AND p.seq IN ({}) ORDER BY p.seq, t.value",
        numbered_marks(2, n)
    )
}

/// `?first, ?first+1, …` with `n` marks.
fn numbered_marks(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
