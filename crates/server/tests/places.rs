//! Places and export codes over HTTP: plot geometry checks, the code lifecycle by officials,
//! and events naming a suspended or revoked code flagged for the officials of the province.

mod common;

use common::*;
use registry::accounts::AccountRole;
use serde_json::{json, Value};

const NS: &str = "https://ns.traceport.org/epcis/";

#[tokio::test]
async fn plots_are_checked_as_the_eudr_asks() {
    let s = TestServer::start().await;
    let plot = |geometry: &str, area: &str, province: &str| {
        format!(
            r#"{{"id": "p1", "crop": "longan", {area} "provinceCode": "{province}", "geometry": {geometry}}}"#
        )
    };
    let point = r#"{"type": "Point", "coordinates": [106.133547, 20.664812]}"#;
    for (body, field, words) in [
        (
            plot(
                r#"{"type": "Point", "coordinates": [106.1335, 20.664812]}"#,
                r#""areaHa": 1.0,"#,
                "01",
            ),
            "geometry/coordinates",
            "4 decimals",
        ),
        (
            plot(point, r#""areaHa": 6.0,"#, "01"),
            "geometry",
            "must be a Polygon",
        ),
        (plot(point, "", "01"), "areaHa", "required"),
        (
            plot(
                r#"{"type": "Point", "coordinates": [206.133547, 20.664812]}"#,
                r#""areaHa": 1.0,"#,
                "01",
            ),
            "geometry/coordinates",
            "longitude",
        ),
        (
            plot(point, r#""areaHa": 1.0,"#, "34"),
            "provinceCode",
            "now 33",
        ),
        (
            plot(
                r#"{"type": "Polygon", "coordinates": [[[106.130000, 20.660000], [106.131920, 20.662250], [106.131920, 20.660000], [106.130000, 20.662250], [106.130000, 20.660000]]]}"#,
                "",
                "01",
            ),
            "geometry/coordinates/0",
            "intersects itself",
        ),
    ] {
        let r = put_as(&s.client, &s, "/registry/plots/p1", &body).await;
        let p = assert_problem(r, 400, "epcisException:ValidationException").await;
        assert_eq!(p["field"], field, "{p}");
        assert!(p["detail"].as_str().unwrap().contains(words), "{p}");
    }
    let polygon = r#"{"type": "Polygon", "coordinates": [[[106.130000, 20.660000], [106.131920, 20.660000], [106.131920, 20.662250], [106.130000, 20.662250], [106.130000, 20.660000]]]}"#;
    let r = put_as(
        &s.client,
        &s,
        "/registry/plots/p1",
        &plot(polygon, "", "01"),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let got = json_of(&s.anon, &s.url("/registry/plots/p1")).await;
    assert_eq!(got["owner"], TEST_ORG);
    let area = got["areaHa"].as_f64().unwrap();
    assert!((area - 5.0).abs() < 0.1, "{area}");
    // Nobody else may overwrite it.
    register(
        &*s.store,
        &test_org("beta", "0100000002", &["8930002"], "01"),
    );
    let beta = client_with(&token(&*s.store, AccountRole::Admin, Some("beta"), None));
    let r = put_as(
        &beta,
        &s,
        "/registry/plots/p1",
        &plot(point, r#""areaHa": 1.0,"#, "01"),
    )
    .await;
    assert_problem(r, 409, "epcisException:ResourceAlreadyExistsException").await;
    // Nor delete it; the public is asked to sign in; the owner deletes it once.
    let delete = |c: &reqwest::Client| c.delete(s.url("/registry/plots/p1")).send();
    assert_problem(
        delete(&beta).await.unwrap(),
        403,
        "epcisException:SecurityException",
    )
    .await;
    assert_problem(
        delete(&s.anon).await.unwrap(),
        401,
        "epcisException:SecurityException",
    )
    .await;
    assert_eq!(delete(&s.client).await.unwrap().status(), 204);
    assert_problem(
        delete(&s.client).await.unwrap(),
        404,
        "epcisException:NoSuchNameException",
    )
    .await;
    // Locations: GLN check digit and prefix.
    let r = put_as(
        &s.client,
        &s,
        "/registry/locations/8931234000012",
        r#"{"id": "8931234000012", "nameVi": "Kho"}"#,
    )
    .await;
    assert_problem(r, 400, "epcisException:ValidationException").await;
    let r = put_as(&s.client, &s, "/registry/locations/8931234000011", r#"{"id": "8931234000011", "nameVi": "Kho", "provinceCode": "01", "communeCode": "00004", "coordinates": [21.035, 105.834]}"#).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = s
        .client
        .delete(s.url("/registry/locations/8931234000011"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        s.get("/registry/locations/8931234000011").await.status(),
        404
    );
}

fn event_naming(code: &str, n: u32) -> Value {
    json!({
        "type": "ObjectEvent",
        "eventID": format!("urn:uuid:c0de0000-0000-4000-8000-{n:012}"),
        "eventTime": "2025-08-01T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "epcList": [format!("https://id.gs1.org/01/09521234543213/21/F{n}")],
        "ilmd": {"tp:plantingAreaCode": code},
    })
}

fn doc(events: Vec<Value>) -> Value {
    json!({
        "@context": [CONTEXT, {"tp": NS}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-08-01T00:00:00Z",
        "epcisBody": {"eventList": events}
    })
}

#[tokio::test]
async fn revoking_a_code_flags_its_events_for_the_province() {
    let s = TestServer::start().await; // TEST_ORG is in province 01
    let code = json!({"code": "VN-HNLO-0001", "kind": "plantingArea", "crop": "longan", "areaHa": 1.5,
        "households": 4, "targetMarket": "CN", "provinceCode": "01"});
    let r = post_as(&s.client, &s, "/registry/codes", &code).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = post_as(&s.client, &s, "/registry/codes", &code).await;
    assert_problem(r, 409, "epcisException:ResourceAlreadyExistsException").await;
    let r = post_as(
        &s.client,
        &s,
        "/registry/codes",
        &json!({"code": "bad code", "kind": "plantingArea", "crop": "x", "provinceCode": "01"}),
    )
    .await;
    assert_problem(r, 400, "epcisException:ValidationException").await;

    let official = client_with(&token(
        &*s.store,
        AccountRole::ProvincialOfficial,
        None,
        Some("01"),
    ));
    let elsewhere = client_with(&token(
        &*s.store,
        AccountRole::ProvincialOfficial,
        None,
        Some("33"),
    ));
    let status = |st: &str, reason: &str| json!({"status": st, "reason": reason, "authority": "Chi cục TT&BVTV Hà Nội"});
    // The organisation cannot issue its own code; another province cannot either.
    let r = post_as(
        &s.client,
        &s,
        "/registry/codes/VN-HNLO-0001/status",
        &status("issued", ""),
    )
    .await;
    assert_problem(r, 403, "epcisException:SecurityException").await;
    let r = post_as(
        &elsewhere,
        &s,
        "/registry/codes/VN-HNLO-0001/status",
        &status("issued", ""),
    )
    .await;
    assert_problem(r, 403, "epcisException:SecurityException").await;
    let r = post_as(
        &official,
        &s,
        "/registry/codes/VN-HNLO-0001/status",
        &status("suspended", "x"),
    )
    .await;
    let p = assert_problem(r, 400, "epcisException:ValidationException").await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("applied cannot become suspended"),
        "{p}"
    );
    let r = post_as(
        &official,
        &s,
        "/registry/codes/VN-HNLO-0001/status",
        &status("issued", ""),
    )
    .await;
    assert_eq!(r.status(), 200);

    // Captured while issued: not flagged at capture.
    let job = s
        .capture(&doc(vec![event_naming("VN-HNLO-0001", 1)]), "rollback")
        .await;
    assert_eq!(job["success"], true, "{job}");
    let flags: Value = official
        .get(s.url("/registry/flags"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(flags, json!([]));

    // Revoked: the earlier event now shows, and a new one is flagged at capture.
    let r = post_as(
        &official,
        &s,
        "/registry/codes/VN-HNLO-0001/status",
        &status("revoked", ""),
    )
    .await;
    assert_problem(r, 400, "epcisException:ValidationException").await;
    let r = post_as(
        &official,
        &s,
        "/registry/codes/VN-HNLO-0001/status",
        &status("revoked", "residues above the limit"),
    )
    .await;
    assert_eq!(r.status(), 200);
    let record: Value = r.json().await.unwrap();
    assert_eq!(record["history"].as_array().unwrap().len(), 3);
    assert_eq!(record["history"][2]["authority"], "Chi cục TT&BVTV Hà Nội");
    let job = s
        .capture(&doc(vec![event_naming("VN-HNLO-0001", 2)]), "rollback")
        .await;
    assert_eq!(job["success"], true, "{job}");
    let flags: Value = official
        .get(s.url("/registry/flags"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = flags.as_array().unwrap();
    assert_eq!(list.len(), 2, "{flags}");
    for f in list {
        assert_eq!(f["flags"], json!(["code:VN-HNLO-0001:revoked"]), "{f}");
        assert!(f["event"]["ilmd"].is_object());
    }
    let seq2 = vec![2];
    assert_eq!(
        store::RegistryStore::facet_values_of(s.store.as_ref(), registry::facets::FLAG, &seq2)
            .unwrap(),
        vec![(2, "code:VN-HNLO-0001:revoked".to_string())],
        "flagged at capture"
    );
    // Other provinces see none; members and the public may not look.
    let flags: Value = elsewhere
        .get(s.url("/registry/flags"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(flags, json!([]));
    let r = s.client.get(s.url("/registry/flags")).send().await.unwrap();
    assert_problem(r, 403, "epcisException:SecurityException").await;
    let r = s.anon.get(s.url("/registry/flags")).send().await.unwrap();
    assert_problem(r, 401, "epcisException:SecurityException").await;
    let national = client_with(&token(&*s.store, AccountRole::NationalOfficial, None, None));
    let flags: Value = national
        .get(s.url("/registry/flags"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(flags.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn header_master_data_fills_the_registries_for_own_identifiers_only() {
    let s = TestServer::start().await; // TEST_ORG holds 9521234, 8931234, 061414
    let mut d = doc(vec![event_naming("VN-ANY-1", 9)]);
    d["epcisHeader"] = json!({"epcisMasterData": {"vocabularyList": [
        {"type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": [
            {"id": "urn:epc:id:sgln:8931234.00001.0", "attributes": [
                {"id": "urn:epcglobal:cbv:mda#name", "attribute": "Kho Long Biên"},
                {"id": "tp:provinceCode", "attribute": "01"}]},
            {"id": "urn:epc:id:sgln:8930002.00001.0", "attributes": [
                {"id": "urn:epcglobal:cbv:mda#name", "attribute": "Someone else's"}]}]},
        {"type": "urn:epcglobal:epcis:vtype:EPCClass", "vocabularyElementList": [
            {"id": "https://id.gs1.org/01/09521234543213", "attributes": [
                {"id": "tp:nameVi", "attribute": "Cà phê rang"}]}]}
    ]}});
    let job = s.capture(&d, "rollback").await;
    assert_eq!(job["success"], true, "{job}");
    let l: Value = s
        .anon
        .get(s.url("/registry/locations/8931234000011"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(l["nameVi"], "Kho Long Biên");
    assert_eq!(l["owner"], TEST_ORG);
    assert_eq!(l["provinceCode"], "01");
    let r = s
        .anon
        .get(s.url("/registry/locations/8930002000017"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "not the sender's: not taken");
    let p: Value = s
        .anon
        .get(s.url("/registry/products/09521234543213"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p["nameVi"], "Cà phê rang");
}
