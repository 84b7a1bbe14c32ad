//! Master data from capture headers: stored per vocabulary element, replaced by a newer
//! description, found again after a reopen.

use super::TestDb;
use serde_json::json;
use store::MasterDataElement;

pub fn elements_are_upserted_and_survive_a_reopen(db: &TestDb) {
    let location = "urn:epcglobal:epcis:vtype:BusinessLocation";
    let vocabularies = vec![json!({
        "type": location,
        "vocabularyElementList": [
            {"id": "urn:epc:id:sgln:8934567.00001.0",
             "attributes": [{"id": "urn:epcglobal:cbv:mda#name", "attribute": "Farm A"}]},
            {"id": "urn:epc:id:sgln:8934567.00002.0"},
            {"attributes": []}
        ]
    })];
    {
        let store = db.open();
        let elements = MasterDataElement::from_vocabularies(&vocabularies, 1);
        assert_eq!(elements.len(), 2, "the element without id is skipped");
        store.put_master_data(elements).unwrap();
        let renamed = vec![json!({"type": location, "vocabularyElementList": [
            {"id": "urn:epc:id:sgln:8934567.00001.0",
             "attributes": [{"id": "urn:epcglobal:cbv:mda#name", "attribute": "Farm A (renamed)"}]}
        ]})];
        store
            .put_master_data(MasterDataElement::from_vocabularies(&renamed, 2))
            .unwrap();
    }
    let store = db.open();
    let one = store
        .master_data_element(location, "urn:epc:id:sgln:8934567.00001.0")
        .unwrap()
        .unwrap();
    assert_eq!(
        one.element["attributes"][0]["attribute"],
        "Farm A (renamed)"
    );
    assert_eq!(one.updated_ms, 2);
    let all = store.master_data_of_type(location).unwrap();
    assert_eq!(all.len(), 2);
    assert!(store
        .master_data_element("urn:epcglobal:epcis:vtype:ReadPoint", "x")
        .unwrap()
        .is_none());
}
