//! The traceport HTTP service: axum routes for the EPCIS 2.0 REST API.
//! HTTP lives only here; handlers are thin over `epcis` (parse, validate) and `store`.

use std::sync::Arc;

use store::Store;

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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            base_url: None,
            max_body_bytes: 16 * 1024 * 1024,
            max_capture_events: 10_000,
            default_per_page: 30,
            max_per_page: 1_000,
        }
    }
}

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Settings.
    pub config: Arc<ServerConfig>,
}

impl AppState {
    /// Builds the state.
    pub fn new(store: Arc<dyn Store>, config: ServerConfig) -> AppState {
        AppState { store, config: Arc::new(config) }
    }
}

/// The whole service as an axum router.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new().with_state(state)
}

/// Serves on `listener` until `shutdown` resolves, and starts the background capture-job worker
/// (resuming unfinished jobs).
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}
