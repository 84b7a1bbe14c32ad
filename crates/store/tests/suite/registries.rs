//! The registry and account traits: uniqueness, ownership, tokens, partners and the
//! per-event marks.

use super::TestDb;
use epcis::{EventType, Facet, FacetValue};
use registry::accounts::{AccountRole, ApiToken, Binding, User};
use registry::{NewOrganisation, Organisation, Product, ProductGroup, Scope, Verification};
use store::{AppendMode, NewEvent, PageRequest, StoreError};

pub fn org(id: &str, tax: &str, prefix: &str) -> Organisation {
    Organisation {
        details: NewOrganisation {
            id: id.into(),
            name_vi: format!("Công ty {id}"),
            name_en: String::new(),
            tax_code: tax.into(),
            company_prefixes: vec![prefix.into()],
            glns: vec![],
            address: String::new(),
            province_code: "33".into(),
            country: "VN".into(),
            roles: vec![],
        },
        verification: Verification::Pending,
        suspension: None,
        created_ms: 1,
    }
}

pub fn product(gtin: &str, owner: &str) -> Product {
    Product {
        gtin: gtin.into(),
        owner: owner.into(),
        name_vi: "Nhãn".into(),
        name_en: String::new(),
        description_vi: String::new(),
        description_en: String::new(),
        images: vec![],
        brand: String::new(),
        group: ProductGroup::Other,
        category: String::new(),
        net_content: String::new(),
        shelf_life_days: Some(10),
        standards: vec![],
        certificates: vec![],
    }
}

fn page() -> PageRequest {
    PageRequest {
        per_page: 10,
        after: None,
    }
}

pub fn organisations_are_unique_by_id_tax_code_and_prefix(db: &TestDb) {
    let s = db.open();
    s.create_organisation(&org("a", "0100000001", "893601"))
        .unwrap();
    for (dup, what) in [
        (org("a", "0100000002", "893602"), "organisation a"),
        (org("b", "0100000001", "893602"), "tax code 0100000001"),
        (org("b", "0100000002", "893601"), "company prefix 893601"),
    ] {
        match s.create_organisation(&dup) {
            Err(StoreError::Conflict(m)) => assert!(m.contains(what), "{m}"),
            other => panic!("expected a conflict on {what}, got {other:?}"),
        }
    }
    s.create_organisation(&org("b", "0100000002", "893602"))
        .unwrap();
    let mut a = s.organisation("a").unwrap().unwrap();
    a.verification = Verification::Verified {
        by: "official".into(),
        at_ms: 5,
    };
    a.details.company_prefixes.push("893603".into());
    s.update_organisation(&a).unwrap();
    assert!(s.organisation("a").unwrap().unwrap().is_active());
    let mut prefixes = s.company_prefixes().unwrap();
    prefixes.sort();
    assert_eq!(
        prefixes,
        vec![
            ("893601".to_string(), "a".to_string()),
            ("893602".into(), "b".into()),
            ("893603".into(), "a".into())
        ]
    );
    let listed = s
        .organisations(
            None,
            &PageRequest {
                per_page: 1,
                after: None,
            },
        )
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    let rest = s
        .organisations(
            None,
            &PageRequest {
                per_page: 1,
                after: listed.next,
            },
        )
        .unwrap();
    assert_eq!(rest.items[0].id(), "b");
    assert!(s
        .organisations(Some("01"), &page())
        .unwrap()
        .items
        .is_empty());
}

pub fn products_belong_to_one_owner(db: &TestDb) {
    let s = db.open();
    s.create_organisation(&org("a", "0100000001", "893601"))
        .unwrap();
    s.create_organisation(&org("b", "0100000002", "893602"))
        .unwrap();
    s.put_product(&product("08936010011014", "a")).unwrap();
    let mut changed = product("08936010011014", "a");
    changed.brand = "Tiên Lữ".into();
    s.put_product(&changed).unwrap();
    assert_eq!(
        s.product("08936010011014").unwrap().unwrap().brand,
        "Tiên Lữ"
    );
    assert!(matches!(
        s.put_product(&product("08936010011014", "b")),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.products(Some("a"), &page()).unwrap().items.len(), 1);
    assert!(s.products(Some("b"), &page()).unwrap().items.is_empty());
    s.delete_product("08936010011014").unwrap();
    assert!(matches!(
        s.delete_product("08936010011014"),
        Err(StoreError::NotFound(_))
    ));
}

pub fn users_sessions_and_tokens(db: &TestDb) {
    let s = db.open();
    let user = User {
        name: "lan".into(),
        password_hash: "$argon2id$x".into(),
        binding: Binding {
            role: AccountRole::Admin,
            org: Some("a".into()),
            province: None,
        },
        created_ms: 1,
        disabled: false,
    };
    assert_eq!(s.user_count().unwrap(), 0);
    s.create_user(&user).unwrap();
    assert!(matches!(s.create_user(&user), Err(StoreError::Conflict(_))));
    assert_eq!(s.user("lan").unwrap().unwrap(), user);
    s.create_session("h1", "lan", 10, 100).unwrap();
    assert_eq!(s.session_user("h1", 50).unwrap().unwrap().name, "lan");
    assert!(s.session_user("h1", 100).unwrap().is_none(), "expired");
    s.delete_session("h1").unwrap();
    assert!(s.session_user("h1", 50).unwrap().is_none());

    let token = ApiToken {
        id: "t1".into(),
        name: "erp".into(),
        secret_sha256: "abc".into(),
        binding: user.binding.clone(),
        scopes: vec![Scope::Read, Scope::Capture],
        created_by: "lan".into(),
        created_ms: 1,
        expires_ms: None,
        revoked_ms: None,
        last_used_ms: None,
    };
    s.create_token(&token).unwrap();
    assert_eq!(s.token_by_secret("abc").unwrap().unwrap(), token);
    s.touch_token("t1", 7).unwrap();
    s.revoke_token("t1", 9).unwrap();
    let t = s.token("t1").unwrap().unwrap();
    assert_eq!((t.last_used_ms, t.revoked_ms), (Some(7), Some(9)));
    assert_eq!(s.tokens(Some("a")).unwrap().len(), 1);
    assert!(s.tokens(None).unwrap().is_empty());
    assert!(matches!(
        s.revoke_token("nope", 1),
        Err(StoreError::NotFound(_))
    ));
}

pub fn partners_marks_and_job_owners(db: &TestDb) {
    let s = db.open();
    s.add_partners("a", &["b".into(), "c".into()]).unwrap();
    s.add_partners("a", &["b".into()]).unwrap();
    assert_eq!(s.named_by("b").unwrap(), vec!["a".to_string()]);
    assert!(s.named_by("a").unwrap().is_empty());

    let event = |i: i64, owner: &str, flag: Option<&str>| {
        let mut facets = vec![Facet {
            field: "tp:owner".into(),
            value: FacetValue::Text(owner.into()),
        }];
        if let Some(f) = flag {
            facets.push(Facet {
                field: "tp:flag".into(),
                value: FacetValue::Text(f.into()),
            });
        }
        NewEvent {
            event_id: format!("e{i}"),
            hash: format!("h{i}"),
            event_type: EventType::ObjectEvent,
            event_time_ms: i,
            record_time_ms: i,
            body: "{}".into(),
            facets,
            trace: None,
        }
    };
    s.append(
        vec![
            event(1, "a", None),
            event(2, "b", Some("ownership")),
            event(3, "a", None),
        ],
        AppendMode::AllOrNothing,
    )
    .unwrap();
    assert_eq!(
        s.seqs_with_facet("tp:owner", &["a".into()], &[1, 2, 3])
            .unwrap(),
        vec![1, 3]
    );
    assert_eq!(
        s.seqs_with_facet("tp:owner", &["a".into(), "b".into()], &[2, 3])
            .unwrap(),
        vec![2, 3]
    );
    assert_eq!(
        s.facet_values_of("tp:flag", &[1, 2, 3]).unwrap(),
        vec![(2, "ownership".to_string())]
    );

    let job = s
        .create_capture_job(AppendMode::AllOrNothing, b"{}")
        .unwrap();
    let other = s
        .create_capture_job(AppendMode::AllOrNothing, b"{}")
        .unwrap();
    s.set_capture_job_owner(&job.id, "a").unwrap();
    s.set_capture_job_owner(&other.id, "b").unwrap();
    assert_eq!(s.capture_job_owner(&job.id).unwrap().as_deref(), Some("a"));
    let mine = s.capture_jobs_of("a", &page()).unwrap();
    assert_eq!(mine.items.len(), 1);
    assert_eq!(mine.items[0].id, job.id);
    s.set_named_query_owner("q", "a").unwrap();
    assert_eq!(s.named_query_owner("q").unwrap().as_deref(), Some("a"));
}

pub fn places_and_codes(db: &TestDb) {
    use registry::codes::{CodeKind, CodeStatus, ExportCode};
    use registry::places::{Location, Plot};
    let s = db.open();
    s.create_organisation(&org("a", "0100000001", "893601"))
        .unwrap();
    s.create_organisation(&org("b", "0100000002", "893602"))
        .unwrap();
    let loc = Location {
        id: "8936010000001".into(),
        owner: "a".into(),
        name_vi: "Kho".into(),
        name_en: String::new(),
        address: String::new(),
        province_code: "33".into(),
        commune_code: String::new(),
        coordinates: Some((20.664812, 106.133547)),
    };
    s.put_location(&loc).unwrap();
    let mut stolen = loc.clone();
    stolen.owner = "b".into();
    assert!(matches!(
        s.put_location(&stolen),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.locations(Some("a")).unwrap(), vec![loc.clone()]);
    assert_eq!(s.location(&loc.id).unwrap(), Some(loc.clone()));
    let plot = Plot {
        id: "vn-hylo-0012".into(),
        owner: "a".into(),
        name: String::new(),
        crop: "longan".into(),
        area_ha: Some(1.2),
        province_code: "33".into(),
        commune_code: String::new(),
        geometry: serde_json::json!({"type": "Point", "coordinates": [106.133547, 20.664812]}),
    };
    s.put_plot(&plot).unwrap();
    assert_eq!(s.plots(None).unwrap(), vec![plot.clone()]);
    // Deleting: gone, then NotFound; a freed id may be taken by another organisation.
    s.delete_location(&loc.id).unwrap();
    assert_eq!(s.location(&loc.id).unwrap(), None);
    assert!(matches!(
        s.delete_location(&loc.id),
        Err(StoreError::NotFound(_))
    ));
    s.put_location(&stolen).unwrap();
    s.delete_plot(&plot.id).unwrap();
    assert!(s.plots(None).unwrap().is_empty());
    assert!(matches!(
        s.delete_plot(&plot.id),
        Err(StoreError::NotFound(_))
    ));
    s.put_plot(&plot).unwrap();

    let mut code = ExportCode {
        code: "VN-HYLO-0012".into(),
        kind: CodeKind::PlantingArea,
        owner: "a".into(),
        crop: "longan".into(),
        area_ha: Some(1.2),
        households: Some(3),
        plots: vec!["vn-hylo-0012".into()],
        target_market: "CN".into(),
        province_code: "33".into(),
        status: CodeStatus::Applied,
        history: vec![],
    };
    s.create_code(&code).unwrap();
    assert!(matches!(s.create_code(&code), Err(StoreError::Conflict(_))));
    assert!(s.flagging_codes().unwrap().is_empty());
    code.status = CodeStatus::Revoked;
    s.update_code(&code).unwrap();
    assert_eq!(s.flagging_codes().unwrap(), vec![code.clone()]);
    assert_eq!(s.codes(None, Some("33")).unwrap().len(), 1);
    assert!(s.codes(Some("b"), None).unwrap().is_empty());
    code.code = "VN-NONE".into();
    assert!(matches!(s.update_code(&code), Err(StoreError::NotFound(_))));
}
