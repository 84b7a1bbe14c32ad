//! The audit log: writes and authorities' reads are recorded with who, what, when and from
//! where, and officials list those of their province.

mod common;

use common::*;
use registry::accounts::AccountRole;
use serde_json::Value;

#[tokio::test]
async fn writes_and_official_reads_are_audited_per_province() {
    let s = TestServer::start().await; // TEST_ORG is in province 01
    s.load_dataset().await;
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
    let national = client_with(&token(&*s.store, AccountRole::NationalOfficial, None, None));
    // Anonymous reads are not audited; a member's read is not privileged.
    assert_eq!(
        s.anon.get(s.url("/events")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        s.client
            .get(s.url("/events"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = official
        .get(s.url("/events?EQ_bizStep=shipping"))
        .header("x-forwarded-for", "203.0.113.7, 10.0.0.1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let log: Value = official
        .get(s.url("/registry/audit"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = log.as_array().unwrap();
    let capture = entries
        .iter()
        .find(|e| e["method"] == "POST" && e["path"] == "/capture")
        .unwrap_or_else(|| panic!("capture not audited: {log}"));
    assert_eq!(capture["org"], TEST_ORG);
    assert_eq!(capture["province"], "01");
    assert_eq!(capture["status"], 202);
    assert!(capture["actor"].as_str().unwrap().starts_with("token:"));
    assert_eq!(capture["source"], "127.0.0.1");
    let read = entries
        .iter()
        .find(|e| e["path"] == "/events?EQ_bizStep=shipping")
        .unwrap_or_else(|| panic!("official read not audited: {log}"));
    assert_eq!(read["role"], "provincialOfficial");
    assert_eq!(read["source"], "203.0.113.7");
    assert!(
        !entries
            .iter()
            .any(|e| e["method"] == "GET" && e["role"] != "provincialOfficial"),
        "only privileged reads are recorded: {log}"
    );

    // Another province sees none of it (only its own official's reads); national sees all.
    let log: Value = elsewhere
        .get(s.url("/registry/audit"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .all(|e| e["province"] == "33"),
        "{log}"
    );
    let log: Value = national
        .get(s.url("/registry/audit"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["path"] == "/capture"));
    let r = s.client.get(s.url("/registry/audit")).send().await.unwrap();
    assert_problem(r, 403, "epcisException:SecurityException").await;
    let r = s.anon.get(s.url("/registry/audit")).send().await.unwrap();
    assert_problem(r, 401, "epcisException:SecurityException").await;
}
