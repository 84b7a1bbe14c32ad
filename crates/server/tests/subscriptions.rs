//! Subscriptions over real HTTP: a webhook receiver on loopback, signed callbacks, receivers
//! that fail or hang, a server restart in the middle of a stream, schedules and WebSockets.

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::{
    assert_problem, client_with, document, event_ids, object_event, test_org_admin_token,
    TestStore, A1,
};
use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use server::subscriptions::DeliveryConfig;
use server::{AppState, ServerConfig};

/// How the receiver answers.
#[derive(Clone, Copy, PartialEq)]
enum Behaviour {
    Ok,
    Fail,
    Hang,
    Slow(u64),
}

/// One callback as received.
#[derive(Clone)]
struct Callback {
    signature: Option<String>,
    content_type: String,
    body: Bytes,
}

impl Callback {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Clone)]
struct Receiver {
    url: String,
    behaviour: Arc<Mutex<Behaviour>>,
    got: Arc<Mutex<Vec<Callback>>>,
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let behaviour = *r.behaviour.lock().unwrap();
    match behaviour {
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return StatusCode::OK;
        }
        Behaviour::Fail => return StatusCode::INTERNAL_SERVER_ERROR,
        Behaviour::Slow(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Behaviour::Ok => {}
    }
    let header = |n: &str| {
        headers
            .get(n)
            .map(|v| v.to_str().unwrap_or_default().to_string())
    };
    r.got.lock().unwrap().push(Callback {
        signature: header("gs1-signature"),
        content_type: header("content-type").unwrap_or_default(),
        body,
    });
    StatusCode::NO_CONTENT
}

impl Receiver {
    async fn start(behaviour: Behaviour) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let r = Receiver {
            url: format!("http://{addr}/hook"),
            behaviour: Arc::new(Mutex::new(behaviour)),
            got: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(r.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        r
    }

    fn set(&self, b: Behaviour) {
        *self.behaviour.lock().unwrap() = b;
    }

    fn callbacks(&self) -> Vec<Callback> {
        self.got.lock().unwrap().clone()
    }

    /// Every eventID received, in arrival order (repeats included).
    fn ids(&self) -> Vec<String> {
        self.callbacks()
            .iter()
            .flat_map(|c| event_ids(&c.json()))
            .collect()
    }

    async fn wait_for(&self, n: usize, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        loop {
            let ids = self.ids();
            let distinct: HashSet<&String> = ids.iter().collect();
            if distinct.len() >= n {
                return ids;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} events arrived: {ids:?}",
                distinct.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A server that can be stopped and started again over the same data directory.
struct Server {
    base: String,
    /// Bearer token of the client (an administrator of the test organisation).
    token: String,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

fn fast_delivery() -> DeliveryConfig {
    DeliveryConfig {
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        retry_base: Duration::from_millis(50),
        retry_max: Duration::from_millis(400),
        poll: Duration::from_millis(500),
        batch_events: 50,
        // On PostgreSQL a restarted server waits for the stopped one's claims to lapse.
        lease: Duration::from_secs(2),
        ..DeliveryConfig::default()
    }
}

impl Server {
    async fn start(db: &TestStore) -> Server {
        let store = db.open();
        let token = test_org_admin_token(&*store);
        let client = client_with(&token);
        let state = AppState::new(store, ServerConfig::default()).with_delivery(fast_delivery());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server::run(listener, state, async move {
            let _ = rx.await;
        }));
        Server {
            base: format!("http://{addr}"),
            client,
            token,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Stops serving and waits until the store is released.
    async fn stop(mut self) {
        drop(self.client);
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("server did not stop")
                .unwrap()
                .unwrap();
        }
    }

    /// A WebSocket handshake request to `url` carrying the client's bearer token.
    fn ws_request(&self, url: &str) -> tokio_tungstenite::tungstenite::handshake::client::Request {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {}", self.token).parse().unwrap(),
        );
        request
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    async fn delete(&self, path: &str) -> reqwest::Response {
        self.client
            .delete(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    async fn named_query(&self, name: &str, query: Value) {
        let r = self
            .post("/queries", &json!({"name": name, "query": query}))
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }

    async fn subscribe(&self, query: &str, body: Value) -> Value {
        let r = self
            .post(&format!("/queries/{query}/subscriptions"), &body)
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
        let location = r.headers()["location"].to_str().unwrap().to_string();
        let v: Value = r.json().await.unwrap();
        assert!(location.ends_with(&format!(
            "/queries/{query}/subscriptions/{}",
            v["subscriptionID"].as_str().unwrap()
        )));
        v
    }

    /// Captures events with `POST /capture` and waits for the job.
    async fn capture(&self, events: Vec<Value>) {
        let r = self.post("/capture", &document(events)).await;
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
        let location = r.headers()["location"].to_str().unwrap().to_string();
        for _ in 0..400 {
            let job: Value = self.get(&location).await.json().await.unwrap();
            if job["running"] == false {
                assert_eq!(job["success"], true, "{job}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("capture job did not finish");
    }
}

fn event(n: usize, biz_step: &str) -> Value {
    object_event(
        &format!("urn:uuid:00000000-0000-4000-8000-{n:012}"),
        // Distinct times: events differing only in eventID would be duplicates by hash.
        &format!(
            "2024-03-01T{:02}:{:02}:{:02}+07:00",
            n / 3600 % 24,
            n / 60 % 60,
            n % 60
        ),
        "OBSERVE",
        &[A1],
        biz_step,
    )
}

fn id(n: usize) -> String {
    format!("urn:uuid:00000000-0000-4000-8000-{n:012}")
}

fn verify(token: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_mac) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_mac) else {
        return false;
    };
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[tokio::test]
async fn stream_subscription_delivers_matching_events_signed() {
    let db = TestStore::new();
    let s = Server::start(&db).await;
    let receiver = Receiver::start(Behaviour::Ok).await;
    s.named_query("shipping", json!({"EQ_bizStep": ["shipping"]}))
        .await;
    // Events stored before the subscription are not reported (initialRecordTime defaults to now).
    s.capture(vec![event(1, "shipping")]).await;
    let sub = s
        .subscribe(
            "shipping",
            json!({"dest": receiver.url, "signatureToken": "s3cret-token", "stream": true}),
        )
        .await;
    assert_eq!(sub["stream"], true);
    assert!(sub.get("signatureToken").is_none(), "secret echoed: {sub}");
    s.capture(vec![
        event(2, "shipping"),
        event(3, "receiving"),
        event(4, "shipping"),
    ])
    .await;
    let ids = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(ids, vec![id(2), id(4)]);
    for cb in receiver.callbacks() {
        let doc = cb.json();
        assert_eq!(doc["type"], "EPCISQueryDocument");
        assert_eq!(doc["epcisBody"]["queryResults"]["queryName"], "shipping");
        assert_eq!(
            doc["epcisBody"]["queryResults"]["subscriptionID"],
            sub["subscriptionID"]
        );
        assert_eq!(cb.content_type, "application/ld+json");
        let sig = cb.signature.as_deref().expect("GS1-Signature header");
        assert!(verify("s3cret-token", &cb.body, sig), "{sig}");
        assert!(!verify("other-token", &cb.body, sig));
        let mut tampered = cb.body.to_vec();
        tampered.push(b' ');
        assert!(!verify("s3cret-token", &tampered, sig));
    }
    let path = format!(
        "/queries/shipping/subscriptions/{}",
        sub["subscriptionID"].as_str().unwrap()
    );
    // The acknowledgement is recorded just after the receiver answers.
    let mut now = Value::Null;
    for _ in 0..100 {
        now = s.get(&path).await.json().await.unwrap();
        if now["lastNotifiedAt"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(now["lastNotifiedAt"].is_string(), "{now}");
    s.stop().await;
}

#[tokio::test]
async fn subscription_resources_and_bad_input() {
    let db = TestStore::new();
    let s = Server::start(&db).await;
    s.named_query("q", json!({})).await;
    // The public cannot subscribe: a subscription reads on its creator's behalf.
    let anonymous = reqwest::Client::new()
        .post(s.url("/queries/q/subscriptions"))
        .header("content-type", "application/json")
        .body(json!({"dest": "https://example.com/cb", "stream": true}).to_string())
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "epcisException:SecurityException").await;
    let anonymous = reqwest::Client::new()
        .get(s.url("/queries/q/subscriptions"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "epcisException:SecurityException").await;
    let problem = "epcisException:SubscriptionControlsException";
    for body in [
        json!({"dest": "ftp://example.com/x", "stream": true}),
        json!({"dest": "https://user:pass@example.com/cb", "stream": true}),
        json!({"dest": "not a url", "stream": true}),
        json!({"dest": "https://example.com/cb"}),
        json!({"dest": "https://example.com/cb", "stream": true, "schedule": {"minute": "5"}}),
        json!({"dest": "https://example.com/cb", "schedule": {"minute": "61"}}),
        json!({"dest": "https://example.com/cb", "schedule": {"dayOfMonth": "30", "month": "2"}}),
    ] {
        let r = s.post("/queries/q/subscriptions", &body).await;
        assert_problem(r, 400, problem).await;
    }
    let r = s
        .post("/queries/q/subscriptions", &json!({"stream": true}))
        .await;
    assert_problem(r, 400, "epcisException:ValidationException").await;
    let r = s.post("/queries/q/subscriptions", &json!("x")).await;
    assert_problem(r, 400, "epcisException:ValidationException").await;
    let r = s
        .post(
            "/queries/nope/subscriptions",
            &json!({"dest": "https://example.com/cb", "stream": true}),
        )
        .await;
    assert_problem(r, 404, "epcisException:NoSuchNameException").await;
    let r = s.get("/queries/nope/subscriptions").await;
    assert_problem(r, 404, "epcisException:NoSuchNameException").await;

    let a = s
        .subscribe(
            "q",
            json!({"dest": "https://example.com/a", "stream": true}),
        )
        .await;
    let b = s
        .subscribe(
            "q",
            json!({"dest": "https://example.com/b", "reportIfEmpty": true, "schedule": {"hour": "1", "minute": "5"}}),
        )
        .await;
    assert_eq!(b["schedule"], json!({"minute": "5", "hour": "1"}));
    assert_eq!(b["reportIfEmpty"], true);
    assert!(b["createdAt"].is_string());
    let list: Value = s
        .get("/queries/q/subscriptions?perPage=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["subscriptionID"], a["subscriptionID"]);

    let a_path = format!(
        "/queries/q/subscriptions/{}",
        a["subscriptionID"].as_str().unwrap()
    );
    let got: Value = s.get(&a_path).await.json().await.unwrap();
    assert_eq!(got["dest"], "https://example.com/a");
    assert_eq!(s.delete(&a_path).await.status(), 204);
    assert_problem(
        s.get(&a_path).await,
        404,
        "epcisException:NoSuchNameException",
    )
    .await;
    assert_problem(
        s.delete(&a_path).await,
        404,
        "epcisException:NoSuchNameException",
    )
    .await;

    // Deleting the named query removes its subscriptions.
    assert_eq!(s.delete("/queries/q").await.status(), 204);
    s.named_query("q", json!({})).await;
    let list: Value = s
        .get("/queries/q/subscriptions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    s.stop().await;
}

#[tokio::test]
async fn failing_and_hanging_receivers_do_not_block_capture_or_others() {
    let db = TestStore::new();
    let s = Server::start(&db).await;
    let hanging = Receiver::start(Behaviour::Hang).await;
    let failing = Receiver::start(Behaviour::Fail).await;
    let healthy = Receiver::start(Behaviour::Ok).await;
    s.named_query("all", json!({})).await;
    let mut subs = Vec::new();
    for r in [&hanging, &failing, &healthy] {
        subs.push(
            s.subscribe("all", json!({"dest": r.url, "stream": true}))
                .await,
        );
    }
    let started = Instant::now();
    for n in 1..=20 {
        s.capture(vec![event(n, "shipping")]).await;
    }
    // Twenty captures take a few hundred milliseconds; a capture waiting for a callback
    // (2 s timeout here) would take far longer.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "captures took {:?}",
        started.elapsed()
    );
    let ids = healthy.wait_for(20, Duration::from_secs(10)).await;
    assert_eq!(ids, (1..=20).map(id).collect::<Vec<_>>());

    // The failing receiver is retried; its failures are visible; when it recovers it gets
    // everything, in order.
    let failing_path = format!(
        "/queries/all/subscriptions/{}",
        subs[1]["subscriptionID"].as_str().unwrap()
    );
    let mut seen_failures = false;
    for _ in 0..100 {
        let v: Value = s.get(&failing_path).await.json().await.unwrap();
        if v["deliveryFailures"].as_i64().unwrap_or(0) >= 2 {
            assert!(v["lastDeliveryError"]
                .as_str()
                .unwrap_or_default()
                .contains("500"));
            seen_failures = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen_failures, "no retries recorded");
    let metrics = s.get("/metrics").await.text().await.unwrap();
    let counter = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(0)
    };
    assert!(
        counter("traceport_subscription_callbacks_failed_total ") >= 2,
        "{metrics}"
    );
    assert!(
        counter("traceport_subscription_callbacks_delivered_total ") >= 1,
        "{metrics}"
    );
    failing.set(Behaviour::Ok);
    let ids = failing.wait_for(20, Duration::from_secs(10)).await;
    assert_eq!(ids, (1..=20).map(id).collect::<Vec<_>>());
    assert!(hanging.ids().is_empty());
    s.stop().await;
}

#[tokio::test]
async fn restart_mid_stream_delivers_every_event_in_order() {
    let db = TestStore::new();
    // A slow receiver keeps a backlog, so the restart happens with deliveries pending.
    let receiver = Receiver::start(Behaviour::Slow(200)).await;
    let s = Server::start(&db).await;
    s.named_query("all", json!({})).await;
    s.subscribe("all", json!({"dest": receiver.url, "stream": true}))
        .await;
    let total = 120;
    let mut n = 0;
    // Small documents so a callback holds a few events and the backlog is visible.
    while n < 60 {
        s.capture((n + 1..=n + 5).map(|i| event(i, "shipping")).collect())
            .await;
        n += 5;
    }
    let before = receiver.ids().len();
    assert!(before < 60, "no backlog at restart ({before} delivered)");
    s.stop().await;
    let s = Server::start(&db).await;
    while n < total {
        s.capture((n + 1..=n + 5).map(|i| event(i, "shipping")).collect())
            .await;
        n += 5;
    }
    let ids = receiver.wait_for(total, Duration::from_secs(30)).await;
    // Every event arrived; the first arrival of each follows capture order; a callback
    // repeated after the restart repeats a suffix of what came before (at least once).
    let mut first = Vec::new();
    let mut seen = HashSet::new();
    for i in &ids {
        if seen.insert(i.clone()) {
            first.push(i.clone());
        }
    }
    assert_eq!(first, (1..=total).map(id).collect::<Vec<_>>());
    for cb in receiver.callbacks() {
        let batch = event_ids(&cb.json());
        let nums: Vec<usize> = batch
            .iter()
            .map(|i| i.rsplit('-').next().unwrap().parse().unwrap())
            .collect();
        assert!(nums.windows(2).all(|w| w[0] < w[1]), "{nums:?}");
    }
    s.stop().await;
}

#[tokio::test]
async fn scheduled_subscription_reports_at_query_times() {
    let db = TestStore::new();
    let s = Server::start(&db).await;
    let receiver = Receiver::start(Behaviour::Ok).await;
    s.named_query("all", json!({})).await;
    // Every second, reporting even when nothing is new.
    s.subscribe(
        "all",
        json!({"dest": receiver.url, "reportIfEmpty": true, "schedule": {"second": "[0-59]"}}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let empties = receiver.callbacks();
    assert!(empties.len() >= 2, "{} callbacks", empties.len());
    assert!(empties.iter().all(|c| event_ids(&c.json()).is_empty()));
    s.capture(vec![event(1, "shipping"), event(2, "shipping")])
        .await;
    let ids = receiver.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(ids, vec![id(1), id(2)]);
    s.stop().await;
}

#[tokio::test]
async fn websocket_streams_matching_events() {
    let db = TestStore::new();
    let s = Server::start(&db).await;
    s.named_query("shipping", json!({"EQ_bizStep": ["shipping"]}))
        .await;
    let ws_base = s.base.replacen("http://", "ws://", 1);

    // Handshakes that cannot subscribe are refused with a problem, not upgraded.
    for (query, status) in [
        ("shipping/events", 400u16),
        ("shipping/events?stream=true&minute=5", 400),
        ("shipping/events?stream=true&EQ_bizStep=x", 400),
        ("nope/events?stream=true", 404),
    ] {
        let err =
            tokio_tungstenite::connect_async(s.ws_request(&format!("{ws_base}/queries/{query}")))
                .await
                .err()
                .unwrap_or_else(|| panic!("{query} upgraded"));
        match err {
            tokio_tungstenite::tungstenite::Error::Http(r) => {
                assert_eq!(r.status().as_u16(), status, "{query}")
            }
            other => panic!("{query}: {other}"),
        }
    }

    let (mut socket, response) = tokio_tungstenite::connect_async(
        s.ws_request(&format!("{ws_base}/queries/shipping/events?stream=true")),
    )
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 101);
    s.capture(vec![
        event(1, "shipping"),
        event(2, "receiving"),
        event(3, "shipping"),
    ])
    .await;
    let mut got = Vec::new();
    while got.len() < 2 {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("no message")
            .unwrap()
            .unwrap();
        let doc: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
        assert_eq!(doc["type"], "EPCISQueryDocument");
        got.extend(event_ids(&doc));
    }
    assert_eq!(got, vec![id(1), id(3)]);
    // The plain GET still answers with the query's results.
    let doc: Value = s
        .get("/queries/shipping/events")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(event_ids(&doc), vec![id(1), id(3)]);
    // Shutting down closes the open subscription instead of waiting for it forever.
    s.stop().await;
    let last = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("socket not closed");
    assert!(
        matches!(
            last,
            None | Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) | Some(Err(_))
        ),
        "{last:?}"
    );
}

/// Two servers on one PostgreSQL store: the one holding a subscription's claim delivers it,
/// so every event arrives once, whichever server captured it; when that server stops, the
/// other takes over after the lease and goes on from the cursor.
#[tokio::test]
async fn two_servers_on_one_store_deliver_each_event_once() {
    let db = TestStore::new();
    if !db.is_postgres() {
        eprintln!(
            "several servers share a store on PostgreSQL only (TRACEPORT_TEST_BACKEND=postgres)"
        );
        return;
    }
    let receiver = Receiver::start(Behaviour::Ok).await;
    let a = Server::start(&db).await;
    let b = Server::start(&db).await;
    a.named_query("all", json!({})).await;
    a.subscribe("all", json!({"dest": receiver.url, "stream": true}))
        .await;
    // b finds the subscription at its next look (once per lease) and waits for a's claim.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for k in 0..10 {
        let s = if k % 2 == 0 { &a } else { &b };
        s.capture(
            (k * 5 + 1..=k * 5 + 5)
                .map(|i| event(i, "shipping"))
                .collect(),
        )
        .await;
    }
    receiver.wait_for(50, Duration::from_secs(30)).await;
    // A second deliverer would have repeated something by now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.ids(), (1..=50).map(id).collect::<Vec<_>>());
    a.stop().await;
    b.capture((51..=55).map(|i| event(i, "shipping")).collect())
        .await;
    receiver.wait_for(55, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.ids(), (1..=55).map(id).collect::<Vec<_>>());
    b.stop().await;
}
