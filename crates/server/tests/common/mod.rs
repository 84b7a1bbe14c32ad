//! A real server on 127.0.0.1:0 over a fresh store, and a small hand-written data set.
//!
//! The store is SQLite in a temp dir, or, with `TRACEPORT_TEST_BACKEND=postgres`, a scratch
//! database on the PostgreSQL server of `TRACEPORT_TEST_PG_URL` (see [`TestStore`]): the
//! same test binaries then run the HTTP suites on PostgreSQL (scripts/test does both).

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use registry::accounts::{AccountRole, Binding};
use registry::{NewOrganisation, Organisation, Scope, Verification};
use serde_json::{json, Value};
use server::{AppState, ServerConfig};
use store::postgres::scratch::ScratchDatabase;
use store::{Backend, Location};

pub const A1: &str = "https://id.gs1.org/01/09521234543213/21/A1";
pub const A2: &str = "https://id.gs1.org/01/09521234543213/21/A2";
pub const B1: &str = "https://id.gs1.org/01/08931234000011/21/B1";
pub const LOT: &str = "https://id.gs1.org/01/08931234000011/10/LOT1";
pub const SSCC: &str = "https://id.gs1.org/00/089312340000000011";
pub const L1: &str = "https://id.gs1.org/414/8931234000011";
pub const L2: &str = "https://id.gs1.org/414/8931234000028";
pub const DB_FILE: &str = "traceport.db";
pub const CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// Registry id of the organisation the default client belongs to.
pub const TEST_ORG: &str = "test-org";

pub struct TestServer {
    pub base: String,
    /// Authenticated as an administrator of [`TEST_ORG`], which owns the test prefixes.
    pub client: reqwest::Client,
    /// No credentials.
    pub anon: reqwest::Client,
    pub store: Arc<dyn Backend>,
    db: TestStore,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// A fresh store of the backend the tests run on, which can be opened (again) any number of times.
pub struct TestStore {
    dir: tempfile::TempDir,
    pg: Option<ScratchDatabase>,
}

impl TestStore {
    /// SQLite in a new temp dir, or a scratch PostgreSQL database when
    /// `TRACEPORT_TEST_BACKEND=postgres` (then PostgreSQL must answer).
    pub fn new() -> TestStore {
        let pg = match std::env::var("TRACEPORT_TEST_BACKEND").as_deref() {
            Ok("postgres") => Some(
                ScratchDatabase::for_test("tp_http")
                    .expect("TRACEPORT_TEST_BACKEND=postgres needs PostgreSQL"),
            ),
            Ok("sqlite") | Err(_) => None,
            Ok(other) => panic!("TRACEPORT_TEST_BACKEND must be sqlite or postgres, not {other}"),
        };
        TestStore {
            dir: tempfile::tempdir().unwrap(),
            pg,
        }
    }

    /// Where the store is.
    pub fn location(&self) -> Location {
        match &self.pg {
            Some(db) => Location::Postgres(db.url().to_owned()),
            None => Location::Sqlite(self.dir.path().join(DB_FILE)),
        }
    }

    /// True on PostgreSQL (several servers may then share the store).
    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// Opens the store.
    pub fn open(&self) -> Arc<dyn Backend> {
        self.location().open().unwrap()
    }

    /// The data directory (the server's other files; the SQLite store).
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// A verified organisation (registered straight in the store).
pub fn test_org(id: &str, tax_code: &str, prefixes: &[&str], province: &str) -> Organisation {
    Organisation {
        details: NewOrganisation {
            id: id.into(),
            name_vi: format!("Tổ chức {id}"),
            name_en: format!("Organisation {id}"),
            tax_code: tax_code.into(),
            company_prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            glns: vec![],
            address: String::new(),
            province_code: province.into(),
            country: "VN".into(),
            roles: vec![],
        },
        verification: Verification::Verified {
            by: "test".into(),
            at_ms: 0,
        },
        suspension: None,
        created_ms: 0,
    }
}

/// Registers `org`, ignoring an earlier registration of it.
pub fn register(store: &dyn Backend, org: &Organisation) {
    match store.create_organisation(org) {
        Ok(()) | Err(store::StoreError::Conflict(_)) => {}
        Err(e) => panic!("cannot register {}: {e}", org.id()),
    }
}

/// Issues an API token with every scope.
pub fn token(
    store: &dyn Backend,
    role: AccountRole,
    org: Option<&str>,
    province: Option<&str>,
) -> String {
    token_with(store, role, org, province, Scope::ALL.to_vec())
}

/// Issues an API token with the given scopes.
pub fn token_with(
    store: &dyn Backend,
    role: AccountRole,
    org: Option<&str>,
    province: Option<&str>,
    scopes: Vec<Scope>,
) -> String {
    let binding = Binding {
        role,
        org: org.map(str::to_owned),
        province: province.map(str::to_owned),
    };
    server::auth::issue_token(store, "test", binding, scopes, "test", None)
        .unwrap()
        .secret
}

/// Registers [`TEST_ORG`] (owner of the test prefixes) and issues a token for an administrator of it.
pub fn test_org_admin_token(store: &dyn Backend) -> String {
    register(
        store,
        &test_org(
            TEST_ORG,
            "0100000001",
            &["9521234", "8931234", "061414", "8934567"],
            "01",
        ),
    );
    token(store, AccountRole::Admin, Some(TEST_ORG), None)
}

/// A client sending `token` as a bearer token.
pub fn client_with(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::with_config(ServerConfig::default()).await
    }

    pub async fn with_config(config: ServerConfig) -> TestServer {
        TestServer::on(TestStore::new(), config).await
    }

    /// A server over the store `db` (which may already hold data).
    pub async fn on(db: TestStore, config: ServerConfig) -> TestServer {
        TestServer::delivering(db, config, None).await
    }

    /// A server over `db` whose webhooks are delivered as `delivery` says (by default when
    /// `None`).
    pub async fn delivering(
        db: TestStore,
        config: ServerConfig,
        delivery: Option<server::subscriptions::DeliveryConfig>,
    ) -> TestServer {
        let store = db.open();
        let secret = test_org_admin_token(&*store);
        let mut state = AppState::new(store.clone(), config);
        if let Some(d) = delivery {
            state = state.with_delivery(d);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::run(listener, state, async move {
            let _ = rx.await;
        }));
        TestServer {
            base: format!("http://{addr}"),
            client: client_with(&secret),
            anon: reqwest::Client::new(),
            store,
            db,
            _shutdown: tx,
        }
    }

    /// True when the store is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.db.is_postgres()
    }

    /// A second server over the same store, as another process would be (its own
    /// connections and delivery worker); it stops when the returned sender is dropped.
    pub async fn sibling(
        &self,
        delivery: server::subscriptions::DeliveryConfig,
    ) -> (String, tokio::sync::oneshot::Sender<()>) {
        let state = AppState::new(self.db.open(), ServerConfig::default()).with_delivery(delivery);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::run(listener, state, async move {
            let _ = rx.await;
        }));
        (format!("http://{addr}"), tx)
    }

    /// The data directory of the server's store.
    pub fn data_dir(&self) -> &std::path::Path {
        self.db.data_dir()
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.post_raw(path, body.to_string().into_bytes(), &[])
            .await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    /// Captures a document and waits for the job to finish; returns the job.
    pub async fn capture(&self, doc: &Value, behaviour: &str) -> Value {
        let r = self
            .post_raw(
                "/capture",
                doc.to_string().into_bytes(),
                &[("GS1-Capture-Error-Behaviour", behaviour)],
            )
            .await;
        assert_eq!(
            r.status(),
            202,
            "capture refused: {}",
            r.text().await.unwrap_or_default()
        );
        let location = r.headers()["location"].to_str().unwrap().to_string();
        self.wait_job(&location).await
    }

    pub async fn wait_job(&self, location: &str) -> Value {
        for _ in 0..200 {
            let job: Value = self.get(location).await.json().await.unwrap();
            if job["running"] == false {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("capture job {location} did not finish");
    }

    /// The eventIDs of one query page.
    pub async fn ids(&self, path: &str) -> Vec<String> {
        let r = self.get(path).await;
        assert_eq!(
            r.status(),
            200,
            "{path}: {}",
            r.text().await.unwrap_or_default()
        );
        event_ids(&r.json::<Value>().await.unwrap())
    }

    /// Captures the standard data set (rollback) and checks it all landed.
    pub async fn load_dataset(&self) {
        let job = self.capture(&document(dataset()), "rollback").await;
        assert_eq!(job["success"], true, "{job}");
        assert_eq!(self.ids("/events?perPage=100").await.len(), 6);
    }
}

pub fn event_ids(doc: &Value) -> Vec<String> {
    doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .unwrap_or_else(|| panic!("not a query document: {doc}"))
        .iter()
        .map(|e| e["eventID"].as_str().unwrap_or_default().to_string())
        .collect()
}

pub fn document(events: Vec<Value>) -> Value {
    json!({
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-06T00:00:00Z",
        "epcisBody": { "eventList": events }
    })
}

pub fn object_event(id: &str, time: &str, action: &str, epcs: &[&str], biz_step: &str) -> Value {
    json!({
        "type": "ObjectEvent",
        "eventID": id,
        "eventTime": time,
        "eventTimeZoneOffset": "+07:00",
        "epcList": epcs,
        "action": action,
        "bizStep": biz_step,
    })
}

/// Six events with known answers:
/// e1 ObjectEvent ADD [A1,A2] commissioning active rp L1 loc L1, 2024-03-01
/// e2 ObjectEvent OBSERVE [A1] shipping in_transit rp L1, 2024-03-02
/// e3 ObjectEvent OBSERVE [A1] receiving in_progress rp L2 loc L2, 2024-03-03
/// e4 AggregationEvent ADD parent SSCC child [A2] packing, 2024-03-04
/// e5 TransformationEvent in [A1] out [B1], 2024-03-05
/// e6 ObjectEvent OBSERVE quantity 50 KGM of LOT, storing loc L2, 2024-03-06
pub fn dataset() -> Vec<Value> {
    let mut e1 = object_event(
        "urn:uuid:00000000-0000-4000-8000-000000000001",
        "2024-03-01T08:00:00+07:00",
        "ADD",
        &[A1, A2],
        "commissioning",
    );
    e1["disposition"] = json!("active");
    e1["readPoint"] = json!({"id": L1});
    e1["bizLocation"] = json!({"id": L1});
    let mut e2 = object_event(
        "urn:uuid:00000000-0000-4000-8000-000000000002",
        "2024-03-02T08:00:00+07:00",
        "OBSERVE",
        &[A1],
        "shipping",
    );
    e2["disposition"] = json!("in_transit");
    e2["readPoint"] = json!({"id": L1});
    let mut e3 = object_event(
        "urn:uuid:00000000-0000-4000-8000-000000000003",
        "2024-03-03T08:00:00+07:00",
        "OBSERVE",
        &[A1],
        "receiving",
    );
    e3["disposition"] = json!("in_progress");
    e3["readPoint"] = json!({"id": L2});
    e3["bizLocation"] = json!({"id": L2});
    let e4 = json!({
        "type": "AggregationEvent",
        "eventID": "urn:uuid:00000000-0000-4000-8000-000000000004",
        "eventTime": "2024-03-04T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "parentID": SSCC,
        "childEPCs": [A2],
        "action": "ADD",
        "bizStep": "packing",
    });
    let e5 = json!({
        "type": "TransformationEvent",
        "eventID": "urn:uuid:00000000-0000-4000-8000-000000000005",
        "eventTime": "2024-03-05T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "inputEPCList": [A1],
        "outputEPCList": [B1],
    });
    let e6 = json!({
        "type": "ObjectEvent",
        "eventID": "urn:uuid:00000000-0000-4000-8000-000000000006",
        "eventTime": "2024-03-06T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "epcList": [],
        "quantityList": [{"epcClass": LOT, "quantity": 50, "uom": "KGM"}],
        "action": "OBSERVE",
        "bizStep": "storing",
        "bizLocation": {"id": L2},
    });
    vec![e1, e2, e3, e4, e5, e6]
}

pub fn eid(n: u8) -> String {
    format!("urn:uuid:00000000-0000-4000-8000-00000000000{n}")
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

pub fn eids(ns: &[u8]) -> Vec<String> {
    sorted(ns.iter().map(|n| eid(*n)).collect())
}

/// Percent-encodes a path segment or query value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Asserts a problem document of `status` and `type`.
pub async fn assert_problem(r: reqwest::Response, status: u16, ty: &str) -> Value {
    let got = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_string())
        .unwrap_or_default();
    assert!(
        ct.starts_with("application/problem+json"),
        "content-type {ct}"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    assert_eq!(body["type"], ty, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}

/// Share of pixels that are not near-white, and the number of distinct grey levels.
pub fn ink(png_path: &std::path::Path) -> (f64, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = (info.width * info.height) as usize;
    let mut dark = 0usize;
    let mut levels = std::collections::HashSet::new();
    for p in buf[..pixels * channels].chunks(channels) {
        let grey = (u32::from(p[0]) + u32::from(p[1 % channels]) + u32::from(p[2 % channels])) / 3;
        levels.insert(grey / 8);
        if grey < 200 {
            dark += 1;
        }
    }
    (dark as f64 / pixels as f64, levels.len())
}

/// Sends `body` as JSON with `method` (`POST`, `PUT` …) from `client`.
pub async fn send_json(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: &str,
) -> reqwest::Response {
    client
        .request(method, url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// `GET url` from `client`; the body as text.
pub async fn text_of(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// `GET url` from `client`; the body as JSON.
pub async fn json_of(client: &reqwest::Client, url: &str) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

/// Posts a form from `client`.
pub async fn post_form(
    client: &reqwest::Client,
    url: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    client.post(url).form(fields).send().await.unwrap()
}

/// A browser-like client: keeps cookies, does not follow redirects (to see them).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The CSRF token of the first form of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token");
    let rest = &html[at + 19..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// Signs `b` in through the sign-in page.
pub async fn sign_in(s: &TestServer, b: &reqwest::Client, name: &str, password: &str) {
    let r = post_form(
        b,
        &s.url("/ui/login"),
        &[("name", name), ("password", password)],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
}

/// `POST path` with a JSON body from `client`.
pub async fn post_as(
    client: &reqwest::Client,
    s: &TestServer,
    path: &str,
    body: &Value,
) -> reqwest::Response {
    send_json(
        client,
        reqwest::Method::POST,
        &s.url(path),
        &body.to_string(),
    )
    .await
}

/// `PUT path` with JSON text from `client`.
pub async fn put_as(
    client: &reqwest::Client,
    s: &TestServer,
    path: &str,
    body: &str,
) -> reqwest::Response {
    send_json(client, reqwest::Method::PUT, &s.url(path), body).await
}

/// Creates a user who signs in with `password`.
pub fn user(
    store: &dyn Backend,
    name: &str,
    password: &str,
    role: AccountRole,
    org: Option<&str>,
    province: Option<&str>,
) {
    let binding = Binding {
        role,
        org: org.map(str::to_owned),
        province: province.map(str::to_owned),
    };
    server::auth::create_user(store, name, password, binding).unwrap();
}
