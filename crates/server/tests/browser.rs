//! The web pages in a real browser: headless Chromium, driven by `tests/browser/flows.mjs`
//! (playwright-core), clicks through /ui against the real server. An organisation's
//! administrator signs in, adds a product and edits it and its certificates from its row; another
//! adds a farm plot with a polygon (a self-intersecting one refused first); an official revokes a planting-area
//! code and then sees the event naming it flagged; an official declares a recall from the trace
//! page, the affected shop acknowledges it from its inbox, and the passport shows the banner. Each flow checks the page text after every
//! step; here we check its screenshot is not blank and that the store holds what the pages said.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use common::*;
use registry::accounts::{AccountRole, Binding};
use registry::codes::{CodeKind, CodeStatus, ExportCode};

/// The directory of the browser script, with playwright-core installed in it (once).
fn browser_dir() -> PathBuf {
    // The tests run in parallel: one installs while the others wait.
    static INSTALL: Mutex<()> = Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        // No lock file with download addresses is kept: npm resolves the pinned version.
        let out = Command::new("npm")
            .args(["install", "--no-package-lock", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .output()
            .expect("npm is needed to install playwright-core (Node 20 + npm)");
        assert!(
            out.status.success(),
            "npm install in {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    dir
}

/// Runs one flow of `flows.mjs` against `base`; panics with the script's output if it fails.
async fn run_flow(base: &str, flow: &str, shots: &Path, args: serde_json::Value) {
    let dir = browser_dir();
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("flows.mjs"))
        .args([base, flow])
        .arg(shots)
        .arg(args.to_string())
        .current_dir(&dir);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("node is needed to drive Chromium (Node 20)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(&format!("flow {flow}: passed")),
        "browser flow {flow} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
}

fn assert_not_blank(png: &Path) {
    let (share, levels) = ink(png);
    assert!(
        share > 0.005 && levels > 4,
        "{}: screenshot looks blank ({share:.4} ink, {levels} levels)",
        png.display()
    );
}

fn gtin(body: &str) -> String {
    format!("{body}{}", gs1::check_digit(body).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organisation_adds_and_edits_a_product_in_chromium() {
    let s = TestServer::start().await; // TEST_ORG holds prefix 8931234
    let password = "mật-khẩu-quản-trị-01";
    server::auth::create_user(
        s.store.as_ref(),
        "quan-tri-test",
        password,
        Binding {
            role: AccountRole::Admin,
            org: Some(TEST_ORG.into()),
            province: None,
        },
    )
    .unwrap();
    let ours = gtin("893123400077");
    let foreign = gtin("893999900001");
    let shots = tempfile::tempdir().unwrap();
    run_flow(
        &s.base,
        "products",
        shots.path(),
        serde_json::json!({"user": "quan-tri-test", "password": password,
                           "gtin": ours, "foreignGtin": foreign}),
    )
    .await;
    assert_not_blank(&shots.path().join("products.png"));

    // What the pages showed is what the registry holds.
    let r = s.get(&format!("/registry/products/{ours}")).await;
    assert_eq!(r.status(), 200);
    let product: serde_json::Value = r.json().await.unwrap();
    assert_eq!(product["nameEn"], "Dried longan, grade 1", "{product}");
    assert_eq!(product["netContent"], "1 kg", "{product}");
    assert_eq!(product["group"], "confectionery", "{product}");
    // Fields the edit left alone keep their values.
    assert_eq!(product["shelfLifeDays"], 365, "{product}");
    assert_eq!(
        product["standards"],
        serde_json::json!(["TCVN 1", "TCVN 2"]),
        "{product}"
    );
    assert_eq!(product["owner"], TEST_ORG, "{product}");
    assert_eq!(
        product["certificates"],
        serde_json::json!([{"scheme": "VietGAP", "number": "VG-33-0042",
            "issuer": "Chi cục TT&BVTV Hưng Yên", "validUntil": "2027-06-30"}]),
        "{product}"
    );
    let r = s.get(&format!("/registry/products/{foreign}")).await;
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organisation_adds_a_plot_with_a_polygon_in_chromium() {
    let s = TestServer::start().await; // TEST_ORG is in province 01
    let password = "mật-khẩu-quản-trị-07";
    user(
        &*s.store,
        "quan-tri-thua",
        password,
        AccountRole::Admin,
        Some(TEST_ORG),
        None,
    );
    let ring = |points: &[(f64, f64)]| {
        let positions: Vec<String> = points
            .iter()
            .map(|(lon, lat)| format!("[{lon:.6},{lat:.6}]"))
            .collect();
        format!(
            r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
            positions.join(",")
        )
    };
    let (w, e, s_, n) = (105.8, 105.802, 21.0, 21.002);
    let polygon = ring(&[(w, s_), (e, s_), (e, n), (w, n), (w, s_)]);
    let bowtie = ring(&[(w, s_), (e, n), (e, s_), (w, n), (w, s_)]);
    let shots = tempfile::tempdir().unwrap();
    run_flow(
        &s.base,
        "places",
        shots.path(),
        serde_json::json!({"user": "quan-tri-thua", "password": password,
                           "plot": "thua-07", "polygon": polygon, "bowtie": bowtie}),
    )
    .await;
    assert_not_blank(&shots.path().join("places.png"));
    let plot: serde_json::Value = s.get("/registry/plots/thua-07").await.json().await.unwrap();
    assert_eq!(plot["owner"], TEST_ORG, "{plot}");
    assert_eq!(plot["geometry"]["type"], "Polygon", "{plot}");
    let area = plot["areaHa"].as_f64().unwrap_or_default();
    assert!((4.0..5.0).contains(&area), "about 4.6 ha: {plot}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_official_revokes_a_code_and_sees_the_flagged_event_in_chromium() {
    let s = TestServer::start().await; // TEST_ORG is in province 01
    let password = "mật-khẩu-cán-bộ-01";
    server::auth::create_user(
        s.store.as_ref(),
        "can-bo-hn",
        password,
        Binding {
            role: AccountRole::ProvincialOfficial,
            org: None,
            province: Some("01".into()),
        },
    )
    .unwrap();
    let code = "VN-HNLO-0007";
    s.store
        .create_code(&ExportCode {
            code: code.into(),
            kind: CodeKind::PlantingArea,
            owner: TEST_ORG.into(),
            crop: "longan".into(),
            area_ha: Some(12.5),
            households: Some(30),
            plots: vec![],
            target_market: "CN".into(),
            province_code: "01".into(),
            status: CodeStatus::Issued,
            history: vec![],
        })
        .unwrap();
    let event_id = "urn:uuid:0ff1c1a1-0000-4000-8000-000000000007";
    let event = serde_json::json!({
        "@context": [CONTEXT, {"tp": "https://ns.traceport.org/epcis/"}],
        "type": "ObjectEvent", "eventID": event_id,
        "eventTime": "2025-08-01T08:00:00+07:00", "eventTimeZoneOffset": "+07:00",
        "action": "ADD", "bizStep": "commissioning", "epcList": [A1],
        "ilmd": {"tp:plantingAreaCode": code},
    });
    let r = s.post_json("/events", &event).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let shots = tempfile::tempdir().unwrap();
    run_flow(
        &s.base,
        "revoke",
        shots.path(),
        serde_json::json!({"user": "can-bo-hn", "password": password,
                           "code": code, "eventId": event_id}),
    )
    .await;
    assert_not_blank(&shots.path().join("flags.png"));

    // The revocation the page showed is recorded, with who, why and by which authority.
    let stored = s.store.code(code).unwrap().expect("the code");
    assert_eq!(stored.status, CodeStatus::Revoked);
    let last = stored.history.last().expect("a history entry");
    assert_eq!(last.reason, "dư lượng thuốc BVTV vượt ngưỡng");
    assert_eq!(last.authority, "Chi cục Trồng trọt và BVTV");
    assert_eq!(last.by, "can-bo-hn");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recall_is_declared_acknowledged_and_shown_in_chromium() {
    let s = TestServer::start().await; // TEST_ORG holds prefix 8931234
    register(
        s.store.as_ref(),
        &test_org("shop-org", "0100000003", &["8934222"], "79"),
    );
    let password = "mật-khẩu-thu-hồi-01";
    for (name, role, org) in [
        ("can-bo-tw", AccountRole::NationalOfficial, None),
        ("cua-hang", AccountRole::Member, Some("shop-org")),
    ] {
        server::auth::create_user(
            s.store.as_ref(),
            name,
            password,
            Binding {
                role,
                org: org.map(str::to_owned),
                province: None,
            },
        )
        .unwrap();
    }
    let event = |id: &str, step: &str, action: &str, to: Option<&str>| {
        let mut e = serde_json::json!({
            "type": "ObjectEvent", "eventID": id,
            "eventTime": "2025-08-01T08:00:00+07:00", "eventTimeZoneOffset": "+07:00",
            "action": action, "bizStep": step, "epcList": [],
            "quantityList": [{"epcClass": LOT, "quantity": 20, "uom": "KGM"}],
            "bizLocation": {"id": L1},
        });
        if let Some(to) = to {
            e["destinationList"] = serde_json::json!([{"type": "location", "destination": to}]);
        }
        e
    };
    let job = s
        .capture(
            &document(vec![
                event(
                    "urn:uuid:0ff1c1a1-0000-4000-8000-000000000101",
                    "commissioning",
                    "ADD",
                    None,
                ),
                event(
                    "urn:uuid:0ff1c1a1-0000-4000-8000-000000000102",
                    "shipping",
                    "OBSERVE",
                    Some("https://id.gs1.org/414/8934222000017"),
                ),
            ]),
            "rollback",
        )
        .await;
    assert_eq!(job["success"], true, "{job}");
    let reason = "Listeria trong mẫu kiểm nghiệm";
    let shots = tempfile::tempdir().unwrap();
    run_flow(
        &s.base,
        "recall",
        shots.path(),
        serde_json::json!({"official": "can-bo-tw", "shop": "cua-hang", "password": password,
                           "key": "(01)08931234000011(10)LOT1",
                           "lotPath": "/01/08931234000011/10/LOT1", "reason": reason}),
    )
    .await;
    assert_not_blank(&shots.path().join("inbox.png"));
    assert_not_blank(&shots.path().join("passport.png"));

    // What the pages did is what the store holds.
    let all = s
        .store
        .recalls(
            None,
            &store::PageRequest {
                per_page: 10,
                after: None,
            },
        )
        .unwrap();
    assert_eq!(all.items.len(), 1);
    let recall = &all.items[0];
    assert_eq!(recall.recall.reason, reason);
    assert_eq!(recall.recall.declared_by.name, "can-bo-tw");
    let ack = recall
        .acknowledgement_of("shop-org")
        .expect("the shop is affected");
    assert_eq!(ack.by.as_deref(), Some("cua-hang"));
    assert_eq!(ack.note.as_deref(), Some("đã thu hồi khỏi quầy"));
    assert_eq!(recall.progress(), (1, 2));
}
