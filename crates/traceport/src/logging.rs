//! `tracing` set-up: logs go to stderr so that stdout stays clean for query output.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Installs the global subscriber. The filter comes from `TRACEPORT_LOG`, else `RUST_LOG`,
/// else the configuration file's `log_level`, else `fallback`.
pub fn init(format: LogFormat, file_level: Option<&str>, fallback: &str) {
    let directive = std::env::var("TRACEPORT_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .or_else(|| file_level.map(str::to_owned))
        .unwrap_or_else(|| fallback.to_owned());
    // A bad filter must not stop the program: fall back and say so once logging works.
    let (filter, bad) = match EnvFilter::try_new(&directive) {
        Ok(f) => (f, None),
        Err(e) => (EnvFilter::new(fallback), Some(e)),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // try_init: a second initialisation (tests) is harmless.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
    if let Some(e) = bad {
        tracing::warn!(filter = %directive, error = %e, "invalid log filter, using the default");
    }
}
