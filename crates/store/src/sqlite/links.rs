//! [`LinkStore`] on SQLite: links, scan records and problem reports (the SQL is shared
//! with PostgreSQL: [`crate::sql::links`]).

use resolver::Link;
use rusqlite::{params, OptionalExtension};

use crate::links::{LinkStore, ProblemReport, Scan, ScanSummary};
use crate::sql::links as stmt;
use crate::StoreError;

use super::writer::WriteOp;
use super::SqliteStore;

impl LinkStore for SqliteStore {
    fn put_link(&self, link: &Link) -> Result<(), StoreError> {
        let link = link.clone();
        self.write(WriteOp::Exec(Box::new(move |c| {
            let v = stmt::link_values(&link);
            c.prepare_cached(stmt::PUT_LINK)?.execute(params![
                link.id,
                v.key,
                v.lot,
                v.serial_from,
                v.serial_to,
                link.link_type,
                link.href,
                link.title,
                v.hreflang,
                link.media_type,
                link.context,
                v.is_default,
            ])?;
            Ok(())
        })))
    }

    fn delete_link(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(WriteOp::Exec(Box::new(move |c| {
            let n = c.prepare_cached(stmt::DELETE_LINK)?.execute([&id])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("link {id}")));
            }
            Ok(())
        })))
    }

    fn link(&self, id: &str) -> Result<Option<Link>, StoreError> {
        self.readers.read(|c| {
            c.prepare_cached(stmt::LINK_BY_ID)?
                .query_row([id], |r| Ok(stmt::link(r)))
                .optional()?
                .transpose()
        })
    }

    fn links_for_key(&self, key: &str) -> Result<Vec<Link>, StoreError> {
        self.readers.read(|c| {
            c.prepare_cached(stmt::LINKS_FOR_KEY)?
                .query_map([key], |r| Ok(stmt::link(r)))?
                .collect::<Result<Result<Vec<_>, StoreError>, _>>()?
        })
    }

    fn record_scans(&self, scans: &[Scan]) -> Result<(), StoreError> {
        if scans.is_empty() {
            return Ok(());
        }
        let scans = scans.to_vec();
        self.write(WriteOp::Exec(Box::new(move |c| {
            let mut insert = c.prepare_cached(stmt::INSERT_SCAN)?;
            for s in &scans {
                insert.execute(params![
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
                .prepare_cached(stmt::SCAN_COUNTS)?
                .query_row(params![identifier, recent_since_ms], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            let first_region: Option<String> = c
                .prepare_cached(stmt::FIRST_REGION)?
                .query_row([identifier], |r| r.get(0))
                .optional()?;
            let regions = c
                .prepare_cached(stmt::REGIONS)?
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
            c.prepare_cached(stmt::INSERT_REPORT)?.execute(params![
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
            c.prepare_cached(stmt::REPORTS)?
                .query_map(params![key, crate::sql::to_i64(limit)], |r| {
                    Ok(stmt::report(r))
                })?
                .collect::<Result<Result<Vec<_>, StoreError>, _>>()?
        })
    }
}
