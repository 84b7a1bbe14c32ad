//! The XML binding: XML and JSON-LD forms of the same events give the same JSON-LD and the
//! same canonical hashes; EPCIS 1.2 reads as 2.0; writing and reading back is lossless for
//! the hash; hostile and wrong input is refused with the element and the line.

use epcis::document::DocumentKind;
use epcis::xml::{parse_xml_document, parse_xml_event, write_document, XmlEvents};
use epcis::{parse_document, DocumentError, Limits};
use serde_json::{json, Value};

fn hashes_of(doc: &epcis::Document) -> Vec<String> {
    doc.events
        .iter()
        .map(|e| match e {
            Ok(e) => e.hash(),
            Err(errors) => panic!("invalid event: {errors:?}"),
        })
        .collect()
}

const XML_20: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0"
    creationDate="2024-01-02T03:04:05Z" xmlns:ex="https://ns.example.com/epcis/"
    xmlns:cbvmda="urn:epcglobal:cbv:mda:">
  <EPCISBody>
    <EventList>
      <ObjectEvent>
        <eventTime>2024-01-02T10:00:00.000+07:00</eventTime>
        <eventTimeZoneOffset>+07:00</eventTimeZoneOffset>
        <epcList><epc>urn:epc:id:sgtin:8934567.012345.1001</epc></epcList>
        <action>ADD</action>
        <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
        <disposition>urn:epcglobal:cbv:disp:active</disposition>
        <readPoint><id>urn:epc:id:sgln:8934567.00001.0</id></readPoint>
        <bizTransactionList>
          <bizTransaction type="urn:epcglobal:cbv:btt:po">urn:epcglobal:cbv:bt:8934567000001:PO1</bizTransaction>
        </bizTransactionList>
        <sensorElementList>
          <sensorElement>
            <sensorMetadata time="2024-01-02T09:59:00Z" ex:note="n1"/>
            <sensorReport type="gs1:Temperature" value="26.5" uom="CEL"/>
            <sensorReport type="gs1:RelativeHumidity" value="70" uom="A93" booleanValue="true"/>
          </sensorElement>
        </sensorElementList>
        <ilmd>
          <cbvmda:lotNumber>LOT-7</cbvmda:lotNumber>
          <ex:grade>A</ex:grade>
        </ilmd>
        <ex:farm><ex:plot>P-12</ex:plot><ex:plot>P-13</ex:plot></ex:farm>
        <ex:note>longan &amp; lychee</ex:note>
      </ObjectEvent>
      <AggregationEvent>
        <eventTime>2024-01-02T11:00:00Z</eventTime>
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
        <parentID>urn:epc:id:sscc:8934567.0000000001</parentID>
        <childEPCs><epc>urn:epc:id:sgtin:8934567.012345.1001</epc></childEPCs>
        <action>ADD</action>
        <bizStep>urn:epcglobal:cbv:bizstep:packing</bizStep>
        <childQuantityList>
          <quantityElement><epcClass>urn:epc:class:lgtin:8934567.012345.LOT7</epcClass><quantity>12.5</quantity><uom>KGM</uom></quantityElement>
        </childQuantityList>
      </AggregationEvent>
      <TransformationEvent>
        <eventTime>2024-01-03T08:00:00Z</eventTime>
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
        <inputEPCList><epc>urn:epc:id:sgtin:8934567.012345.1001</epc></inputEPCList>
        <outputQuantityList>
          <quantityElement><epcClass>urn:epc:class:lgtin:8934567.054321.DRY1</epcClass><quantity>3</quantity><uom>KGM</uom></quantityElement>
        </outputQuantityList>
        <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
        <sourceList><source type="urn:epcglobal:cbv:sdt:owning_party">urn:epc:id:pgln:8934567.00001</source></sourceList>
      </TransformationEvent>
    </EventList>
  </EPCISBody>
</epcis:EPCISDocument>"#;

fn json_20() -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                     {"ex": "https://ns.example.com/epcis/"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-01-02T03:04:05Z",
        "epcisBody": {"eventList": [
            {
                "type": "ObjectEvent", "eventTime": "2024-01-02T03:00:00Z", "eventTimeZoneOffset": "+07:00",
                "epcList": ["https://id.gs1.org/01/08934567123457/21/1001"],
                "action": "ADD", "bizStep": "commissioning", "disposition": "active",
                "readPoint": {"id": "https://id.gs1.org/414/8934567000017"},
                "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:8934567000001:PO1"}],
                "sensorElementList": [{
                    "sensorMetadata": {"time": "2024-01-02T09:59:00.000Z", "ex:note": "n1"},
                    "sensorReport": [
                        {"type": "RelativeHumidity", "value": 70, "uom": "A93", "booleanValue": true},
                        {"type": "Temperature", "value": 26.5, "uom": "CEL"}
                    ]
                }],
                "ilmd": {"cbvmda:lotNumber": "LOT-7", "ex:grade": "A"},
                "ex:note": "longan & lychee",
                "ex:farm": {"ex:plot": ["P-13", "P-12"]}
            },
            {
                "type": "AggregationEvent", "eventTime": "2024-01-02T11:00:00Z", "eventTimeZoneOffset": "+00:00",
                "parentID": "urn:epc:id:sscc:8934567.0000000001",
                "childEPCs": ["urn:epc:id:sgtin:8934567.012345.1001"], "action": "ADD", "bizStep": "packing",
                "childQuantityList": [{"epcClass": "urn:epc:class:lgtin:8934567.012345.LOT7", "quantity": 12.5, "uom": "KGM"}]
            },
            {
                "type": "TransformationEvent", "eventTime": "2024-01-03T08:00:00Z", "eventTimeZoneOffset": "+00:00",
                "inputEPCList": ["urn:epc:id:sgtin:8934567.012345.1001"],
                "outputQuantityList": [{"epcClass": "urn:epc:class:lgtin:8934567.054321.DRY1", "quantity": 3, "uom": "KGM"}],
                "bizStep": "commissioning",
                "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:8934567.00001"}]
            }
        ]}
    })
}

#[test]
fn xml_and_json_ld_of_the_same_events_hash_the_same() {
    let xml = parse_xml_document(XML_20.as_bytes(), &Limits::default()).unwrap();
    let json = parse_document(json_20().to_string().as_bytes(), &Limits::default()).unwrap();
    assert_eq!(xml.kind, DocumentKind::EpcisDocument);
    assert_eq!(hashes_of(&xml), hashes_of(&json));
    let first = xml.events[0].as_ref().unwrap().json();
    assert_eq!(first["ex:farm"]["ex:plot"], json!(["P-12", "P-13"]));
    assert_eq!(
        first["sensorElementList"][0]["sensorReport"][0]["value"],
        json!(26.5)
    );
    assert_eq!(
        first["sensorElementList"][0]["sensorReport"][1]["booleanValue"],
        json!(true)
    );
    assert_eq!(first["ex:note"], "longan & lychee");
}

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
                <attribute id="urn:epcglobal:cbv:mda#countryCode">VN</attribute>
                <children><id>urn:epc:id:sgln:8934567.00001.1</id></children>
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
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
        <baseExtension>
          <eventID>urn:uuid:4b0d3a43-3b5a-4d3c-9a55-1d1b2c3d4e5f</eventID>
        </baseExtension>
        <epcList/>
        <action>ADD</action>
        <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
        <extension>
          <quantityList>
            <quantityElement><epcClass>urn:epc:class:lgtin:8934567.012345.L1</epcClass><quantity>100</quantity><uom>KGM</uom></quantityElement>
          </quantityList>
          <ilmd><ex:harvest>2019-01-01</ex:harvest></ilmd>
        </extension>
        <ex:note>1.2</ex:note>
      </ObjectEvent>
      <QuantityEvent>
        <eventTime>2019-01-01T11:00:00Z</eventTime>
        <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
        <epcClass>urn:epc:class:lgtin:8934567.012345.L1</epcClass>
        <quantity>40</quantity>
        <bizStep>urn:epcglobal:cbv:bizstep:inspecting</bizStep>
      </QuantityEvent>
      <extension>
        <TransformationEvent>
          <eventTime>2019-01-02T10:00:00Z</eventTime>
          <eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
          <inputEPCList><epc>urn:epc:id:sgtin:8934567.012345.1</epc></inputEPCList>
          <outputEPCList><epc>urn:epc:id:sgtin:8934567.054321.1</epc></outputEPCList>
          <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
        </TransformationEvent>
      </extension>
    </EventList>
  </EPCISBody>
</epcis:EPCISDocument>"#;

#[test]
fn epcis_1_2_reads_as_2_0() {
    let doc = parse_xml_document(XML_12.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(doc.events.len(), 3);
    let object = doc.events[0].as_ref().unwrap();
    assert_eq!(
        object.event_id(),
        Some("urn:uuid:4b0d3a43-3b5a-4d3c-9a55-1d1b2c3d4e5f")
    );
    assert_eq!(object.json()["quantityList"][0]["quantity"], json!(100));
    assert_eq!(object.json()["ilmd"]["ex:harvest"], "2019-01-01");
    let quantity = doc.events[1].as_ref().unwrap().json();
    assert_eq!(quantity["type"], "ObjectEvent");
    assert_eq!(quantity["action"], "OBSERVE");
    assert_eq!(
        quantity["quantityList"],
        json!([{"epcClass": "urn:epc:class:lgtin:8934567.012345.L1", "quantity": 40}])
    );
    assert_eq!(
        doc.events[2].as_ref().unwrap().json()["type"],
        "TransformationEvent"
    );
    assert_eq!(doc.master_data.len(), 1);
    let element = &doc.master_data[0]["vocabularyElementList"][0];
    assert_eq!(element["id"], "urn:epc:id:sgln:8934567.00001.0");
    assert_eq!(element["attributes"][0]["attribute"], "Vuon nhan Hung Yen");
    assert_eq!(element["children"][0], "urn:epc:id:sgln:8934567.00001.1");

    // The 1.2 form and its 2.0 JSON-LD equivalent hash the same.
    let json = json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                     {"ex": "https://ns.example.com/epcis/"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2019-01-01T00:00:00Z",
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent", "eventTime": "2019-01-01T10:00:00Z", "eventTimeZoneOffset": "+00:00",
            "eventID": "urn:uuid:4b0d3a43-3b5a-4d3c-9a55-1d1b2c3d4e5f",
            "epcList": [], "action": "ADD", "bizStep": "commissioning",
            "quantityList": [{"epcClass": "urn:epc:class:lgtin:8934567.012345.L1", "quantity": 100, "uom": "KGM"}],
            "ilmd": {"ex:harvest": "2019-01-01"}, "ex:note": "1.2"
        }]}
    });
    let json = parse_document(json.to_string().as_bytes(), &Limits::default()).unwrap();
    assert_eq!(object.hash(), hashes_of(&json)[0]);
}

#[test]
fn json_to_xml_and_back_keeps_every_hash() {
    let json = parse_document(json_20().to_string().as_bytes(), &Limits::default()).unwrap();
    let mut events: Vec<epcis::Event> = json.events.into_iter().map(Result::unwrap).collect();
    // Stored events carry their own context; write them the way the server does.
    events.iter_mut().for_each(|e| e.embed_context());
    let objects: Vec<_> = events.iter().map(|e| e.json()).collect();
    let xml = write_document(
        DocumentKind::EpcisQueryDocument,
        "2024-01-05T00:00:00Z",
        Some("SimpleEventQuery"),
        &[],
        &objects,
        &epcis::context::Namespaces::standard(),
    )
    .unwrap();
    let back = parse_xml_document(xml.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(back.kind, DocumentKind::EpcisQueryDocument);
    let original: Vec<String> = events.iter().map(|e| e.hash()).collect();
    assert_eq!(hashes_of(&back), original);
    // The extension namespace survived: declared on the event, read back under its prefix.
    assert!(
        xml.contains("xmlns:ex=\"https://ns.example.com/epcis/\""),
        "{xml}"
    );
    assert_eq!(
        back.events[0].as_ref().unwrap().json()["ex:note"],
        "longan & lychee"
    );
}

#[test]
fn xml_to_xml_keeps_every_hash() {
    let first = parse_xml_document(XML_12.as_bytes(), &Limits::default()).unwrap();
    let events: Vec<_> = first.events.iter().map(|e| e.as_ref().unwrap()).collect();
    let objects: Vec<_> = events.iter().map(|e| e.json()).collect();
    let namespaces = events[0].namespaces().clone();
    let xml = write_document(
        DocumentKind::EpcisDocument,
        "2024-01-05T00:00:00Z",
        None,
        &first.master_data,
        &objects,
        &namespaces,
    )
    .unwrap();
    assert!(xml.contains("urn:epcglobal:epcis:xsd:2"));
    let second = parse_xml_document(xml.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(hashes_of(&second), hashes_of(&first));
    assert_eq!(second.master_data, first.master_data);
}

#[test]
fn single_event_bodies() {
    let event = r#"<ObjectEvent xmlns:ex="https://ns.example.com/epcis/">
        <eventTime>2024-01-02T10:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
        <epcList><epc>urn:epc:id:sgtin:8934567.012345.1</epc></epcList><action>OBSERVE</action>
        <ex:x>1</ex:x></ObjectEvent>"#;
    let e = parse_xml_event(event.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(e.json()["ex:x"], "1");
    let two = parse_xml_event(XML_20.as_bytes(), &Limits::default());
    assert!(matches!(two, Err(DocumentError::Invalid(_))));
}

fn xml_error(bytes: &str) -> (usize, String) {
    match parse_xml_document(bytes.as_bytes(), &Limits::default()) {
        Err(DocumentError::Xml { line, message }) => (line, message),
        other => panic!("expected an XML error, got {other:?}"),
    }
}

#[test]
fn wrong_namespace_and_structure_name_the_element_and_line() {
    let (line, message) = xml_error(
        "<?xml version=\"1.0\"?>\n\n<epcis:EPCISDocument xmlns:epcis=\"urn:example:not-epcis\"/>",
    );
    assert_eq!(line, 3);
    assert!(
        message.contains("<epcis:EPCISDocument>") && message.contains("urn:example:not-epcis"),
        "{message}"
    );

    let (line, message) =
        xml_error(&XML_12.replace("<QuantityEvent>", "<Bogus/>\n      <QuantityEvent>"));
    assert!(message.contains("<Bogus>"), "{message}");
    assert_eq!(
        line,
        1 + XML_12
            .lines()
            .position(|l| l.contains("<QuantityEvent>"))
            .unwrap()
    );

    // A misplaced element inside an event is that event's error, with its line.
    let bad = XML_12.replace(
        "<action>ADD</action>",
        "<action>ADD</action><colour>red</colour>",
    );
    let doc = parse_xml_document(bad.as_bytes(), &Limits::default()).unwrap();
    let errors = doc.events[0].as_ref().unwrap_err();
    let expected_line = 1 + XML_12
        .lines()
        .position(|l| l.contains("<action>ADD"))
        .unwrap();
    assert!(errors[0].message.contains("<colour>"), "{errors:?}");
    assert!(
        errors[0].message.contains(&format!("line {expected_line}")),
        "{errors:?}"
    );
    assert_eq!(errors[0].pointer, "/epcisBody/eventList/0");
    assert!(doc.events[1].is_ok());

    // Validation errors of an XML event say where the event is.
    let bad = XML_20.replace("<action>ADD</action>", "<action>MOVE</action>");
    let doc = parse_xml_document(bad.as_bytes(), &Limits::default()).unwrap();
    let errors = doc.events[0].as_ref().unwrap_err();
    assert_eq!(errors[0].pointer, "/epcisBody/eventList/0/action");
    assert!(
        errors[0].message.contains("XML event at line 7"),
        "{errors:?}"
    );
}

#[test]
fn hostile_documents_are_refused() {
    let laughs = XML_20.replacen(
        "<epcis:EPCISDocument",
        "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol1 \"&lol;&lol;&lol;&lol;\">]>\n<epcis:EPCISDocument",
        1,
    )
    .replace("longan &amp; lychee", "&lol1;");
    assert!(xml_error(&laughs).1.contains("document type"));
    let external = XML_20.replacen(
        "<epcis:EPCISDocument",
        "<!DOCTYPE x SYSTEM \"file:///etc/passwd\">\n<epcis:EPCISDocument",
        1,
    );
    assert!(xml_error(&external).1.contains("document type"));
    let entity = XML_20.replace("longan &amp; lychee", "&xxe;");
    assert!(xml_error(&entity).1.contains("entities"));
    let deep = XML_20.replace(
        "<ex:note>longan &amp; lychee</ex:note>",
        &format!("{}x{}", "<ex:n>".repeat(40), "</ex:n>".repeat(40)),
    );
    assert!(xml_error(&deep).1.contains("deeper"));
    let attrs: String = (0..100).map(|i| format!(" a{i}=\"1\"")).collect();
    let many = XML_20.replace("<ex:note>", &format!("<ex:note{attrs}>"));
    assert!(xml_error(&many).1.contains("attributes"));
    let long = XML_20.replace("longan &amp; lychee", &"x".repeat(2 * 1024 * 1024));
    let limits = Limits {
        max_bytes: 64 * 1024 * 1024,
        ..Limits::default()
    };
    assert!(matches!(
        parse_xml_document(long.as_bytes(), &limits),
        Err(DocumentError::Xml { .. })
    ));
    let small = Limits {
        max_bytes: 1000,
        ..Limits::default()
    };
    assert!(matches!(
        XmlEvents::new(std::io::BufReader::new(XML_20.as_bytes()), &small)
            .and_then(|r| r.collect::<Result<Vec<_>, _>>()),
        Err(DocumentError::TooLarge(_))
    ));
    // A bare `<!DOCTYPE name>` declares nothing and is accepted (GS1's examples carry one).
    let bare = XML_20.replacen(
        "<epcis:EPCISDocument",
        "<!DOCTYPE project>\n<epcis:EPCISDocument",
        1,
    );
    assert!(parse_xml_document(bare.as_bytes(), &Limits::default()).is_ok());
}

/// A reader that produces a long document on the fly, never holding it whole.
struct Generated {
    head: Vec<u8>,
    events: usize,
    produced: usize,
    pending: Vec<u8>,
    pos: usize,
    done: bool,
}

impl std::io::Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.pending.len() {
            self.pos = 0;
            self.pending = if !self.head.is_empty() {
                std::mem::take(&mut self.head)
            } else if self.produced < self.events {
                self.produced += 1;
                format!(
                    "<ObjectEvent><eventTime>2024-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>\
                     <epcList><epc>urn:epc:id:sgtin:8934567.012345.{}</epc></epcList><action>OBSERVE</action></ObjectEvent>\n",
                    self.produced
                )
                .into_bytes()
            } else if !self.done {
                self.done = true;
                b"</EventList></EPCISBody></epcis:EPCISDocument>".to_vec()
            } else {
                return Ok(0);
            };
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn streams_event_by_event() {
    let input = Generated {
        head: b"<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\" schemaVersion=\"2.0\" creationDate=\"2024-01-01T00:00:00Z\"><EPCISBody><EventList>\n".to_vec(),
        events: 20_000,
        produced: 0,
        pending: Vec::new(),
        pos: 0,
        done: false,
    };
    let limits = Limits {
        max_bytes: usize::MAX,
        max_events: usize::MAX,
        ..Limits::default()
    };
    let reader = XmlEvents::new(std::io::BufReader::new(input), &limits).unwrap();
    let mut count = 0;
    for event in reader {
        let event = event.unwrap().unwrap();
        count += 1;
        if count == 20_000 {
            assert_eq!(
                event.json()["epcList"][0],
                "urn:epc:id:sgtin:8934567.012345.20000"
            );
        }
    }
    assert_eq!(count, 20_000);
}
