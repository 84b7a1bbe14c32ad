//! Configuration: defaults, then the TOML file, then environment and flags (clap reads
//! `TRACEPORT_*` variables into the same options as the flags, so "flag or env" arrives as one value).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use server::ServerConfig;

use crate::cli::{Cli, LogFormat, OwnershipRuleArg, ServeArgs};
use crate::error::CliError;
use server::access::OwnershipRule;

/// Default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "traceport-data";
/// Default listen address: local only, so a first run exposes nothing.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "traceport.db";

/// The TOML file. Every key is optional; unknown keys are an error so typos do not pass silently.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Data directory.
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL database URL; the SQLite file in the data directory when unset.
    pub database_url: Option<String>,
    /// Listen address.
    pub listen: Option<SocketAddr>,
    /// Public base URL.
    pub base_url: Option<String>,
    /// Log format.
    pub log_format: Option<LogFormat>,
    /// Log filter (overridden by `TRACEPORT_LOG` / `RUST_LOG`).
    pub log_level: Option<String>,
    /// Largest capture body, bytes.
    pub max_body_bytes: Option<usize>,
    /// Most events in one capture document.
    pub max_capture_events: Option<usize>,
    /// Default page size.
    pub default_per_page: Option<usize>,
    /// Largest page size.
    pub max_per_page: Option<usize>,
    /// Secret that signs page tokens (set it when several processes serve one store).
    pub page_token_secret: Option<String>,
    /// Deepest JSON nesting accepted in a request body.
    pub max_json_depth: Option<usize>,
    /// `reject` or `flag` events using identifiers their capturer does not own.
    pub ownership_rule: Option<OwnershipRuleArg>,
    /// Bearer token allowed to manage resolver links.
    pub link_admin_token: Option<String>,
    /// Accept Digital Link 1.0 short names (`/gtin/…`) on resolver paths.
    pub legacy_digital_links: Option<bool>,
    /// Serve `/metrics` to anyone.
    pub metrics_public: Option<bool>,
    /// Serve `/metrics` to requests straight from this host.
    pub metrics_loopback: Option<bool>,
}

impl FileConfig {
    /// Reads and parses a TOML file.
    pub fn load(path: &Path) -> Result<FileConfig, CliError> {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::ConfigRead {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| CliError::ConfigParse {
            path: path.to_path_buf(),
            source: Box::new(source),
        })
    }
}

/// The effective settings after layering.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Data directory.
    pub data_dir: PathBuf,
    /// PostgreSQL database URL, when the store is PostgreSQL.
    pub database_url: Option<String>,
    /// Listen address.
    pub listen: SocketAddr,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter from the file, if any (environment variables win over it).
    pub log_level: Option<String>,
    /// HTTP service settings.
    pub server: ServerConfig,
}

impl Settings {
    /// Layers defaults < file < env/flags. `serve` is `Some` only for the `serve` command.
    pub fn resolve(
        cli: &Cli,
        file: FileConfig,
        serve: Option<&ServeArgs>,
    ) -> Result<Settings, CliError> {
        let defaults = ServerConfig::default();
        let listen_default: SocketAddr = DEFAULT_LISTEN.parse().map_err(|_| {
            CliError::Usage(format!("bad built-in listen address {DEFAULT_LISTEN}"))
        })?;
        let pick = |flag: Option<usize>, file: Option<usize>, default: usize| {
            flag.or(file).unwrap_or(default)
        };
        let server = ServerConfig {
            base_url: serve.and_then(|s| s.base_url.clone()).or(file.base_url),
            max_body_bytes: pick(
                serve.and_then(|s| s.max_body_bytes),
                file.max_body_bytes,
                defaults.max_body_bytes,
            ),
            max_capture_events: pick(
                serve.and_then(|s| s.max_capture_events),
                file.max_capture_events,
                defaults.max_capture_events,
            ),
            default_per_page: pick(
                serve.and_then(|s| s.default_per_page),
                file.default_per_page,
                defaults.default_per_page,
            ),
            max_per_page: pick(
                serve.and_then(|s| s.max_per_page),
                file.max_per_page,
                defaults.max_per_page,
            ),
            page_token_secret: serve
                .and_then(|s| s.page_token_secret.clone())
                .or(file.page_token_secret),
            max_json_depth: file.max_json_depth.unwrap_or(defaults.max_json_depth),
            ownership_rule: match serve.and_then(|s| s.ownership_rule).or(file.ownership_rule) {
                Some(OwnershipRuleArg::Flag) => OwnershipRule::Flag,
                Some(OwnershipRuleArg::Reject) => OwnershipRule::Reject,
                None => defaults.ownership_rule,
            },
            link_admin_token: serve
                .and_then(|s| s.link_admin_token.clone())
                .or(file.link_admin_token),
            legacy_digital_links: file
                .legacy_digital_links
                .unwrap_or(defaults.legacy_digital_links),
            metrics_public: file.metrics_public.unwrap_or(defaults.metrics_public),
            metrics_loopback: file.metrics_loopback.unwrap_or(defaults.metrics_loopback),
        };
        if server.default_per_page == 0 || server.max_per_page < server.default_per_page {
            return Err(CliError::Usage(format!(
                "page sizes must satisfy 0 < default_per_page ({}) <= max_per_page ({})",
                server.default_per_page, server.max_per_page
            )));
        }
        Ok(Settings {
            data_dir: cli
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            database_url: cli.database_url.clone().or(file.database_url),
            listen: serve
                .and_then(|s| s.listen)
                .or(file.listen)
                .unwrap_or(listen_default),
            log_format: cli
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            log_level: file.log_level,
            server,
        })
    }

    /// Where the store is: the database URL's PostgreSQL database, or the SQLite file.
    pub fn location(&self) -> Result<store::Location, CliError> {
        Ok(store::Location::from_config(
            self.database_url.as_deref(),
            &self.data_dir,
            DATABASE_FILE,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(args).unwrap()
    }

    #[test]
    fn defaults_apply_without_file_or_flags() {
        let c = cli(&["traceport", "demo"]);
        let s = Settings::resolve(&c, FileConfig::default(), None).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("traceport-data"));
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.server.max_per_page, ServerConfig::default().max_per_page);
        assert_eq!(
            s.location().unwrap(),
            store::Location::Sqlite(PathBuf::from("traceport-data/traceport.db"))
        );
    }

    #[test]
    fn file_overrides_defaults_and_flags_override_file() {
        let file: FileConfig =
            toml::from_str("data_dir = \"/srv/tp\"\nlisten = \"0.0.0.0:9000\"\nmax_per_page = 500\nlog_format = \"json\"\n")
                .unwrap();
        let c = cli(&["traceport", "serve", "--listen", "127.0.0.1:7000"]);
        let crate::cli::Command::Serve(ref serve) = c.command else {
            panic!("serve expected")
        };
        let s = Settings::resolve(&c, file, Some(serve)).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/srv/tp"));
        assert_eq!(s.listen.to_string(), "127.0.0.1:7000");
        assert_eq!(s.server.max_per_page, 500);
        assert_eq!(s.log_format, LogFormat::Json);
    }

    #[test]
    fn database_url_selects_postgres_and_the_flag_wins() {
        let file: FileConfig = toml::from_str("database_url = \"postgres://file@h/db\"").unwrap();
        let c = cli(&["traceport", "migrate"]);
        let s = Settings::resolve(&c, file, None).unwrap();
        assert_eq!(
            s.location().unwrap(),
            store::Location::Postgres("postgres://file@h/db".into())
        );
        let file: FileConfig = toml::from_str("database_url = \"postgres://file@h/db\"").unwrap();
        let c = cli(&[
            "traceport",
            "--database-url",
            "postgres://flag@h/db",
            "migrate",
        ]);
        let s = Settings::resolve(&c, file, None).unwrap();
        assert_eq!(
            s.location().unwrap(),
            store::Location::Postgres("postgres://flag@h/db".into())
        );
        let c = cli(&["traceport", "--database-url", "sqlite:x", "migrate"]);
        let s = Settings::resolve(&c, FileConfig::default(), None).unwrap();
        assert!(s.location().is_err());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(toml::from_str::<FileConfig>("data_dri = \"x\"").is_err());
        assert!(toml::from_str::<FileConfig>("listen = \"not an address\"").is_err());
        let file: FileConfig = toml::from_str("default_per_page = 0").unwrap();
        let c = cli(&["traceport", "demo"]);
        assert!(Settings::resolve(&c, file, None).is_err());
    }
}
