//! The passport page as a person sees it: headless Chromium on a phone-sized window, in
//! Vietnamese and in English, with the journey and a recall banner; screenshots must not be
//! blank. Plus the problem report form and the authenticity panel over plain HTTP.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::{document, ink, TestServer, A1, LOT};
use gs1::DigitalLink;
use serde_json::json;
use server::passport_data::{LocalText, Party, PassportData, ProductInfo, RecallNotice};
use server::{AppState, ServerConfig};
use store::sqlite::SqliteStore;

/// A registry with one product and one place, as the registry feature will provide.
struct TestRegistry;

impl PassportData for TestRegistry {
    fn product(&self, gtin: &str) -> Option<ProductInfo> {
        (gtin == "08931234000011").then(|| ProductInfo {
            name: LocalText {
                vi: "Nhãn lồng Hưng Yên sấy khô".into(),
                en: "Hung Yen dried longan".into(),
            },
            image: None,
            producer: Some(Party {
                name: LocalText::same("HTX Nhãn lồng Hưng Yên"),
                province: Some("Hưng Yên".into()),
                verified: true,
            }),
            certificates: vec!["VietGAP".into()],
        })
    }
    fn party(&self, gln: &str) -> Option<Party> {
        (gln == "8931234000028").then(|| Party {
            name: LocalText {
                vi: "Kho lạnh Phố Nối".into(),
                en: "Pho Noi cold store".into(),
            },
            province: Some("Hưng Yên".into()),
            verified: true,
        })
    }
    fn recall(&self, _identifier: &DigitalLink) -> Option<RecallNotice> {
        None
    }
}

/// A server with the passport data above; returns its URL, its stop switch, its directory and a
/// token of the test organisation (which owns the test prefixes).
async fn start() -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tempfile::TempDir,
    String,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    let token = common::test_org_admin_token(&store);
    let state = AppState::new(Arc::new(store), ServerConfig::default())
        .with_passport_data(Arc::new(TestRegistry));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::run(listener, state, async move {
        let _ = rx.await;
    }));
    (base, tx, dir, token)
}

async fn capture(base: &str, token: &str, events: Vec<serde_json::Value>) {
    let client = common::client_with(token);
    let r = client
        .post(format!("{base}/capture"))
        .body(document(events).to_string())
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let job = r.headers()["location"].to_str().unwrap().to_string();
    for _ in 0..200 {
        let j: serde_json::Value = client.get(&job).send().await.unwrap().json().await.unwrap();
        if j["running"] == false {
            assert_eq!(j["success"], true, "{j}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("capture did not finish");
}

fn lot_events(recalled: bool) -> Vec<serde_json::Value> {
    let mut events = vec![
        json!({"type": "ObjectEvent", "eventTime": "2025-07-28T06:30:00+07:00", "eventTimeZoneOffset": "+07:00",
               "action": "ADD", "bizStep": "commissioning", "disposition": "active",
               "bizLocation": {"id": "https://id.gs1.org/414/8931234000011"},
               "quantityList": [{"epcClass": LOT, "quantity": 100, "uom": "KGM"}],
               "ilmd": {"cbvmda:countryOfOrigin": "VN", "cbvmda:harvestStartDate": "2025-07-28",
                        "cbvmda:itemExpirationDate": "2026-07-28", "tp:plantingAreaCode": "VN-HYLO-0012"},
               "eventID": "urn:uuid:10000000-0000-4000-8000-000000000001"}),
        json!({"type": "ObjectEvent", "eventTime": "2025-07-29T09:00:00+07:00", "eventTimeZoneOffset": "+07:00",
               "action": "OBSERVE", "bizStep": "packing",
               "bizLocation": {"id": "https://id.gs1.org/414/8931234000028"},
               "quantityList": [{"epcClass": LOT, "quantity": 100, "uom": "KGM"}],
               "eventID": "urn:uuid:10000000-0000-4000-8000-000000000002"}),
    ];
    if recalled {
        events.push(json!({"type": "ObjectEvent", "eventTime": "2025-09-01T10:00:00+07:00", "eventTimeZoneOffset": "+07:00",
               "action": "OBSERVE", "bizStep": "holding", "disposition": "recalled",
               "quantityList": [{"epcClass": LOT, "quantity": 100, "uom": "KGM"}],
               "eventID": "urn:uuid:10000000-0000-4000-8000-000000000003"}));
    }
    events
}

fn lot_path() -> String {
    format!("/passport{}", LOT.trim_start_matches("https://id.gs1.org"))
}

fn chromium(args: &[&str]) -> String {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--window-size=390,844",
        ])
        .args(args)
        .output()
        .expect("chromium is needed (Debian package chromium; .ci/run installs it)");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn phone_sees_journey_and_recall_in_both_languages() {
    let (base, _stop, _dir, token) = start().await;
    capture(&base, &token, lot_events(true)).await;
    let url = format!("{base}{}", lot_path());
    let shots = tempfile::tempdir().unwrap();
    for (lang, must) in [
        (
            "vi",
            [
                "Hành trình sản phẩm",
                "THU HỒI",
                "Nhãn lồng Hưng Yên sấy khô",
                "Kho lạnh Phố Nối",
            ],
        ),
        (
            "en",
            [
                "Journey",
                "RECALL",
                "Hung Yen dried longan",
                "Pho Noi cold store",
            ],
        ),
    ] {
        // The phone's language picks the page language; no `?lang=` needed.
        let accept = if lang == "vi" {
            "--accept-lang=vi-VN,vi"
        } else {
            "--accept-lang=en-US,en"
        };
        let url = url.clone();
        let dom = tokio::task::spawn_blocking(move || chromium(&[accept, "--dump-dom", &url]))
            .await
            .unwrap();
        assert!(
            dom.contains(&format!("<html lang=\"{lang}\"")),
            "{lang}: {dom}"
        );
        for text in must {
            assert!(dom.contains(text), "{lang}: {text:?} missing in {dom}");
        }
        assert!(
            dom.contains("role=\"alert\""),
            "the recall banner is an alert"
        );
        assert!(dom.contains("<main"), "landmark");
        let shot = shots.path().join(format!("passport-{lang}.png"));
        let arg = format!("--screenshot={}", shot.display());
        let url = format!("{base}{}?lang={lang}", lot_path());
        tokio::task::spawn_blocking(move || chromium(&[&arg, &url]))
            .await
            .unwrap();
        let (share, levels) = ink(&shot);
        assert!(
            share > 0.03 && levels > 4,
            "{lang}: screenshot looks blank ({share:.3} ink, {levels} levels)"
        );
    }
}

#[tokio::test]
async fn report_form_and_authenticity_panel() {
    let s = TestServer::start().await;
    s.load_dataset().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let path = format!("/passport{}", A1.trim_start_matches("https://id.gs1.org"));
    let r = client
        .get(s.url(&path))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"authenticity\""), "{html}");
    assert!(html.contains("<form method=\"post\""));

    // Scans from several provinces make the panel warn.
    for region in ["VN-HN", "VN-SG", "VN-DN", "VN-CT"] {
        let dl = format!(
            "{}?region={region}",
            A1.trim_start_matches("https://id.gs1.org")
        );
        assert_eq!(client.get(s.url(&dl)).send().await.unwrap().status(), 307);
    }
    let mut warned = false;
    for _ in 0..100 {
        let html = client
            .get(s.url(&format!("{path}?lang=en")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if html.contains("it may be a copy") {
            warned = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(warned, "no copy warning after scans in four provinces");

    let r = client
        .post(s.url(&path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("category=quality&message=T%C3%BAi+b%E1%BB%8B+r%C3%A1ch")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let back = r.headers()["location"].to_str().unwrap().to_string();
    assert!(back.contains("reported=1"));
    let html = client
        .get(s.url(&back))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("role=\"status\""));
    let r = client
        .post(s.url(&path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("category=spam&message=")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Unknown products get a page, not a stack trace.
    let r = client
        .get(s.url("/passport/01/09506000134352"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("<html"));
}
