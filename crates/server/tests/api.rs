//! The EPCIS REST API end to end: a real server over SQLite, spoken to with reqwest.

mod common;

use common::*;
use registry::accounts::AccountRole;
use serde_json::{json, Value};
use server::ServerConfig;

#[tokio::test]
async fn capture_rollback_stores_all_or_nothing() {
    let s = TestServer::start().await;
    let mut events = dataset();
    let mut bad = object_event(
        "urn:uuid:bad-1",
        "2024-03-01T08:00:00+07:00",
        "ADD",
        &[A1],
        "shipping",
    );
    bad["epcList"] = json!(["https://id.gs1.org/01/09521234543214/21/X"]);
    events.insert(2, bad);
    let job = s.capture(&document(events), "rollback").await;
    assert_eq!(job["success"], false, "{job}");
    assert_eq!(job["captureErrorBehaviour"], "rollback");
    assert!(job["finishedAt"].is_string());
    let errors = job["errors"].as_array().unwrap();
    assert!(!errors.is_empty());
    assert!(
        errors.iter().any(|e| e["pointer"]
            .as_str()
            .unwrap_or("")
            .starts_with("/epcisBody/eventList/2")),
        "{job}"
    );
    assert!(
        s.ids("/events").await.is_empty(),
        "rollback must store nothing"
    );

    // The good ones alone go through, and appear in the job list.
    let job = s.capture(&document(dataset()), "rollback").await;
    assert_eq!(job["success"], true, "{job}");
    assert_eq!(job["errors"], json!([]));
    assert_eq!(s.ids("/events?perPage=100").await.len(), 6);
    let jobs: Value = s.get("/capture").await.json().await.unwrap();
    assert_eq!(jobs.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn capture_proceed_stores_valid_and_reports_the_rest() {
    let s = TestServer::start().await;
    let good = dataset().remove(0);
    let mut bad = object_event(
        "urn:uuid:bad-2",
        "2024-03-01T08:00:00",
        "ADD",
        &[A1],
        "shipping",
    );
    bad["eventTimeZoneOffset"] = json!("+07:00");
    let dup = good.clone();
    let job = s.capture(&document(vec![good, bad, dup]), "proceed").await;
    assert_eq!(job["success"], false, "{job}");
    assert_eq!(job["captureErrorBehaviour"], "proceed");
    let pointers: Vec<&str> = job["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert!(
        pointers
            .iter()
            .any(|p| p.starts_with("/epcisBody/eventList/1")),
        "{job}"
    );
    assert!(pointers.contains(&"/epcisBody/eventList/2"), "{job}");
    assert_eq!(s.ids("/events").await, vec![eid(1)]);
}

#[tokio::test]
async fn capture_answers_202_with_location_and_limits() {
    let s = TestServer::start().await;
    let r = s.post_json("/capture", &document(dataset())).await;
    assert_eq!(r.status(), 202);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("/capture/"), "{location}");
    assert!(r.headers().contains_key("gs1-epcis-capture-limit"));
    assert!(r
        .headers()
        .contains_key("gs1-epcis-capture-file-size-limit"));
    assert_eq!(r.headers()["gs1-epcis-version"], "2.0.0");
    let job = s.wait_job(&location).await;
    assert_eq!(job["success"], true, "{job}");
    assert!(job["captureID"].is_string());
    assert!(job["createdAt"].is_string());
    assert_problem(
        s.get("/capture/no-such-job").await,
        404,
        "epcisException:NoSuchNameException",
    )
    .await;
}

#[tokio::test]
async fn single_event_201_then_409() {
    let s = TestServer::start().await;
    let mut ev = dataset().remove(1);
    ev.as_object_mut().unwrap().remove("eventID");
    let r = s.post_json("/events", &ev).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.contains("/events/ni%3A%2F%2F%2Fsha-256"),
        "{location}"
    );
    let doc: Value = s.get(&location).await.json().await.unwrap();
    let ids = event_ids(&doc);
    assert_eq!(ids.len(), 1);
    assert!(ids[0].starts_with("ni:///sha-256;"));
    assert_problem(
        s.post_json("/events", &ev).await,
        409,
        "epcisException:ResourceAlreadyExistsException",
    )
    .await;
    assert_problem(
        s.get(&format!("/events/{}", enc("urn:uuid:nope"))).await,
        404,
        "epcisException:NoSuchNameException",
    )
    .await;
}

#[tokio::test]
async fn query_families_have_known_answers() {
    let s = TestServer::start().await;
    s.load_dataset().await;
    let cases: Vec<(String, Vec<u8>)> = vec![
        ("eventType=ObjectEvent".into(), vec![1, 2, 3, 6]),
        (
            "eventType=AggregationEvent%7CTransformationEvent".into(),
            vec![4, 5],
        ),
        ("EQ_bizStep=shipping".into(), vec![2]),
        ("EQ_bizStep=shipping%7Creceiving".into(), vec![2, 3]),
        (
            "GE_eventTime=2024-03-02T08:00:00%2B07:00&LT_eventTime=2024-03-04T00:00:00%2B07:00"
                .into(),
            vec![2, 3],
        ),
        (
            "GE_eventTime=2024-03-02T08:00:00+07:00&LT_eventTime=2024-03-04T00:00:00+07:00".into(),
            vec![2, 3],
        ),
        (format!("MATCH_epc={}", enc(A1)), vec![1, 2, 3]),
        (format!("MATCH_anyEPC={}", enc(A1)), vec![1, 2, 3, 5]),
        (format!("MATCH_anyEPC={}", enc(A2)), vec![1, 4]),
        (format!("MATCH_parentID={}", enc(SSCC)), vec![4]),
        (format!("MATCH_inputEPC={}", enc(A1)), vec![5]),
        (format!("MATCH_outputEPC={}", enc(B1)), vec![5]),
        (format!("MATCH_epcClass={}", enc(LOT)), vec![6]),
        ("EQ_disposition=in_transit".into(), vec![2]),
        (format!("EQ_readPoint={}", enc(L2)), vec![3]),
        (format!("EQ_bizLocation={}", enc(L2)), vec![3, 6]),
        ("EQ_action=ADD".into(), vec![1, 4]),
        (format!("EQ_eventID={}", enc(&eid(3))), vec![3]),
        (
            "EQ_bizStep=shipping&EQ_disposition=in_progress".into(),
            vec![],
        ),
    ];
    for (q, want) in cases {
        let got = sorted(s.ids(&format!("/events?perPage=100&{q}")).await);
        assert_eq!(got, eids(&want), "query {q}");
    }
    // Order and limits.
    let asc = s.ids("/events?orderBy=eventTime&orderDirection=ASC").await;
    assert_eq!(asc.first(), Some(&eid(1)));
    let desc = s.ids("/events?orderBy=eventTime&orderDirection=DESC").await;
    assert_eq!(desc.first(), Some(&eid(6)));
    assert_eq!(
        s.ids("/events?eventType=ObjectEvent&eventCountLimit=2")
            .await
            .len(),
        2
    );
    assert_problem(
        s.get("/events?eventType=ObjectEvent&maxEventCount=2").await,
        413,
        "epcisException:QueryTooLargeException",
    )
    .await;
}

#[tokio::test]
async fn paging_follows_link_to_the_end() {
    let s = TestServer::start().await;
    s.load_dataset().await;
    let mut url =
        "/events?perPage=4&eventType=ObjectEvent%7CAggregationEvent%7CTransformationEvent"
            .to_string();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = s.get(&url).await;
        assert_eq!(r.status(), 200);
        let link = r
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_string());
        let doc: Value = r.json().await.unwrap();
        seen.extend(event_ids(&doc));
        pages += 1;
        match link {
            Some(l) => {
                assert!(l.ends_with("; rel=\"next\""), "{l}");
                url = l
                    .trim_start_matches('<')
                    .split('>')
                    .next()
                    .unwrap()
                    .to_string();
                assert!(url.contains("nextPageToken="), "{url}");
            }
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 2);
    assert_eq!(sorted(seen), eids(&[1, 2, 3, 4, 5, 6]));

    // Tampered token.
    let r = s.get("/events?perPage=2").await;
    let link = r.headers()["link"].to_str().unwrap().to_string();
    let next = link
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_string();
    let tampered = next.replacen("nextPageToken=", "nextPageToken=x", 1);
    assert_problem(
        s.get(&tampered).await,
        400,
        "epcisException:QueryParameterException",
    )
    .await;
    // A token used for another query is refused too.
    let token = next.split("nextPageToken=").nth(1).unwrap();
    assert_problem(
        s.get(&format!(
            "/events?EQ_bizStep=shipping&nextPageToken={token}"
        ))
        .await,
        400,
        "epcisException:QueryParameterException",
    )
    .await;
}

#[tokio::test]
async fn output_formats_follow_headers() {
    let s = TestServer::start().await;
    let mut ev = object_event(
        "urn:uuid:fmt-1",
        "2024-03-01T08:00:00+07:00",
        "OBSERVE",
        &["urn:epc:id:sgtin:0614141.107346.2017"],
        "shipping",
    );
    ev["disposition"] = json!("in_transit");
    assert_eq!(s.post_json("/events", &ev).await.status(), 201);
    let path = format!("/events/{}", enc("urn:uuid:fmt-1"));
    let r = s
        .client
        .get(s.url(&path))
        .header("GS1-EPC-Format", "Always_GS1_Digital_Link")
        .header("GS1-CBV-Format", "Always_Web_URI")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    let e = &doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0];
    assert_eq!(
        e["epcList"][0], "https://id.gs1.org/01/10614141073464/21/2017",
        "{e}"
    );
    assert_eq!(
        e["bizStep"], "https://ref.gs1.org/cbv/BizStep-shipping",
        "{e}"
    );
    let r = s
        .client
        .get(s.url(&path))
        .header("GS1-CBV-Format", "Always_URN")
        .send()
        .await
        .unwrap();
    let doc: Value = r.json().await.unwrap();
    let e = &doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0];
    assert_eq!(e["bizStep"], "urn:epcglobal:cbv:bizstep:shipping", "{e}");
    assert_eq!(
        e["epcList"][0], "urn:epc:id:sgtin:0614141.107346.2017",
        "{e}"
    );
    let r = s
        .client
        .get(s.url("/events"))
        .header("GS1-EPC-Format", "Sometimes")
        .send()
        .await
        .unwrap();
    assert_problem(r, 406, "epcisException:NotAcceptableException").await;
}

#[tokio::test]
async fn top_level_resources() {
    let s = TestServer::start().await;
    s.load_dataset().await;
    let root: Value = s.get("/").await.json().await.unwrap();
    assert_eq!(root["member"].as_array().map(Vec::len), Some(9));
    let types: Value = s.get("/eventTypes").await.json().await.unwrap();
    assert_eq!(types["type"], "Collection");
    assert_eq!(types["member"].as_array().map(Vec::len), Some(5));
    let sub: Value = s.get("/eventTypes/ObjectEvent").await.json().await.unwrap();
    assert_eq!(sub["member"], json!(["events"]));
    assert_eq!(
        sorted(s.ids("/eventTypes/AggregationEvent/events").await),
        eids(&[4])
    );
    assert_problem(
        s.get("/eventTypes/FooEvent").await,
        404,
        "epcisException:NoSuchNameException",
    )
    .await;

    let epcs: Value = s.get("/epcs?perPage=100").await.json().await.unwrap();
    let members: Vec<&str> = epcs["member"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for want in [A1, A2, B1, SSCC] {
        assert!(members.contains(&want), "{want} not in {members:?}");
    }
    assert_eq!(
        sorted(s.ids(&format!("/epcs/{}/events", enc(A1))).await),
        eids(&[1, 2, 3, 5])
    );
    assert_eq!(
        sorted(
            s.ids(&format!("/epcs/{}/events?eventType=ObjectEvent", enc(A1)))
                .await
        ),
        eids(&[1, 2, 3])
    );
    let sub: Value = s
        .get(&format!("/epcs/{}", enc(A1)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sub["member"], json!(["events"]));
    assert_problem(
        s.get(&format!(
            "/epcs/{}",
            enc("https://id.gs1.org/01/09521234543213/21/NONE")
        ))
        .await,
        404,
        "epcisException:NoSuchNameException",
    )
    .await;

    let steps: Value = s.get("/bizSteps").await.json().await.unwrap();
    assert_eq!(steps["member"].as_array().map(Vec::len), Some(5), "{steps}");
    assert_eq!(sorted(s.ids("/bizSteps/shipping/events").await), eids(&[2]));
    let locs: Value = s.get("/bizLocations").await.json().await.unwrap();
    assert_eq!(locs["member"].as_array().map(Vec::len), Some(2), "{locs}");
    assert_eq!(
        sorted(s.ids(&format!("/bizLocations/{}/events", enc(L2))).await),
        eids(&[3, 6])
    );
    let rps: Value = s.get("/readPoints").await.json().await.unwrap();
    assert_eq!(rps["member"].as_array().map(Vec::len), Some(2), "{rps}");
    assert_eq!(
        sorted(s.ids(&format!("/readPoints/{}/events", enc(L1))).await),
        eids(&[1, 2])
    );
    let disp: Value = s.get("/dispositions").await.json().await.unwrap();
    assert_eq!(disp["member"].as_array().map(Vec::len), Some(3), "{disp}");
    assert_eq!(
        sorted(s.ids("/dispositions/in_transit/events").await),
        eids(&[2])
    );

    // Paging a collection.
    let r = s.get("/epcs?perPage=2").await;
    assert!(r.headers().contains_key("link"));
    // Restricting twice is refused.
    assert_problem(
        s.get("/bizSteps/shipping/events?EQ_bizStep=receiving")
            .await,
        400,
        "epcisException:QueryParameterException",
    )
    .await;
}

#[tokio::test]
async fn named_queries() {
    let s = TestServer::start().await;
    s.load_dataset().await;
    let def = json!({"name": "shipped", "query": {"EQ_bizStep": ["shipping", "receiving"], "eventType": ["ObjectEvent"]}});
    let r = s.post_json("/queries", &def).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("/queries/shipped"));
    assert_problem(
        s.post_json("/queries", &def).await,
        409,
        "epcisException:ResourceAlreadyExistsException",
    )
    .await;
    let got: Value = s.get("/queries/shipped").await.json().await.unwrap();
    assert_eq!(got["name"], "shipped");
    assert_eq!(got["query"], def["query"]);
    let list: Value = s.get("/queries").await.json().await.unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(
        sorted(s.ids("/queries/shipped/events").await),
        eids(&[2, 3])
    );
    let r = s.get("/queries/shipped/events?perPage=1").await;
    let link = r.headers()["link"].to_str().unwrap().to_string();
    let next = link
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(s.ids(&next).await.len(), 1);
    assert_problem(
        s.post_json(
            "/queries",
            &json!({"name": "bad", "query": {"EQ_nonsense": ["x"]}}),
        )
        .await,
        400,
        "epcisException:QueryParameterException",
    )
    .await;
    let r = s
        .client
        .delete(s.url("/queries/shipped"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_problem(
        s.get("/queries/shipped").await,
        404,
        "epcisException:NoSuchNameException",
    )
    .await;
    assert_problem(
        s.get("/queries/shipped/events").await,
        404,
        "epcisException:NoSuchNameException",
    )
    .await;
    let r = s
        .client
        .delete(s.url("/queries/shipped"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, "epcisException:NoSuchNameException").await;
}

#[tokio::test]
async fn options_discovery_and_version_headers() {
    let s = TestServer::start().await;
    for (path, allow) in [
        ("/", "OPTIONS, GET"),
        ("/events", "OPTIONS, GET, POST"),
        ("/capture", "OPTIONS, GET, POST"),
        ("/queries", "OPTIONS, GET, POST"),
        ("/queries/x", "OPTIONS, GET, DELETE"),
        ("/epcs/x/events", "OPTIONS, GET"),
        ("/eventTypes", "OPTIONS, GET"),
    ] {
        let r = s
            .client
            .request(reqwest::Method::OPTIONS, s.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{path}");
        let h = r.headers();
        assert_eq!(h["allow"], allow, "{path}");
        for name in [
            "gs1-epcis-version",
            "gs1-cbv-version",
            "gs1-epcis-min",
            "gs1-epcis-max",
            "gs1-epc-format",
            "gs1-vendor-version",
            "gs1-extensions",
        ] {
            assert!(h.contains_key(name), "{path} lacks {name}");
        }
    }
    let r = s
        .client
        .request(reqwest::Method::OPTIONS, s.url("/capture"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["gs1-epcis-capture-limit"], "10000");
    assert_eq!(r.headers()["gs1-capture-error-behaviour"], "all");
    let r = s.get("/events").await;
    assert_eq!(r.headers()["gs1-epcis-version"], "2.0.0");
    assert_eq!(r.headers()["gs1-cbv-version"], "2.0.0");
}

#[tokio::test]
async fn ops_endpoints() {
    let s = TestServer::start().await;
    assert_eq!(s.get("/healthz").await.status(), 200);
    assert_eq!(s.get("/readyz").await.status(), 200);
    let api: Value = s.get("/openapi.json").await.json().await.unwrap();
    assert!(api["paths"]["/events"].is_object());
    s.load_dataset().await;
    let text = s.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(
            "traceport_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("traceport_events_captured_total 6"), "{text}");
    assert!(
        text.contains("traceport_capture_jobs_accepted_total 1"),
        "{text}"
    );
}

/// Every bad-input class gets its 4xx problem, the server stays up, and nothing is stored.
#[tokio::test]
async fn bad_input_is_refused_cleanly() {
    let s = TestServer::with_config(ServerConfig {
        max_body_bytes: 64 * 1024,
        ..ServerConfig::default()
    })
    .await;
    let good = dataset().remove(1);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut e = good.clone();
        f(&mut e);
        e
    };

    // Malformed JSON, with line and column.
    let body = assert_problem(
        s.post_raw(
            "/capture",
            b"{\n  \"type\": \"EPCISDocument\",\n  oops".to_vec(),
            &[],
        )
        .await,
        400,
        "epcisException:ValidationException",
    )
    .await;
    assert_eq!(body["line"], 3, "{body}");
    assert!(body["column"].is_number(), "{body}");
    assert_problem(
        s.post_raw("/events", b"{\"type\":".to_vec(), &[]).await,
        400,
        "epcisException:ValidationException",
    )
    .await;
    // Not an EPCIS document.
    assert_problem(
        s.post_json("/capture", &json!({"hello": "world"})).await,
        400,
        "epcisException:ValidationException",
    )
    .await;

    // Wrong types, unknown event type, bad check digit, time without zone: field pointers.
    let cases = [
        (with(&|e| e["eventTime"] = json!(5)), "/eventTime"),
        (with(&|e| e["type"] = json!("FooEvent")), "/type"),
        (
            with(&|e| e["epcList"] = json!(["https://id.gs1.org/01/09521234543214/21/A1"])),
            "/epcList/0",
        ),
        (
            with(&|e| e["eventTime"] = json!("2024-03-02T08:00:00")),
            "/eventTime",
        ),
        (with(&|e| e["epcList"] = json!("not-a-list")), "/epcList"),
    ];
    for (event, pointer) in cases {
        let body = assert_problem(
            s.post_json("/events", &event).await,
            400,
            "epcisException:ValidationException",
        )
        .await;
        let text = body.to_string();
        assert!(text.contains(pointer), "expected {pointer} in {text}");
    }

    // Deep nesting.
    let mut deep = json!("x");
    for _ in 0..200 {
        deep = json!([deep]);
    }
    let nested = with(&|e| e["example:deep"] = deep.clone());
    let body = assert_problem(
        s.post_json("/events", &nested).await,
        400,
        "epcisException:ValidationException",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap_or("").contains("nesting"),
        "{body}"
    );
    assert_problem(
        s.post_json("/capture", &document(vec![nested.clone()]))
            .await,
        400,
        "epcisException:ValidationException",
    )
    .await;

    // Oversized body: refused with the limits advertised.
    let big = vec![b' '; 65 * 1024];
    let r = s.post_raw("/capture", big.clone(), &[]).await;
    assert_eq!(r.headers()["gs1-epcis-capture-file-size-limit"], "65536");
    assert_problem(r, 413, "epcisException:CaptureLimitExceededException").await;
    assert_problem(
        s.post_raw("/events", big, &[]).await,
        413,
        "epcisException:CaptureLimitExceededException",
    )
    .await;

    // Too many events.
    let s_small = TestServer::with_config(ServerConfig {
        max_capture_events: 2,
        ..ServerConfig::default()
    })
    .await;
    assert_problem(
        s_small.post_json("/capture", &document(dataset())).await,
        413,
        "epcisException:CaptureLimitExceededException",
    )
    .await;

    // Invalid UTF-8.
    let mut bytes = good.to_string().into_bytes();
    bytes.splice(20..20, [0xff, 0xfe]);
    assert_problem(
        s.post_raw("/events", bytes, &[]).await,
        400,
        "epcisException:ValidationException",
    )
    .await;

    // Unsupported media type.
    let r = s
        .client
        .post(s.url("/events"))
        .header("content-type", "text/plain")
        .body(good.to_string())
        .send()
        .await
        .unwrap();
    assert_problem(r, 415, "epcisException:UnsupportedMediaTypeException").await;

    // Unknown query parameter, bad perPage.
    assert_problem(
        s.get("/events?EQ_nonsense=1").await,
        400,
        "epcisException:QueryParameterException",
    )
    .await;
    assert_problem(
        s.get("/events?perPage=zero").await,
        400,
        "epcisException:QueryParameterException",
    )
    .await;
    assert_problem(
        s.get("/events?GE_eventTime=yesterday").await,
        400,
        "epcisException:QueryParameterException",
    )
    .await;

    // Wrong method, unknown route.
    let r = s.client.delete(s.url("/events")).send().await.unwrap();
    assert!(r
        .headers()
        .get("allow")
        .is_some_and(|a| a.to_str().unwrap_or("").contains("POST")));
    assert_problem(r, 405, "about:blank").await;
    assert_problem(
        s.get("/nowhere").await,
        404,
        "epcisException:NoSuchNameException",
    )
    .await;

    // Bad capture behaviour header.
    assert_problem(
        s.post_raw(
            "/capture",
            document(dataset()).to_string().into_bytes(),
            &[("GS1-Capture-Error-Behaviour", "maybe")],
        )
        .await,
        400,
        "epcisException:ValidationException",
    )
    .await;

    // The server is still up and nothing was stored.
    assert_eq!(s.get("/healthz").await.status(), 200);
    assert!(s.ids("/events").await.is_empty());
}

/// A rollback job of the test organisation for `doc`, accepted straight into `store` (as
/// `POST /capture` leaves it before its worker runs); returns its id.
fn accepted_job(store: &dyn store::Backend, doc: &str) -> String {
    let job =
        store::Store::create_capture_job(store, store::AppendMode::AllOrNothing, doc.as_bytes())
            .unwrap();
    store::AccountStore::set_capture_job_owner(store, &job.id, TEST_ORG).unwrap();
    job.id
}

/// A job accepted before a restart (stored, never processed) is finished by the next server.
#[tokio::test]
async fn unfinished_jobs_resume_at_start() {
    let db = TestStore::new();
    let id = {
        let store = db.open();
        accepted_job(&*store, &document(dataset()).to_string())
    };
    let s = TestServer::on(db, ServerConfig::default()).await;
    let job = s.wait_job(&format!("/capture/{}", enc(&id))).await;
    assert_eq!(job["success"], true, "{job}");
    assert_eq!(s.ids("/events?perPage=100").await.len(), 6);
}

/// A job whose events were committed but whose outcome was not (the server stopped between
/// the two) is finished by the next server as a success, not failed as duplicates of itself.
#[tokio::test]
async fn a_job_interrupted_after_its_append_resumes_as_a_success() {
    let db = TestStore::new();
    let id = {
        let store = db.open();
        let doc = document(dataset()).to_string();
        let id = accepted_job(&*store, &doc);
        let parsed = epcis::parse_any_document(doc.as_bytes(), &epcis::Limits::default()).unwrap();
        let events: Vec<store::NewEvent> = parsed
            .events
            .into_iter()
            .map(|e| store::NewEvent::from_event(e.unwrap(), 1_770_000_000_000))
            .collect();
        let outcome =
            store::Store::append_for_job(&*store, &id, events, store::AppendMode::AllOrNothing)
                .unwrap();
        assert!(outcome.all_stored());
        id
    };
    let s = TestServer::on(db, ServerConfig::default()).await;
    let job = s.wait_job(&format!("/capture/{}", enc(&id))).await;
    assert_eq!(job["success"], true, "{job}");
    assert_eq!(job["eventsStored"], 6, "{job}");
    assert_eq!(job["errors"], serde_json::json!([]), "{job}");
    assert_eq!(store::Store::event_count(&*s.store).unwrap(), 6);
}

#[tokio::test]
async fn metrics_are_for_operators_loopback_or_when_public() {
    let s = TestServer::with_config(ServerConfig {
        metrics_loopback: false,
        ..ServerConfig::default()
    })
    .await;
    assert_problem(
        s.anon.get(s.url("/metrics")).send().await.unwrap(),
        401,
        "epcisException:SecurityException",
    )
    .await;
    assert_problem(
        s.get("/metrics").await,
        403,
        "epcisException:SecurityException",
    )
    .await;
    let operator = client_with(&token(&*s.store, AccountRole::Operator, None, None));
    let r = operator.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("traceport_http_requests_total"));
    assert_eq!(
        s.anon.get(s.url("/healthz")).send().await.unwrap().status(),
        200
    );

    // Loopback (the default): straight from this host yes, forwarded by a proxy no.
    let s = TestServer::start().await;
    assert_eq!(
        s.anon.get(s.url("/metrics")).send().await.unwrap().status(),
        200
    );
    let r = s
        .anon
        .get(s.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let s = TestServer::with_config(ServerConfig {
        metrics_public: true,
        metrics_loopback: false,
        ..ServerConfig::default()
    })
    .await;
    assert_eq!(
        s.anon.get(s.url("/metrics")).send().await.unwrap().status(),
        200
    );
}
