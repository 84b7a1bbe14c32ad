//! [`RegistryStore`] for SQLite. Organisation and product records are kept as JSON next
//! to the columns that are looked up or must be unique. The SQL is shared with PostgreSQL
//! ([`crate::sql::registries`]).

use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};

use registry::codes::ExportCode;
use registry::places::{Location, Plot};
use registry::{Organisation, Product};

use super::writer::WriteOp;
use super::{records, SqliteStore};
use crate::sql::cells::{from_json, to_json};
use crate::sql::registries::{self as stmt, Lookup, Owned};
use crate::{Page, PageRequest, RegistryStore, StoreError};

impl Lookup for &Connection {
    fn lookup(&mut self, sql: &str, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .prepare_cached(sql)?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }
}

fn write_keys(conn: &Connection, org: &Organisation) -> Result<(), StoreError> {
    let id = org.id();
    conn.prepare_cached(stmt::DELETE_PREFIXES)?.execute([id])?;
    conn.prepare_cached(stmt::DELETE_GLNS)?.execute([id])?;
    for prefix in &org.details.company_prefixes {
        conn.prepare_cached(stmt::INSERT_PREFIX)?
            .execute([prefix, id])?;
    }
    for gln in &org.details.glns {
        conn.prepare_cached(stmt::INSERT_GLN)?.execute([gln, id])?;
    }
    Ok(())
}

/// The records the statement `sql` finds with `args`, decoded.
fn read_records<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    what: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<T>, StoreError> {
    let rows: Vec<String> = conn
        .prepare_cached(sql)?
        .query_map(args, |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    rows.iter().map(|r| from_json(what, r)).collect()
}

fn one_record<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    what: &str,
    key: &str,
) -> Result<Option<T>, StoreError> {
    Ok(read_records(conn, sql, what, &[&key])?.pop())
}

impl RegistryStore for SqliteStore {
    fn create_organisation(&self, org: &Organisation) -> Result<(), StoreError> {
        let org = org.clone();
        let record = to_json(&org)?;
        self.write(WriteOp::Exec(Box::new(move |mut conn| {
            if conn.lookup(stmt::ORG_ID, org.id())?.is_some() {
                return Err(StoreError::Conflict(format!("organisation {}", org.id())));
            }
            stmt::check_unclaimed(&mut conn, &org)?;
            conn.prepare_cached(stmt::INSERT_ORG)?.execute(params![
                org.id(),
                org.details.tax_code,
                org.details.province_code,
                org.created_ms,
                record
            ])?;
            write_keys(conn, &org)
        })))
    }

    fn update_organisation(&self, org: &Organisation) -> Result<(), StoreError> {
        let org = org.clone();
        let record = to_json(&org)?;
        self.write(WriteOp::Exec(Box::new(move |mut conn| {
            stmt::check_unclaimed(&mut conn, &org)?;
            let n = conn.prepare_cached(stmt::UPDATE_ORG)?.execute(params![
                org.id(),
                org.details.tax_code,
                org.details.province_code,
                record
            ])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("organisation {}", org.id())));
            }
            write_keys(conn, &org)
        })))
    }

    fn organisation(&self, id: &str) -> Result<Option<Organisation>, StoreError> {
        self.readers
            .read(|c| one_record(c, stmt::ORG, "organisation", id))
    }

    fn organisations(
        &self,
        province: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Organisation>, StoreError> {
        let (after, want) = stmt::orgs_start(page)?;
        self.readers.read(|c| {
            let rows: Vec<Organisation> = read_records(
                c,
                stmt::ORGS_PAGE,
                "organisation",
                &[&after, &province, &records::limit_plus_one(want)],
            )?;
            Ok(stmt::orgs_page(rows, want))
        })
    }

    fn company_prefixes(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.readers.read(|c| {
            Ok(c.prepare_cached(stmt::PREFIXES)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?)
        })
    }

    fn put_product(&self, product: &Product) -> Result<(), StoreError> {
        let product = product.clone();
        let record = to_json(&product)?;
        self.write(WriteOp::Exec(Box::new(move |mut conn| {
            let n = conn.prepare_cached(stmt::PUT_PRODUCT)?.execute(params![
                product.gtin,
                product.owner,
                record
            ])?;
            if n == 0 {
                let holder = conn
                    .lookup(stmt::PRODUCT_OWNER, &product.gtin)?
                    .unwrap_or_default();
                return Err(stmt::held_by("product", &product.gtin, &holder));
            }
            Ok(())
        })))
    }

    fn product(&self, gtin: &str) -> Result<Option<Product>, StoreError> {
        self.readers
            .read(|c| one_record(c, stmt::PRODUCT, "product", gtin))
    }

    fn products(
        &self,
        owner: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Product>, StoreError> {
        let (after, want) = stmt::products_start(page)?;
        self.readers.read(|c| {
            let rows: Vec<Product> = read_records(
                c,
                stmt::PRODUCTS_PAGE,
                "product",
                &[&after, &owner, &records::limit_plus_one(want)],
            )?;
            Ok(stmt::products_page(rows, want))
        })
    }

    fn delete_product(&self, gtin: &str) -> Result<(), StoreError> {
        self.delete_keyed(stmt::DELETE_PRODUCT.to_owned(), "product", gtin)
    }

    fn put_location(&self, location: &Location) -> Result<(), StoreError> {
        self.put_owned(
            Owned::Locations,
            &location.id,
            &location.owner,
            to_json(location)?,
        )
    }

    fn location(&self, id: &str) -> Result<Option<Location>, StoreError> {
        let owned = Owned::Locations;
        self.readers
            .read(|c| one_record(c, &owned.one_sql(), owned.what(), id))
    }

    fn locations(&self, owner: Option<&str>) -> Result<Vec<Location>, StoreError> {
        self.readers
            .read(|c| owned_records(c, Owned::Locations, owner))
    }

    fn delete_location(&self, id: &str) -> Result<(), StoreError> {
        let owned = Owned::Locations;
        self.delete_keyed(owned.delete_sql(), owned.what(), id)
    }

    fn put_plot(&self, plot: &Plot) -> Result<(), StoreError> {
        self.put_owned(Owned::Plots, &plot.id, &plot.owner, to_json(plot)?)
    }

    fn plot(&self, id: &str) -> Result<Option<Plot>, StoreError> {
        let owned = Owned::Plots;
        self.readers
            .read(|c| one_record(c, &owned.one_sql(), owned.what(), id))
    }

    fn plots(&self, owner: Option<&str>) -> Result<Vec<Plot>, StoreError> {
        self.readers.read(|c| owned_records(c, Owned::Plots, owner))
    }

    fn delete_plot(&self, id: &str) -> Result<(), StoreError> {
        let owned = Owned::Plots;
        self.delete_keyed(owned.delete_sql(), owned.what(), id)
    }

    fn create_code(&self, code: &ExportCode) -> Result<(), StoreError> {
        self.write_code(code, true)
    }

    fn update_code(&self, code: &ExportCode) -> Result<(), StoreError> {
        self.write_code(code, false)
    }

    fn code(&self, code: &str) -> Result<Option<ExportCode>, StoreError> {
        self.readers
            .read(|c| one_record(c, stmt::CODE, "export code", code))
    }

    fn codes(
        &self,
        owner: Option<&str>,
        province: Option<&str>,
    ) -> Result<Vec<ExportCode>, StoreError> {
        self.readers
            .read(|c| read_records(c, stmt::CODES, "export code", &[&owner, &province]))
    }

    fn flagging_codes(&self) -> Result<Vec<ExportCode>, StoreError> {
        self.readers
            .read(|c| read_records(c, stmt::FLAGGING_CODES, "export code", &[]))
    }

    fn add_partners(&self, org: &str, partners: &[String]) -> Result<(), StoreError> {
        if partners.is_empty() {
            return Ok(());
        }
        let org = org.to_owned();
        let partners = partners.to_vec();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            for partner in &partners {
                conn.prepare_cached(stmt::INSERT_PARTNER)?
                    .execute([partner, &org])?;
            }
            Ok(())
        })))
    }

    fn named_by(&self, org: &str) -> Result<Vec<String>, StoreError> {
        self.readers.read(|c| {
            Ok(c.prepare_cached(stmt::NAMED_BY)?
                .query_map([org], |r| r.get(0))?
                .collect::<Result<_, _>>()?)
        })
    }

    fn seqs_with_facet(
        &self,
        field: &str,
        values: &[String],
        seqs: &[i64],
    ) -> Result<Vec<i64>, StoreError> {
        if values.is_empty() || seqs.is_empty() {
            return Ok(Vec::new());
        }
        self.readers.read(|c| {
            // One index range per value: (field, value) then the page's sequence numbers.
            let mut stmt = c.prepare(&stmt::seqs_with_facet_sql(seqs.len()))?;
            let mut found = Vec::new();
            for value in values {
                let mut args: Vec<Value> = vec![field.to_owned().into(), value.clone().into()];
                args.extend(seqs.iter().map(|&s| Value::from(s)));
                let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| r.get(0))?;
                for seq in rows {
                    found.push(seq?);
                }
            }
            found.sort_unstable();
            found.dedup();
            Ok(found)
        })
    }

    fn facet_values_of(&self, field: &str, seqs: &[i64]) -> Result<Vec<(i64, String)>, StoreError> {
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        self.readers.read(|c| {
            let mut args: Vec<Value> = vec![field.to_owned().into()];
            args.extend(seqs.iter().map(|&s| Value::from(s)));
            let mut stmt = c.prepare(&stmt::facet_values_sql(seqs.len()))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

fn owned_records<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    owned: Owned,
    owner: Option<&str>,
) -> Result<Vec<T>, StoreError> {
    match owner {
        Some(owner) => read_records(conn, &owned.of_owner_sql(), owned.what(), &[&owner]),
        None => read_records(conn, &owned.all_sql(), owned.what(), &[]),
    }
}

impl SqliteStore {
    /// Runs a delete by key (`?1`); `NotFound` (naming `what`) when no row had it.
    fn delete_keyed(&self, sql: String, what: &'static str, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            if conn.prepare_cached(&sql)?.execute([&key])? == 0 {
                return Err(StoreError::NotFound(format!("{what} {key}")));
            }
            Ok(())
        })))
    }

    /// Inserts or replaces a keyed record of `owner`, refusing a key another owner holds.
    fn put_owned(
        &self,
        owned: Owned,
        key: &str,
        owner: &str,
        record: String,
    ) -> Result<(), StoreError> {
        let (key, owner) = (key.to_owned(), owner.to_owned());
        self.write(WriteOp::Exec(Box::new(move |mut conn| {
            let n = conn
                .prepare_cached(&owned.put_sql())?
                .execute([&key, &owner, &record])?;
            if n == 0 {
                let holder = conn.lookup(&owned.owner_sql(), &key)?.unwrap_or_default();
                return Err(stmt::held_by(owned.what(), &key, &holder));
            }
            Ok(())
        })))
    }

    fn write_code(&self, code: &ExportCode, create: bool) -> Result<(), StoreError> {
        let code = code.clone();
        let record = to_json(&code)?;
        self.write(WriteOp::Exec(Box::new(move |mut conn| {
            if create {
                if conn.lookup(stmt::CODE_EXISTS, &code.code)?.is_some() {
                    return Err(StoreError::Conflict(format!("export code {}", code.code)));
                }
                conn.prepare_cached(stmt::INSERT_CODE)?.execute(params![
                    code.code,
                    code.owner,
                    code.province_code,
                    code.status.as_str(),
                    record
                ])?;
            } else {
                let n = conn.prepare_cached(stmt::UPDATE_CODE)?.execute(params![
                    code.code,
                    code.province_code,
                    code.status.as_str(),
                    record
                ])?;
                if n == 0 {
                    return Err(StoreError::NotFound(format!("export code {}", code.code)));
                }
            }
            Ok(())
        })))
    }
}
