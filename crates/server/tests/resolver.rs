//! The resolver over HTTP: a real server, a real client that does not follow redirects.

mod common;

use std::time::Duration;

use common::{TestServer, A1, B1, LOT};
use serde_json::{json, Value};
use server::ServerConfig;

const TOKEN: &str = "test-admin-token";
const GTIN_A: &str = "https://id.gs1.org/01/09521234543213";

async fn server() -> TestServer {
    let s = TestServer::with_config(ServerConfig {
        link_admin_token: Some(TOKEN.into()),
        ..ServerConfig::default()
    })
    .await;
    s.load_dataset().await;
    s
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The path part of a canonical Digital Link.
fn path(dl: &str) -> &str {
    dl.strip_prefix("https://id.gs1.org").unwrap()
}

async fn get(s: &TestServer, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = no_redirects().get(s.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

/// Asserts that `path` redirects to `expected`.
async fn assert_redirect(s: &TestServer, path: &str, expected: &str) {
    let r = get(s, path, &[]).await;
    assert_eq!(location(&r), expected, "{path}");
}

async fn add_link(s: &TestServer, body: Value) -> Value {
    let r = no_redirects()
        .post(s.url("/links"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("/links/"));
    r.json().await.unwrap()
}

#[tokio::test]
async fn default_link_is_the_passport_with_linkset_header_and_cors() {
    let s = server().await;
    let r = get(&s, path(A1), &[]).await;
    assert_eq!(r.status(), 307);
    assert_eq!(location(&r), format!("{}/passport{}", s.base, path(A1)));
    let link = r.headers()["link"].to_str().unwrap();
    assert!(link.contains("rel=\"linkset\""), "{link}");
    assert!(link.contains("linkType=linkset"), "{link}");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    // Non-canonical spellings of the same identifier resolve the same.
    let r = get(&s, "/01/9521234543213/21/A1", &[]).await;
    assert_eq!(location(&r), format!("{}/passport{}", s.base, path(A1)));
    // HEAD answers the same without a body.
    let r = no_redirects().head(s.url(path(A1))).send().await.unwrap();
    assert_eq!(r.status(), 307);
}

#[tokio::test]
async fn link_type_redirects_or_404s_and_query_is_passed_on() {
    let s = server().await;
    let r = get(&s, &format!("{}?linkType=gs1:epcis", path(A1)), &[]).await;
    assert_eq!(r.status(), 307);
    let target = location(&r);
    assert!(target.contains("/events?MATCH_anyEPC="), "{target}");
    // The built-in EPCIS link really answers with the item's events.
    let events: Value = s.get(&target).await.json().await.unwrap();
    let ids = common::event_ids(&events);
    assert!(
        ids.contains(&common::eid(1)) && ids.contains(&common::eid(5)),
        "{ids:?}"
    );

    let r = get(&s, &format!("{}?linkType=gs1:recallStatus", path(A1)), &[]).await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("gs1:recallStatus"),
        "{body}"
    );

    let r = get(
        &s,
        &format!("{}?17=261231&utm_source=label", path(LOT)),
        &[],
    )
    .await;
    assert_eq!(r.status(), 307);
    assert!(
        location(&r).ends_with("/10/LOT1?17=261231&utm_source=label"),
        "{}",
        location(&r)
    );
}

#[tokio::test]
async fn linkset_validates_against_the_schema() {
    let s = server().await;
    let by_param = get(&s, &format!("{}?linkType=linkset", path(A1)), &[]).await;
    let by_accept = get(&s, path(A1), &[("accept", "application/linkset+json")]).await;
    for r in [by_param, by_accept] {
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/linkset+json");
        assert!(r.headers()["link"]
            .to_str()
            .unwrap()
            .contains("rel=\"linkset\""));
        let doc: Value = r.json().await.unwrap();
        let ctx = &doc["linkset"][0];
        assert_eq!(ctx["anchor"], A1);
        assert_eq!(
            ctx["https://gs1.org/voc/defaultLink"][0]["href"],
            format!("{}/passport{}", s.base, path(A1))
        );
        assert!(ctx["https://gs1.org/voc/verificationService"].is_array());
        validate_with_json_schema(&doc);
    }
}

/// Validates with a real JSON Schema validator (Python `jsonschema`, draft 2020-12).
fn validate_with_json_schema(doc: &Value) {
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../resolver/schema/linkset.schema.json"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("linkset.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import json,sys,jsonschema\n\
             s=json.load(open(sys.argv[1])); d=json.load(open(sys.argv[2]))\n\
             jsonschema.Draft202012Validator(s).validate(d); print('valid')",
            schema,
            file.to_str().unwrap(),
        ])
        .output()
        .expect("python3 with the jsonschema package is needed (pip install jsonschema)");
    assert!(
        out.status.success(),
        "linkset fails the schema: {}\n{doc}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The validator must also refuse a broken linkset, or it checks nothing.
    let mut broken = doc.clone();
    broken["linkset"][0]["https://gs1.org/voc/pip"][0]["hreflang"] = json!("vi");
    std::fs::write(&file, broken.to_string()).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import json,sys,jsonschema\n\
             s=json.load(open(sys.argv[1])); d=json.load(open(sys.argv[2]))\n\
             jsonschema.Draft202012Validator(s).validate(d)",
            schema,
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a broken linkset passed the schema");
}

#[tokio::test]
async fn brand_links_walk_up_from_serial_to_lot_to_gtin() {
    let s = server().await;
    let gtin_b = "https://id.gs1.org/01/08931234000011";
    let brand = add_link(
        &s,
        json!({"anchor": gtin_b, "linkType": "gs1:pip", "href": "https://brand.example/coffee",
               "title": "Cà phê", "hreflang": ["vi"], "type": "text/html", "default": true}),
    )
    .await;
    assert_eq!(brand["linkType"], "gs1:pip");
    add_link(
        &s,
        json!({"anchor": LOT, "linkType": "recallStatus", "href": "https://brand.example/recall/LOT1",
               "title": "Recall"}),
    )
    .await;
    let range = add_link(
        &s,
        json!({"anchor": gtin_b, "serialRange": {"from": "B1", "to": "B9"},
               "linkType": "https://gs1.org/voc/verificationService",
               "href": "https://brand.example/verify", "title": "Verify"}),
    )
    .await;
    // GTIN level default replaces the built-in passport.
    assert_redirect(&s, path(B1), "https://brand.example/coffee").await;
    // Lot level.
    assert_redirect(
        &s,
        &format!("{}?linkType=gs1:recallStatus", path(LOT)),
        "https://brand.example/recall/LOT1",
    )
    .await;
    assert_redirect(
        &s,
        &format!("{}/21/B1?linkType=gs1:recallStatus", path(LOT)),
        "https://brand.example/recall/LOT1",
    )
    .await;
    let r = get(
        &s,
        "/01/08931234000011/10/OTHER?linkType=gs1:recallStatus",
        &[],
    )
    .await;
    assert_eq!(r.status(), 404);
    // Serial range beats the built-in verification link; outside it the built-in answers.
    assert_redirect(
        &s,
        &format!("{}?linkType=gs1:verificationService", path(B1)),
        "https://brand.example/verify",
    )
    .await;
    let r = get(
        &s,
        "/01/08931234000011/21/C1?linkType=gs1:verificationService",
        &[],
    )
    .await;
    assert!(location(&r).ends_with("/passport/01/08931234000011/21/C1#authenticity"));

    // Change and remove.
    let id = range["id"].as_str().unwrap();
    let r = no_redirects()
        .put(s.url(&format!("/links/{id}")))
        .bearer_auth(TOKEN)
        .json(
            &json!({"anchor": gtin_b, "serialRange": {"from": "B1", "to": "B9"},
                      "linkType": "gs1:verificationService",
                      "href": "https://brand.example/verify2", "title": "Verify"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_redirect(
        &s,
        &format!("{}?linkType=gs1:verificationService", path(B1)),
        "https://brand.example/verify2",
    )
    .await;
    let listed: Value = no_redirects()
        .get(s.url(&format!("/links?anchor={gtin_b}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["links"].as_array().unwrap().len(), 3);
    let r = no_redirects()
        .delete(s.url(&format!("/links/{}", brand["id"].as_str().unwrap())))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = get(&s, path(B1), &[]).await;
    assert!(location(&r).contains("/passport/"), "{}", location(&r));
}

#[tokio::test]
async fn link_management_needs_the_token_and_valid_links() {
    let s = server().await;
    let body = json!({"anchor": GTIN_A, "linkType": "gs1:pip", "href": "https://x.example/", "title": "x"});
    let r = no_redirects()
        .post(s.url("/links"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = no_redirects()
        .post(s.url("/links"))
        .bearer_auth("wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "an unknown token is no credential");
    // The brand owner (an administrator of the organisation holding the GTIN's company
    // prefix) manages its links with its own account, without the operator's token.
    let r = s
        .client
        .post(s.url("/links"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    // Nobody holds this prefix: no account may publish links for it.
    let foreign = json!({"anchor": "https://id.gs1.org/01/04012345000009", "linkType": "gs1:pip", "href": "https://x.example/", "title": "x"});
    let r = s
        .client
        .post(s.url("/links"))
        .json(&foreign)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "{}", r.text().await.unwrap_or_default());
    for (bad, words) in [
        (
            json!({"anchor": GTIN_A, "linkType": "gs1:nope", "href": "https://x.example/", "title": "x"}),
            "linkType",
        ),
        (
            json!({"anchor": GTIN_A, "linkType": "gs1:pip", "href": "javascript:alert(1)", "title": "x"}),
            "href",
        ),
        (
            json!({"anchor": "https://id.gs1.org/01/09521234543210", "linkType": "gs1:pip", "href": "https://x.example/", "title": "x"}),
            "check digit",
        ),
        (
            json!({"anchor": "https://id.gs1.org/00/089312340000000011", "serialRange": {"from": "1", "to": "2"}, "linkType": "gs1:pip", "href": "https://x.example/", "title": "x"}),
            "serial",
        ),
    ] {
        let r = no_redirects()
            .post(s.url("/links"))
            .bearer_auth(TOKEN)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let p: Value = r.json().await.unwrap();
        assert!(p["detail"].as_str().unwrap().contains(words), "{p}");
    }
    // Without a configured operator token that token means nothing, while brand owners still
    // manage their own links.
    let off = TestServer::start().await;
    let r = no_redirects()
        .post(off.url("/links"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = off
        .client
        .post(off.url("/links"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn language_then_tie() {
    let s = server().await;
    for (lang, href) in [
        ("vi", "https://brand.example/vi"),
        ("en", "https://brand.example/en"),
    ] {
        add_link(
            &s,
            json!({"anchor": GTIN_A, "linkType": "gs1:pip", "href": href, "title": lang,
                   "hreflang": [lang], "type": "text/html", "default": true}),
        )
        .await;
    }
    let r = get(
        &s,
        path(A1),
        &[("accept-language", "vi-VN,vi;q=0.9,en;q=0.5")],
    )
    .await;
    assert_eq!(location(&r), "https://brand.example/vi");
    let r = get(&s, path(A1), &[("accept-language", "en-GB")]).await;
    assert_eq!(location(&r), "https://brand.example/en");
    let r = get(&s, path(A1), &[]).await;
    assert_eq!(r.status(), 300);
    let r = get(&s, path(A1), &[("accept", "text/html")]).await;
    assert_eq!(r.status(), 300);
    let html = r.text().await.unwrap();
    assert!(html.contains("https://brand.example/vi") && html.contains("https://brand.example/en"));
}

#[tokio::test]
async fn malformed_digital_links_are_400_naming_the_part() {
    let s = server().await;
    for (p, words) in [
        ("/01/09521234543210/21/A1", "check digit"),
        ("/01/09521234543213/21/A1/10/L", "out of order"),
        (
            "/01/09521234543213?9999=1",
            "unknown Application Identifier (9999)",
        ),
        ("/01/09521234543213/21/A%2", "percent-encoding"),
        ("/01/09521234543213?21=A1", "(21)"),
        ("/01/0952123454321X", "not a digit"),
    ] {
        let r = get(&s, p, &[]).await;
        assert_eq!(r.status(), 400, "{p}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["detail"].as_str().unwrap().contains(words),
            "{p}: {body}"
        );
    }
    // A browser gets a page, not JSON.
    let r = get(&s, "/01/09521234543210", &[("accept", "text/html")]).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("<html"));
}

#[tokio::test]
async fn unknown_keys_get_a_helpful_404() {
    let s = server().await;
    let r = get(&s, "/01/09506000134352", &[]).await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("not known"),
        "{body}"
    );
    let r = get(
        &s,
        "/01/09506000134352",
        &[("accept", "text/html"), ("accept-language", "vi")],
    )
    .await;
    assert_eq!(r.status(), 404);
    let html = r.text().await.unwrap();
    assert!(html.contains("Không tìm thấy sản phẩm"), "{html}");
}

#[tokio::test]
async fn well_known_options_and_methods() {
    let s = server().await;
    let doc: Value = s
        .get("/.well-known/gs1resolver")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["supportedPrimaryKeys"], json!(["all"]));
    assert_eq!(doc["resolverRoot"], s.base);
    let api: Value = s.get("/openapi.json").await.json().await.unwrap();
    for p in [
        "/01/{gtin}",
        "/links",
        "/labels/qr/01/{gtin}",
        "/passport/01/{gtin}",
    ] {
        assert!(api["paths"][p].is_object(), "{p} missing from openapi.json");
    }
    let r = no_redirects()
        .request(reqwest::Method::OPTIONS, s.url(path(A1)))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(r.headers()["allow"].to_str().unwrap().contains("HEAD"));
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let r = no_redirects().post(s.url(path(A1))).send().await.unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn scans_are_recorded_without_personal_data() {
    let s = server().await;
    let android = "Mozilla/5.0 (Linux; Android 14; SM-A155F) Chrome/120 Mobile";
    for region in ["VN-HN", "VN-HN", "VN-SG"] {
        let r = get(
            &s,
            &format!("{}?region={region}", path(A1)),
            &[("user-agent", android)],
        )
        .await;
        assert_eq!(r.status(), 307);
    }
    let mut stats = Value::Null;
    for _ in 0..100 {
        stats = no_redirects()
            .get(s.url(&format!("/scans?identifier={A1}")))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if stats["count"] == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(stats["count"], 3, "{stats}");
    assert_eq!(stats["firstRegion"], "VN-HN");
    assert_eq!(stats["regions"][0], json!({"region": "VN-HN", "count": 2}));
    assert_eq!(stats["last24h"], 3);
}

#[tokio::test]
async fn compressed_digital_links_resolve() {
    let s = server().await;
    // 01/05412345000013/10/ABC123/21/72292641703, compressed; unknown here, so a 404 that names it.
    let r = get(&s, "/AQnYUc1gmiCNV4JGQhcNT6K6c", &[]).await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("https://id.gs1.org/01/05412345000013/10/ABC123/21/72292641703"),
        "{body}"
    );
    // Partially compressed (`EEarwSM` is 10/ABC123) on a known GTIN: redirects like the plain form.
    let r = get(&s, "/01/08931234000011/EEarwSM", &[]).await;
    assert_eq!(r.status(), 307);
    assert!(
        location(&r).ends_with("/passport/01/08931234000011/10/ABC123"),
        "{}",
        location(&r)
    );
    // Not base64url and not a route: the ordinary 404.
    let r = get(&s, "/no-such-thing/here", &[]).await;
    assert_eq!(r.status(), 404);
    // Base64url that does not decode: the EPCIS-style 404, not a crash.
    let r = get(&s, "/Dock1", &[]).await;
    assert_eq!(r.status(), 404);
}
