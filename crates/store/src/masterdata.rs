//! Master data (EPCIS vocabularies) received in capture document headers, kept for the
//! registries: one row per vocabulary element, the latest description winning.

use crate::StoreError;

/// One vocabulary element (`VocabularyElement` / `vocabularyElementList[]`).
#[derive(Debug, Clone, PartialEq)]
pub struct MasterDataElement {
    /// Vocabulary type, e.g. `urn:epcglobal:epcis:vtype:BusinessLocation`.
    pub vocabulary_type: String,
    /// The element's identifier (an SGLN, an EPC class, …).
    pub id: String,
    /// The element in its JSON-LD form (`id`, `attributes`, `children`, extensions).
    pub element: serde_json::Value,
    /// When last written, epoch ms.
    pub updated_ms: i64,
}

impl MasterDataElement {
    /// The elements of JSON-LD vocabularies (`epcisMasterData.vocabularyList`); entries
    /// without a type or an id are skipped, since they cannot be looked up.
    pub fn from_vocabularies(
        vocabularies: &[serde_json::Value],
        now_ms: i64,
    ) -> Vec<MasterDataElement> {
        let mut out = Vec::new();
        for vocabulary in vocabularies {
            let Some(vocabulary_type) = vocabulary.get("type").and_then(|t| t.as_str()) else {
                continue;
            };
            let elements = vocabulary
                .get("vocabularyElementList")
                .and_then(|l| l.as_array());
            for element in elements.into_iter().flatten() {
                if let Some(id) = element.get("id").and_then(|i| i.as_str()) {
                    out.push(MasterDataElement {
                        vocabulary_type: vocabulary_type.to_string(),
                        id: id.to_string(),
                        element: element.clone(),
                        updated_ms: now_ms,
                    });
                }
            }
        }
        out
    }
}

/// Storage of master data.
pub trait MasterDataStore: Send + Sync {
    /// Inserts or replaces vocabulary elements (keyed by type and id), durably.
    fn put_master_data(&self, elements: Vec<MasterDataElement>) -> Result<(), StoreError>;
    /// One element.
    fn master_data_element(
        &self,
        vocabulary_type: &str,
        id: &str,
    ) -> Result<Option<MasterDataElement>, StoreError>;
    /// The elements of one vocabulary type, by id.
    fn master_data_of_type(
        &self,
        vocabulary_type: &str,
    ) -> Result<Vec<MasterDataElement>, StoreError>;
}
