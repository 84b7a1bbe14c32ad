//! `/trace` over real HTTP, on the demo data set: JSON graph, FSMA exports, EPCIS export
//! and the official's page.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use common::{assert_problem, enc, TestServer};
use demo::LocationKind;
use serde_json::Value;

async fn demo_server() -> TestServer {
    // The demo's identifiers belong to the demo organisations, not to the test organisation
    // that captures them here: flag them rather than refuse them.
    let s = TestServer::with_config(server::ServerConfig {
        ownership_rule: server::access::OwnershipRule::Flag,
        ..server::ServerConfig::default()
    })
    .await;
    let docs = demo::demo_documents();
    let (chains, corrections) = docs.split_at(3);
    for doc in chains {
        let job = s.capture(doc, "rollback").await;
        assert_eq!(job["success"], true, "{job}");
    }
    // The error declaration repeats an eventID the store already holds: proceed past it.
    for doc in corrections {
        let job = s.capture(doc, "proceed").await;
        assert!(job["eventsStored"].as_u64().unwrap_or(0) > 0, "{job}");
    }
    s
}

fn canonical(id: &str) -> String {
    gs1::canonical_id(id).into_owned()
}

/// The canonical ids of the demo plots whose key starts with `prefix`.
fn plots(prefix: &str) -> BTreeSet<String> {
    demo::locations()
        .into_iter()
        .filter(|l| l.kind == LocationKind::Plot && l.key.starts_with(prefix))
        .map(|l| canonical(&l.gln.location(demo::ids::IdStyle::EpcUrn)))
        .collect()
}

async fn graph(s: &TestServer, query: &str) -> Value {
    let r = s.get(&format!("/trace?{query}")).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    r.json().await.unwrap()
}

fn origin_places(g: &Value) -> BTreeSet<String> {
    g["origins"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["location"].as_str().map(str::to_owned))
        .collect()
}

fn node_ids(g: &Value) -> BTreeSet<String> {
    g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn demo_retail_lots_trace_back_to_their_plots() {
    let s = demo_server().await;
    let lots = demo::demo_lots();

    // Coffee sold in Hà Nội: roasted from three green lots grown on three plots.
    let g = graph(
        &s,
        &format!(
            "key={}&direction=backward",
            enc(&lots.coffee_roasted.epc_class())
        ),
    )
    .await;
    assert_eq!(origin_places(&g), plots("coffee-plot"));
    let nodes = node_ids(&g);
    for green in &lots.coffee_green {
        assert!(
            nodes.contains(&canonical(&green.digital_link())),
            "{} missing",
            green.lot
        );
    }
    assert_eq!(g["truncated"], false);

    // Dried longan: both fresh lots, from plots 12 and 15.
    let g = graph(
        &s,
        &format!(
            "key={}&direction=backward",
            enc(&lots.longan_dried.digital_link())
        ),
    )
    .await;
    assert_eq!(origin_places(&g), plots("longan-plot"));

    // Frozen fillets: the pond.
    let g = graph(
        &s,
        &format!(
            "key={}&direction=backward",
            enc(&lots.pangasius_fillet.epc_class())
        ),
    )
    .await;
    let ponds = plots("pangasius");
    assert!(!ponds.is_empty());
    assert_eq!(origin_places(&g), ponds);
}

#[tokio::test]
async fn forward_from_a_green_lot_reaches_every_outlet() {
    let s = demo_server().await;
    let lots = demo::demo_lots();
    let g = graph(
        &s,
        &format!(
            "key={}&direction=forward",
            enc(&lots.coffee_green[2].digital_link())
        ),
    )
    .await;
    let places: BTreeSet<String> = g["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    for shop in ["shop-hn-store", "shop-hcm-store"] {
        let l = demo::locations()
            .into_iter()
            .find(|l| l.key == shop)
            .unwrap();
        let id = canonical(&l.gln.location(demo::ids::IdStyle::EpcUrn));
        assert!(places.contains(&id), "{shop} not reached: {places:?}");
    }
    // Both pallets carried the roasted lot; the other green lots are not downstream.
    let nodes = node_ids(&g);
    for p in &lots.coffee_pallets {
        assert!(nodes.contains(&canonical(&p.uri(demo::ids::IdStyle::EpcUrn))));
    }
    assert!(!nodes.contains(&canonical(&lots.coffee_green[0].digital_link())));
    // A time window that ends before the roast keeps the trace at the green lot.
    let g = graph(
        &s,
        &format!(
            "key={}&direction=forward&to=2025-12-31",
            enc(&lots.coffee_green[2].digital_link())
        ),
    )
    .await;
    assert_eq!(node_ids(&g).len(), 1);
}

#[tokio::test]
async fn trace_errors_are_problems() {
    let s = demo_server().await;
    // A trace names parties, places and quantities: the public may not run one.
    let anonymous = reqwest::Client::new()
        .get(s.url("/trace?key=(01)08936020033013(10)BM-2601-R07"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "epcisException:SecurityException").await;
    assert_problem(
        s.get("/trace").await,
        400,
        "epcisException:QueryParameterException",
    )
    .await;
    assert_problem(
        s.get("/trace?key=(01)08930000000019").await,
        400,
        "epcisException:QueryParameterException",
    )
    .await;
    assert_problem(
        s.get(&format!("/trace?key={}", enc("(01)04012345123456(10)NOPE")))
            .await,
        404,
        "epcisException:NoSuchNameException",
    )
    .await;
    assert_problem(
        s.get(&format!(
            "/trace?key={}&direction=sideways",
            enc("(01)04012345123456(10)NOPE")
        ))
        .await,
        400,
        "epcisException:QueryParameterException",
    )
    .await;
}

#[tokio::test]
async fn fsma_exports_are_sortable_sheets() {
    let s = demo_server().await;
    let lots = demo::demo_lots();
    let q = format!("key={}", enc(&lots.coffee_roasted.digital_link()));
    let r = s.get(&format!("/trace/fsma.csv?{q}")).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".csv"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("Traceability Lot Code,Product Description,Quantity"));
    assert!(lines.len() > 10, "{csv}");
    let roasted = format!(
        "(01){}(10){}",
        lots.coffee_roasted.gtin.gtin14, lots.coffee_roasted.lot
    );
    assert!(csv.contains(&roasted));
    assert!(
        csv.contains("Transformation") && csv.contains("Shipping") && csv.contains("Harvesting")
    );
    let codes: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "rows are sorted by lot code");

    let r = s.get(&format!("/trace/fsma.xlsx?{q}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = r.bytes().await.unwrap();
    // Check the archive with a real unzip and the sheet XML with xmllint, when installed.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    if let Ok(out) = Command::new("unzip")
        .arg("-p")
        .arg(&path)
        .arg("xl/sharedStrings.xml")
        .output()
    {
        assert!(out.status.success(), "unzip failed");
        let xml = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(xml.contains(&roasted), "the lot code is in the workbook");
        assert!(well_formed(&xml), "sharedStrings.xml is not well-formed");
    } else {
        eprintln!("unzip not installed: XLSX archive not checked");
    }
}

/// True when xmllint accepts `xml` (or is not installed).
fn well_formed(xml: &str) -> bool {
    let Ok(mut child) = Command::new("xmllint")
        .args(["--noout", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        eprintln!("xmllint not installed: XML not checked");
        return true;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    out.status.success()
}

#[tokio::test]
async fn epcis_export_holds_the_trace_events() {
    let s = demo_server().await;
    let lots = demo::demo_lots();
    let q = format!("key={}", enc(&lots.longan_dried.epc_class()));
    let g = graph(&s, &q).await;
    let r = s.get(&format!("/trace/epcis?{q}")).await;
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    // The export is itself a valid EPCIS document.
    let doc =
        epcis::parse_document(&body, &epcis::Limits::default()).expect("a valid EPCIS document");
    let exported: BTreeSet<String> = doc
        .events
        .iter()
        .map(|e| {
            e.as_ref()
                .expect("a valid event")
                .event_id()
                .unwrap()
                .to_owned()
        })
        .collect();
    let traced: BTreeSet<String> = g["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventID"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(exported, traced);
    assert!(exported.len() >= 9);
}

#[tokio::test]
async fn the_page_draws_the_graph_without_scripts() {
    let s = demo_server().await;
    let lots = demo::demo_lots();
    let r = s
        .get(&format!(
            "/trace/view?key={}&direction=both",
            enc(&lots.coffee_roasted.digital_link())
        ))
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script"));
    let start = html.find("<svg").unwrap();
    let end = html.find("</svg>").unwrap() + "</svg>".len();
    let svg = &html[start..end];
    assert!(well_formed(svg), "the SVG is not well-formed XML");
    // One box per identifier, and the plots and both shops' parties listed.
    let g = graph(
        &s,
        &format!("key={}", enc(&lots.coffee_roasted.digital_link())),
    )
    .await;
    assert_eq!(
        svg.matches("<rect").count(),
        g["nodes"].as_array().unwrap().len()
    );
    for p in plots("coffee-plot") {
        assert!(html.contains(&p), "plot {p} not listed");
    }
    assert!(html.contains("Affected parties") && html.contains("fsma.xlsx"));

    // The form alone, and a bad key answered on the page with its status.
    let r = s.get("/trace/view").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("<form"));
    let r = s.get("/trace/view?key=nonsense").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("not a GS1 identifier"));
}
