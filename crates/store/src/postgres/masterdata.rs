//! [`MasterDataStore`] on PostgreSQL: the same table and statements as on SQLite.

use crate::masterdata::{MasterDataElement, MasterDataStore};
use crate::StoreError;

use super::conn::Conn;
use super::PgStore;

impl MasterDataStore for PgStore {
    fn put_master_data(&self, elements: Vec<MasterDataElement>) -> Result<(), StoreError> {
        if elements.is_empty() {
            return Ok(());
        }
        self.pool.run(move |c| {
            // One transaction: a document's master data is stored whole or not at all.
            let mut tx = c.client().transaction()?;
            let stmt = tx.prepare(
                "INSERT INTO master_data (vocabulary_type, element_id, element, updated_ms) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (vocabulary_type, element_id) \
                 DO UPDATE SET element = excluded.element, updated_ms = excluded.updated_ms",
            )?;
            for e in &elements {
                tx.execute(
                    &stmt,
                    &[
                        &e.vocabulary_type,
                        &e.id,
                        &e.element.to_string(),
                        &e.updated_ms,
                    ],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn master_data_element(
        &self,
        vocabulary_type: &str,
        id: &str,
    ) -> Result<Option<MasterDataElement>, StoreError> {
        let (vocabulary_type, id) = (vocabulary_type.to_owned(), id.to_owned());
        self.pool
            .run(move |c| read(c, &vocabulary_type, Some(&id)))
            .map(|mut found| found.pop())
    }

    fn master_data_of_type(
        &self,
        vocabulary_type: &str,
    ) -> Result<Vec<MasterDataElement>, StoreError> {
        let vocabulary_type = vocabulary_type.to_owned();
        self.pool.run(move |c| read(c, &vocabulary_type, None))
    }
}

/// Master data elements of a vocabulary type (one, when `id` is given), by id.
fn read(
    c: &mut Conn,
    vocabulary_type: &str,
    id: Option<&str>,
) -> Result<Vec<MasterDataElement>, StoreError> {
    let rows = c.query(
        "SELECT element_id, element, updated_ms FROM master_data \
         WHERE vocabulary_type = ? AND (?::TEXT IS NULL OR element_id = ?) ORDER BY element_id",
        &[&vocabulary_type, &id, &id],
    )?;
    rows.iter()
        .map(|r| {
            let element_id: String = r.try_get(0)?;
            let text: String = r.try_get(1)?;
            let element = serde_json::from_str(&text).map_err(|e| {
                StoreError::Database(format!("master data {element_id} is not JSON: {e}"))
            })?;
            Ok(MasterDataElement {
                vocabulary_type: vocabulary_type.to_owned(),
                id: element_id,
                element,
                updated_ms: r.try_get(2)?,
            })
        })
        .collect()
}
