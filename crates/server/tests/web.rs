//! The web pages over HTTP, as a browser without script uses them: sign in, register,
//! an official verifying, an organisation managing its products and tokens; CSRF refused.

mod common;

use common::*;
use registry::accounts::{AccountRole, Binding};

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
    let html = text_of(&s.anon, &s.url("/ui/register")).await;
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
    let html = text_of(&official, &s.url("/ui/organisations/htx-nhan")).await;
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
    let html = text_of(&official, &s.url("/ui/organisations/htx-nhan?lang=en")).await;
    assert!(html.contains("verified (can-bo-hy)"), "{html}");

    // The organisation's administrator adds a product, sees it, deletes it.
    sign_in(&s, &coop, "htx-nhan-admin", "mật-khẩu-htx-nhãn").await;
    let html = text_of(&coop, &s.url("/ui/products")).await;
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
    let html = text_of(&coop, &s.url("/ui/products")).await;
    assert!(
        html.contains("Nhãn lồng sấy") && html.contains(&format!("0{gtin}")),
        "{html}"
    );
    let api: serde_json::Value =
        json_of(&s.anon, &s.url(&format!("/registry/products/{gtin}"))).await;
    assert_eq!(api["group"], "confectionery");
    assert_eq!(api["standards"], serde_json::json!(["TCVN 1", "TCVN 2"]));
    // Saving the form keeps what the form does not show (set through the API).
    let mut full = api.clone();
    full["descriptionVi"] = serde_json::json!("Cùi dày, sấy lạnh");
    full["images"] = serde_json::json!(["https://example.org/nhan.jpg"]);
    full["certificates"] = serde_json::json!([{"scheme": "VietGAP", "number": "VG-33-001"}]);
    let admin = client_with(&token(
        &*s.store,
        AccountRole::Admin,
        Some("htx-nhan"),
        None,
    ));
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
    let api: serde_json::Value =
        json_of(&s.anon, &s.url(&format!("/registry/products/{gtin}"))).await;
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
    let html = text_of(&coop, &s.url("/ui/products")).await;
    assert!(!html.contains("Nhãn lồng sấy"));

    // Tokens: create one (shown once), use it, revoke it.
    let html = text_of(&coop, &s.url("/ui/tokens")).await;
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
    let listed = text_of(&coop, &s.url("/ui/tokens")).await;
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
    let html = text_of(&coop, &s.url("/ui")).await;
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
    let html = text_of(&official, &s.url("/ui/codes")).await;
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
    let html = text_of(&official, &s.url("/ui/flags")).await;
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
    let html = text_of(&official, &s.url("/ui/codes")).await;
    assert!(
        html.contains("revoked") && html.contains("dư lượng thuốc BVTV vượt ngưỡng"),
        "{html}"
    );
    let html = text_of(&official, &s.url("/ui/flags?lang=en")).await;
    assert!(
        html.contains("urn:uuid:0ff1c1a1-0000-4000-8000-000000000001"),
        "{html}"
    );
    assert!(html.contains("code:VN-HNLO-0002:revoked"), "{html}");
    // A member of the organisation cannot see the flags page.
    let html = s.client.get(s.url("/ui/flags")).send().await.unwrap();
    assert_eq!(html.status(), 403);
}

/// Signs in a new administrator of `org` (registered if needed) through the page.
async fn org_admin(s: &TestServer, org: &str, province: &str) -> reqwest::Client {
    register(
        &*s.store,
        &test_org(org, "0100000009", &["8930001"], province),
    );
    let name = format!("{org}-admin");
    let password = "mật-khẩu-quản-trị";
    user(
        &*s.store,
        &name,
        password,
        AccountRole::Admin,
        Some(org),
        None,
    );
    let b = browser();
    sign_in(s, &b, &name, password).await;
    b
}

const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[105.800000,21.000000],[105.801000,21.000000],[105.801000,21.001000],[105.800000,21.001000],[105.800000,21.000000]]]}"#;
const BOWTIE: &str = r#"{"type":"Polygon","coordinates":[[[105.800000,21.000000],[105.801000,21.001000],[105.801000,21.000000],[105.800000,21.001000],[105.800000,21.000000]]]}"#;

#[tokio::test]
async fn an_organisation_manages_its_places_through_the_pages() {
    let s = TestServer::start().await;
    let page = s.url("/ui/places");
    // The public is sent to sign in.
    let r = browser().get(&page).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/ui/login");

    let b = org_admin(&s, TEST_ORG, "01").await;
    let html = text_of(&b, &page).await;
    assert!(
        html.contains("Thêm hoặc sửa địa điểm") && html.contains("Hà Nội"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let location = |csrf: &str, lat: &str, commune: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("id", "8931234000011".to_owned()),
            ("nameVi", "Kho Long Biên".to_owned()),
            ("provinceCode", "01".to_owned()),
            ("communeCode", commune.to_owned()),
            ("latitude", lat.to_owned()),
            ("longitude", "105.834".to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>, path: &'static str| {
        let b = b.clone();
        let url = s.url(path);
        async move { b.post(url).form(&fields).send().await.unwrap() }
    };
    // A forged form is refused; bad fields come back with the reason beside the field.
    let r = post(location("forged", "21.035", ""), "/ui/places/locations").await;
    assert_eq!(r.status(), 403);
    let r = post(location(&csrf, "95", ""), "/ui/places/locations?lang=en").await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"error-coordinates\"") && html.contains("latitude within -90..90"),
        "{html}"
    );
    assert!(
        html.contains("value=\"Kho Long Biên\""),
        "the form keeps what was typed"
    );
    let r = post(
        location(&csrf, "21.035", "99999"),
        "/ui/places/locations?lang=en",
    )
    .await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"error-communeCode\"") && html.contains("not a commune"),
        "{html}"
    );
    let r = post(location(&csrf, "21.035", "00004"), "/ui/places/locations").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let html = text_of(&b, &page).await;
    assert!(
        html.contains("Kho Long Biên") && html.contains("21.035, 105.834"),
        "{html}"
    );

    // Plots: a polygon; a self-intersecting one, a point too large, bad decimals refused.
    let plot = |geometry: &str, area: &str, lat: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("id", "thua-1".to_owned()),
            ("name", "Thửa số 1".to_owned()),
            ("crop", "nhãn".to_owned()),
            ("areaHa", area.to_owned()),
            ("provinceCode", "01".to_owned()),
            ("communeCode", "".to_owned()),
            ("geometry", geometry.to_owned()),
            ("latitude", lat.to_owned()),
            (
                "longitude",
                if lat.is_empty() { "" } else { "105.834000" }.to_owned(),
            ),
        ]
    };
    for (fields, expected) in [
        (plot(BOWTIE, "", ""), "intersects itself"),
        (plot("", "5", "21.035000"), "must be a Polygon"),
        (plot("", "1", "21.03"), "at least 6 are required"),
        (plot("{\"type\":", "", ""), "not GeoJSON"),
    ] {
        let r = post(fields, "/ui/places/plots?lang=en").await;
        assert_eq!(r.status(), 400);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("id=\"error-geometry\"") && html.contains(expected),
            "{expected}: {html}"
        );
    }
    let r = post(plot(SQUARE, "", ""), "/ui/places/plots").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let html = text_of(&b, &page).await;
    assert!(
        html.contains("Thửa số 1") && html.contains("Polygon"),
        "{html}"
    );
    let stored = json_of(&s.client, &s.url("/registry/plots/thua-1")).await;
    assert!(stored["areaHa"].as_f64().unwrap() > 1.0, "{stored}");

    // Editing starts from what is stored (with its decimals) and saves again.
    let html = text_of(&b, &s.url("/ui/places?editPlot=thua-1")).await;
    assert!(
        html.contains("value=\"Thửa số 1\"") && html.contains("105.800000"),
        "{html}"
    );
    let mut fields = plot(SQUARE, "", "");
    fields[2].1 = "Thửa số 1 (đã đo lại)".into();
    let r = post(fields, "/ui/places/plots").await;
    assert_eq!(r.status(), 303);
    let stored = json_of(&s.client, &s.url("/registry/plots/thua-1")).await;
    assert_eq!(stored["name"], "Thửa số 1 (đã đo lại)");

    // Another organisation's administrator neither sees nor deletes them.
    let other = org_admin(&s, "other-org", "33").await;
    let r = other
        .get(s.url("/ui/places?editPlot=thua-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = other
        .get(s.url(&format!("/ui/places?owner={TEST_ORG}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let other_csrf = csrf_of(&text_of(&other, &page).await);
    let r = other
        .post(s.url("/ui/places/plots/thua-1/delete"))
        .form(&[("csrf", other_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!text_of(&other, &page).await.contains("Thửa số 1"));

    // The owner deletes both.
    for path in [
        "/ui/places/plots/thua-1/delete",
        "/ui/places/locations/8931234000011/delete",
    ] {
        let r = post(vec![("csrf", csrf.clone())], path).await;
        assert_eq!(r.status(), 303, "{path}");
    }
    let html = text_of(&b, &page).await;
    assert!(
        !html.contains("Thửa số 1") && !html.contains("Kho Long Biên"),
        "{html}"
    );
    assert_eq!(s.get("/registry/plots/thua-1").await.status(), 404);
}

#[tokio::test]
async fn certificates_are_edited_in_the_product_form_and_shown_on_the_passport() {
    let s = TestServer::start().await;
    let b = org_admin(&s, TEST_ORG, "01").await;
    let csrf = csrf_of(&text_of(&b, &s.url("/ui/products")).await);
    let product = |certificates: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("gtin", "08931234000011".to_owned()),
            ("nameVi", "Nhãn lồng".to_owned()),
            ("nameEn", "Longan".to_owned()),
            ("group", "other".to_owned()),
            ("certificates", certificates.to_owned()),
        ]
    };
    let save = |fields: Vec<(&'static str, String)>| {
        let (b, url) = (b.clone(), s.url("/ui/products?lang=en"));
        async move { b.post(url).form(&fields).send().await.unwrap() }
    };
    let r = save(product("VietGAP; VG-01-007; Chi cục; 2026-02-30")).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("is not a date"));
    let r = save(product(
        "VietGAP; VG-01-007; Chi cục TT&BVTV; 2027-06-30\nHữu cơ EU",
    ))
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let api = json_of(&s.anon, &s.url("/registry/products/08931234000011")).await;
    assert_eq!(api["certificates"][0]["number"], "VG-01-007", "{api}");
    assert_eq!(api["certificates"][0]["validUntil"], "2027-06-30", "{api}");
    assert_eq!(api["certificates"][1]["scheme"], "Hữu cơ EU", "{api}");
    let html = text_of(&b, &s.url("/ui/products?edit=08931234000011")).await;
    assert!(
        html.contains("VietGAP; VG-01-007; Chi cục TT&amp;BVTV; 2027-06-30\nHữu cơ EU"),
        "{html}"
    );
    let html = text_of(&s.anon, &s.url("/passport/01/08931234000011?lang=en")).await;
    assert!(
        html.contains("VietGAP VG-01-007 (≤ 2027-06-30)") && html.contains("Hữu cơ EU"),
        "{html}"
    );
    assert!(html.contains("Longan"), "the registered name: {html}");
    // The passport keeps registry answers for a while; a change through the server shows at once.
    let r = save(product("Hữu cơ EU")).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let html = text_of(&s.anon, &s.url("/passport/01/08931234000011?lang=en")).await;
    assert!(
        !html.contains("VG-01-007") && html.contains("Hữu cơ EU"),
        "{html}"
    );
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_and_audited() {
    let s = TestServer::start().await;
    let password = "mật-khẩu-đúng-rồi";
    user(
        &*s.store,
        "nguoi-dung",
        password,
        AccountRole::Admin,
        Some(TEST_ORG),
        None,
    );
    let b = browser();
    for _ in 0..5 {
        let r = post_form(
            &b,
            &s.url("/ui/login"),
            &[("name", "nguoi-dung"), ("password", "sai")],
        )
        .await;
        assert_eq!(r.status(), 401);
    }
    // The sixth, even with the right password, waits; the JSON API shares the count.
    let r = post_form(
        &b,
        &s.url("/ui/login?lang=en"),
        &[("name", "nguoi-dung"), ("password", "mật-khẩu-đúng-rồi")],
    )
    .await;
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((800..=900).contains(&wait), "{wait}");
    assert!(r.text().await.unwrap().contains("too many failed sign-ins"));
    let body = serde_json::json!({"name": "nguoi-dung", "password": "mật-khẩu-đúng-rồi"});
    let r = post_as(&s.anon, &s, "/auth/login", &body).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "about:blank").await;
    // Another account from elsewhere is not held up.
    let body = serde_json::json!({"name": "someone", "password": "x"});
    let r = send_json(
        &s.anon,
        reqwest::Method::POST,
        &s.url("/auth/login"),
        &body.to_string(),
    )
    .await;
    assert_eq!(r.status(), 401);
    // The audit log names the account tried.
    let national = client_with(&token(&*s.store, AccountRole::NationalOfficial, None, None));
    let audit = json_of(&national, &s.url("/registry/audit")).await;
    let tried = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["actor"] == "nguoi-dung" && e["path"].as_str().unwrap_or("").contains("login")
        })
        .map(|e| e["status"].as_u64().unwrap_or(0))
        .collect::<Vec<_>>();
    assert_eq!(tried.iter().filter(|s| **s == 401).count(), 5, "{audit}");
    assert_eq!(tried.iter().filter(|s| **s == 429).count(), 2, "{audit}");
}
