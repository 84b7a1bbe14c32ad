//! The binary on PostgreSQL: `copy` from SQLite, and two `traceport serve` processes on one
//! database capturing concurrently. Scratch databases on `TRACEPORT_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); required when `CI` is set.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use store::postgres::scratch::ScratchDatabase;
use store::{PgStore, Store};

fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_traceport"));
    c.env_remove("TRACEPORT_CONFIG")
        .env_remove("TRACEPORT_DATA_DIR")
        .env_remove("TRACEPORT_DATABASE_URL")
        .env_remove("TRACEPORT_LOG")
        .env_remove("RUST_LOG");
    c
}

fn traceport(args: &[&str]) -> Output {
    command().args(args).output().expect("run traceport")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn object_event(id: &str, serial: &str) -> Value {
    json!({
        "type": "ObjectEvent",
        "eventID": id,
        "eventTime": "2026-01-10T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "epcList": [format!("urn:epc:id:sgtin:8934567.000001.{serial}")],
        "action": "OBSERVE",
        "bizStep": "shipping",
    })
}

fn document(events: Vec<Value>) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-01-10T08:00:00+07:00",
        "epcisBody": {"eventList": events}
    })
}

/// A SQLite store copied into PostgreSQL answers the same queries.
#[test]
fn copy_moves_a_sqlite_store_into_postgres() {
    let Some(db) = ScratchDatabase::for_test("tp_cli") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let file = dir.path().join("doc.jsonld");
    let events = (0..30)
        .map(|i| {
            object_event(
                &format!("urn:uuid:00000000-0000-4000-8000-{i:012}"),
                &format!("S{i}"),
            )
        })
        .collect();
    std::fs::write(&file, document(events).to_string()).unwrap();
    let out = traceport(&["--data-dir", data, "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = traceport(&["--data-dir", data, "copy", "--to", db.url()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("events: 30"),
        "{}",
        text(&out.stdout)
    );

    let query = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend([
            "query",
            "--per-page",
            "100",
            "-p",
            "MATCH_epc=urn:epc:id:sgtin:8934567.000001.S7",
        ]);
        let out = traceport(&all);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"].clone()
    };
    let from_sqlite = query(&["--data-dir", data]);
    let from_pg = query(&["--database-url", db.url()]);
    assert_eq!(from_sqlite.as_array().map(Vec::len), Some(1));
    assert_eq!(from_sqlite, from_pg);

    let out = traceport(&["--database-url", db.url(), "migrate"]);
    assert!(
        text(&out.stdout).contains("up to date"),
        "{}",
        text(&out.stdout)
    );
    // The target now holds data: a second copy is refused.
    let out = traceport(&["--data-dir", data, "copy", "--to", db.url()]);
    assert!(!out.status.success());
}

/// A `traceport serve` child process, killed when dropped.
struct Server {
    child: Child,
    base: String,
    // Kept open: a closed pipe would make the server's next line of output fail.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Server {
    fn start(url: &str, data_dir: &str) -> Server {
        let mut child = command()
            .args([
                "--database-url",
                url,
                "--data-dir",
                data_dir,
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start traceport serve");
        let stdout = child.stdout.take().unwrap();
        let mut stdout = BufReader::new(stdout);
        // The first process also announces the operator account it created.
        let mut base = None;
        for _ in 0..5 {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap() == 0 {
                break;
            }
            base = line
                .split_whitespace()
                .find(|w| w.starts_with("http://"))
                .map(str::to_owned);
            if base.is_some() {
                break;
            }
        }
        let base = base.expect("traceport serve printed no URL");
        Server {
            child,
            base,
            _stdout: stdout,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client acting for an organisation registered in the store at `url` that owns the test
/// prefix, with a capture and read token.
fn member_client(url: &str) -> reqwest::Client {
    let out = traceport(&[
        "--database-url",
        url,
        "org",
        "--id",
        "hop-tac-xa",
        "--name",
        "Hợp tác xã",
        "--tax-code",
        "0100000009",
        "--prefix",
        "8934567",
        "--province",
        "01",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = traceport(&[
        "--database-url",
        url,
        "token",
        "create",
        "--org",
        "hop-tac-xa",
        "--scopes",
        "read,capture",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let secret = text(&out.stdout).trim().to_owned();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {secret}")).unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

async fn wait_job(client: &reqwest::Client, url: &str) -> Value {
    for _ in 0..600 {
        let job: Value = client.get(url).send().await.unwrap().json().await.unwrap();
        if job["running"] == false {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("capture job {url} did not finish");
}

/// Two server processes on one database, capturing concurrently: every event stored once
/// with dense, distinct sequence numbers; each job run exactly once; both see the same data.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_serve_processes_share_one_database() {
    let Some(db) = ScratchDatabase::for_test("tp_two") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    // The console migrates and registers; both processes find the schema in place.
    let url = db.url().to_owned();
    let client = tokio::task::spawn_blocking(move || member_client(&url))
        .await
        .unwrap();
    let servers = [
        Server::start(db.url(), &data),
        Server::start(db.url(), &data),
    ];
    let per_doc = 40;
    let docs = 16;
    let mut posts = Vec::new();
    for d in 0..docs {
        let events = (0..per_doc)
            .map(|i| {
                let n = d * per_doc + i;
                object_event(
                    &format!("urn:uuid:00000000-0000-4000-8000-{n:012}"),
                    &format!("T{n}"),
                )
            })
            .collect();
        posts.push((d % 2, document(events)));
    }
    // One more document, sent to both processes at once: its events must be stored once.
    let shared: Vec<Value> = (0..per_doc)
        .map(|i| {
            object_event(
                &format!("urn:uuid:10000000-0000-4000-8000-{i:012}"),
                &format!("D{i}"),
            )
        })
        .collect();
    posts.push((0, document(shared.clone())));
    posts.push((1, document(shared)));

    let tasks: Vec<_> = posts
        .into_iter()
        .map(|(s, doc)| {
            let (client, base) = (client.clone(), servers[s].base.clone());
            tokio::spawn(async move {
                let r = client
                    .post(format!("{base}/capture"))
                    .header("content-type", "application/json")
                    .header("GS1-Capture-Error-Behaviour", "proceed")
                    .body(doc.to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 202);
                let location = r.headers()["location"].to_str().unwrap().to_owned();
                wait_job(&client, &location).await
            })
        })
        .collect();
    let mut jobs = Vec::new();
    for t in tasks {
        jobs.push(t.await.unwrap());
    }
    let expected = (docs * per_doc + per_doc) as i64;
    let stored: i64 = jobs
        .iter()
        .map(|j| j["eventsStored"].as_i64().unwrap())
        .sum();
    assert_eq!(stored, expected, "{jobs:?}");
    for job in &jobs[..docs] {
        assert_eq!(job["success"], true, "{job}");
        assert_eq!(job["errors"], json!([]), "{job}");
    }
    // Of the two jobs with the same events, one stored them all, the other none.
    let mut shared_stored: Vec<i64> = jobs[docs..]
        .iter()
        .map(|j| j["eventsStored"].as_i64().unwrap())
        .collect();
    shared_stored.sort_unstable();
    assert_eq!(shared_stored, vec![0, per_doc as i64]);

    // Every job is visible (and finished) through either process.
    for server in &servers {
        let list: Value = client
            .get(format!("{}/capture?perPage=100", server.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), docs + 2);
        assert!(list.iter().all(|j| j["running"] == false));
    }

    // Dense, distinct sequence numbers, straight from the database.
    let url = db.url().to_owned();
    let seqs = tokio::task::spawn_blocking(move || {
        let store = PgStore::open(&url).unwrap();
        let query = epcis::Query::default();
        let mut seqs = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .query(
                    &query,
                    &store::PageRequest {
                        per_page: 500,
                        after,
                    },
                )
                .unwrap();
            seqs.extend(page.items.iter().map(|e| e.seq));
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        seqs
    })
    .await
    .unwrap();
    assert_eq!(seqs, (1..=expected).collect::<Vec<_>>());
    assert_eq!(seqs.iter().collect::<HashSet<_>>().len() as i64, expected);

    // Both processes answer queries from the same state.
    for server in &servers {
        let doc: Value = client
            .get(format!("{}/events?perPage=1000", server.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let n = doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
            .as_array()
            .unwrap()
            .len() as i64;
        assert_eq!(n, expected);
    }
}
