//! The registry API over HTTP: registration with precise errors, verification and
//! suspension by officials, products, sign-in sessions, API tokens and escalation attempts.

mod common;

use common::*;
use registry::accounts::AccountRole;
use reqwest::Client;
use serde_json::{json, Value};

fn gln(body: &str) -> String {
    format!("{body}{}", gs1::check_digit(body).unwrap())
}

fn registration(id: &str, tax: &str, prefix: &str, province: &str) -> Value {
    json!({
        "organisation": {
            "id": id,
            "nameVi": "Hợp tác xã Thanh Long Bình Thuận",
            "nameEn": "Binh Thuan Dragon Fruit Cooperative",
            "taxCode": tax,
            "companyPrefixes": [prefix],
            "glns": [gln(&format!("{prefix}{}", "0".repeat(12 - prefix.len())))],
            "address": "Xã Hàm Thuận Nam",
            "provinceCode": province,
            "country": "VN",
            "roles": ["cooperative", "exporter"]
        },
        "admin": {"name": format!("{id}-admin"), "password": "mật-khẩu-dài-đủ"}
    })
}

/// A client holding the session cookie of `name`.
async fn signed_in(s: &TestServer, name: &str, password: &str) -> Client {
    let r = post_as(
        &s.anon,
        s,
        "/auth/login",
        &json!({"name": name, "password": password}),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", pair.parse().unwrap());
    Client::builder().default_headers(headers).build().unwrap()
}

#[tokio::test]
async fn bad_registrations_get_precise_errors() {
    let s = TestServer::start().await;
    let mut cases: Vec<(Value, u16, &str)> = Vec::new();
    let mut v = registration("coop-a", "3400000001", "8931111", "99");
    cases.push((v.clone(), 400, "provinceCode"));
    v = registration("coop-a", "12345", "8931111", "33");
    cases.push((v.clone(), 400, "taxCode"));
    v = registration("coop-a", "3400000001", "4011111", "33");
    cases.push((v.clone(), 400, "companyPrefixes/0"));
    v = registration("coop-a", "3400000001", "8931111", "33");
    v["organisation"]["glns"] = json!(["8931111000001"]);
    cases.push((v.clone(), 400, "glns/0"));
    v = registration("coop-a", "3400000001", "8931111", "33");
    v["organisation"]["glns"] = json!([gln("893222200000")]);
    cases.push((v.clone(), 400, "glns/0"));
    v = registration("coop-a", "3400000001", "8931111", "33");
    v["admin"]["password"] = json!("short");
    cases.push((v.clone(), 400, "admin/password"));
    v = registration("coop-a", "3400000001", "8931111", "33");
    v["organisation"]["unknown"] = json!(1);
    cases.push((v.clone(), 400, ""));
    for (body, status, field) in cases {
        let r = post_as(&s.anon, &s, "/registry/organisations", &body).await;
        let problem = assert_problem(r, status, "epcisException:ValidationException").await;
        if !field.is_empty() {
            assert_eq!(problem["field"], field, "{problem}");
        }
    }
    // Registered once; a second registration of the same id, tax code or prefix is a conflict.
    let r = post_as(
        &s.anon,
        &s,
        "/registry/organisations",
        &registration("coop-a", "3400000001", "8931111", "33"),
    )
    .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    for (body, words) in [
        (
            registration("coop-a", "3400000002", "8931112", "33"),
            "organisation coop-a",
        ),
        (
            registration("coop-b", "3400000001", "8931112", "33"),
            "tax code",
        ),
        (
            registration("coop-b", "3400000002", "8931111", "33"),
            "8931111",
        ),
        (
            registration("coop-b", "0100000009", "8939999", "33"),
            "9521234",
        ),
    ] {
        let mut body = body;
        if words == "9521234" {
            // The test organisation already holds 9521234.
            body["organisation"]["companyPrefixes"] = json!(["8939999", "9521234"]);
            body["organisation"]["country"] = json!("VN");
        }
        let r = post_as(&s.anon, &s, "/registry/organisations", &body).await;
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        if words == "9521234" {
            // 9521234 is not a Vietnamese prefix: refused before the conflict check.
            assert_eq!(status, 400, "{text}");
        } else {
            assert_eq!(status, 409, "{text}");
            assert!(text.contains(words), "{text}");
        }
    }
    let org: Value = s
        .anon
        .get(s.url("/registry/organisations/coop-a"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(org["verification"]["status"], "pending");
    assert_eq!(org["roles"], json!(["cooperative", "exporter"]));
}

#[tokio::test]
async fn an_organisation_is_verified_by_its_official_then_manages_products_and_tokens() {
    let s = TestServer::start().await;
    let r = post_as(
        &s.anon,
        &s,
        "/registry/organisations",
        &registration("coop-a", "3400000001", "8931111", "33"),
    )
    .await;
    assert_eq!(r.status(), 201);
    let admin = signed_in(&s, "coop-a-admin", "mật-khẩu-dài-đủ").await;
    let me: Value = admin
        .get(s.url("/auth/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            me["role"].as_str(),
            me["org"].as_str(),
            me["admin"].as_bool(),
            me["active"].as_bool()
        ),
        (Some("member"), Some("coop-a"), Some(true), Some(false))
    );

    let item = gln("893111100010"); // a GTIN-13 under coop-a's prefix (same check-digit rule)
    let event = json!({
        "type": "ObjectEvent", "eventTime": "2025-08-01T08:00:00+07:00", "eventTimeZoneOffset": "+07:00",
        "action": "ADD", "bizStep": "commissioning",
        "epcList": [format!("https://id.gs1.org/01/0{item}/21/1")],
    });
    // Not yet verified: no capture, no products.
    let r = post_as(&admin, &s, "/events", &event).await;
    let p = assert_problem(r, 403, "epcisException:SecurityException").await;
    assert!(
        p["detail"].as_str().unwrap().contains("not verified"),
        "{p}"
    );

    // Officials: a member cannot verify, another province cannot, the right one can.
    let other_official = client_with(&token(
        &*s.store,
        AccountRole::ProvincialOfficial,
        None,
        Some("01"),
    ));
    let official = client_with(&token(
        &*s.store,
        AccountRole::ProvincialOfficial,
        None,
        Some("33"),
    ));
    for (client, status) in [(&admin, 403), (&other_official, 403), (&s.anon, 401)] {
        let r = post_as(
            client,
            &s,
            "/registry/organisations/coop-a/status",
            &json!({"decision": "verify"}),
        )
        .await;
        assert_eq!(r.status().as_u16(), status);
    }
    let r = post_as(
        &official,
        &s,
        "/registry/organisations/coop-a/status",
        &json!({"decision": "suspend"}),
    )
    .await;
    let p = assert_problem(r, 400, "epcisException:ValidationException").await;
    assert_eq!(p["field"], "reason");
    let r = post_as(
        &official,
        &s,
        "/registry/organisations/coop-a/status",
        &json!({"decision": "verify"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let org: Value = r.json().await.unwrap();
    assert_eq!(org["verification"]["status"], "verified");
    assert!(org["verification"]["by"]
        .as_str()
        .unwrap()
        .starts_with("token:"));

    // Verified: capture works, products under its own prefix only.
    let r = post_as(&admin, &s, "/events", &event).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let product = json!({"nameVi": "Thanh long ruột đỏ", "nameEn": "Red dragon fruit", "group": "other",
        "category": "fruit", "netContent": "1 kg", "shelfLifeDays": 20, "standards": ["TCVN 11246:2015"],
        "certificates": [{"scheme": "VietGAP", "number": "VG-123", "issuer": "Sở NN&MT"}]});
    let r = admin
        .put(s.url(&format!("/registry/products/{item}")))
        .header("content-type", "application/json")
        .body(product.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = admin
        .put(s.url(&format!("/registry/products/{item}")))
        .header("content-type", "application/json")
        .body(product.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "replacing");
    let got: Value = s
        .anon
        .get(s.url(&format!("/registry/products/0{item}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["owner"], "coop-a");
    assert_eq!(got["certificates"][0]["scheme"], "VietGAP");
    let foreign = gln("893123400099");
    let r = admin
        .put(s.url(&format!("/registry/products/{foreign}")))
        .header("content-type", "application/json")
        .body(product.to_string())
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 400, "epcisException:ValidationException").await;
    assert!(p["detail"].as_str().unwrap().contains("not under"), "{p}");
    let bad = format!("{}{}", &item[..12], (item.as_bytes()[12] - b'0' + 1) % 10);
    let r = admin
        .put(s.url(&format!("/registry/products/{bad}")))
        .header("content-type", "application/json")
        .body(product.to_string())
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 400, "epcisException:ValidationException").await;
    assert!(p["detail"].as_str().unwrap().contains("check digit"), "{p}");
    // Another organisation cannot change or delete it.
    let r = s
        .client
        .delete(s.url(&format!("/registry/products/{item}")))
        .send()
        .await
        .unwrap();
    assert_problem(r, 403, "epcisException:SecurityException").await;

    // Tokens: the admin issues one for its organisation; escalation is refused.
    let r = post_as(
        &admin,
        &s,
        "/registry/tokens",
        &json!({"name": "erp", "scopes": ["read", "capture"]}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let t: Value = r.json().await.unwrap();
    let secret = t["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("tpk_"));
    let erp = client_with(&secret);
    let me: Value = erp
        .get(s.url("/auth/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["org"], "coop-a");
    assert_eq!(me["scopes"], json!(["read", "capture"]));
    for body in [
        json!({"name": "x", "role": "operator"}),
        json!({"name": "x", "role": "nationalOfficial"}),
        json!({"name": "x", "role": "admin", "org": TEST_ORG}),
    ] {
        let r = post_as(&admin, &s, "/registry/tokens", &body).await;
        assert_problem(r, 403, "epcisException:SecurityException").await;
    }
    // A token cannot mint a token with more scopes than it has.
    let r = post_as(&erp, &s, "/registry/tokens", &json!({"name": "more"})).await;
    assert_problem(r, 403, "epcisException:SecurityException").await;
    let listed: Value = admin
        .get(s.url("/registry/tokens"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("token").is_none() && listed[0].get("secretSha256").is_none());
    let r = admin
        .delete(s.url(&format!("/registry/tokens/{}", t["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = erp.get(s.url("/events")).send().await.unwrap();
    assert_problem(r, 401, "epcisException:SecurityException").await;

    // Suspension stops capture at once; reinstating restores it.
    let r = post_as(
        &official,
        &s,
        "/registry/organisations/coop-a/status",
        &json!({"decision": "suspend", "reason": "mislabelled lots"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let mut e2 = event.clone();
    e2["eventTime"] = json!("2025-08-02T08:00:00+07:00");
    let r = post_as(&admin, &s, "/events", &e2).await;
    assert_problem(r, 403, "epcisException:SecurityException").await;
    let r = post_as(
        &official,
        &s,
        "/registry/organisations/coop-a/status",
        &json!({"decision": "reinstate"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = post_as(&admin, &s, "/events", &e2).await;
    assert_eq!(r.status(), 201);

    // Sign out: the cookie no longer works.
    let r = admin.post(s.url("/auth/logout")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let me: Value = admin
        .get(s.url("/auth/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "public");
    let r = post_as(
        &s.anon,
        &s,
        "/auth/login",
        &json!({"name": "coop-a-admin", "password": "wrong password"}),
    )
    .await;
    assert_problem(r, 401, "epcisException:SecurityException").await;
    let r = post_as(
        &s.anon,
        &s,
        "/auth/login",
        &json!({"name": "nobody", "password": "wrong password"}),
    )
    .await;
    assert_problem(r, 401, "epcisException:SecurityException").await;
}
