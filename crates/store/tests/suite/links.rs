//! Links, scan records and problem reports of the resolver.

use super::TestDb;
use resolver::{Link, Scope, SerialRange};
use store::{ProblemReport, Scan, ScanSummary, StoreError};

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

pub fn links_scans_reports(db: &TestDb) {
    let store = db.open();
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
