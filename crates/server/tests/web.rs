//! The web pages over HTTP, as a browser without script uses them: sign in, register,
//! an official verifying, an organisation managing its products and tokens; CSRF refused.

mod common;

use common::*;
use registry::accounts::{AccountRole, Binding};
use reqwest::Client;

/// A browser-like client: keeps cookies, does not follow redirects (to see them).
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token");
    let rest = &html[at + 19..];
    rest[..rest.find('"').unwrap()].to_string()
}

async fn sign_in(s: &TestServer, b: &Client, name: &str, password: &str) {
    let r = b
        .post(s.url("/ui/login"))
        .form(&[("name", name), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn register_verify_and_manage_products_through_the_pages() {
    let s = TestServer::start().await;
    let official_password = "mật-khẩu-cán-bộ-33";
    server::auth::create_user(
        s.store.as_ref(),
        "can-bo-hy",
        official_password,
        Binding {
            role: AccountRole::ProvincialOfficial,
            org: None,
            province: Some("33".into()),
        },
    )
    .unwrap();

    // The registration form lists the 34 provinces.
    let html = s
        .anon
        .get(s.url("/ui/register"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Tỉnh Hưng Yên") && html.matches("<option value=\"").count() >= 34);
    let coop = browser();
    let r = coop
        .post(s.url("/ui/register"))
        .form(&[
            ("id", "htx-nhan"),
            ("nameVi", "HTX Nhãn Hưng Yên"),
            ("nameEn", "Hung Yen Longan Coop"),
            ("taxCode", "0900000001"),
            ("companyPrefixes", "8937777"),
            ("glns", ""),
            ("address", "Tiên Lữ"),
            ("provinceCode", "33"),
            ("country", "VN"),
            ("role_cooperative", "1"),
            ("adminName", "htx-nhan-admin"),
            ("adminPassword", "mật-khẩu-htx-nhãn"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    // A bad one shows the precise error.
    let r = coop
        .post(s.url("/ui/register?lang=en"))
        .form(&[
            ("id", "x y"),
            ("nameVi", "A"),
            ("taxCode", "1"),
            ("country", "VN"),
            ("provinceCode", "33"),
            ("adminName", "a"),
            ("adminPassword", "1234567890"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("2 to 64 lower-case"));

    // The official verifies it through the organisation page.
    let official = browser();
    sign_in(&s, &official, "can-bo-hy", official_password).await;
    let html = official
        .get(s.url("/ui/organisations/htx-nhan"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("chờ xác minh"), "{html}");
    let csrf = csrf_of(&html);
    let r = official
        .post(s.url("/ui/organisations/htx-nhan/status"))
        .form(&[("decision", "verify"), ("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a forged CSRF token is refused");
    let r = official
        .post(s.url("/ui/organisations/htx-nhan/status"))
        .form(&[("decision", "verify"), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = official
        .get(s.url("/ui/organisations/htx-nhan?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("verified (can-bo-hy)"), "{html}");

    // The organisation's administrator adds a product, sees it, deletes it.
    sign_in(&s, &coop, "htx-nhan-admin", "mật-khẩu-htx-nhãn").await;
    let html = coop
        .get(s.url("/ui/products"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let gtin = {
        let body = "893777700001";
        format!("{body}{}", gs1::check_digit(body).unwrap())
    };
    let r = coop
        .post(s.url("/ui/products"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("gtin", &gtin),
            ("nameVi", "Nhãn lồng sấy"),
            ("nameEn", "Dried longan"),
            ("group", "confectionery"),
            ("netContent", "500 g"),
            ("shelfLifeDays", "365"),
            ("standards", "TCVN 1, TCVN 2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let html = coop
        .get(s.url("/ui/products"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Nhãn lồng sấy") && html.contains(&format!("0{gtin}")),
        "{html}"
    );
    let api: serde_json::Value = s
        .anon
        .get(s.url(&format!("/registry/products/{gtin}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["group"], "confectionery");
    assert_eq!(api["standards"], serde_json::json!(["TCVN 1", "TCVN 2"]));
    // Saving the form keeps what the form does not show (set through the API).
    let mut full = api.clone();
    full["descriptionVi"] = serde_json::json!("Cùi dày, sấy lạnh");
    full["images"] = serde_json::json!(["https://example.org/nhan.jpg"]);
    full["certificates"] = serde_json::json!([{"scheme": "VietGAP", "number": "VG-33-001"}]);
    let admin = client_with(&token(&s.store, AccountRole::Admin, Some("htx-nhan"), None));
    let r = admin
        .put(s.url(&format!("/registry/products/{gtin}")))
        .json(&full)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let r = coop
        .post(s.url("/ui/products"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("gtin", &gtin),
            ("nameVi", "Nhãn lồng sấy loại 1"),
            ("group", "confectionery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let api: serde_json::Value = s
        .anon
        .get(s.url(&format!("/registry/products/{gtin}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["nameVi"], "Nhãn lồng sấy loại 1", "{api}");
    assert_eq!(api["descriptionVi"], "Cùi dày, sấy lạnh", "{api}");
    assert_eq!(api["images"], full["images"], "{api}");
    assert_eq!(api["certificates"][0]["number"], "VG-33-001", "{api}");
    // A product under someone else's prefix is refused with the reason.
    let r = coop
        .post(s.url("/ui/products"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("gtin", "8931234000011"),
            ("nameVi", "X"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("not under"));
    let r = coop
        .post(s.url(&format!("/ui/products/0{gtin}/delete")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = coop
        .get(s.url("/ui/products"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Nhãn lồng sấy"));

    // Tokens: create one (shown once), use it, revoke it.
    let html = coop
        .get(s.url("/ui/tokens"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let r = coop
        .post(s.url("/ui/tokens"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "erp"),
            ("scope_read", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let html = r.text().await.unwrap();
    let at = html.find("<code id=\"secret\">").unwrap() + 18;
    let secret = html[at..at + html[at..].find('<').unwrap()].to_string();
    let erp = client_with(&secret);
    assert_eq!(
        erp.get(s.url("/auth/me")).send().await.unwrap().status(),
        200
    );
    let listed = coop
        .get(s.url("/ui/tokens"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id_at = listed.find("/ui/tokens/").unwrap() + 11;
    let id = listed[id_at..id_at + listed[id_at..].find('/').unwrap()].to_string();
    let r = coop
        .post(s.url(&format!("/ui/tokens/{id}/revoke")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        erp.get(s.url("/events")).send().await.unwrap().status(),
        401
    );

    // A member without a session cannot post forms; signing out ends the session.
    let r = s
        .anon
        .post(s.url("/ui/products"))
        .form(&[("csrf", ""), ("gtin", &gtin)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = coop
        .post(s.url("/ui/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = coop
        .get(s.url("/ui"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Đăng nhập"));
}

#[tokio::test]
async fn an_official_revokes_a_code_and_sees_the_flagged_events() {
    let s = TestServer::start().await; // TEST_ORG is in province 01
    server::auth::create_user(
        s.store.as_ref(),
        "can-bo-hn",
        "mật-khẩu-cán-bộ-01",
        Binding {
            role: AccountRole::ProvincialOfficial,
            org: None,
            province: Some("01".into()),
        },
    )
    .unwrap();
    let code = serde_json::json!({"code": "VN-HNLO-0002", "kind": "plantingArea", "crop": "longan", "provinceCode": "01"});
    let r = s.post_json("/registry/codes", &code).await;
    assert_eq!(r.status(), 201);
    let official = browser();
    sign_in(&s, &official, "can-bo-hn", "mật-khẩu-cán-bộ-01").await;
    let html = official
        .get(s.url("/ui/codes"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let r = official
        .post(s.url("/ui/codes/VN-HNLO-0002/status"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("status", "issued"),
            ("reason", ""),
            ("authority", "Chi cục"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let event = serde_json::json!({
        "@context": [CONTEXT, {"tp": "https://ns.traceport.org/epcis/"}],
        "type": "ObjectEvent", "eventID": "urn:uuid:0ff1c1a1-0000-4000-8000-000000000001",
        "eventTime": "2025-08-01T08:00:00+07:00", "eventTimeZoneOffset": "+07:00",
        "action": "ADD", "bizStep": "commissioning", "epcList": [A1],
        "ilmd": {"tp:plantingAreaCode": "VN-HNLO-0002"},
    });
    let r = s.post_json("/events", &event).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let html = official
        .get(s.url("/ui/flags"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("0ff1c1a1"), "not flagged while issued");
    // Revoking without a reason is refused with the reason why; with one it is recorded.
    let r = official
        .post(s.url("/ui/codes/VN-HNLO-0002/status?lang=en"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("status", "revoked"),
            ("reason", ""),
            ("authority", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("reason"));
    let r = official
        .post(s.url("/ui/codes/VN-HNLO-0002/status"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("status", "revoked"),
            ("reason", "dư lượng thuốc BVTV vượt ngưỡng"),
            ("authority", "Chi cục"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = official
        .get(s.url("/ui/codes"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("revoked") && html.contains("dư lượng thuốc BVTV vượt ngưỡng"),
        "{html}"
    );
    let html = official
        .get(s.url("/ui/flags?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("urn:uuid:0ff1c1a1-0000-4000-8000-000000000001"),
        "{html}"
    );
    assert!(html.contains("code:VN-HNLO-0002:revoked"), "{html}");
    // A member of the organisation cannot see the flags page.
    let html = s.client.get(s.url("/ui/flags")).send().await.unwrap();
    assert_eq!(html.status(), 403);
}
