//! [`RegistryStore`] for SQLite. Organisation and product records are kept as JSON next
//! to the columns that are looked up or must be unique.

use rusqlite::{params, Connection, OptionalExtension};

use registry::codes::ExportCode;
use registry::places::{Location, Plot};
use registry::{Organisation, Product};

use super::writer::WriteOp;
use super::{records, SqliteStore};
use crate::cursor::{decode_tagged, encode_text};
use crate::{Page, PageRequest, RegistryStore, StoreError};

const ORG_TAG: &str = "o1";
const PRODUCT_TAG: &str = "p1";

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Database(format!("stored {what} record is unreadable: {e}")))
}

/// Refuses a prefix or GLN another organisation holds, naming both.
fn check_unclaimed(conn: &Connection, org: &Organisation) -> Result<(), StoreError> {
    let id = org.id();
    for prefix in &org.details.company_prefixes {
        let holder: Option<String> = conn
            .prepare_cached("SELECT org_id FROM company_prefixes WHERE prefix = ?1")?
            .query_row([prefix], |r| r.get(0))
            .optional()?;
        if let Some(holder) = holder.filter(|h| h != id) {
            return Err(StoreError::Conflict(format!(
                "company prefix {prefix} (registered to {holder})"
            )));
        }
    }
    for gln in &org.details.glns {
        let holder: Option<String> = conn
            .prepare_cached("SELECT org_id FROM organisation_glns WHERE gln = ?1")?
            .query_row([gln], |r| r.get(0))
            .optional()?;
        if let Some(holder) = holder.filter(|h| h != id) {
            return Err(StoreError::Conflict(format!(
                "GLN {gln} (registered to {holder})"
            )));
        }
    }
    let holder: Option<String> = conn
        .prepare_cached("SELECT id FROM organisations WHERE tax_code = ?1")?
        .query_row([&org.details.tax_code], |r| r.get(0))
        .optional()?;
    if let Some(holder) = holder.filter(|h| h != id) {
        return Err(StoreError::Conflict(format!(
            "an organisation with tax code {} ({holder})",
            org.details.tax_code
        )));
    }
    Ok(())
}

fn write_keys(conn: &Connection, org: &Organisation) -> Result<(), StoreError> {
    let id = org.id();
    conn.prepare_cached("DELETE FROM company_prefixes WHERE org_id = ?1")?
        .execute([id])?;
    conn.prepare_cached("DELETE FROM organisation_glns WHERE org_id = ?1")?
        .execute([id])?;
    for prefix in &org.details.company_prefixes {
        conn.prepare_cached(
            "INSERT INTO company_prefixes (prefix, org_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?
        .execute([prefix, id])?;
    }
    for gln in &org.details.glns {
        conn.prepare_cached(
            "INSERT INTO organisation_glns (gln, org_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?
        .execute([gln, id])?;
    }
    Ok(())
}

/// `IN (?, ?, …)` with `n` placeholders numbered from `first`.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl RegistryStore for SqliteStore {
    fn create_organisation(&self, org: &Organisation) -> Result<(), StoreError> {
        let org = org.clone();
        let record = to_json(&org)?;
        self.write(WriteOp::Exec(Box::new(move |conn| {
            let exists: Option<i64> = conn
                .prepare_cached("SELECT 1 FROM organisations WHERE id = ?1")?
                .query_row([org.id()], |r| r.get(0))
                .optional()?;
            if exists.is_some() {
                return Err(StoreError::Conflict(format!("organisation {}", org.id())));
            }
            check_unclaimed(conn, &org)?;
            conn.prepare_cached(
                "INSERT INTO organisations (id, tax_code, province_code, created_ms, record) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
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
        self.write(WriteOp::Exec(Box::new(move |conn| {
            check_unclaimed(conn, &org)?;
            let n = conn
                .prepare_cached(
                    "UPDATE organisations SET tax_code = ?2, province_code = ?3, record = ?4 WHERE id = ?1",
                )?
                .execute(params![
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
        self.readers.read(|c| {
            let record: Option<String> = c
                .prepare_cached("SELECT record FROM organisations WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?;
            record.map(|r| from_json("organisation", &r)).transpose()
        })
    }

    fn organisations(
        &self,
        province: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Organisation>, StoreError> {
        self.readers.read(|c| {
            let after = page
                .after
                .as_deref()
                .map(|a| decode_tagged(a, ORG_TAG))
                .transpose()?
                .unwrap_or_default();
            let want = page.per_page.max(1);
            let rows: Vec<(String, String)> = c
                .prepare_cached(
                    "SELECT id, record FROM organisations WHERE id > ?1 AND (?2 IS NULL OR province_code = ?2) ORDER BY id LIMIT ?3",
                )?
                .query_map(params![after, province, records::limit_plus_one(want)], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<Result<_, _>>()?;
            let rows = rows
                .into_iter()
                .map(|(id, r)| Ok((id, from_json::<Organisation>("organisation", &r)?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(records::paged(
                rows,
                want,
                |(id, _)| encode_text(ORG_TAG, id),
                |(_, o)| o,
            ))
        })
    }

    fn company_prefixes(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.readers.read(|c| {
            Ok(
                c.prepare_cached("SELECT prefix, org_id FROM company_prefixes")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?,
            )
        })
    }

    fn put_product(&self, product: &Product) -> Result<(), StoreError> {
        let product = product.clone();
        let record = to_json(&product)?;
        self.write(WriteOp::Exec(Box::new(move |conn| {
            let owner: Option<String> = conn
                .prepare_cached("SELECT owner FROM products WHERE gtin = ?1")?
                .query_row([&product.gtin], |r| r.get(0))
                .optional()?;
            if let Some(owner) = owner.filter(|o| *o != product.owner) {
                return Err(StoreError::Conflict(format!(
                    "product {} (registered to {owner})",
                    product.gtin
                )));
            }
            conn.prepare_cached(
                "INSERT INTO products (gtin, owner, record) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (gtin) DO UPDATE SET record = excluded.record",
            )?
            .execute(params![product.gtin, product.owner, record])?;
            Ok(())
        })))
    }

    fn product(&self, gtin: &str) -> Result<Option<Product>, StoreError> {
        self.readers.read(|c| {
            let record: Option<String> = c
                .prepare_cached("SELECT record FROM products WHERE gtin = ?1")?
                .query_row([gtin], |r| r.get(0))
                .optional()?;
            record.map(|r| from_json("product", &r)).transpose()
        })
    }

    fn products(
        &self,
        owner: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Product>, StoreError> {
        self.readers.read(|c| {
            let after = page
                .after
                .as_deref()
                .map(|a| decode_tagged(a, PRODUCT_TAG))
                .transpose()?
                .unwrap_or_default();
            let want = page.per_page.max(1);
            let rows: Vec<String> = c
                .prepare_cached(
                    "SELECT record FROM products WHERE gtin > ?1 AND (?2 IS NULL OR owner = ?2) ORDER BY gtin LIMIT ?3",
                )?
                .query_map(params![after, owner, records::limit_plus_one(want)], |r| {
                    r.get(0)
                })?
                .collect::<Result<_, _>>()?;
            let rows = rows
                .iter()
                .map(|r| from_json::<Product>("product", r))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(records::paged(
                rows,
                want,
                |p| encode_text(PRODUCT_TAG, &p.gtin),
                |p| p,
            ))
        })
    }

    fn delete_product(&self, gtin: &str) -> Result<(), StoreError> {
        self.delete_row("products", "gtin", "product", gtin)
    }

    fn put_location(&self, location: &Location) -> Result<(), StoreError> {
        let (key, owner, record) = (
            location.id.clone(),
            location.owner.clone(),
            to_json(location)?,
        );
        self.write(WriteOp::Exec(Box::new(move |conn| {
            put_owned(conn, "locations", "location", &key, &owner, &record)
        })))
    }

    fn location(&self, id: &str) -> Result<Option<Location>, StoreError> {
        self.readers.read(|c| {
            one_record(
                c,
                "SELECT record FROM locations WHERE id = ?1",
                "location",
                id,
            )
        })
    }

    fn locations(&self, owner: Option<&str>) -> Result<Vec<Location>, StoreError> {
        self.readers
            .read(|c| owned_records(c, "locations", "location", owner))
    }

    fn delete_location(&self, id: &str) -> Result<(), StoreError> {
        self.delete_row("locations", "id", "location", id)
    }

    fn put_plot(&self, plot: &Plot) -> Result<(), StoreError> {
        let (key, owner, record) = (plot.id.clone(), plot.owner.clone(), to_json(plot)?);
        self.write(WriteOp::Exec(Box::new(move |conn| {
            put_owned(conn, "plots", "plot", &key, &owner, &record)
        })))
    }

    fn plot(&self, id: &str) -> Result<Option<Plot>, StoreError> {
        self.readers
            .read(|c| one_record(c, "SELECT record FROM plots WHERE id = ?1", "plot", id))
    }

    fn plots(&self, owner: Option<&str>) -> Result<Vec<Plot>, StoreError> {
        self.readers
            .read(|c| owned_records(c, "plots", "plot", owner))
    }

    fn delete_plot(&self, id: &str) -> Result<(), StoreError> {
        self.delete_row("plots", "id", "plot", id)
    }

    fn create_code(&self, code: &ExportCode) -> Result<(), StoreError> {
        self.write_code(code, true)
    }

    fn update_code(&self, code: &ExportCode) -> Result<(), StoreError> {
        self.write_code(code, false)
    }

    fn code(&self, code: &str) -> Result<Option<ExportCode>, StoreError> {
        self.readers.read(|c| {
            one_record(
                c,
                "SELECT record FROM export_codes WHERE code = ?1",
                "export code",
                code,
            )
        })
    }

    fn codes(
        &self,
        owner: Option<&str>,
        province: Option<&str>,
    ) -> Result<Vec<ExportCode>, StoreError> {
        self.readers.read(|c| {
            let rows: Vec<String> = c
                .prepare_cached(
                    "SELECT record FROM export_codes WHERE (?1 IS NULL OR owner = ?1) \
                     AND (?2 IS NULL OR province_code = ?2) ORDER BY code",
                )?
                .query_map(params![owner, province], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            rows.iter().map(|r| from_json("export code", r)).collect()
        })
    }

    fn flagging_codes(&self) -> Result<Vec<ExportCode>, StoreError> {
        self.readers.read(|c| {
            let rows: Vec<String> = c
                .prepare_cached(
                    "SELECT record FROM export_codes WHERE status IN ('suspended', 'revoked') ORDER BY code",
                )?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            rows.iter().map(|r| from_json("export code", r)).collect()
        })
    }

    fn add_partners(&self, org: &str, partners: &[String]) -> Result<(), StoreError> {
        if partners.is_empty() {
            return Ok(());
        }
        let org = org.to_owned();
        let partners = partners.to_vec();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            for partner in &partners {
                conn.prepare_cached(
                    "INSERT INTO trading_partners (partner_id, org_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                )?
                .execute([partner, &org])?;
            }
            Ok(())
        })))
    }

    fn named_by(&self, org: &str) -> Result<Vec<String>, StoreError> {
        self.readers.read(|c| {
            Ok(c.prepare_cached(
                "SELECT org_id FROM trading_partners WHERE partner_id = ?1 ORDER BY org_id",
            )?
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
            let sql = format!(
                "SELECT t.seq FROM facet_text t JOIN fields f ON f.id = t.field_id \
                 WHERE f.name = ?1 AND t.value = ?2 AND t.seq IN ({})",
                placeholders(3, seqs.len())
            );
            let mut stmt = c.prepare(&sql)?;
            let mut found = Vec::new();
            for value in values {
                let mut args: Vec<rusqlite::types::Value> =
                    vec![field.to_owned().into(), value.clone().into()];
                args.extend(seqs.iter().map(|&s| rusqlite::types::Value::from(s)));
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
            let sql = format!(
                "SELECT t.seq, t.value FROM facet_text t JOIN fields f ON f.id = t.field_id \
                 WHERE f.name = ?1 AND t.seq IN ({}) ORDER BY t.seq, t.value",
                placeholders(2, seqs.len())
            );
            let mut args: Vec<rusqlite::types::Value> = vec![field.to_owned().into()];
            args.extend(seqs.iter().map(|&s| rusqlite::types::Value::from(s)));
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

/// A keyed JSON record in `table` (`key_column`, `owner`, `record`): insert or replace,
/// refusing a key held by another owner.
impl SqliteStore {
    /// Deletes the row of `table` whose `column` is `key`; `NotFound` (naming `what`) when absent.
    fn delete_row(
        &self,
        table: &'static str,
        column: &'static str,
        what: &'static str,
        key: &str,
    ) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            let n = conn
                .prepare_cached(&format!("DELETE FROM {table} WHERE {column} = ?1"))?
                .execute([&key])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("{what} {key}")));
            }
            Ok(())
        })))
    }
}

fn put_owned(
    conn: &rusqlite::Connection,
    table: &str,
    what: &str,
    key: &str,
    owner: &str,
    record: &str,
) -> Result<(), StoreError> {
    let holder: Option<String> = conn
        .prepare_cached(&format!("SELECT owner FROM {table} WHERE id = ?1"))?
        .query_row([key], |r| r.get(0))
        .optional()?;
    if let Some(holder) = holder.filter(|h| h != owner) {
        return Err(StoreError::Conflict(format!(
            "{what} {key} (registered to {holder})"
        )));
    }
    conn.prepare_cached(&format!(
        "INSERT INTO {table} (id, owner, record) VALUES (?1, ?2, ?3) \
         ON CONFLICT (id) DO UPDATE SET record = excluded.record"
    ))?
    .execute([key, owner, record])?;
    Ok(())
}

fn owned_records<T: serde::de::DeserializeOwned>(
    conn: &rusqlite::Connection,
    table: &str,
    what: &str,
    owner: Option<&str>,
) -> Result<Vec<T>, StoreError> {
    let rows: Vec<String> = conn
        .prepare_cached(&format!(
            "SELECT record FROM {table} WHERE ?1 IS NULL OR owner = ?1 ORDER BY id"
        ))?
        .query_map([owner], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    rows.iter().map(|r| from_json(what, r)).collect()
}

fn one_record<T: serde::de::DeserializeOwned>(
    conn: &rusqlite::Connection,
    sql: &str,
    what: &str,
    key: &str,
) -> Result<Option<T>, StoreError> {
    let record: Option<String> = conn
        .prepare_cached(sql)?
        .query_row([key], |r| r.get(0))
        .optional()?;
    record.map(|r| from_json(what, &r)).transpose()
}

impl SqliteStore {
    fn write_code(&self, code: &ExportCode, create: bool) -> Result<(), StoreError> {
        let code = code.clone();
        let record = to_json(&code)?;
        self.write(WriteOp::Exec(Box::new(move |conn| {
            if create {
                let exists: Option<i64> = conn
                    .prepare_cached("SELECT 1 FROM export_codes WHERE code = ?1")?
                    .query_row([&code.code], |r| r.get(0))
                    .optional()?;
                if exists.is_some() {
                    return Err(StoreError::Conflict(format!("export code {}", code.code)));
                }
                conn.prepare_cached(
                    "INSERT INTO export_codes (code, owner, province_code, status, record) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![code.code, code.owner, code.province_code, code.status.as_str(), record])?;
            } else {
                let n = conn
                    .prepare_cached(
                        "UPDATE export_codes SET province_code = ?2, status = ?3, record = ?4 WHERE code = ?1",
                    )?
                    .execute(params![code.code, code.province_code, code.status.as_str(), record])?;
                if n == 0 {
                    return Err(StoreError::NotFound(format!("export code {}", code.code)));
                }
            }
            Ok(())
        })))
    }
}
