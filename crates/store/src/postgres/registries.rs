//! [`RegistryStore`] on PostgreSQL: the statements shared with SQLite
//! ([`crate::sql::registries`]). Writes that check before they write run in one
//! transaction; the unique keys catch what two processes might slip past the check at once.

use postgres::types::ToSql;
use postgres::GenericClient;

use registry::codes::ExportCode;
use registry::places::{Location, Plot};
use registry::{Organisation, Product};

use crate::sql::cells::{from_json, to_json};
use crate::sql::registries::{self as stmt, Lookup, Owned};
use crate::sql::{self};
use crate::{Page, PageRequest, RegistryStore, StoreError};

use super::conn::{is_unique_violation, numbered, Conn};
use super::PgStore;

/// A transaction (or a client) as a [`Lookup`].
struct Tx<'a, C: GenericClient>(&'a mut C);

impl<C: GenericClient> Lookup for Tx<'_, C> {
    fn lookup(&mut self, sql: &str, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .0
            .query_opt(&numbered(sql), &[&key])?
            .map(|r| r.try_get(0))
            .transpose()?)
    }
}

/// A unique key taken by another process between the check and the write.
fn taken(e: postgres::Error, what: &str) -> StoreError {
    if is_unique_violation(&e) {
        let detail = e.as_db_error().and_then(|d| d.detail()).unwrap_or_default();
        StoreError::Conflict(format!("{what} ({detail})"))
    } else {
        e.into()
    }
}

fn write_keys(tx: &mut postgres::Transaction<'_>, org: &Organisation) -> Result<(), StoreError> {
    let id = org.id();
    tx.execute(&numbered(stmt::DELETE_PREFIXES), &[&id])?;
    tx.execute(&numbered(stmt::DELETE_GLNS), &[&id])?;
    let insert_prefix = tx.prepare(&numbered(stmt::INSERT_PREFIX))?;
    for prefix in &org.details.company_prefixes {
        tx.execute(&insert_prefix, &[prefix, &id])?;
    }
    let insert_gln = tx.prepare(&numbered(stmt::INSERT_GLN))?;
    for gln in &org.details.glns {
        tx.execute(&insert_gln, &[gln, &id])?;
    }
    Ok(())
}

/// The records a statement finds, decoded.
fn read_records<T: serde::de::DeserializeOwned>(
    c: &mut Conn,
    sql: &str,
    what: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<T>, StoreError> {
    c.query(sql, args)?
        .iter()
        .map(|r| from_json(what, &r.try_get::<_, String>(0)?))
        .collect()
}

impl PgStore {
    /// The records of a statement with text parameters, decoded, on a pooled connection.
    fn records<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        sql: String,
        what: &'static str,
        args: Vec<Option<String>>,
    ) -> Result<Vec<T>, StoreError> {
        self.pool.run(move |c| {
            let refs: Vec<&(dyn ToSql + Sync)> =
                args.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
            read_records(c, &sql, what, &refs)
        })
    }

    fn write_org(&self, org: &Organisation, create: bool) -> Result<(), StoreError> {
        let org = org.clone();
        let record = to_json(&org)?;
        self.pool.run(move |c| {
            let mut tx = c.client().transaction()?;
            if create && Tx(&mut tx).lookup(stmt::ORG_ID, org.id())?.is_some() {
                return Err(StoreError::Conflict(format!("organisation {}", org.id())));
            }
            stmt::check_unclaimed(&mut Tx(&mut tx), &org)?;
            let what = format!("organisation {}", org.id());
            let d = &org.details;
            let n = if create {
                tx.execute(
                    &numbered(stmt::INSERT_ORG),
                    &[
                        &org.id(),
                        &d.tax_code,
                        &d.province_code,
                        &org.created_ms,
                        &record,
                    ],
                )
            } else {
                tx.execute(
                    &numbered(stmt::UPDATE_ORG),
                    &[&org.id(), &d.tax_code, &d.province_code, &record],
                )
            }
            .map_err(|e| taken(e, &what))?;
            if n == 0 {
                return Err(StoreError::NotFound(what));
            }
            write_keys(&mut tx, &org)?;
            tx.commit().map_err(|e| taken(e, &what))?;
            Ok(())
        })
    }

    /// Runs a delete by key (`?1`); `NotFound` (naming `what`) when no row had it.
    fn delete_keyed(&self, sql: String, what: &'static str, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.pool.run(move |c| {
            if c.execute(&sql, &[&key])? == 0 {
                return Err(StoreError::NotFound(format!("{what} {key}")));
            }
            Ok(())
        })
    }

    /// Inserts or replaces a keyed record of `owner`, refusing a key another owner holds.
    fn put_keyed(
        &self,
        put_sql: String,
        owner_sql: String,
        what: &'static str,
        key: &str,
        owner: &str,
        record: String,
    ) -> Result<(), StoreError> {
        let (key, owner) = (key.to_owned(), owner.to_owned());
        self.pool.run(move |c| {
            let n = c.execute(&put_sql, &[&key, &owner, &record])?;
            if n == 0 {
                let holder = Tx(c.client()).lookup(&owner_sql, &key)?.unwrap_or_default();
                return Err(stmt::held_by(what, &key, &holder));
            }
            Ok(())
        })
    }

    fn put_owned(
        &self,
        owned: Owned,
        key: &str,
        owner: &str,
        record: String,
    ) -> Result<(), StoreError> {
        self.put_keyed(
            owned.put_sql(),
            owned.owner_sql(),
            owned.what(),
            key,
            owner,
            record,
        )
    }

    fn owned_records<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        owned: Owned,
        owner: Option<&str>,
    ) -> Result<Vec<T>, StoreError> {
        match owner {
            Some(owner) => self.records(
                owned.of_owner_sql(),
                owned.what(),
                vec![Some(owner.to_owned())],
            ),
            None => self.records(owned.all_sql(), owned.what(), vec![]),
        }
    }

    fn one<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        sql: String,
        what: &'static str,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.records(sql, what, vec![Some(key.to_owned())])?.pop())
    }

    fn write_code(&self, code: &ExportCode, create: bool) -> Result<(), StoreError> {
        let code = code.clone();
        let record = to_json(&code)?;
        self.pool.run(move |c| {
            let what = format!("export code {}", code.code);
            if create {
                c.execute(
                    stmt::INSERT_CODE,
                    &[
                        &code.code,
                        &code.owner,
                        &code.province_code,
                        &code.status.as_str(),
                        &record,
                    ],
                )
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        StoreError::Conflict(what.clone())
                    } else {
                        e.into()
                    }
                })?;
            } else {
                let n = c.execute(
                    stmt::UPDATE_CODE,
                    &[
                        &code.code,
                        &code.province_code,
                        &code.status.as_str(),
                        &record,
                    ],
                )?;
                if n == 0 {
                    return Err(StoreError::NotFound(what));
                }
            }
            Ok(())
        })
    }
}

impl RegistryStore for PgStore {
    fn create_organisation(&self, org: &Organisation) -> Result<(), StoreError> {
        self.write_org(org, true)
    }

    fn update_organisation(&self, org: &Organisation) -> Result<(), StoreError> {
        self.write_org(org, false)
    }

    fn organisation(&self, id: &str) -> Result<Option<Organisation>, StoreError> {
        self.one(stmt::ORG.to_owned(), "organisation", id)
    }

    fn organisations(
        &self,
        province: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Organisation>, StoreError> {
        let (after, want) = stmt::orgs_start(page)?;
        let province = province.map(str::to_owned);
        self.pool.run(move |c| {
            let rows: Vec<Organisation> = read_records(
                c,
                stmt::ORGS_PAGE,
                "organisation",
                &[&after, &province, &sql::limit_plus_one(want)],
            )?;
            Ok(stmt::orgs_page(rows, want))
        })
    }

    fn company_prefixes(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.pool.run(|c| {
            c.query(stmt::PREFIXES, &[])?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        })
    }

    fn put_product(&self, product: &Product) -> Result<(), StoreError> {
        self.put_keyed(
            stmt::PUT_PRODUCT.to_owned(),
            stmt::PRODUCT_OWNER.to_owned(),
            "product",
            &product.gtin,
            &product.owner,
            to_json(product)?,
        )
    }

    fn product(&self, gtin: &str) -> Result<Option<Product>, StoreError> {
        self.one(stmt::PRODUCT.to_owned(), "product", gtin)
    }

    fn products(
        &self,
        owner: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Product>, StoreError> {
        let (after, want) = stmt::products_start(page)?;
        let owner = owner.map(str::to_owned);
        self.pool.run(move |c| {
            let rows: Vec<Product> = read_records(
                c,
                stmt::PRODUCTS_PAGE,
                "product",
                &[&after, &owner, &sql::limit_plus_one(want)],
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
        self.one(owned.one_sql(), owned.what(), id)
    }

    fn locations(&self, owner: Option<&str>) -> Result<Vec<Location>, StoreError> {
        self.owned_records(Owned::Locations, owner)
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
        self.one(owned.one_sql(), owned.what(), id)
    }

    fn plots(&self, owner: Option<&str>) -> Result<Vec<Plot>, StoreError> {
        self.owned_records(Owned::Plots, owner)
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
        self.one(stmt::CODE.to_owned(), "export code", code)
    }

    fn codes(
        &self,
        owner: Option<&str>,
        province: Option<&str>,
    ) -> Result<Vec<ExportCode>, StoreError> {
        self.records(
            stmt::CODES.to_owned(),
            "export code",
            vec![owner.map(str::to_owned), province.map(str::to_owned)],
        )
    }

    fn flagging_codes(&self) -> Result<Vec<ExportCode>, StoreError> {
        self.records(stmt::FLAGGING_CODES.to_owned(), "export code", vec![])
    }

    fn add_partners(&self, org: &str, partners: &[String]) -> Result<(), StoreError> {
        if partners.is_empty() {
            return Ok(());
        }
        let org = org.to_owned();
        let partners = partners.to_vec();
        self.pool.run(move |c| {
            for partner in &partners {
                c.execute(stmt::INSERT_PARTNER, &[partner, &org])?;
            }
            Ok(())
        })
    }

    fn named_by(&self, org: &str) -> Result<Vec<String>, StoreError> {
        let org = org.to_owned();
        self.pool.run(move |c| {
            c.query(stmt::NAMED_BY, &[&org])?
                .iter()
                .map(|r| Ok(r.try_get(0)?))
                .collect()
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
        let (field, values, seqs) = (field.to_owned(), values.to_vec(), seqs.to_vec());
        self.pool.run(move |c| {
            let sql = stmt::seqs_with_facet_sql(seqs.len());
            let mut found = Vec::new();
            for value in &values {
                let mut args: Vec<&(dyn ToSql + Sync)> = vec![&field, value];
                args.extend(seqs.iter().map(|s| s as &(dyn ToSql + Sync)));
                for row in c.query(&sql, &args)? {
                    found.push(row.try_get(0)?);
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
        let (field, seqs) = (field.to_owned(), seqs.to_vec());
        self.pool.run(move |c| {
            let mut args: Vec<&(dyn ToSql + Sync)> = vec![&field];
            args.extend(seqs.iter().map(|s| s as &(dyn ToSql + Sync)));
            c.query(&stmt::facet_values_sql(seqs.len()), &args)?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        })
    }
}
