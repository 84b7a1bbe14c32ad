//! [`LinkStore`] on SQLite: links, scan records and problem reports.

use resolver::{Link, Scope, SerialRange};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::links::{LinkStore, ProblemReport, Scan, ScanSummary};
use crate::StoreError;

use super::writer::WriteOp;
use super::SqliteStore;

const LINK_COLUMNS: &str = "id, key, lot, serial_from, serial_to, link_type, href, title, hreflang, media_type, context, is_default";

fn row_to_link(row: &Row<'_>) -> rusqlite::Result<Link> {
    let serial_from: Option<String> = row.get(3)?;
    let serial_to: Option<String> = row.get(4)?;
    let hreflang: String = row.get(8)?;
    let is_default: i64 = row.get(11)?;
    Ok(Link {
        id: row.get(0)?,
        scope: Scope {
            key: row.get(1)?,
            lot: row.get(2)?,
            serials: serial_from
                .zip(serial_to)
                .map(|(from, to)| SerialRange { from, to }),
        },
        link_type: row.get(5)?,
        href: row.get(6)?,
        title: row.get(7)?,
        hreflang: hreflang.split_whitespace().map(str::to_owned).collect(),
        media_type: row.get(9)?,
        context: row.get(10)?,
        default: is_default != 0,
    })
}

fn row_to_report(row: &Row<'_>) -> rusqlite::Result<ProblemReport> {
    Ok(ProblemReport {
        id: row.get(0)?,
        at_ms: row.get(1)?,
        identifier: row.get(2)?,
        category: row.get(3)?,
        message: row.get(4)?,
    })
}

fn put(conn: &Connection, link: &Link) -> Result<(), StoreError> {
    // A replaced link keeps its place in the creation order.
    let n: i64 = conn
        .prepare_cached("SELECT n FROM resolver_links WHERE id = ?1")?
        .query_row([&link.id], |r| r.get(0))
        .optional()?
        .map_or_else(
            || {
                conn.query_row(
                    "SELECT COALESCE(MAX(n), 0) + 1 FROM resolver_links",
                    [],
                    |r| r.get(0),
                )
            },
            Ok,
        )?;
    conn.prepare_cached("DELETE FROM resolver_links WHERE id = ?1")?
        .execute([&link.id])?;
    let range = link.scope.serials.as_ref();
    conn.prepare_cached(
        "INSERT INTO resolver_links (id, n, key, lot, serial_from, serial_to, link_type, href, title, hreflang, media_type, context, is_default) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        link.id,
        n,
        link.scope.key,
        link.scope.lot,
        range.map(|r| &r.from),
        range.map(|r| &r.to),
        link.link_type,
        link.href,
        link.title,
        link.hreflang.join(" "),
        link.media_type,
        link.context,
        i64::from(link.default),
    ])?;
    Ok(())
}

impl LinkStore for SqliteStore {
    fn put_link(&self, link: &Link) -> Result<(), StoreError> {
        let link = link.clone();
        self.write(WriteOp::Exec(Box::new(move |c| put(c, &link))))
    }

    fn delete_link(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(WriteOp::Exec(Box::new(move |c| {
            let n = c
                .prepare_cached("DELETE FROM resolver_links WHERE id = ?1")?
                .execute([&id])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("link {id}")));
            }
            Ok(())
        })))
    }

    fn link(&self, id: &str) -> Result<Option<Link>, StoreError> {
        self.readers.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {LINK_COLUMNS} FROM resolver_links WHERE id = ?1"
            ))?
            .query_row([id], row_to_link)
            .optional()?)
        })
    }

    fn links_for_key(&self, key: &str) -> Result<Vec<Link>, StoreError> {
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {LINK_COLUMNS} FROM resolver_links WHERE key = ?1 ORDER BY n"
            ))?;
            let rows = stmt.query_map([key], row_to_link)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn record_scans(&self, scans: &[Scan]) -> Result<(), StoreError> {
        if scans.is_empty() {
            return Ok(());
        }
        let scans = scans.to_vec();
        self.write(WriteOp::Exec(Box::new(move |c| {
            let mut stmt = c.prepare_cached(
                "INSERT INTO resolver_scans (at_ms, key, identifier, link_type, country, region, ua_class, status) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for s in &scans {
                stmt.execute(params![
                    s.at_ms,
                    s.key,
                    s.identifier,
                    s.link_type,
                    s.country,
                    s.region,
                    s.ua_class,
                    s.status
                ])?;
            }
            Ok(())
        })))
    }

    fn scan_summary(
        &self,
        identifier: &str,
        recent_since_ms: i64,
    ) -> Result<ScanSummary, StoreError> {
        self.readers.read(|c| {
            let (count, first_ms, recent): (i64, Option<i64>, i64) = c
                .prepare_cached(
                    "SELECT COUNT(*), MIN(at_ms), COALESCE(SUM(CASE WHEN at_ms >= ?2 THEN 1 ELSE 0 END), 0) \
                     FROM resolver_scans WHERE identifier = ?1",
                )?
                .query_row(params![identifier, recent_since_ms], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            let first_region: Option<String> = c
                .prepare_cached(
                    "SELECT region FROM resolver_scans WHERE identifier = ?1 AND region IS NOT NULL \
                     ORDER BY at_ms, id LIMIT 1",
                )?
                .query_row([identifier], |r| r.get(0))
                .optional()?;
            let mut stmt = c.prepare_cached(
                "SELECT region, COUNT(*) AS n FROM resolver_scans WHERE identifier = ?1 AND region IS NOT NULL \
                 GROUP BY region ORDER BY n DESC, region",
            )?;
            let regions = stmt
                .query_map([identifier], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(ScanSummary {
                count,
                first_ms,
                first_region,
                regions,
                recent,
            })
        })
    }

    fn add_problem_report(&self, report: &ProblemReport) -> Result<(), StoreError> {
        let r = report.clone();
        let key = resolver::link::key_of_uri(&r.identifier);
        self.write(WriteOp::Exec(Box::new(move |c| {
            c.prepare_cached(
                "INSERT INTO resolver_reports (id, at_ms, key, identifier, category, message) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                r.id,
                r.at_ms,
                key,
                r.identifier,
                r.category,
                r.message
            ])?;
            Ok(())
        })))
    }

    fn problem_reports(&self, key: &str, limit: usize) -> Result<Vec<ProblemReport>, StoreError> {
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at_ms, identifier, category, message FROM resolver_reports \
                 WHERE key = ?1 ORDER BY at_ms DESC, id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![key, limit as i64], row_to_report)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GTIN: &str = "https://id.gs1.org/01/09520123456788";

    fn link(id: &str, lot: Option<&str>, range: Option<(&str, &str)>) -> Link {
        Link {
            id: id.into(),
            scope: Scope::new(
                GTIN,
                lot,
                range.map(|(f, t)| SerialRange {
                    from: f.into(),
                    to: t.into(),
                }),
            )
            .unwrap(),
            link_type: "gs1:pip".into(),
            href: format!("https://b.example/{id}"),
            title: id.into(),
            hreflang: vec!["vi".into(), "en".into()],
            media_type: Some("text/html".into()),
            context: None,
            default: lot.is_none(),
        }
    }

    fn scan(identifier: &str, at_ms: i64, region: Option<&str>) -> Scan {
        Scan {
            at_ms,
            key: GTIN.into(),
            identifier: identifier.into(),
            link_type: None,
            country: Some("VN".into()),
            region: region.map(str::to_owned),
            ua_class: "android".into(),
            status: 307,
        }
    }

    #[test]
    fn links_scans_reports() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        let a = link("a", None, None);
        let b = link("b", Some("L1"), None);
        let c = link("c", None, Some(("100", "199")));
        for l in [&a, &b, &c] {
            store.put_link(l).unwrap();
        }
        assert_eq!(
            store.links_for_key(GTIN).unwrap(),
            vec![a.clone(), b.clone(), c.clone()]
        );
        // Replacing keeps the order; deleting removes.
        let mut a2 = a.clone();
        a2.href = "https://b.example/a2".into();
        store.put_link(&a2).unwrap();
        assert_eq!(store.links_for_key(GTIN).unwrap()[0], a2);
        assert_eq!(store.link("c").unwrap(), Some(c));
        store.delete_link("b").unwrap();
        assert!(matches!(
            store.delete_link("b"),
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(store.links_for_key(GTIN).unwrap().len(), 2);
        assert!(store
            .links_for_key("https://id.gs1.org/01/09506000134352")
            .unwrap()
            .is_empty());

        let item = format!("{GTIN}/21/150");
        store
            .record_scans(&[
                scan(&item, 1_000, Some("VN-HN")),
                scan(&item, 2_000, None),
                scan(&item, 3_000, Some("VN-SG")),
                scan(&item, 4_000, Some("VN-SG")),
                scan(GTIN, 5_000, None),
            ])
            .unwrap();
        let s = store.scan_summary(&item, 2_500).unwrap();
        assert_eq!(s.count, 4);
        assert_eq!(s.first_ms, Some(1_000));
        assert_eq!(s.first_region.as_deref(), Some("VN-HN"));
        assert_eq!(s.regions, vec![("VN-SG".into(), 2), ("VN-HN".into(), 1)]);
        assert_eq!(s.recent, 2);
        assert_eq!(
            store.scan_summary("nothing", 0).unwrap(),
            ScanSummary::default()
        );

        let report = ProblemReport {
            id: "r1".into(),
            at_ms: 9,
            identifier: format!("{GTIN}/10/L1"),
            category: "quality".into(),
            message: "Bag torn".into(),
        };
        store.add_problem_report(&report).unwrap();
        assert_eq!(store.problem_reports(GTIN, 10).unwrap(), vec![report]);
    }
}
