//! `traceport serve`: the HTTP service over the store in the data directory.

use std::sync::Arc;

use server::AppState;
use store::Store;

use crate::config::Settings;
use crate::error::CliError;
use crate::loader::open_location;

/// Runs the service until Ctrl-C or SIGTERM; in-flight requests finish first.
pub fn run(settings: &Settings, demo: bool) -> Result<(), CliError> {
    let location = settings.location()?;
    let store = open_location(&location)?;
    if demo && store.event_count()? == 0 {
        let load = crate::commands::demo::load_demo(store.as_ref())?;
        tracing::info!(events = load.stored, "demo data loaded");
        println!(
            "registered {} demo organisations and loaded {} demo events",
            load.organisations, load.stored
        );
        println!("  API token for a demo organisation: traceport token create --org longan-coop");
    }
    if let Some(password) = server::auth::bootstrap_operator(store.as_ref())? {
        println!(
            "created the operator account: user `operator`, password `{password}` (shown only now)"
        );
    }
    let runtime = runtime()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|source| CliError::Listen {
                addr: settings.listen.to_string(),
                source,
            })?;
        let addr = listener.local_addr().map_err(CliError::Serve)?;
        let url = settings
            .server
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        println!(
            "traceport serving {} on {url}  (store: {location})",
            describe(store.as_ref()),
        );
        println!("  try {url}/events  {url}/openapi.json  {url}/healthz");
        println!(
            "  scan {url}/01/{{gtin}}/10/{{lot}} (resolver)  {url}/labels/qr/01/{{gtin}} (QR code)"
        );
        tracing::info!(%addr, data_dir = %settings.data_dir.display(), "serving");
        let mut state = AppState::new(
            store.clone() as Arc<dyn store::Backend>,
            settings.server.clone(),
        );
        if demo {
            state = state.with_passport_data(Arc::new(crate::demo_registry::DemoRegistry::new()));
        }
        server::run(listener, state, shutdown_signal())
            .await
            .map_err(CliError::Serve)
    })?;
    println!("traceport stopped");
    Ok(())
}

/// A multi-threaded tokio runtime (store calls run on its blocking pool).
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Serve)
}

fn describe(store: &dyn Store) -> String {
    match store.event_count() {
        Ok(n) => format!("{n} events"),
        Err(_) => "the store".into(),
    }
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM, whichever comes first.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // Without a Ctrl-C handler, wait for SIGTERM alone rather than stopping at once.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing in-flight requests");
}
