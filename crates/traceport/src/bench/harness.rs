//! The real server, started in-process on a free local port over a given store.

use std::sync::Arc;

use server::{AppState, ServerConfig};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::CliError;

/// A running in-process server.
pub struct RunningServer {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    /// API token of a member of the verified organisation `bench` (capture).
    pub member_token: String,
    /// API token of a national official (sees every event in full).
    pub reader_token: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Binds 127.0.0.1:0 and serves `store` with `config`.
    pub async fn start(
        store: Arc<dyn store::Backend>,
        config: ServerConfig,
    ) -> Result<RunningServer, CliError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|source| CliError::Listen {
                addr: "127.0.0.1:0".into(),
                source,
            })?;
        let addr = listener.local_addr().map_err(CliError::Serve)?;
        let accounts = store.clone();
        let (member_token, reader_token) =
            tokio::task::spawn_blocking(move || bench_accounts(accounts.as_ref()))
                .await
                .map_err(|e| CliError::Bench(format!("account setup failed: {e}")))??;
        let (stop, stopped) = oneshot::channel::<()>();
        let state = AppState::new(store, config);
        let task = tokio::spawn(server::run(listener, state, async move {
            let _ = stopped.await;
        }));
        Ok(RunningServer {
            base: format!("http://{addr}"),
            member_token,
            reader_token,
            stop,
            task,
        })
    }

    /// Stops gracefully and waits for the server task.
    pub async fn stop(self) -> Result<(), CliError> {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(result) => result.map_err(CliError::Serve),
            Err(e) => Err(CliError::Bench(format!("server task failed: {e}"))),
        }
    }
}

/// Registers the organisation `bench` (verified; it owns no prefixes, so its events are
/// flagged rather than refused under [`bench_config`]) and issues the two tokens.
fn bench_accounts(store: &dyn store::Backend) -> Result<(String, String), CliError> {
    use registry::accounts::{AccountRole, Binding};
    let org = registry::Organisation {
        details: registry::NewOrganisation {
            id: "bench".into(),
            name_vi: "Benchmark".into(),
            name_en: "Benchmark".into(),
            tax_code: "0000000000".into(),
            company_prefixes: Vec::new(),
            glns: Vec::new(),
            address: String::new(),
            province_code: String::new(),
            country: "VN".into(),
            roles: Vec::new(),
        },
        verification: registry::Verification::Verified {
            by: "bench".into(),
            at_ms: 0,
        },
        suspension: None,
        created_ms: 0,
    };
    match store.create_organisation(&org) {
        Ok(()) | Err(store::StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let issue = |role, org: Option<&str>| {
        server::auth::issue_token(
            store,
            "bench",
            Binding {
                role,
                org: org.map(str::to_owned),
                province: None,
            },
            registry::Scope::ALL.to_vec(),
            "bench",
            None,
        )
        .map(|t| t.secret)
    };
    Ok((
        issue(AccountRole::Member, Some("bench"))?,
        issue(AccountRole::NationalOfficial, None)?,
    ))
}

/// An HTTP client sending `token` with every request.
pub fn client_with(token: &str) -> Result<reqwest::Client, CliError> {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|e| CliError::Bench(format!("bad token: {e}")))?;
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .map_err(|e| CliError::Bench(format!("HTTP client: {e}")))
}

/// Server settings for benchmarks: capture documents up to `per_document` events.
pub fn bench_config(per_document: usize) -> ServerConfig {
    let defaults = ServerConfig::default();
    ServerConfig {
        max_capture_events: defaults.max_capture_events.max(per_document),
        max_body_bytes: defaults.max_body_bytes.max(per_document * 4096),
        ownership_rule: server::access::OwnershipRule::Flag,
        ..defaults
    }
}
