//! Statements and rows of the resolver tables (links, scans, problem reports), shared by
//! both backends.

use resolver::{Link, Scope, SerialRange};

use super::cells::Cells;
use crate::links::ProblemReport;
use crate::StoreError;

macro_rules! link_columns {
    () => {
        "id, key, lot, serial_from, serial_to, link_type, href, title, hreflang, media_type, context, is_default"
    };
}

/// Inserts a link or replaces the link with the same id, which keeps its place in the
/// creation order (`?1` … `?12`, see [`link_values`]).
pub(crate) const PUT_LINK: &str =
    "INSERT INTO resolver_links (id, n, key, lot, serial_from, serial_to, link_type, href, title, hreflang, media_type, context, is_default) \
     VALUES (?1, (SELECT COALESCE(MAX(n), 0) + 1 FROM resolver_links), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
     ON CONFLICT (id) DO UPDATE SET key = excluded.key, lot = excluded.lot, serial_from = excluded.serial_from, \
     serial_to = excluded.serial_to, link_type = excluded.link_type, href = excluded.href, title = excluded.title, \
     hreflang = excluded.hreflang, media_type = excluded.media_type, context = excluded.context, is_default = excluded.is_default";
/// Deletes a link.
pub(crate) const DELETE_LINK: &str = "DELETE FROM resolver_links WHERE id = ?1";
/// One link by id.
pub(crate) const LINK_BY_ID: &str = concat!(
    "SELECT ",
    link_columns!(),
    " FROM resolver_links WHERE id = ?1"
);
/// The links of a primary key, in creation order.
pub(crate) const LINKS_FOR_KEY: &str = concat!(
    "SELECT ",
    link_columns!(),
    " FROM resolver_links WHERE key = ?1 ORDER BY n, id"
);
/// Appends a scan record (`?1` … `?8` in [`crate::Scan`] field order).
pub(crate) const INSERT_SCAN: &str =
    "INSERT INTO resolver_scans (at_ms, key, identifier, link_type, country, region, ua_class, status) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
/// Count, first scan and recent scans of an identifier (`?1`), recent from `?2`.
pub(crate) const SCAN_COUNTS: &str =
    "SELECT COUNT(*), MIN(at_ms), COALESCE(SUM(CASE WHEN at_ms >= ?2 THEN 1 ELSE 0 END), 0) \
     FROM resolver_scans WHERE identifier = ?1";
/// The region of an identifier's first scan that gave one.
pub(crate) const FIRST_REGION: &str =
    "SELECT region FROM resolver_scans WHERE identifier = ?1 AND region IS NOT NULL \
     ORDER BY at_ms, id LIMIT 1";
/// Scans per region of an identifier, most first.
pub(crate) const REGIONS: &str =
    "SELECT region, COUNT(*) AS n FROM resolver_scans WHERE identifier = ?1 AND region IS NOT NULL \
     GROUP BY region ORDER BY n DESC, region";
/// Stores a problem report (`?1` id, `?2` at, `?3` key, `?4` identifier, `?5` category, `?6` message).
pub(crate) const INSERT_REPORT: &str =
    "INSERT INTO resolver_reports (id, at_ms, key, identifier, category, message) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/// Problem reports of a key (`?1`), newest first, at most `?2`.
pub(crate) const REPORTS: &str =
    "SELECT id, at_ms, identifier, category, message FROM resolver_reports \
     WHERE key = ?1 ORDER BY at_ms DESC, id LIMIT ?2";

/// The stored columns of a link other than its id, in [`PUT_LINK`] order from `?2`.
pub(crate) struct LinkValues<'a> {
    pub key: &'a str,
    pub lot: Option<&'a str>,
    pub serial_from: Option<&'a str>,
    pub serial_to: Option<&'a str>,
    pub hreflang: String,
    pub is_default: i64,
}

/// The stored forms of a link's columns.
pub(crate) fn link_values(link: &Link) -> LinkValues<'_> {
    let range = link.scope.serials.as_ref();
    LinkValues {
        key: &link.scope.key,
        lot: link.scope.lot.as_deref(),
        serial_from: range.map(|r| r.from.as_str()),
        serial_to: range.map(|r| r.to.as_str()),
        hreflang: link.hreflang.join(" "),
        is_default: i64::from(link.default),
    }
}

/// A link row (`link_columns!()`).
pub(crate) fn link(r: &impl Cells) -> Result<Link, StoreError> {
    let serials = r
        .opt_text(3)?
        .zip(r.opt_text(4)?)
        .map(|(from, to)| SerialRange { from, to });
    Ok(Link {
        id: r.text(0)?,
        scope: Scope {
            key: r.text(1)?,
            lot: r.opt_text(2)?,
            serials,
        },
        link_type: r.text(5)?,
        href: r.text(6)?,
        title: r.text(7)?,
        hreflang: r.text(8)?.split_whitespace().map(str::to_owned).collect(),
        media_type: r.opt_text(9)?,
        context: r.opt_text(10)?,
        default: r.flag(11)?,
    })
}

/// A problem report row ([`REPORTS`]).
pub(crate) fn report(r: &impl Cells) -> Result<ProblemReport, StoreError> {
    Ok(ProblemReport {
        id: r.text(0)?,
        at_ms: r.int(1)?,
        identifier: r.text(2)?,
        category: r.text(3)?,
        message: r.text(4)?,
    })
}
