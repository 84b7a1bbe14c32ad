//! The traceport HTTP service: axum routes for the EPCIS 2.0 REST API.
//! HTTP lives only here; handlers are thin over `epcis` (parse, validate) and `store`.

pub mod access;
pub mod audit;
pub mod auth;
pub mod capture;
pub mod convert;
pub mod events;
pub mod headers;
pub mod html;
pub mod links;
pub mod login_limit;
pub mod openapi;
pub mod ops;
pub mod paging;
pub mod passport;
pub mod passport_data;
pub mod places_api;
pub mod problem;
pub mod queries;
pub mod recalls;
pub mod registry_api;
pub mod registry_passport;
pub mod resolve;
pub mod resources;
mod routes;
pub mod scans;
pub mod session;
pub mod stamps;
pub mod subscriptions;
pub mod trace;
pub mod trace_page;
pub mod ttl_cache;
pub mod web;

use std::sync::Arc;

use store::{Backend, StoreError};

use crate::problem::ApiError;

/// Service settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Public base URL used in `Location` and `Link` headers (e.g. `http://localhost:8080`); derived from `Host` when `None`.
    pub base_url: Option<String>,
    /// Largest accepted request body (capture documents), bytes.
    pub max_body_bytes: usize,
    /// Most events in one capture document.
    pub max_capture_events: usize,
    /// Default and maximum `perPage`.
    pub default_per_page: usize,
    /// Largest `perPage` a client may ask for.
    pub max_per_page: usize,
    /// Secret that signs `nextPageToken`s; with `None` a random one per process (tokens then
    /// do not survive a restart, nor work across several server processes).
    pub page_token_secret: Option<String>,
    /// Deepest JSON nesting accepted in a request body.
    pub max_json_depth: usize,
    /// What capture does with identifiers the capturing organisation does not own.
    pub ownership_rule: access::OwnershipRule,
    /// Bearer token that may manage resolver links for any GTIN (the operator's), until
    /// link management is tied to the organisation owning the company prefix.
    pub link_admin_token: Option<String>,
    /// Accept Digital Link 1.0 short names (`/gtin/…/lot/…`) on resolver paths.
    pub legacy_digital_links: bool,
    /// Serve `/metrics` to anyone (else operators only, and loopback per `metrics_loopback`).
    pub metrics_public: bool,
    /// Serve `/metrics` to requests straight from this host (loopback, not forwarded).
    pub metrics_loopback: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            base_url: None,
            max_body_bytes: 16 * 1024 * 1024,
            max_capture_events: 10_000,
            default_per_page: 30,
            max_per_page: 1_000,
            page_token_secret: None,
            max_json_depth: 32,
            ownership_rule: access::OwnershipRule::Reject,
            link_admin_token: None,
            legacy_digital_links: false,
            metrics_public: false,
            metrics_loopback: true,
        }
    }
}

impl ServerConfig {
    /// The parser limits these settings imply.
    pub fn limits(&self) -> epcis::Limits {
        epcis::Limits {
            max_bytes: self.max_body_bytes,
            max_events: self.max_capture_events,
            max_depth: self.max_json_depth,
            ..epcis::Limits::default()
        }
    }
}

/// Everything a handler needs, shared: every request clones the state (once per layer that
/// takes it), so it is one reference count rather than one per part.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl std::ops::Deref for AppState {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// The parts of an [`AppState`].
#[derive(Clone)]
pub struct AppParts {
    /// The store.
    pub store: Arc<dyn Backend>,
    /// Settings.
    pub config: Arc<ServerConfig>,
    /// Request and capture counters.
    pub metrics: Arc<ops::Metrics>,
    /// The queue feeding the capture worker.
    pub capture_queue: capture::CaptureQueue,
    /// Key signing page tokens.
    pub(crate) page_key: Arc<paging::PageKey>,
    /// Subscription wake-ups, commands and the callback client.
    pub subscriptions: Arc<subscriptions::Hub>,
    /// Resolver links per key.
    pub links: Arc<resolve::LinkCache>,
    /// Scan records on their way to the store.
    pub scans: Arc<scans::ScanRecorder>,
    /// Product, party and recall lookups for the passport page.
    pub passport: Arc<dyn passport_data::PassportData>,
    /// Failed sign-ins, for throttling.
    pub login_limit: Arc<login_limit::LoginLimiter>,
}

impl AppState {
    /// Builds the state.
    pub fn new(store: Arc<dyn Backend>, config: ServerConfig) -> AppState {
        let page_key = match &config.page_token_secret {
            Some(secret) => {
                use sha2::Digest;
                let digest = sha2::Sha512::digest(secret.as_bytes());
                let mut key = [0u8; 64];
                key.copy_from_slice(&digest);
                key
            }
            None => {
                let mut key = [0u8; 64];
                rand::Rng::fill(&mut rand::thread_rng(), &mut key[..]);
                key
            }
        };
        let passport = Arc::new(registry_passport::RegistryData::new(
            store.clone(),
            Arc::new(passport_data::NoRegistry),
        ));
        AppState(Arc::new(AppParts {
            store,
            config: Arc::new(config),
            metrics: Arc::new(ops::Metrics::default()),
            capture_queue: capture::CaptureQueue::new(),
            page_key: Arc::new(page_key),
            subscriptions: Arc::new(subscriptions::Hub::default()),
            links: Arc::default(),
            scans: Arc::default(),
            passport,
            login_limit: Arc::default(),
        }))
    }

    /// The same state with other subscription delivery settings (before the server starts).
    pub fn with_delivery(mut self, config: subscriptions::DeliveryConfig) -> AppState {
        Arc::make_mut(&mut self.0).subscriptions = Arc::new(subscriptions::Hub::new(config));
        self
    }

    /// The same state with another source of product, party and recall data, asked for what
    /// the store's registries do not hold.
    pub fn with_passport_data(mut self, data: Arc<dyn passport_data::PassportData>) -> AppState {
        let registry = registry_passport::RegistryData::new(self.store.clone(), data);
        Arc::make_mut(&mut self.0).passport = Arc::new(registry);
        self
    }
}

/// The whole service as an axum router. Capture jobs are only processed once
/// [`spawn_capture_worker`] runs (which [`run`] does).
pub fn router(state: AppState) -> axum::Router {
    routes::build(state)
}

/// Starts the background capture worker, first re-queuing the jobs a previous run left
/// unfinished. Returns `None` when a worker was already started for this state.
pub fn spawn_capture_worker(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    capture::spawn_worker(state.clone())
}

/// Starts the subscription delivery worker (a task per stored webhook subscription). Returns
/// `None` when a worker was already started for this state.
pub fn spawn_delivery_worker(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    subscriptions::delivery::spawn_worker(state.clone())
}

/// Serves on `listener` until `shutdown` resolves, and starts the background capture-job worker
/// (resuming unfinished jobs) and the subscription delivery worker.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let worker = spawn_capture_worker(&state);
    let delivery = spawn_delivery_worker(&state);
    let hub = state.subscriptions.clone();
    let shutdown = async move {
        shutdown.await;
        hub.close();
    };
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    for task in [worker, delivery].into_iter().flatten() {
        task.abort();
        // Waiting lets the tasks drop their handles on the store before the caller reopens it.
        let _ = task.await;
    }
    result
}

/// Runs a blocking store call off the async threads.
pub(crate) async fn blocking<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Backend) -> Result<T, StoreError> + Send + 'static,
{
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}
