//! The XML binding over HTTP: capture in XML (2.0 and 1.2), answers in XML by content
//! negotiation with the GS1 format headers, `POST /convert`, header master data kept, and
//! hostile or wrong XML refused with the element and the line while the server stays up.

mod common;

use common::{assert_problem, TestServer};
use epcis::Limits;
use serde_json::Value;

const XML_12: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2"
    creationDate="2019-01-01T00:00:00Z" xmlns:ex="https://ns.example.com/epcis/">
  <EPCISHeader>
    <extension>
      <EPCISMasterData>
        <VocabularyList>
          <Vocabulary type="urn:epcglobal:epcis:vtype:BusinessLocation">
            <VocabularyElementList>
              <VocabularyElement id="urn:epc:id:sgln:8934567.00001.0">
                <attribute id="urn:epcglobal:cbv:mda#name">Vuon nhan Hung Yen</attribute>
              </VocabularyElement>
            </VocabularyElementList>
          </Vocabulary>
        </VocabularyList>
      </EPCISMasterData>
    </extension>
  </EPCISHeader>
  <EPCISBody>
    <EventList>
      <ObjectEvent>
        <eventTime>2019-01-01T10:00:00Z</eventTime>
        <eventTimeZoneOffset>+07:00</eventTimeZoneOffset>
        <epcList><epc>urn:epc:id:sgtin:8934567.012345.1001</epc></epcList>
        <action>ADD</action>
        <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
        <bizLocation><id>urn:epc:id:sgln:8934567.00001.0</id></bizLocation>
        <extension>
          <ilmd><ex:harvest>2019-01-01</ex:harvest></ilmd>
        </extension>
        <ex:note>nhan &amp; vai</ex:note>
      </ObjectEvent>
      <extension>
        <TransformationEvent>
          <eventTime>2019-01-02T10:00:00Z</eventTime>
          <eventTimeZoneOffset>+07:00</eventTimeZoneOffset>
          <inputEPCList><epc>urn:epc:id:sgtin:8934567.012345.1001</epc></inputEPCList>
          <outputEPCList><epc>urn:epc:id:sgtin:8934567.054321.1</epc></outputEPCList>
          <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
        </TransformationEvent>
      </extension>
    </EventList>
  </EPCISBody>
</epcis:EPCISDocument>"#;

async fn post(
    server: &TestServer,
    path: &str,
    content_type: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = server
        .client
        .post(server.url(path))
        .header("content-type", content_type)
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn get(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = server.client.get(server.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn capture_xml(server: &TestServer, xml: &str) -> Value {
    let r = post(server, "/capture", "application/xml", xml, &[]).await;
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
    let location = r.headers()["location"].to_str().unwrap().to_string();
    server.wait_job(&location).await
}

fn hashes(bytes: &[u8]) -> Vec<String> {
    let doc = epcis::parse_any_document(bytes, &Limits::default()).unwrap();
    let mut h: Vec<String> = doc.events.into_iter().map(|e| e.unwrap().hash()).collect();
    h.sort();
    h
}

#[tokio::test]
async fn xml_capture_is_queried_back_in_both_bindings_with_the_same_hashes() {
    let server = TestServer::start().await;
    let job = capture_xml(&server, XML_12).await;
    assert_eq!(job["success"], true, "{job}");
    assert_eq!(job["eventsStored"], 2, "{job}");

    let r = get(&server, "/events", &[("accept", "application/xml")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/xml");
    let xml = r.text().await.unwrap();
    assert!(xml.contains("EPCISQueryDocument") && xml.contains("urn:epcglobal:epcis:xsd:2"));
    assert!(
        xml.contains("xmlns:ex=\"https://ns.example.com/epcis/\""),
        "{xml}"
    );
    assert_eq!(hashes(xml.as_bytes()), hashes(XML_12.as_bytes()));

    let r = get(&server, "/events", &[]).await;
    assert_eq!(r.headers()["content-type"], "application/ld+json");
    let json = r.bytes().await.unwrap();
    assert_eq!(hashes(&json), hashes(XML_12.as_bytes()));
    let doc: Value = serde_json::from_slice(&json).unwrap();
    let first = &doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0];
    assert_eq!(
        first["@context"]["ex"], "https://ns.example.com/epcis/",
        "{first}"
    );
    assert_eq!(first["ex:note"], "nhan & vai");

    // The header's master data is kept for the registries.
    let element = server_store(&server)
        .master_data_element(
            "urn:epcglobal:epcis:vtype:BusinessLocation",
            "urn:epc:id:sgln:8934567.00001.0",
        )
        .unwrap()
        .expect("master data stored");
    assert_eq!(
        element.element["attributes"][0]["attribute"],
        "Vuon nhan Hung Yen"
    );
}

fn server_store(server: &TestServer) -> std::sync::Arc<dyn store::Backend> {
    server.store.clone()
}

#[tokio::test]
async fn negotiation_and_format_headers() {
    let server = TestServer::start().await;
    let job = capture_xml(&server, XML_12).await;
    assert_eq!(job["success"], true, "{job}");

    let r = get(&server, "/events", &[("accept", "text/html")]).await;
    assert_problem(r, 406, "epcisException:NotAcceptableException").await;
    let r = get(
        &server,
        "/events",
        &[("accept", "application/json;q=0.4, text/xml;q=0.9")],
    )
    .await;
    assert_eq!(r.headers()["content-type"], "application/xml");

    let r = get(
        &server,
        "/events?eventType=ObjectEvent",
        &[
            ("accept", "application/xml"),
            ("GS1-CBV-XML-Format", "Always_Web_URI"),
            ("GS1-EPC-Format", "Always_GS1_Digital_Link"),
        ],
    )
    .await;
    let xml = r.text().await.unwrap();
    assert!(
        xml.contains("<bizStep>https://ref.gs1.org/cbv/BizStep-commissioning</bizStep>"),
        "{xml}"
    );
    assert!(
        xml.contains("<epc>https://id.gs1.org/01/08934567123457/21/1001</epc>"),
        "{xml}"
    );
    let r = get(
        &server,
        "/events?eventType=ObjectEvent",
        &[
            ("accept", "application/xml"),
            ("GS1-CBV-XML-Format", "Always_URN"),
        ],
    )
    .await;
    let xml = r.text().await.unwrap();
    assert!(
        xml.contains("<bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>"),
        "{xml}"
    );
}

#[tokio::test]
async fn single_xml_event_and_event_by_id_in_xml() {
    let server = TestServer::start().await;
    let event = r#"<ObjectEvent xmlns:ex="https://ns.example.com/epcis/">
        <eventTime>2024-01-02T10:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
        <eventID>urn:uuid:7a0c1f4e-0000-4000-8000-000000000001</eventID>
        <epcList><epc>urn:epc:id:sgtin:8934567.012345.7</epc></epcList><action>OBSERVE</action>
        <ex:x>1</ex:x></ObjectEvent>"#;
    let r = post(&server, "/events", "text/xml", event, &[]).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let r = get(
        &server,
        "/events/urn:uuid:7a0c1f4e-0000-4000-8000-000000000001",
        &[("accept", "application/xml")],
    )
    .await;
    assert_eq!(r.status(), 200);
    let xml = r.text().await.unwrap();
    assert!(xml.contains("<ex:x>1</ex:x>"), "{xml}");
    assert_eq!(
        hashes(xml.as_bytes()),
        hashes(event_document(event).as_bytes())
    );
}

fn event_document(event: &str) -> String {
    format!(
        "<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\" schemaVersion=\"2.0\" creationDate=\"2024-01-01T00:00:00Z\"><EPCISBody><EventList>{event}</EventList></EPCISBody></epcis:EPCISDocument>"
    )
}

#[tokio::test]
async fn hostile_and_wrong_xml_is_refused_and_the_server_stays_up() {
    let server = TestServer::start().await;
    let laughs =
        format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">{}]>\n<lolz>&lol9;</lolz>",
        (1..10)
            .map(|i| format!("<!ENTITY lol{i} \"{}\">", format!("&lol{};", i - 1).repeat(10)))
            .collect::<String>()
    );
    let external = "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><x>&xxe;</x>";
    let parameter = "<!DOCTYPE x [<!ENTITY % p SYSTEM \"http://127.0.0.1:9/p.dtd\"> %p;]><x/>";
    let deep = format!(
        "<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\">{}{}</epcis:EPCISDocument>",
        "<a>".repeat(10_000),
        "</a>".repeat(10_000)
    );
    let attrs: String = (0..1000).map(|i| format!(" a{i}=\"x\"")).collect();
    let many = format!("<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\"{attrs}/>");
    let long_text = event_document(&format!(
        "<ObjectEvent><eventTime>{}</eventTime></ObjectEvent>",
        "9".repeat(2 << 20)
    ));
    for (name, body) in [
        ("billion laughs", laughs.as_str()),
        ("external entity", external),
        ("parameter entity", parameter),
        ("deep nesting", deep.as_str()),
        ("many attributes", many.as_str()),
        ("huge text node", long_text.as_str()),
    ] {
        let r = post(&server, "/capture", "application/xml", body, &[]).await;
        let problem = assert_problem(r, 400, "epcisException:ValidationException").await;
        assert!(problem["line"].as_u64().is_some(), "{name}: {problem}");
    }
    let wrong = "<?xml version=\"1.0\"?>\n<epcis:EPCISDocument xmlns:epcis=\"urn:example:wrong\"/>";
    let r = post(&server, "/capture", "application/xml", wrong, &[]).await;
    let problem = assert_problem(r, 400, "epcisException:ValidationException").await;
    assert_eq!(problem["line"], 2);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("<epcis:EPCISDocument>") && d.contains("urn:example:wrong")),
        "{problem}"
    );
    // A 1.2 document with an element that has no place in its event: the job fails naming
    // the element and its line.
    let misplaced = XML_12.replace(
        "<action>ADD</action>",
        "<action>ADD</action>\n<colour>red</colour>",
    );
    let job = capture_xml(&server, &misplaced).await;
    assert_eq!(job["success"], false, "{job}");
    let line = 1 + misplaced
        .lines()
        .position(|l| l.contains("<colour>"))
        .unwrap();
    let detail = job["errors"][0]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        detail.contains("<colour>") && detail.contains(&format!("line {line}")),
        "{job}"
    );
    assert_eq!(get(&server, "/healthz", &[]).await.status(), 200);
    assert_eq!(server.ids("/events").await.len(), 0);
}

#[tokio::test]
async fn convert_endpoint_round_trips() {
    let server = TestServer::start().await;
    let r = post(&server, "/convert", "application/xml", XML_12, &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/ld+json");
    let json = r.text().await.unwrap();
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["schemaVersion"], "2.0");
    assert_eq!(
        doc["epcisHeader"]["epcisMasterData"]["vocabularyList"][0]["type"],
        "urn:epcglobal:epcis:vtype:BusinessLocation"
    );
    let r = post(&server, "/convert", "application/ld+json", &json, &[]).await;
    assert_eq!(r.headers()["content-type"], "application/xml");
    let xml = r.text().await.unwrap();
    assert_eq!(hashes(xml.as_bytes()), hashes(XML_12.as_bytes()));
    assert_eq!(hashes(json.as_bytes()), hashes(XML_12.as_bytes()));
    let r = post(
        &server,
        "/convert",
        "application/xml",
        XML_12,
        &[("accept", "application/xml")],
    )
    .await;
    let xml2 = r.text().await.unwrap();
    assert!(xml2.contains("urn:epcglobal:epcis:xsd:2"));
    let bad = XML_12.replace("<action>ADD</action>", "<action>NOPE</action>");
    let r = post(&server, "/convert", "application/xml", &bad, &[]).await;
    assert_problem(r, 400, "epcisException:ValidationException").await;
}
