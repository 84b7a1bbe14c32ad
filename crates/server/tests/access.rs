//! The access matrix: every role against every EPCIS route over real HTTP, proving that
//! nobody sees more than the policy allows (quantities, partners and transactions stay with
//! the owner, its trading partners, the officials of its province and national roles).

mod common;

use common::*;
use registry::accounts::AccountRole;
use registry::Scope;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::access::OwnershipRule;
use server::ServerConfig;

fn gln(prefix: &str, location: &str) -> String {
    let body = format!("{prefix}{location}");
    format!("{body}{}", gs1::check_digit(&body).unwrap())
}

fn gtin(prefix: &str, item: &str) -> String {
    let body = format!("0{prefix}{item}");
    format!("{body}{}", gs1::check_digit(&body).unwrap())
}

const ALPHA: &str = "8930001";
const BETA: &str = "8930002";
const DELTA: &str = "8930004";
const SIGMA: &str = "8930009";

/// An event with every kind of data the public must not see.
fn private_event(
    id: &str,
    action: &str,
    own: &str,
    item_of: &str,
    qty: u32,
    partner: (&str, &str),
) -> Value {
    let (direction, partner_prefix) = partner;
    let party = format!("https://id.gs1.org/417/{}", gln(partner_prefix, "00000"));
    let mut e = json!({
        "type": "ObjectEvent",
        "eventID": id,
        "eventTime": "2025-08-01T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": action,
        "bizStep": "shipping",
        "epcList": [format!("https://id.gs1.org/01/{}/21/{id_tail}", gtin(item_of, "00001"), id_tail = &id[id.len() - 4..])],
        "quantityList": [{"epcClass": format!("https://id.gs1.org/01/{}/10/LOT-{}", gtin(item_of, "00001"), &id[id.len() - 4..]), "quantity": qty, "uom": "KGM"}],
        "bizLocation": {"id": format!("https://id.gs1.org/414/{}", gln(own, "00010"))},
        "bizTransactionList": [{"type": "po", "bizTransaction": format!("urn:example:po:{qty}")}],
    });
    let key = if direction == "source" {
        "sourceList"
    } else {
        "destinationList"
    };
    e[key] = json!([{ "type": "owning_party", direction: party }]);
    e
}

struct World {
    s: TestServer,
    /// (role name, client) pairs.
    callers: Vec<(&'static str, Client)>,
    alpha_job: String,
}

const E_ALPHA: &str = "urn:uuid:a1a1a1a1-0000-4000-8000-00000000a001";
const E_BETA: &str = "urn:uuid:b2b2b2b2-0000-4000-8000-00000000b002";
const E_DELTA: &str = "urn:uuid:d4d4d4d4-0000-4000-8000-00000000d004";

async fn world() -> World {
    let s = TestServer::start().await;
    let st = &*s.store;
    register(st, &test_org("alpha", "3300000001", &[ALPHA], "33"));
    register(st, &test_org("beta", "0100000002", &[BETA], "01"));
    register(st, &test_org("delta", "3300000004", &[DELTA], "33"));
    let mut sigma = test_org("sigma", "3300000009", &[SIGMA], "33");
    sigma.suspension = Some(registry::Suspension {
        by: "official".into(),
        at_ms: 1,
        reason: "test".into(),
    });
    register(st, &sigma);
    let t = |role, org: Option<&str>, province: Option<&str>| token(st, role, org, province);
    let callers = vec![
        ("public", Client::new()),
        (
            "alpha-member",
            client_with(&t(AccountRole::Member, Some("alpha"), None)),
        ),
        (
            "alpha-admin",
            client_with(&t(AccountRole::Admin, Some("alpha"), None)),
        ),
        (
            "beta-member",
            client_with(&t(AccountRole::Member, Some("beta"), None)),
        ),
        (
            "delta-member",
            client_with(&t(AccountRole::Member, Some("delta"), None)),
        ),
        (
            "sigma-admin",
            client_with(&t(AccountRole::Admin, Some("sigma"), None)),
        ),
        (
            "official-33",
            client_with(&t(AccountRole::ProvincialOfficial, None, Some("33"))),
        ),
        (
            "official-01",
            client_with(&t(AccountRole::ProvincialOfficial, None, Some("01"))),
        ),
        (
            "national",
            client_with(&t(AccountRole::NationalOfficial, None, None)),
        ),
        (
            "operator",
            client_with(&t(AccountRole::Operator, None, None)),
        ),
    ];
    let by = |name: &str| {
        callers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| c.clone())
            .unwrap()
    };
    // alpha ships to beta (names beta), beta receives from alpha (names alpha), delta is alone.
    let alpha_doc = document(vec![private_event(
        E_ALPHA,
        "ADD",
        ALPHA,
        ALPHA,
        50,
        ("destination", BETA),
    )]);
    let r = by("alpha-member")
        .post(s.url("/capture"))
        .header("content-type", "application/json")
        .body(alpha_doc.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let alpha_job = r.headers()["location"].to_str().unwrap().to_string();
    wait(&by("alpha-member"), &alpha_job).await;
    for (who, event) in [
        (
            "beta-member",
            private_event(E_BETA, "OBSERVE", BETA, ALPHA, 40, ("source", ALPHA)),
        ),
        (
            "delta-member",
            private_event(E_DELTA, "ADD", DELTA, DELTA, 30, ("destination", DELTA)),
        ),
    ] {
        let r = by(who)
            .post(s.url("/events"))
            .header("content-type", "application/json")
            .body(event.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{who}: {}", r.text().await.unwrap());
    }
    World {
        s,
        callers,
        alpha_job,
    }
}

async fn wait(client: &Client, location: &str) {
    for _ in 0..200 {
        let job: Value = client
            .get(location)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if job["running"] == false {
            assert_eq!(job["success"], true, "{job}");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("job {location} did not finish");
}

fn events_of(doc: &Value) -> Vec<Value> {
    doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// True when the event carries owner-only data; panics when it carries part of it only.
fn is_full(e: &Value) -> bool {
    let hidden = ["sourceList", "destinationList", "bizTransactionList"];
    let present: Vec<bool> = hidden.iter().map(|k| e.get(*k).is_some()).collect();
    let qty = e["quantityList"][0].get("quantity").is_some();
    let any = present.iter().any(|p| *p) || qty;
    if any {
        assert!(
            qty && present.iter().filter(|p| **p).count() == 2,
            "partial data: {e}"
        );
    } else {
        // The consumer view keeps identifiers and classes, nothing else of the hidden data.
        assert!(e["quantityList"][0].get("epcClass").is_some(), "{e}");
        assert!(e["quantityList"][0].get("uom").is_none(), "{e}");
    }
    any
}

/// Which of the three events each caller sees in full.
fn expected_full(role: &str) -> Vec<&'static str> {
    match role {
        "alpha-member" | "alpha-admin" | "beta-member" => vec![E_ALPHA, E_BETA],
        "delta-member" => vec![E_DELTA],
        "official-33" => vec![E_ALPHA, E_DELTA],
        "official-01" => vec![E_BETA],
        "national" | "operator" => vec![E_ALPHA, E_BETA, E_DELTA],
        _ => vec![],
    }
}

#[tokio::test]
async fn every_role_sees_exactly_its_scope_on_every_read_route() {
    let w = world().await;
    let item = gtin(ALPHA, "00001");
    let epc_alpha = format!("https://id.gs1.org/01/{item}/21/a001");
    let reads = [
        "/events".to_string(),
        format!("/events/{}", enc(E_ALPHA)),
        format!("/events/{}", enc(E_BETA)),
        format!("/events/{}", enc(E_DELTA)),
        "/bizSteps/shipping/events".to_string(),
        format!("/epcs/{}/events", enc(&epc_alpha)),
        "/eventTypes/ObjectEvent/events".to_string(),
    ];
    for (role, client) in &w.callers {
        let mut full_seen = Vec::new();
        for path in &reads {
            let r = client.get(w.s.url(path)).send().await.unwrap();
            assert_eq!(r.status(), 200, "{role} GET {path}");
            let doc: Value = r.json().await.unwrap();
            let list = events_of(&doc);
            assert!(
                !list.is_empty(),
                "{role} GET {path}: the public view must still be there"
            );
            for e in &list {
                let id = e["eventID"].as_str().unwrap().to_string();
                if is_full(e) {
                    assert!(
                        expected_full(role).contains(&id.as_str()),
                        "LEAK: {role} sees {id} in full at {path}"
                    );
                    full_seen.push(id);
                } else {
                    assert!(
                        !expected_full(role).contains(&id.as_str()),
                        "{role} should see {id} in full at {path}"
                    );
                }
            }
        }
        full_seen.sort();
        full_seen.dedup();
        let mut want: Vec<String> = expected_full(role).iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(full_seen, want, "{role}");
    }
}

#[tokio::test]
async fn queries_over_hidden_data_are_refused_to_the_public_and_scoped_for_others() {
    let w = world().await;
    for (role, client) in &w.callers {
        for q in [
            "GE_quantity=1",
            "EQ_bizTransaction_po=urn:example:po:50",
            &format!(
                "EQ_destination_owning_party={}",
                enc(&format!("https://id.gs1.org/417/{}", gln(BETA, "00000")))
            ),
        ] {
            let r = client
                .get(w.s.url(&format!("/events?{q}")))
                .send()
                .await
                .unwrap();
            if *role == "public" {
                let body = assert_problem(r, 401, "epcisException:SecurityException").await;
                assert!(
                    body["detail"].as_str().unwrap().contains("not public"),
                    "{body}"
                );
                continue;
            }
            assert_eq!(r.status(), 200, "{role} {q}");
            let doc: Value = r.json().await.unwrap();
            for e in events_of(&doc) {
                let id = e["eventID"].as_str().unwrap();
                assert!(
                    expected_full(role).contains(&id) && is_full(&e),
                    "LEAK: {role} found {id} by {q}"
                );
            }
        }
    }
}

#[tokio::test]
async fn capture_and_management_routes_follow_the_policy() {
    let w = world().await;
    let mut n = 0;
    for (role, client) in &w.callers {
        n += 1;
        let own = match *role {
            "alpha-member" | "alpha-admin" => ALPHA,
            "beta-member" => BETA,
            "delta-member" => DELTA,
            _ => SIGMA,
        };
        let id = format!("urn:uuid:c0c0c0c0-0000-4000-8000-00000000c{n:03}");
        let event = private_event(&id, "ADD", own, own, 1, ("destination", own));
        let expect_capture = match *role {
            "public" => 401,
            "sigma-admin" | "official-33" | "official-01" | "national" | "operator" => 403,
            _ => 201,
        };
        let r = client
            .post(w.s.url("/events"))
            .header("content-type", "application/json")
            .body(event.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), expect_capture, "{role} POST /events");
        let r = client
            .post(w.s.url("/capture"))
            .header("content-type", "application/json")
            .body(document(vec![]).to_string())
            .send()
            .await
            .unwrap();
        let expect = if expect_capture == 201 {
            202
        } else {
            expect_capture
        };
        assert_eq!(r.status().as_u16(), expect, "{role} POST /capture");

        // Capture jobs: own organisation's only; other organisations' answer 404.
        let r = client.get(w.s.url("/capture")).send().await.unwrap();
        let expect_jobs = match *role {
            "public" => 401,
            "official-33" | "official-01" => 403,
            _ => 200,
        };
        assert_eq!(r.status().as_u16(), expect_jobs, "{role} GET /capture");
        let r = client.get(w.s.url(&w.alpha_job)).send().await.unwrap();
        let expect_job = match *role {
            "public" => 401,
            "official-33" | "official-01" => 403,
            "alpha-member" | "alpha-admin" | "national" | "operator" => 200,
            _ => 404,
        };
        assert_eq!(r.status().as_u16(), expect_job, "{role} GET alpha's job");

        // Named queries: any account creates and runs; only the owner (or an operator) deletes.
        let name = format!("q-{n}");
        let r = client
            .post(w.s.url("/queries"))
            .header("content-type", "application/json")
            .body(json!({"name": name, "query": {"EQ_bizStep": ["shipping"]}}).to_string())
            .send()
            .await
            .unwrap();
        let expect = if *role == "public" { 401 } else { 201 };
        assert_eq!(r.status().as_u16(), expect, "{role} POST /queries");
        for path in ["/queries".to_string(), "/queries/q-2".to_string()] {
            let r = client.get(w.s.url(&path)).send().await.unwrap();
            let expect = if *role == "public" { 401 } else { 200 };
            assert_eq!(r.status().as_u16(), expect, "{role} GET {path}");
        }
    }
    // Named query results are filtered like /events.
    let q = "/queries/q-2/events";
    for (role, client) in &w.callers {
        let r = client.get(w.s.url(q)).send().await.unwrap();
        if *role == "public" {
            assert_eq!(r.status(), 401);
            continue;
        }
        assert_eq!(r.status(), 200, "{role}");
        for e in events_of(&r.json::<Value>().await.unwrap()) {
            let id = e["eventID"].as_str().unwrap().to_string();
            if is_full(&e) {
                assert!(
                    expected_full(role).contains(&id.as_str()) || id.starts_with("urn:uuid:c0c0"),
                    "LEAK: {role} sees {id} through a named query"
                );
            }
        }
    }
    // q-2 belongs to alpha (created by alpha-member): beta may not delete it, alpha-admin may.
    let client = |name: &str| {
        w.callers
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1
            .clone()
    };
    let r = client("beta-member")
        .delete(w.s.url("/queries/q-2"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 403, "epcisException:SecurityException").await;
    let r = client("public")
        .delete(w.s.url("/queries/q-2"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "epcisException:SecurityException").await;
    let r = client("alpha-admin")
        .delete(w.s.url("/queries/q-2"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = client("operator")
        .delete(w.s.url("/queries/q-4"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn bad_credentials_are_refused_with_401() {
    let s = TestServer::start().await;
    let revoked = {
        let issued = server::auth::issue_token(
            s.store.as_ref(),
            "t",
            registry::accounts::Binding {
                role: AccountRole::Member,
                org: Some(TEST_ORG.into()),
                province: None,
            },
            Scope::ALL.to_vec(),
            "test",
            None,
        )
        .unwrap();
        store::AccountStore::revoke_token(s.store.as_ref(), &issued.token.id, 1).unwrap();
        issued.secret
    };
    let expired = server::auth::issue_token(
        s.store.as_ref(),
        "t",
        registry::accounts::Binding {
            role: AccountRole::Member,
            org: Some(TEST_ORG.into()),
            province: None,
        },
        Scope::ALL.to_vec(),
        "test",
        Some(1),
    )
    .unwrap()
    .secret;
    for (auth, words) in [
        (format!("Bearer {revoked}"), "revoked"),
        (format!("Bearer {expired}"), "expired"),
        ("Bearer tpk_unknown".to_string(), "unknown"),
        ("Basic dXNlcjpwYXNz".to_string(), "Bearer"),
    ] {
        let r = s
            .anon
            .get(s.url("/events"))
            .header("authorization", auth)
            .send()
            .await
            .unwrap();
        assert!(r.headers().contains_key("www-authenticate"));
        let body = assert_problem(r, 401, "epcisException:SecurityException").await;
        assert!(body["detail"].as_str().unwrap().contains(words), "{body}");
    }
    // A read-only token cannot capture.
    let read_only = token_with(
        &*s.store,
        AccountRole::Admin,
        Some(TEST_ORG),
        None,
        vec![Scope::Read],
    );
    let r = client_with(&read_only)
        .post(s.url("/events"))
        .header("content-type", "application/json")
        .body(
            object_event(
                &eid(1),
                "2024-03-01T08:00:00+07:00",
                "OBSERVE",
                &[A1],
                "shipping",
            )
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let body = assert_problem(r, 403, "epcisException:SecurityException").await;
    assert!(
        body["detail"].as_str().unwrap().contains("capture scope"),
        "{body}"
    );
}

#[tokio::test]
async fn commissioning_another_organisations_identifiers_is_rejected_or_flagged() {
    for rule in [OwnershipRule::Reject, OwnershipRule::Flag] {
        let s = TestServer::with_config(ServerConfig {
            ownership_rule: rule,
            ..ServerConfig::default()
        })
        .await;
        register(&*s.store, &test_org("beta", "0100000002", &[BETA], "01"));
        let foreign = private_event(
            "urn:uuid:f0f0f0f0-0000-4000-8000-00000000f001",
            "ADD",
            "9521234",
            BETA,
            5,
            ("destination", "9521234"),
        );
        let r = s.post_json("/events", &foreign).await;
        match rule {
            OwnershipRule::Reject => {
                let body = assert_problem(r, 400, "epcisException:ValidationException").await;
                let detail = body["detail"].as_str().unwrap();
                assert!(detail.contains("registered to beta"), "{body}");
                assert!(detail.contains(&gtin(BETA, "00001")), "{body}");
                // The same through /capture: the job fails with the same message.
                let job = s
                    .capture(&document(vec![foreign.clone()]), "rollback")
                    .await;
                assert_eq!(job["success"], false, "{job}");
                assert!(
                    job["errors"].to_string().contains("registered to beta"),
                    "{job}"
                );
            }
            OwnershipRule::Flag => {
                assert_eq!(r.status(), 201);
                let seqs = vec![1];
                let flags = s
                    .store
                    .facet_values_of(registry::facets::FLAG, &seqs)
                    .unwrap();
                assert_eq!(flags, vec![(1, "ownership".to_string())]);
            }
        }
    }
}
