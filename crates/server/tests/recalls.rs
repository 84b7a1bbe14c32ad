//! Recalls end to end over HTTP: a lot shipped from its brand owner to a distribution
//! centre and on to a shop; an official declares a recall, the shop's webhook on loopback
//! receives a signed notice, the shop acknowledges, progress shows, the passport page
//! carries the banner and the resolver's `gs1:recallStatus` link answers, the recall is
//! closed; and who may do what, and what bad input gets.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::*;
use registry::accounts::AccountRole;
use registry::places::{Location, Plot};
use serde_json::{json, Value};

const BRAND_GLN: &str = "https://id.gs1.org/414/8931234000011";
const DC_GLN: &str = "8934111000012";
const SHOP_GLN: &str = "8934222000017";
const LOT_KEY: &str = "(01)08931234000011(10)LOT1";

/// One callback as received: its `GS1-Signature`, content type and body.
type Callback = (Option<String>, String, Bytes);

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Callback>>>,
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |n: &str| headers.get(n).map(|v| v.to_str().unwrap_or("").to_owned());
    r.got.lock().unwrap().push((
        h("gs1-signature"),
        h("content-type").unwrap_or_default(),
        body,
    ));
    StatusCode::NO_CONTENT
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/recalls", listener.local_addr().unwrap());
        let r = Receiver::default();
        let app = axum::Router::new()
            .route("/recalls", axum::routing::post(hook))
            .with_state(r.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (r, url)
    }

    async fn wait(&self, n: usize) -> Vec<Callback> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.got.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "{} notices of {n}", got.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn quantity_event(
    id: u8,
    time: &str,
    step: &str,
    qty: f64,
    at: Option<&str>,
    to: Option<&str>,
) -> Value {
    let mut e = json!({
        "type": "ObjectEvent",
        "eventID": format!("urn:uuid:00000000-0000-4000-8000-0000000001{id:02}"),
        "eventTime": time,
        "eventTimeZoneOffset": "+07:00",
        "epcList": [],
        "quantityList": [{"epcClass": LOT, "quantity": qty, "uom": "KGM"}],
        "action": if step == "commissioning" { "ADD" } else { "OBSERVE" },
        "bizStep": step,
    });
    if let Some(at) = at {
        e["bizLocation"] = json!({"id": at});
    }
    if let Some(to) = to {
        e["destinationList"] = json!([{"type": "location", "destination": to}]);
    }
    e
}

fn gln(g: &str) -> String {
    format!("https://id.gs1.org/414/{g}")
}

/// The chain: commissioning at the brand owner (100 kg), 40 kg shipped to and received
/// at the DC, 10 kg shipped on to the shop; plus the people who act on it.
struct World {
    s: TestServer,
    official: reqwest::Client,
    dc: reqwest::Client,
    shop: reqwest::Client,
    shop_admin: reqwest::Client,
    stranger: reqwest::Client,
}

async fn world() -> World {
    world_on(TestServer::start().await).await
}

async fn world_on(s: TestServer) -> World {
    for (id, tax, prefix, province) in [
        ("dc-org", "0100000002", "8934111", "79"),
        ("shop-org", "0100000003", "8934222", "79"),
        ("stranger-org", "0100000004", "8934333", "01"),
    ] {
        register(s.store.as_ref(), &test_org(id, tax, &[prefix], province));
    }
    s.store
        .put_location(&Location {
            id: DC_GLN.into(),
            owner: "dc-org".into(),
            name_vi: "Kho Thủ Đức".into(),
            name_en: "Thu Duc DC".into(),
            address: String::new(),
            province_code: "79".into(),
            commune_code: String::new(),
            coordinates: None,
        })
        .unwrap();
    let brand = vec![
        quantity_event(
            1,
            "2024-03-01T08:00:00+07:00",
            "commissioning",
            100.0,
            Some(BRAND_GLN),
            None,
        ),
        quantity_event(
            2,
            "2024-03-02T08:00:00+07:00",
            "shipping",
            40.0,
            Some(BRAND_GLN),
            Some(&gln(DC_GLN)),
        ),
    ];
    let job = s.capture(&document(brand), "rollback").await;
    assert_eq!(job["success"], true, "{job}");
    let t = |role, org: Option<&str>| client_with(&token(s.store.as_ref(), role, org, None));
    // The DC records its own receiving and shipping.
    let dc = t(AccountRole::Member, Some("dc-org"));
    let at_dc = vec![
        quantity_event(
            3,
            "2024-03-03T08:00:00+07:00",
            "receiving",
            40.0,
            Some(&gln(DC_GLN)),
            None,
        ),
        quantity_event(
            4,
            "2024-03-04T08:00:00+07:00",
            "shipping",
            10.0,
            Some(&gln(DC_GLN)),
            Some(&gln(SHOP_GLN)),
        ),
    ];
    let r = post(&dc, s.url("/capture"), document(at_dc)).await;
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let job_url = s.url(r.headers()["location"].to_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let job: Value = dc.get(&job_url).send().await.unwrap().json().await.unwrap();
        if job["running"] == false {
            assert_eq!(job["success"], true, "{job}");
            break;
        }
        assert!(Instant::now() < deadline, "the DC's capture did not finish");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    World {
        official: t(AccountRole::NationalOfficial, None),
        dc,
        shop: t(AccountRole::Member, Some("shop-org")),
        shop_admin: t(AccountRole::Admin, Some("shop-org")),
        stranger: t(AccountRole::Admin, Some("stranger-org")),
        s,
    }
}

async fn post(c: &reqwest::Client, url: String, body: Value) -> reqwest::Response {
    c.post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

fn declaration() -> Value {
    json!({"lots": [LOT_KEY], "reason": "Listeria monocytogenes found in a sample", "severity": "I"})
}

#[tokio::test]
async fn a_recall_from_declaration_to_close() {
    let w = world().await;
    let s = &w.s;
    let (receiver, hook_url) = Receiver::start().await;
    let r = w
        .shop_admin
        .put(s.url("/registry/organisations/shop-org/recall-webhook"))
        .header("content-type", "application/json")
        .body(json!({"url": hook_url, "secret": "shop-secret"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // Declared by a national official.
    let r = post(&w.official, s.url("/recalls"), declaration()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let recall: Value = r.json().await.unwrap();
    let id = recall["id"].as_str().unwrap().to_owned();
    assert!(location.ends_with(&format!("/recalls/{id}")), "{location}");
    assert_eq!(recall["state"], "open");
    assert_eq!(recall["severity"], "I");
    assert_eq!(
        recall["lots"],
        json!([{"gtin": "08931234000011", "lot": "LOT1"}])
    );
    let orgs: Vec<&str> = recall["affected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["org"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, ["dc-org", "shop-org", TEST_ORG]);
    let dc = &recall["affected"][0];
    assert_eq!(dc["province"], "79");
    assert_eq!(dc["sites"][0]["name"], "Kho Thủ Đức");
    assert_eq!(dc["sites"][0]["holdings"][0]["quantity"], 40.0);
    assert_eq!(dc["sites"][0]["holdings"][0]["uom"], "KGM");
    assert_eq!(
        recall["affected"][1]["sites"][0]["holdings"][0]["quantity"],
        10.0
    );
    assert_eq!(
        recall["progress"],
        json!({"acknowledged": 0, "affected": 3})
    );

    // The shop's webhook gets one signed notice.
    let got = receiver.wait(1).await;
    let (signature, content_type, body) = &got[0];
    assert_eq!(
        signature.as_deref(),
        Some(server::subscriptions::signature("shop-secret", body).as_str())
    );
    assert_eq!(content_type, "application/json");
    let notice: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(notice["type"], "RecallNotice");
    assert_eq!(notice["organisation"], "shop-org");
    assert_eq!(notice["recall"]["id"], id.as_str());
    assert_eq!(notice["recall"]["severityLevel"], "high");
    assert_eq!(notice["yourSites"][0]["holdings"][0]["quantity"], 10.0);
    let hook: Value = w
        .shop_admin
        .get(s.url("/registry/organisations/shop-org/recall-webhook"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hook["signed"], true);
    assert_eq!(hook["failures"], 0);

    // The banner on the passport page, in both languages, and the resolver's link.
    let page = s
        .anon
        .get(s.url("/passport/01/08931234000011/10/LOT1?lang=vi"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"recall\""), "{page}");
    assert!(
        page.contains("THU HỒI") && page.contains("Listeria"),
        "{page}"
    );
    let page_en = s
        .anon
        .get(s.url("/passport/01/08931234000011/10/LOT1?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page_en.contains("RECALL") && page_en.contains("class I"),
        "{page_en}"
    );
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect
        .get(s.url("/01/08931234000011/10/LOT1?linkType=gs1:recallStatus"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 307);
    let status_url = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        status_url.ends_with(&format!("/recalls/{id}/status")),
        "{status_url}"
    );
    let public: Value = s
        .anon
        .get(&status_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["state"], "open");
    assert!(public.get("affected").is_none(), "{public}");
    let page = s
        .anon
        .get(format!("{status_url}?lang=vi"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("THU HỒI") && page.contains("Đang thu hồi"),
        "{page}"
    );
    let r = no_redirect
        .get(s.url("/01/08931234000011/10/OTHER?linkType=gs1:recallStatus"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // The shop acknowledges once; progress shows it.
    let ack_url = s.url(&format!("/recalls/{id}/acknowledgements"));
    let r = post(
        &w.shop,
        ack_url.clone(),
        json!({"note": "10 kg withdrawn from sale"}),
    )
    .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let ack: Value = r.json().await.unwrap();
    assert_eq!(ack["org"], "shop-org");
    assert_problem(
        post(&w.shop, ack_url.clone(), json!({})).await,
        409,
        "epcisException:ResourceAlreadyExistsException",
    )
    .await;
    // An official is not an affected organisation.
    assert_problem(
        post(&w.official, ack_url.clone(), json!({})).await,
        403,
        "epcisException:SecurityException",
    )
    .await;
    let now: Value = w
        .official
        .get(s.url(&format!("/recalls/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now["progress"], json!({"acknowledged": 1, "affected": 3}));
    let shop_ack = now["acknowledgements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["org"] == "shop-org")
        .unwrap();
    assert_eq!(shop_ack["note"], "10 kg withdrawn from sale");
    // The DC sees it in its list; the shop's list has it too.
    let list: Value =
        w.dc.get(s.url("/recalls"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(list[0]["id"], id.as_str());

    // Only officials and the declaring brand owner close it.
    let close_url = s.url(&format!("/recalls/{id}/close"));
    assert_problem(
        post(&w.shop, close_url.clone(), json!({})).await,
        403,
        "epcisException:SecurityException",
    )
    .await;
    let r = post(
        &w.official,
        close_url.clone(),
        json!({"note": "all stock withdrawn"}),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let closed: Value = r.json().await.unwrap();
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["closeNote"], "all stock withdrawn");
    assert_problem(
        post(&w.official, close_url, json!({})).await,
        409,
        "epcisException:ResourceAlreadyExistsException",
    )
    .await;
    // The shop is told of the closing: a second signed notice on its webhook…
    let got = receiver.wait(2).await;
    assert_eq!(got.len(), 2, "one notice per change");
    let (signature, _, body) = &got[1];
    assert_eq!(
        signature.as_deref(),
        Some(server::subscriptions::signature("shop-secret", body).as_str())
    );
    let closing: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(closing["kind"], "closed");
    assert_eq!(closing["organisation"], "shop-org");
    assert_eq!(closing["recall"]["id"], id.as_str());
    assert_eq!(closing["recall"]["state"], "closed");
    assert_eq!(closing["closeNote"], "all stock withdrawn");
    assert!(closing["recall"]["closedAt"].is_string(), "{closing}");
    assert!(
        closing["notice"].as_i64().unwrap() > notice["notice"].as_i64().unwrap(),
        "{closing}"
    );
    assert_eq!(notice["kind"], "declared");
    // …and an entry in its inbox above the declaration.
    let inbox = w
        .shop
        .get(s.url("/ui/recalls?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let closed_row = inbox.find("<tr class=\"closed\">").expect(&inbox);
    let declared_row = inbox.find("<tr class=\"declared\">").expect(&inbox);
    assert!(closed_row < declared_row, "newest first: {inbox}");
    assert!(
        inbox[closed_row..declared_row].contains("Recall closed")
            && inbox[closed_row..declared_row].contains("all stock withdrawn"),
        "{inbox}"
    );
    assert_problem(
        post(&w.dc, ack_url, json!({})).await,
        409,
        "epcisException:ResourceAlreadyExistsException",
    )
    .await;
    let page = s
        .anon
        .get(s.url("/passport/01/08931234000011/10/LOT1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("id=\"recall\""),
        "a closed recall leaves no banner"
    );

    // The declaration, the acknowledgement and the close are in the audit log.
    let audit: Value = w
        .official
        .get(s.url("/registry/audit?perPage=200"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths: Vec<String> = audit
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    format!(
                        "{} {} {}",
                        e["method"].as_str().unwrap_or(""),
                        e["path"].as_str().unwrap_or(""),
                        e["status"]
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for want in [
        "POST /recalls 201".to_owned(),
        format!("POST /recalls/{id}/acknowledgements 201"),
        format!("POST /recalls/{id}/close 200"),
    ] {
        assert!(paths.contains(&want), "{want} not in {paths:?}");
    }
}

#[tokio::test]
async fn who_may_declare_and_see() {
    let w = world().await;
    let s = &w.s;
    // Not signed in.
    assert_problem(
        post(&s.anon, s.url("/recalls"), declaration()).await,
        401,
        "epcisException:SecurityException",
    )
    .await;
    // A member of another organisation is not the brand owner.
    let body = assert_problem(
        post(&w.stranger, s.url("/recalls"), declaration()).await,
        403,
        "epcisException:SecurityException",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("brand owner"),
        "{body}"
    );
    let body = assert_problem(
        post(&w.dc, s.url("/recalls"), declaration()).await,
        403,
        "epcisException:SecurityException",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().starts_with("/lots/0:"),
        "{body}"
    );
    // The brand owner may, for its own GTIN.
    let r = post(&s.client, s.url("/recalls"), json!({"lots": [{"gtin": "8931234000011", "lot": "LOT1"}], "reason": "label error", "severity": "low"})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let recall: Value = r.json().await.unwrap();
    let id = recall["id"].as_str().unwrap().to_owned();
    assert_eq!(recall["severity"], "III");
    assert_eq!(recall["declaredBy"]["org"], TEST_ORG);
    // An unrelated organisation neither lists nor reads it, nor acknowledges it.
    let list: Value = w
        .stranger
        .get(s.url("/recalls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    assert_problem(
        w.stranger
            .get(s.url(&format!("/recalls/{id}")))
            .send()
            .await
            .unwrap(),
        404,
        "epcisException:NoSuchNameException",
    )
    .await;
    assert_problem(
        post(
            &w.stranger,
            s.url(&format!("/recalls/{id}/acknowledgements")),
            json!({}),
        )
        .await,
        404,
        "epcisException:NoSuchNameException",
    )
    .await;
    assert_problem(
        s.anon.get(s.url("/recalls")).send().await.unwrap(),
        401,
        "epcisException:SecurityException",
    )
    .await;
    // The brand owner closes its own recall.
    let r = post(&s.client, s.url(&format!("/recalls/{id}/close")), json!({})).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // Only the organisation's administrators manage its recall webhook.
    let r = w
        .shop
        .put(s.url("/registry/organisations/shop-org/recall-webhook"))
        .header("content-type", "application/json")
        .body(json!({"url": "http://127.0.0.1:9/x"}).to_string())
        .send()
        .await
        .unwrap();
    assert_problem(r, 403, "epcisException:SecurityException").await;
}

#[tokio::test]
async fn bad_declarations_say_what_and_where() {
    let w = world().await;
    let s = &w.s;
    for (body, pointer, words) in [
        (
            json!({"lots": [], "reason": "x", "severity": "I"}),
            "/lots",
            "at least one lot",
        ),
        (
            json!({"reason": "x", "severity": "I"}),
            "/lots",
            "at least one lot",
        ),
        (
            json!({"lots": ["(01)08931234000011(10)NOPE"], "reason": "x", "severity": "I"}),
            "/lots/0",
            "no event names (01)08931234000011(10)NOPE",
        ),
        (
            json!({"lots": [LOT_KEY, "(01)08931234000011"], "reason": "x", "severity": "I"}),
            "/lots/1",
            "names a product",
        ),
        (
            json!({"lots": [LOT_KEY], "reason": "x", "severity": "severe"}),
            "/severity",
            "is not a severity",
        ),
        (
            json!({"lots": [LOT_KEY], "reason": "  ", "severity": "I"}),
            "/reason",
            "say why",
        ),
        (
            json!({"lots": [{"gtin": "8931234000012", "lot": "LOT1"}], "reason": "x", "severity": "I"}),
            "/lots/0",
            "not a valid GTIN",
        ),
    ] {
        let r = post(&w.official, s.url("/recalls"), body.clone()).await;
        let p = assert_problem(r, 400, "epcisException:ValidationException").await;
        assert_eq!(p["pointer"], pointer, "{body}: {p}");
        assert!(p["detail"].as_str().unwrap().contains(words), "{body}: {p}");
    }
    let r = post(
        &w.official,
        s.url("/recalls"),
        json!({"lots": [LOT_KEY], "reason": "x", "severity": "I", "colour": "red"}),
    )
    .await;
    let p = assert_problem(r, 400, "epcisException:ValidationException").await;
    assert!(p["detail"].as_str().unwrap().contains("colour"), "{p}");
    let r = w
        .official
        .post(s.url("/recalls"))
        .header("content-type", "text/plain")
        .body("lots=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = post(
        &w.official,
        s.url("/recalls"),
        json!(["not", "an", "object"]),
    )
    .await;
    let p = assert_problem(r, 400, "epcisException:ValidationException").await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("not the expected JSON"),
        "{p}"
    );
    assert_problem(
        w.official
            .get(s.url("/recalls/rc-0000"))
            .send()
            .await
            .unwrap(),
        404,
        "epcisException:NoSuchNameException",
    )
    .await;
    let r = w
        .shop_admin
        .put(s.url("/registry/organisations/shop-org/recall-webhook"))
        .header("content-type", "application/json")
        .body(json!({"url": "ftp://example.com/x"}).to_string())
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 400, "epcisException:ValidationException").await;
    assert!(
        p["detail"].as_str().unwrap().contains("http or https"),
        "{p}"
    );
    assert_eq!(p["pointer"], "/url", "{p}");
}

#[tokio::test]
async fn origin_plots_as_eudr_geojson() {
    let s = TestServer::start().await;
    s.store
        .put_plot(&Plot {
            id: "vn-test-0001".into(),
            owner: TEST_ORG.into(),
            name: "Rẫy thử".into(),
            crop: "coffee".into(),
            area_ha: Some(1.5),
            province_code: "66".into(),
            commune_code: String::new(),
            geometry: json!({"type": "Point", "coordinates": [108.0863, 12.622915]}),
        })
        .unwrap();
    let mut harvest = quantity_event(
        1,
        "2024-03-01T08:00:00+07:00",
        "commissioning",
        500.0,
        Some(BRAND_GLN),
        None,
    );
    harvest["ilmd"] = json!({
        "ex:plantingAreaCode": "VN-TEST-0001",
        "cbvmda:harvestStartDate": "2024-02-27",
        "cbvmda:harvestEndDate": "2024-03-01",
    });
    // A second plot, a polygon of about 10 ha registered clockwise, harvested as LOT2.
    s.store
        .put_plot(&Plot {
            id: "vn-test-0002".into(),
            owner: TEST_ORG.into(),
            name: "Rẫy lớn".into(),
            crop: "coffee".into(),
            area_ha: None,
            province_code: "66".into(),
            commune_code: String::new(),
            geometry: json!({"type": "Polygon", "coordinates": [[
                [108.09, 12.62], [108.09, 12.623], [108.093, 12.623], [108.093, 12.62], [108.09, 12.62]
            ]]}),
        })
        .unwrap();
    let mut harvest2 = quantity_event(
        2,
        "2024-03-01T09:00:00+07:00",
        "commissioning",
        800.0,
        Some(BRAND_GLN),
        None,
    );
    harvest2["quantityList"][0]["epcClass"] = json!("https://id.gs1.org/01/08931234000011/10/LOT2");
    harvest2["ilmd"] = json!({"ex:plantingAreaCode": "VN-TEST-0002"});
    let mut doc = document(vec![harvest, harvest2]);
    doc["@context"] = json!([CONTEXT, {"ex": "https://ns.example.com/epcis/", "cbvmda": "urn:epcglobal:cbv:mda:"}]);
    let job = s.capture(&doc, "rollback").await;
    assert_eq!(job["success"], true, "{job}");
    let r = s
        .get(&format!("/trace/plots.geojson?key={}", enc(LOT_KEY)))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/geo+json");
    let text = r.text().await.unwrap();
    // Coordinates keep six decimals even where the number needs fewer.
    assert!(text.contains("[108.086300,12.622915]"), "{text}");
    // An independent validator accepts it.
    assert_eq!(geojson_errors(&text), None, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len(), 1, "{v}");

    // The polygon: valid for the validator (which refuses a broken copy, so it checks),
    // every position [longitude, latitude] (in Viet Nam: 102–110 °E, 8–24 °N), the outer
    // ring closed and turning counter-clockwise (RFC 7946 §3.1.6).
    let text2 = s
        .get(&format!(
            "/trace/plots.geojson?key={}",
            enc("(01)08931234000011(10)LOT2")
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(geojson_errors(&text2), None, "{text2}");
    let v2: Value = serde_json::from_str(&text2).unwrap();
    let mut broken = v2.clone();
    if let Some(ring) = broken
        .pointer_mut("/features/0/geometry/coordinates/0")
        .and_then(Value::as_array_mut)
    {
        ring.truncate(3);
    }
    assert!(geojson_errors(&broken.to_string()).is_some(), "{broken}");
    let polygon = &v2["features"][0]["geometry"];
    assert_eq!(polygon["type"], "Polygon", "{v2}");
    let ring: Vec<(f64, f64)> = polygon["coordinates"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    let point = &features[0]["geometry"]["coordinates"];
    for (lon, lat) in ring
        .iter()
        .copied()
        .chain([(point[0].as_f64().unwrap(), point[1].as_f64().unwrap())])
    {
        assert!(
            (102.0..110.0).contains(&lon) && (8.0..24.0).contains(&lat),
            "{v2}"
        );
    }
    assert_eq!(ring.first(), ring.last(), "closed");
    let turn: f64 = ring
        .windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum();
    assert!(
        turn > 0.0,
        "the outer ring must turn counter-clockwise: {polygon}"
    );
    let p2 = &v2["features"][0]["properties"];
    let area = p2["areaHa"].as_f64().unwrap();
    assert!((9.0..12.0).contains(&area), "{area}");
    assert_eq!(p2["harvests"][0]["lot"], "LOT2");
    let f = &features[0];
    assert_eq!(f["type"], "Feature");
    assert_eq!(f["geometry"]["type"], "Point");
    let p = &f["properties"];
    assert_eq!(p["plotId"], "vn-test-0001");
    assert_eq!(p["producer"]["id"], TEST_ORG);
    assert_eq!(p["country"], "VN");
    assert_eq!(p["province"], "66");
    assert_eq!(p["areaHa"], 1.5);
    assert_eq!(p["harvests"][0]["lot"], "LOT1");
    assert_eq!(p["harvests"][0]["harvestStartDate"], "2024-02-27");
    assert_eq!(p["harvests"][0]["harvestEndDate"], "2024-03-01");
    // A point stands only for a plot of at most 4 ha.
    for f in features {
        let area = f["properties"]["areaHa"].as_f64().unwrap();
        let kind = f["geometry"]["type"].as_str().unwrap();
        assert!(kind == "Polygon" || (kind == "Point" && area <= 4.0), "{f}");
    }
    assert_problem(
        s.anon
            .get(s.url(&format!("/trace/plots.geojson?key={}", enc(LOT_KEY))))
            .send()
            .await
            .unwrap(),
        401,
        "epcisException:SecurityException",
    )
    .await;
}

/// A lot of the test organisation (registered in province 01) made at its factory in
/// province 79 and shipped to the DC there: it never left province 79.
const LOT79: &str = "https://id.gs1.org/01/08931234000011/10/LOT79";

async fn capture_lot79(w: &World) {
    let factory = "8931234000028";
    w.s.store
        .put_location(&Location {
            id: factory.into(),
            owner: TEST_ORG.into(),
            name_vi: "Nhà máy Bình Dương".into(),
            name_en: "Binh Duong plant".into(),
            address: String::new(),
            province_code: "79".into(),
            commune_code: String::new(),
            coordinates: None,
        })
        .unwrap();
    let mut made = quantity_event(
        21,
        "2024-03-05T08:00:00+07:00",
        "commissioning",
        20.0,
        Some(&gln(factory)),
        None,
    );
    let mut shipped = quantity_event(
        22,
        "2024-03-06T08:00:00+07:00",
        "shipping",
        5.0,
        Some(&gln(factory)),
        Some(&gln(DC_GLN)),
    );
    made["quantityList"][0]["epcClass"] = json!(LOT79);
    shipped["quantityList"][0]["epcClass"] = json!(LOT79);
    let job =
        w.s.capture(&document(vec![made, shipped]), "rollback")
            .await;
    assert_eq!(job["success"], true, "{job}");
}

/// A provincial official declares and closes only recalls within their province: lots
/// whose brand owner is registered there, or whose goods all lie there; the refusal (403)
/// names the provinces, through the API and the pages alike.
#[tokio::test]
async fn provincial_officials_recall_within_their_province() {
    let w = world().await;
    let s = &w.s;
    capture_lot79(&w).await;
    let official = |p: &str| {
        client_with(&token(
            s.store.as_ref(),
            AccountRole::ProvincialOfficial,
            None,
            Some(p),
        ))
    };
    let (of_79, of_01) = (official("79"), official("01"));
    // LOT1 is made in 01 (test-org) and reached 01 and 79: not 79's to recall.
    let body = assert_problem(
        post(&of_79, s.url("/recalls"), declaration()).await,
        403,
        "epcisException:SecurityException",
    )
    .await;
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("official of province 79"), "{body}");
    assert!(
        detail.contains("brand owner of (01)08931234000011(10)LOT1 is registered in province 01"),
        "{body}"
    );
    assert!(detail.contains("reached province 01"), "{body}");
    // 01's official recalls it (the brand owner is registered there); 79's may not close it.
    let r = post(&of_01, s.url("/recalls"), declaration()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let close_url = s.url(&format!("/recalls/{id}/close"));
    let body = assert_problem(
        post(&of_79, close_url.clone(), json!({})).await,
        403,
        "epcisException:SecurityException",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("province 79"),
        "{body}"
    );
    let r = post(&of_01, close_url, json!({})).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // LOT79 never left province 79: 79's official declares and closes it, though its brand
    // owner is registered in 01.
    let dc_lot =
        json!({"lots": ["(01)08931234000011(10)LOT79"], "reason": "mould", "severity": "II"});
    let r = post(&of_79, s.url("/recalls"), dc_lot.clone()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let recall: Value = r.json().await.unwrap();
    // The places are in 79, though test-org itself is registered in 01.
    let provinces: Vec<&str> = recall["affected"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["sites"].as_array().unwrap())
        .map(|site| site["province"].as_str().unwrap())
        .collect();
    assert_eq!(provinces, ["79", "79"], "{recall}");
    let r = post(
        &of_79,
        s.url(&format!(
            "/recalls/{}/close",
            recall["id"].as_str().unwrap()
        )),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // An official of a third province may not; a national official may.
    let body = assert_problem(
        post(&official("48"), s.url("/recalls"), dc_lot.clone()).await,
        403,
        "epcisException:SecurityException",
    )
    .await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("official of province 48")
            && detail.contains("(01)08931234000011(10)LOT79 is registered in province 01")
            && detail.contains("reached province 79"),
        "{body}"
    );
    let r = post(&w.official, s.url("/recalls"), dc_lot).await;
    assert_eq!(r.status(), 201);
    let lot79_recall = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The declaration form says the same.
    user(
        s.store.as_ref(),
        "can-bo-79",
        "mat-khau-79-dai",
        AccountRole::ProvincialOfficial,
        None,
        Some("79"),
    );
    let b = browser();
    sign_in(s, &b, "can-bo-79", "mat-khau-79-dai").await;
    let form = text_of(&b, &s.url("/ui/recalls?lang=en")).await;
    let r = post_form(
        &b,
        &s.url("/ui/recalls?lang=en"),
        &[
            ("csrf", &csrf_of(&form)),
            ("lots", LOT_KEY),
            ("reason", "Listeria"),
            ("severity", "I"),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("official of province 79") && page.contains("province 01"),
        "{page}"
    );
    // The recall page offers the closing form only to whoever may close: 79's official sees
    // it on the LOT79 recall, and reads but cannot close a national recall of LOT1.
    let r = post(&w.official, s.url("/recalls"), declaration()).await;
    assert_eq!(r.status(), 201);
    let lot1_recall = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = text_of(&b, &s.url(&format!("/ui/recalls/{lot1_recall}?lang=en"))).await;
    assert!(page.contains("Listeria monocytogenes"), "{page}");
    assert!(!page.contains("Close the recall"), "{page}");
    let page = text_of(&b, &s.url(&format!("/ui/recalls/{lot79_recall}?lang=en"))).await;
    assert!(page.contains("Close the recall"), "{page}");
}

/// Two servers on one PostgreSQL store, as two processes behind a load balancer: recalls
/// declared and closed through either reach each affected webhook once per notice, in
/// order, whichever server holds the webhook's delivery lease; when one server stops, the
/// other takes over after the lease.
#[tokio::test]
async fn two_servers_send_each_recall_notice_once() {
    let fast = || server::subscriptions::DeliveryConfig {
        retry_base: Duration::from_millis(50),
        retry_max: Duration::from_millis(400),
        poll: Duration::from_millis(300),
        lease: Duration::from_secs(2),
        ..Default::default()
    };
    let db = TestStore::new();
    if !db.is_postgres() {
        eprintln!(
            "several servers share a store on PostgreSQL only (TRACEPORT_TEST_BACKEND=postgres)"
        );
        return;
    }
    let w =
        world_on(TestServer::delivering(db, server::ServerConfig::default(), Some(fast())).await)
            .await;
    let a = &w.s;
    let (b_base, b_stop) = a.sibling(fast()).await;
    let b_url = |path: &str| format!("{b_base}{path}");
    let (receiver, hook_url) = Receiver::start().await;
    let dc_admin = client_with(&token(
        a.store.as_ref(),
        AccountRole::Admin,
        Some("dc-org"),
        None,
    ));
    for (client, org) in [(&w.shop_admin, "shop-org"), (&dc_admin, "dc-org")] {
        let r = client
            .put(a.url(&format!("/registry/organisations/{org}/recall-webhook")))
            .header("content-type", "application/json")
            .body(json!({"url": hook_url}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    // b finds the webhooks at its next look (once per lease) and competes for their claims.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut ids = Vec::new();
    for k in 0..4 {
        let (declare_at, close_at) = if k % 2 == 0 {
            (a.url("/recalls"), b_url("/recalls"))
        } else {
            (b_url("/recalls"), a.url("/recalls"))
        };
        let r = post(&w.official, declare_at, declaration()).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let id = r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = post(&w.official, format!("{close_at}/{id}/close"), json!({})).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        ids.push(id);
    }
    // Per recall: declared and closed, to the DC and to the shop.
    receiver.wait(16).await;
    // A second sender would have repeated something by now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let notices = |r: &Receiver| -> Vec<Value> {
        r.got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, _, body)| serde_json::from_slice(body).unwrap())
            .collect()
    };
    let check = |got: &[Value], ids: &[String]| {
        for org in ["dc-org", "shop-org"] {
            let mine: Vec<&Value> = got.iter().filter(|n| n["organisation"] == org).collect();
            let seen: Vec<(String, String)> = mine
                .iter()
                .map(|n| {
                    (
                        n["recall"]["id"].as_str().unwrap().to_owned(),
                        n["kind"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            let want: Vec<(String, String)> = ids
                .iter()
                .flat_map(|id| {
                    [
                        (id.clone(), "declared".to_owned()),
                        (id.clone(), "closed".to_owned()),
                    ]
                })
                .collect();
            assert_eq!(seen, want, "{org}: each notice once, in order");
            let numbers: Vec<i64> = mine.iter().map(|n| n["notice"].as_i64().unwrap()).collect();
            assert!(
                numbers.windows(2).all(|p| p[0] < p[1]),
                "{org}: {numbers:?}"
            );
        }
    };
    check(&notices(&receiver), &ids);
    // b stops; a goes on alone (after b's lease lapses, if b held a claim).
    drop(b_stop);
    let r = post(&w.official, a.url("/recalls"), declaration()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    ids.push(
        r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    let r = post(
        &w.official,
        a.url(&format!("/recalls/{}/close", ids[4])),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    receiver.wait(20).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    check(&notices(&receiver), &ids);
}

/// What an independent GeoJSON validator, the Python `geojson` package (`is_valid`,
/// `errors()`), finds wrong with `text`; `None` when it is valid.
fn geojson_errors(text: &str) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plots.geojson");
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, geojson\n\
             g = geojson.loads(open(sys.argv[1]).read())\n\
             print('valid' if g.is_valid else g.errors())",
            file.to_str().unwrap(),
        ])
        .output()
        .expect("python3 is needed");
    assert!(
        out.status.success(),
        "python3 with the geojson package is needed (pip install geojson): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (said != "valid").then_some(said)
}
