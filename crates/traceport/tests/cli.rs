//! The built `traceport` binary, end to end: help, import then query/export, bad input.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

fn traceport(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_traceport"))
        .args(args)
        // Configuration from the test runner's environment must not leak in.
        .env_remove("TRACEPORT_CONFIG")
        .env_remove("TRACEPORT_DATA_DIR")
        .env_remove("TRACEPORT_DATABASE_URL")
        .env_remove("TRACEPORT_LOG")
        .env_remove("RUST_LOG")
        .output()
        .expect("run traceport")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A small valid document: two ObjectEvents on serialised GTIN 08934567000017 (check digit 7).
fn document() -> Value {
    let event = |serial: &str, time: &str| {
        json!({
            "type": "ObjectEvent",
            "eventTime": time,
            "eventTimeZoneOffset": "+07:00",
            "epcList": [format!("urn:epc:id:sgtin:8934567.000001.{serial}")],
            "action": "ADD",
            "bizStep": "commissioning",
            "disposition": "active",
            "readPoint": {"id": "urn:epc:id:sgln:8934567.00001.0"}
        })
    };
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-01-10T08:00:00+07:00",
        "epcisBody": {"eventList": [
            event("A1", "2026-01-10T08:00:00+07:00"),
            event("A2", "2026-01-10T09:00:00+07:00")
        ]}
    })
}

fn write(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

fn event_list(stdout: &[u8]) -> Vec<Value> {
    let doc: Value = serde_json::from_slice(stdout).expect("query prints JSON");
    assert_eq!(doc["type"], "EPCISQueryDocument");
    doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .expect("eventList")
        .clone()
}

#[test]
fn help_documents_every_command() {
    let out = traceport(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for command in [
        "serve", "demo", "import", "query", "export", "generate", "trace", "bench",
    ] {
        assert!(help.contains(command), "--help lacks {command}: {help}");
    }
    let out = traceport(&["serve", "--help"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("TRACEPORT_LISTEN"));
}

#[test]
fn import_then_query_finds_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let file = write(dir.path(), "doc.jsonld", &document());

    let out = traceport(&["--data-dir", data, "import", &file]);
    assert!(out.status.success(), "import failed: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("2 of 2 events stored"),
        "{}",
        text(&out.stdout)
    );

    let out = traceport(&[
        "--data-dir",
        data,
        "query",
        "--param",
        "MATCH_epc=urn:epc:id:sgtin:8934567.000001.A2",
    ]);
    assert!(out.status.success(), "query failed: {}", text(&out.stderr));
    let events = event_list(&out.stdout);
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0]["epcList"][0],
        "urn:epc:id:sgtin:8934567.000001.A2"
    );

    let out = traceport(&["--data-dir", data, "query", "--per-page", "1"]);
    assert!(out.status.success());
    assert_eq!(event_list(&out.stdout).len(), 1);
    assert!(
        text(&out.stderr).contains("--after"),
        "a next cursor is offered: {}",
        text(&out.stderr)
    );

    let export = dir.path().join("export.jsonld");
    let out = traceport(&[
        "--data-dir",
        data,
        "export",
        "--out",
        export.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "export failed: {}", text(&out.stderr));
    let exported: Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
    assert_eq!(exported["type"], "EPCISDocument");
    assert_eq!(
        exported["epcisBody"]["eventList"].as_array().unwrap().len(),
        2
    );

    // The same file again: every event is a duplicate, rollback stores nothing and says so.
    let out = traceport(&["--data-dir", data, "import", &file]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("duplicate"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn invalid_event_is_reported_with_file_and_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let mut doc = document();
    // A time without a zone is invalid in EPCIS 2.0.
    doc["epcisBody"]["eventList"][1]["eventTime"] = json!("2026-01-10T09:00:00");
    let file = write(dir.path(), "bad-time.jsonld", &doc);

    let out = traceport(&["--data-dir", data, "import", &file]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("bad-time.jsonld"), "{err}");
    assert!(err.contains("/epcisBody/eventList/1"), "{err}");

    // Rollback stored nothing; proceed stores the valid event.
    let out = traceport(&["--data-dir", data, "query"]);
    assert!(out.status.success());
    assert!(event_list(&out.stdout).is_empty());
    let out = traceport(&[
        "--data-dir",
        data,
        "import",
        "--error-behaviour",
        "proceed",
        &file,
    ]);
    assert_eq!(out.status.code(), Some(1), "a problem remains a failure");
    let out = traceport(&["--data-dir", data, "query"]);
    assert_eq!(event_list(&out.stdout).len(), 1);
}

#[test]
fn bad_files_and_arguments_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let not_json = dir.path().join("not-json.jsonld");
    std::fs::write(&not_json, b"{ this is not json").unwrap();
    let missing = dir.path().join("missing.jsonld");

    let out = traceport(&[
        "--data-dir",
        data,
        "import",
        not_json.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("not-json.jsonld") && err.contains("line 1"),
        "{err}"
    );
    assert!(
        err.contains("missing.jsonld") && err.contains("cannot read"),
        "{err}"
    );
    assert!(err.contains("2 of 2 files"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let out = traceport(&["--data-dir", data, "query", "--param", "noequalsign"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("NAME=VALUE"));

    let out = traceport(&[
        "--data-dir",
        data,
        "query",
        "--param",
        "EQ_nonsense_param=1",
        "--param",
        "GE_eventTime=yesterday",
    ]);
    assert_eq!(out.status.code(), Some(1));

    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "listen = 12").unwrap();
    let out = traceport(&["--config", config.to_str().unwrap(), "demo"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("bad.toml"));

    let out = traceport(&[
        "--data-dir",
        dir.path().join("nothing-here").to_str().unwrap(),
        "query",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no store"));
}

#[test]
fn generate_writes_valid_files_that_import() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("gen");
    let out = traceport(&[
        "generate",
        "--events",
        "120",
        "--per-document",
        "50",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut files: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3);

    let data = dir.path().join("data");
    let mut args = vec!["--data-dir", data.to_str().unwrap(), "import"];
    args.extend(files.iter().map(String::as_str));
    let out = traceport(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("imported 120 events"),
        "{}",
        text(&out.stdout)
    );
}

/// `backup` then `restore` into another data directory gives the same answers; a restore
/// into a store with data is refused; `migrate` on an up-to-date store changes nothing.
#[test]
fn backup_and_restore_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let file = write(dir.path(), "doc.jsonld", &document());
    let out = traceport(&["--data-dir", data, "migrate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("applied migrations"),
        "{}",
        text(&out.stdout)
    );
    let out = traceport(&["--data-dir", data, "migrate"]);
    assert!(
        text(&out.stdout).contains("up to date"),
        "{}",
        text(&out.stdout)
    );
    assert!(traceport(&["--data-dir", data, "import", &file])
        .status
        .success());

    let dump = dir.path().join("backup.jsonl");
    let dump = dump.to_str().unwrap();
    let out = traceport(&["--data-dir", data, "backup", dump]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("events: 2"),
        "{}",
        text(&out.stdout)
    );

    let other = dir.path().join("other");
    let other = other.to_str().unwrap();
    let out = traceport(&["--data-dir", other, "restore", dump]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let query = |d: &str| {
        let out = traceport(&["--data-dir", d, "query", "--per-page", "10"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        event_list(&out.stdout)
    };
    assert_eq!(query(other), query(data));
    assert_eq!(query(other).len(), 2);

    let out = traceport(&["--data-dir", other, "restore", dump]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("empty store"),
        "{}",
        text(&out.stderr)
    );
    let out = traceport(&["--data-dir", data, "backup", "/nonexistent-dir/x.jsonl"]);
    assert!(!out.status.success());
    let out = traceport(&["--database-url", "mysql://h/db", "migrate"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("postgres://"),
        "{}",
        text(&out.stderr)
    );
}

/// Sends one HTTP/1.1 GET and returns (status, body).
fn http_get(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let (head, body) = response.split_once("\r\n\r\n").expect("header end");
    // Bodies may come chunked; strip the chunk framing (sizes on their own lines).
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).expect("chunk size");
            if n == 0 {
                break;
            }
            out.push_str(&tail[..n]);
            rest = &tail[n + 2..];
        }
        out
    } else {
        body.to_owned()
    };
    (status, body)
}

#[test]
fn serve_demo_answers_the_readme_queries_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_traceport"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("TRACEPORT_CONFIG")
        .env_remove("TRACEPORT_LISTEN")
        .env_remove("TRACEPORT_BASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start traceport serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut loaded = None;
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(n) = line.split("loaded ").nth(1) {
            loaded = n.split(' ').next().and_then(|n| n.parse::<usize>().ok());
        }
        if let Some(rest) = line.split("on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let loaded = loaded.expect("the demo data was loaded before serving");
    assert!(loaded >= 30, "demo data set has {loaded} events");

    // The pallet of dried longan from the README: packed, shipped and received.
    let (status, body) = http_get(
        &addr,
        "/events?MATCH_epc=urn:epc:id:sscc:893601002.32500801",
    );
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    let events = doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .unwrap()
        .clone();
    assert!(events.len() >= 2, "pallet events: {body}");
    let steps: Vec<&str> = events
        .iter()
        .filter_map(|e| e["bizStep"].as_str())
        .collect();
    assert!(steps.iter().any(|s| s.contains("shipping")), "{steps:?}");
    assert!(steps.iter().any(|s| s.contains("receiving")), "{steps:?}");

    // The harvest lot from plot A12, by class.
    let (status, body) = http_get(
        &addr,
        "/events?MATCH_anyEPCClass=https://id.gs1.org/01/08936010011014/10/HY2507-A12",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("HY2507-A12"), "{body}");

    let (status, _) = http_get(&addr, "/openapi.json");
    assert_eq!(status, 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(killed.success());
    let exit = child.wait().expect("wait for traceport");
    assert!(exit.success(), "graceful stop exits 0, got {exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|l| l.contains("traceport stopped")),
        "{rest:?}"
    );

    // A second start on the same data directory keeps the events and does not load them twice.
    let out = traceport(&[
        "query",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--per-page",
        "1000",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(event_list(&out.stdout).len(), loaded);
}

const XML_12: &str = r#"<?xml version="1.0"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2" creationDate="2019-01-01T00:00:00Z" xmlns:ex="https://ns.example.com/epcis/">
<EPCISBody><EventList>
<ObjectEvent><eventTime>2019-01-01T10:00:00Z</eventTime><eventTimeZoneOffset>+07:00</eventTimeZoneOffset>
<epcList><epc>urn:epc:id:sgtin:8934567.000001.1</epc></epcList><action>ADD</action>
<bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep><ex:note>a</ex:note></ObjectEvent>
</EventList></EPCISBody></epcis:EPCISDocument>"#;

#[test]
fn convert_xml_1_2_to_json_and_back_then_import_both() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("in.xml");
    std::fs::write(&xml, XML_12).unwrap();
    let json = dir.path().join("out.jsonld");
    let out = traceport(&[
        "convert",
        xml.to_str().unwrap(),
        "-o",
        json.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("from XML (EPCIS 1.x) to JSON-LD"),
        "{}",
        text(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(doc["schemaVersion"], "2.0");
    assert_eq!(doc["epcisBody"]["eventList"][0]["ex:note"], "a");

    let back = dir.path().join("back.xml");
    let out = traceport(&[
        "convert",
        json.to_str().unwrap(),
        "-o",
        back.to_str().unwrap(),
        "--cbv-format",
        "web",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let back_text = std::fs::read_to_string(&back).unwrap();
    assert!(back_text.contains("urn:epcglobal:epcis:xsd:2"));
    assert!(back_text.contains("https://ref.gs1.org/cbv/BizStep-commissioning"));

    // Import reads XML as well; the converted copy is the same event (a duplicate).
    let data = dir.path().join("data");
    let out = traceport(&[
        "--data-dir",
        data.to_str().unwrap(),
        "import",
        xml.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = traceport(&[
        "--data-dir",
        data.to_str().unwrap(),
        "import",
        back.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("duplicate"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn convert_refuses_bad_input_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.xml");
    std::fs::write(
        &bad,
        "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e \"e\">]>\n<x>&e;</x>",
    )
    .unwrap();
    let out = traceport(&["convert", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn demo_registers_organisations_and_tokens_are_managed_from_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_string_lossy().into_owned();
    let out = traceport(&["--data-dir", &data, "demo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("registered 12 demo organisations"),
        "{}",
        text(&out.stdout)
    );

    let out = traceport(&[
        "--data-dir",
        &data,
        "token",
        "create",
        "--org",
        "longan-coop",
        "--scopes",
        "read,capture",
        "--name",
        "erp",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let secret = text(&out.stdout).trim().to_string();
    assert!(secret.starts_with("tpk_") && secret.len() > 40, "{secret}");
    let out = traceport(&["--data-dir", &data, "token", "list", "--org", "longan-coop"]);
    let listed = text(&out.stdout);
    assert!(
        listed.contains("erp") && listed.contains("read,capture") && listed.contains("usable"),
        "{listed}"
    );
    assert!(!listed.contains(&secret), "the secret is never shown again");
    let id = listed.split('\t').next().unwrap().to_string();
    let out = traceport(&["--data-dir", &data, "token", "revoke", &id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = traceport(&["--data-dir", &data, "token", "list", "--org", "longan-coop"]);
    assert!(
        text(&out.stdout).contains("revoked"),
        "{}",
        text(&out.stdout)
    );

    // Wrong bindings fail with a message.
    for args in [
        vec!["token", "create", "--org", "no-such-org"],
        vec!["token", "create", "--role", "provincial-official"],
        vec![
            "token",
            "create",
            "--role",
            "operator",
            "--org",
            "longan-coop",
        ],
        vec![
            "token",
            "create",
            "--org",
            "longan-coop",
            "--scopes",
            "read,admin",
        ],
    ] {
        let mut full = vec!["--data-dir", data.as_str()];
        full.extend(args.iter().copied());
        let out = traceport(&full);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(!text(&out.stderr).is_empty(), "{args:?} should say why");
    }
    let out = traceport(&[
        "--data-dir",
        &data,
        "user",
        "create",
        "can-bo-hy",
        "--role",
        "provincial-official",
        "--province",
        "33",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("password (shown only now)"));
}

#[test]
fn trace_prints_the_demo_chain_as_a_tree_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_string_lossy().into_owned();
    assert!(traceport(&["--data-dir", &data, "demo"]).status.success());
    let lots = demo::demo_lots();
    let key = lots.coffee_roasted.epc_class();
    let out = traceport(&["--data-dir", &data, "trace", &key]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tree = text(&out.stdout);
    assert!(
        tree.contains("Upstream") && tree.contains("Downstream"),
        "{tree}"
    );
    for green in &lots.coffee_green {
        assert!(tree.contains(&format!("Lot {}", green.lot)), "{tree}");
    }
    assert!(tree.contains("SSCC"), "the pallets downstream: {tree}");

    let out = traceport(&[
        "--data-dir",
        &data,
        "trace",
        &key,
        "--direction",
        "backward",
        "--format",
        "csv",
    ]);
    assert!(out.status.success());
    let csv = text(&out.stdout);
    assert!(csv.starts_with("Traceability Lot Code,") && csv.contains("Harvesting"));

    let xlsx = dir.path().join("t.xlsx");
    let out = traceport(&[
        "--data-dir",
        &data,
        "trace",
        &key,
        "--format",
        "xlsx",
        "--out",
        &xlsx.to_string_lossy(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(&std::fs::read(&xlsx).unwrap()[..2], b"PK");

    // The retail coffee's origin plots, as EUDR GeoJSON: the three Đắk Lắk plots of its green lots.
    let out = traceport(&["--data-dir", &data, "trace", &key, "--format", "geojson"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let geo: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(geo["type"], "FeatureCollection", "{geo}");
    let features = geo["features"].as_array().unwrap();
    let mut plots: Vec<&str> = features
        .iter()
        .map(|f| f["properties"]["plotId"].as_str().unwrap())
        .collect();
    plots.sort_unstable();
    assert_eq!(
        plots,
        ["vn-dlcf-0107", "vn-dlcf-0112", "vn-dlcf-0230"],
        "{geo}"
    );
    for f in features {
        assert_eq!(f["geometry"]["type"], "Point", "{f}");
        assert!(f["properties"]["areaHa"].as_f64().unwrap() <= 4.0, "{f}");
        assert_eq!(f["properties"]["country"], "VN", "{f}");
        assert!(f["properties"]["producer"]["name"].is_string(), "{f}");
        assert!(
            f["properties"]["harvests"][0]["harvestStartDate"].is_string(),
            "{f}"
        );
    }
    // Every coordinate is written with at least six decimals.
    let raw = text(&out.stdout);
    let decimals: Vec<usize> = raw
        .match_indices("\"coordinates\"")
        .flat_map(|(at, _)| registry::places::coordinate_decimals(&raw[at..]))
        .collect();
    assert_eq!(decimals.len(), 6, "{raw}");
    assert!(decimals.iter().all(|d| *d >= 6), "{raw}");

    let out = traceport(&["--data-dir", &data, "trace", "(01)08934567000017"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("names a product, not a lot"));
    let out = traceport(&["--data-dir", &data, "trace", "(01)08934567000017(10)NOPE"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no event names"));
}

#[test]
fn org_registers_a_verified_organisation_whose_members_get_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_string_lossy().into_owned();
    let org = |prefix: &str| {
        traceport(&[
            "--data-dir",
            &data,
            "org",
            "--id",
            "hop-tac-xa",
            "--name",
            "Hợp tác xã",
            "--tax-code",
            "0100000009",
            "--prefix",
            prefix,
            "--province",
            "01",
        ])
    };
    let bad = org("0614141");
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("companyPrefixes"),
        "{}",
        text(&bad.stderr)
    );
    let out = org("8930001");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "hop-tac-xa");
    let again = org("8930002");
    assert!(
        !again.status.success(),
        "a second registration of the same id is refused"
    );
    let out = traceport(&[
        "--data-dir",
        &data,
        "token",
        "create",
        "--org",
        "hop-tac-xa",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).trim().starts_with("tpk_"));
}
