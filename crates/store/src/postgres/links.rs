//! [`LinkStore`] on PostgreSQL: the statements shared with SQLite ([`crate::sql::links`]).

use resolver::Link;

use crate::links::{LinkStore, ProblemReport, Scan, ScanSummary};
use crate::sql::{self, links as stmt};
use crate::StoreError;

use super::conn::numbered;
use super::{not_found, PgStore};

impl LinkStore for PgStore {
    fn put_link(&self, link: &Link) -> Result<(), StoreError> {
        let link = link.clone();
        self.pool.run(move |c| {
            let v = stmt::link_values(&link);
            c.execute(
                stmt::PUT_LINK,
                &[
                    &link.id,
                    &v.key,
                    &v.lot,
                    &v.serial_from,
                    &v.serial_to,
                    &link.link_type,
                    &link.href,
                    &link.title,
                    &v.hreflang,
                    &link.media_type,
                    &link.context,
                    &v.is_default,
                ],
            )?;
            Ok(())
        })
    }

    fn delete_link(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.pool.run(move |c| {
            if c.execute(stmt::DELETE_LINK, &[&id])? == 0 {
                return Err(not_found("link", &id));
            }
            Ok(())
        })
    }

    fn link(&self, id: &str) -> Result<Option<Link>, StoreError> {
        let id = id.to_owned();
        self.pool.run(move |c| {
            c.query_opt(stmt::LINK_BY_ID, &[&id])?
                .map(|r| stmt::link(&r))
                .transpose()
        })
    }

    fn links_for_key(&self, key: &str) -> Result<Vec<Link>, StoreError> {
        let key = key.to_owned();
        self.pool.run(move |c| {
            c.query(stmt::LINKS_FOR_KEY, &[&key])?
                .iter()
                .map(stmt::link)
                .collect()
        })
    }

    fn record_scans(&self, scans: &[Scan]) -> Result<(), StoreError> {
        if scans.is_empty() {
            return Ok(());
        }
        let scans = scans.to_vec();
        self.pool.run(move |c| {
            let mut tx = c.client().transaction()?;
            let insert = tx.prepare(&numbered(stmt::INSERT_SCAN))?;
            for s in &scans {
                tx.execute(
                    &insert,
                    &[
                        &s.at_ms,
                        &s.key,
                        &s.identifier,
                        &s.link_type,
                        &s.country,
                        &s.region,
                        &s.ua_class,
                        &i64::from(s.status),
                    ],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn scan_summary(
        &self,
        identifier: &str,
        recent_since_ms: i64,
    ) -> Result<ScanSummary, StoreError> {
        let identifier = identifier.to_owned();
        self.pool.run(move |c| {
            // One snapshot for the three reads.
            let mut tx = c
                .client()
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let counts = tx.query_one(
                &numbered(stmt::SCAN_COUNTS),
                &[&identifier, &recent_since_ms],
            )?;
            let first_region = tx
                .query_opt(&numbered(stmt::FIRST_REGION), &[&identifier])?
                .map(|r| r.try_get(0))
                .transpose()?;
            let regions = tx
                .query(&numbered(stmt::REGIONS), &[&identifier])?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<_>, postgres::Error>>()?;
            tx.commit()?;
            Ok(ScanSummary {
                count: counts.try_get(0)?,
                first_ms: counts.try_get(1)?,
                first_region,
                regions,
                recent: counts.try_get(2)?,
            })
        })
    }

    fn add_problem_report(&self, report: &ProblemReport) -> Result<(), StoreError> {
        let r = report.clone();
        let key = resolver::link::key_of_uri(&r.identifier);
        self.pool.run(move |c| {
            c.execute(
                stmt::INSERT_REPORT,
                &[
                    &r.id,
                    &r.at_ms,
                    &key,
                    &r.identifier,
                    &r.category,
                    &r.message,
                ],
            )?;
            Ok(())
        })
    }

    fn problem_reports(&self, key: &str, limit: usize) -> Result<Vec<ProblemReport>, StoreError> {
        let key = key.to_owned();
        self.pool.run(move |c| {
            c.query(stmt::REPORTS, &[&key, &sql::to_i64(limit)])?
                .iter()
                .map(stmt::report)
                .collect()
        })
    }
}
