//! The command line: every command, flag and environment variable (`traceport --help`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// traceport: a GS1 EPCIS 2.0 event repository for national product traceability.
#[derive(Debug, Parser)]
#[command(name = "traceport", version, about, long_about = None)]
#[command(
    after_help = "Settings are taken from, lowest to highest precedence: built-in defaults, \
the TOML file given by --config or TRACEPORT_CONFIG, TRACEPORT_* environment variables, flags.\n\
Logging: TRACEPORT_LOG (or RUST_LOG) takes a tracing filter, e.g. `info,store=debug`."
)]
pub struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "TRACEPORT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Data directory holding the database `traceport.db` [default: ./traceport-data].
    #[arg(long, global = true, env = "TRACEPORT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// PostgreSQL database URL (`postgres://user@host:5432/db`); when unset the store is the
    /// SQLite file in the data directory. Prefer the environment variable (it may hold a password).
    #[arg(
        long,
        global = true,
        env = "TRACEPORT_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,

    /// Log output format [default: text].
    #[arg(long, global = true, env = "TRACEPORT_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written (to stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open (or create) the store and serve the EPCIS 2.0 REST API until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Load the demo data set (Vietnamese longan, coffee and pangasius chains) into the store.
    Demo,
    /// Import EPCIS documents (JSON-LD, or XML 2.0/1.2) from files straight into the store.
    Import(ImportArgs),
    /// Run a query (the parameters of `GET /events`) and print one page as an EPCISQueryDocument.
    Query(QueryArgs),
    /// Export every event matching a query as one EPCISDocument.
    Export(ExportArgs),
    /// Convert an EPCIS document between JSON-LD and XML (and EPCIS 1.2 XML to 2.0), streaming.
    Convert(ConvertArgs),
    /// Generate synthetic national-scale data: document files, or straight into the store.
    Generate(GenerateArgs),
    /// Trace a lot, item or logistic unit backward and forward, as a tree or an export.
    Trace(TraceArgs),
    /// Benchmark capture throughput, query latency and trace speed (use a release build).
    Bench(BenchArgs),
    /// Apply pending schema migrations to the store (serve and the other commands also do on open).
    Migrate,
    /// Write every table of the store to FILE in the portable dump format (JSON lines).
    Backup(BackupArgs),
    /// Load a dump written by `backup` into an empty store (either backend).
    Restore(RestoreArgs),
    /// Copy every table of the store into another, empty store (e.g. SQLite into PostgreSQL).
    Copy(CopyArgs),
    /// Create, list and revoke API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Create user accounts and reset passwords.
    #[command(subcommand)]
    User(UserCommand),
    /// Register a verified organisation at the console (as an operator would).
    Org(OrgArgs),
}

/// `org` options: a legal entity, registered and verified by the operator at the console.
#[derive(Debug, Args)]
pub struct OrgArgs {
    /// Registry id (letters, digits, dashes).
    #[arg(long)]
    pub id: String,
    /// Name (Vietnamese; also used for English when `--name-en` is absent).
    #[arg(long)]
    pub name: String,
    /// English name.
    #[arg(long)]
    pub name_en: Option<String>,
    /// Enterprise / tax code.
    #[arg(long)]
    pub tax_code: String,
    /// GS1 company prefixes it holds (repeat the flag).
    #[arg(long = "prefix", value_name = "DIGITS")]
    pub prefixes: Vec<String>,
    /// Province code (the 34 provinces from 2025-07-01).
    #[arg(long)]
    pub province: String,
}

/// How `trace` writes its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// A readable tree.
    Tree,
    /// The JSON graph (as `GET /trace`).
    Json,
    /// The FSMA 204 sortable spreadsheet as CSV.
    Csv,
    /// The FSMA 204 sortable spreadsheet as XLSX (needs --out).
    Xlsx,
    /// The origin plots of the lot as GeoJSON (EU Deforestation Regulation; a backward trace).
    Geojson,
}

/// Which way `trace` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceDirection {
    /// Inputs and origins.
    Backward,
    /// Outputs and destinations.
    Forward,
    /// Both.
    Both,
}

/// `trace` options.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The lot, item or SSCC: an EPC URN, a GS1 Digital Link or an element string such as
    /// `(01)08934567000012(10)LOT1`.
    #[arg(value_name = "KEY")]
    pub key: String,

    /// Which way to trace.
    #[arg(long, value_enum, default_value = "both")]
    pub direction: TraceDirection,

    /// Only events at or after this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,

    /// Only events at or before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value = "tree")]
    pub format: TraceFormat,

    /// Output file [default: stdout].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `backup` options.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The dump file to write (replaced if it exists).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `restore` options.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The dump file to read.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `copy` options.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The target: a `postgres://` URL, or a data directory for a SQLite store.
    #[arg(long, value_name = "URL|DIR")]
    pub to: String,
}

/// `serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "TRACEPORT_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Load the demo data set first when the store is empty.
    #[arg(long)]
    pub demo: bool,

    /// Public base URL used in `Location` and `Link` headers [default: from the Host header].
    #[arg(long, env = "TRACEPORT_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// Largest accepted capture body, bytes [default: 16777216].
    #[arg(long, env = "TRACEPORT_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,

    /// Most events in one capture document [default: 10000].
    #[arg(long, env = "TRACEPORT_MAX_CAPTURE_EVENTS", value_name = "N")]
    pub max_capture_events: Option<usize>,

    /// Default page size of query results [default: 30].
    #[arg(long, env = "TRACEPORT_DEFAULT_PER_PAGE", value_name = "N")]
    pub default_per_page: Option<usize>,

    /// Largest page size a client may ask for [default: 1000].
    #[arg(long, env = "TRACEPORT_MAX_PER_PAGE", value_name = "N")]
    pub max_per_page: Option<usize>,

    /// Secret that signs page tokens, so they survive restarts and work across processes
    /// [default: random per process]. Prefer the environment variable to the flag.
    #[arg(
        long,
        env = "TRACEPORT_PAGE_TOKEN_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub page_token_secret: Option<String>,

    /// What capture does with identifiers the capturing organisation does not own
    /// [default: reject].
    #[arg(long, env = "TRACEPORT_OWNERSHIP_RULE", value_enum)]
    pub ownership_rule: Option<OwnershipRuleArg>,
    /// Bearer token allowed to manage resolver links (`/links`); link management is off without one.
    #[arg(
        long,
        env = "TRACEPORT_LINK_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub link_admin_token: Option<String>,
}

/// What to do with a document that has invalid or duplicate events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorBehaviour {
    /// Store nothing from that document (like `GS1-Capture-Error-Behaviour: rollback`).
    Rollback,
    /// Store the valid events and report the others (`proceed`).
    Proceed,
}

/// `import` options.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// EPCIS documents (EPCISDocument or EPCISQueryDocument) in JSON-LD, or XML 2.0/1.2.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// What to do with a document that has invalid or duplicate events.
    #[arg(long, value_enum, default_value = "rollback")]
    pub error_behaviour: ErrorBehaviour,

    /// Registry id of the organisation owning the events [default: the organisation
    /// holding each event's bizLocation or readPoint, if registered].
    #[arg(long, value_name = "ORG")]
    pub org: Option<String>,
}

/// What capture does with identifiers the capturing organisation does not own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnershipRuleArg {
    /// Refuse the event.
    Reject,
    /// Store it, flagged for officials.
    Flag,
}

/// Account roles on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Member of an organisation (needs --org).
    Member,
    /// Administrator of an organisation (needs --org).
    Admin,
    /// Official of a provincial authority (needs --province).
    ProvincialOfficial,
    /// Official of a national authority.
    NationalOfficial,
    /// System operator.
    Operator,
}

/// Whom an account or token is for.
#[derive(Debug, Args)]
pub struct BindingArgs {
    /// Role.
    #[arg(long, value_enum, default_value = "member")]
    pub role: RoleArg,

    /// Organisation (registry id), for members and administrators.
    #[arg(long, value_name = "ORG")]
    pub org: Option<String>,

    /// Province code, for provincial officials.
    #[arg(long, value_name = "CODE")]
    pub province: Option<String>,
}

/// `token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print its secret (shown this once).
    Create {
        /// Whom the token acts for.
        #[command(flatten)]
        binding: BindingArgs,
        /// Comma-separated scopes: read, capture, registry.
        #[arg(long, default_value = "read,capture,registry", value_name = "LIST")]
        scopes: String,
        /// A label.
        #[arg(long, default_value = "cli", value_name = "NAME")]
        name: String,
        /// Expire after this many days [default: never].
        #[arg(long, value_name = "DAYS")]
        expires_days: Option<u32>,
    },
    /// List the tokens of an organisation (or, without --org, those of authorities).
    List {
        /// Organisation.
        #[arg(long, value_name = "ORG")]
        org: Option<String>,
    },
    /// Revoke a token by id.
    Revoke {
        /// Token id (from `token list`). Ids are random URL-safe text and may begin with `-`.
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user with a random password (printed once).
    Create {
        /// Login name.
        name: String,
        /// Whom the user acts for.
        #[command(flatten)]
        binding: BindingArgs,
    },
    /// Set a new random password (printed once).
    ResetPassword {
        /// Login name.
        name: String,
    },
}

/// Query parameters shared by `query` and `export`.
#[derive(Debug, Args)]
pub struct QueryParams {
    /// A query parameter as in `GET /events`, e.g. `MATCH_epc=urn:epc:id:sgtin:8934567.000011.1`
    /// or `eventType=ObjectEvent`; repeatable.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
    pub params: Vec<String>,
}

/// `query` options.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The query.
    #[command(flatten)]
    pub query: QueryParams,

    /// Page size.
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub per_page: usize,

    /// Continue after this page cursor (printed on stderr when there are more results).
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
}

/// `export` options.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The query.
    #[command(flatten)]
    pub query: QueryParams,

    /// Output file [default: stdout].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The binding `convert` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConvertTarget {
    /// EPCIS 2.0 XML.
    Xml,
    /// EPCIS 2.0 JSON-LD.
    Json,
}

/// `convert` options.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The input document (binding detected from its content; `-` for stdin).
    #[arg(value_name = "IN")]
    pub input: PathBuf,

    /// Output file [default: stdout].
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// Output binding [default: the other one; XML 1.2 input to JSON-LD].
    #[arg(long, value_enum)]
    pub to: Option<ConvertTarget>,

    /// Identifier spelling: never (as given), dl (GS1 Digital Link) or urn (EPC URN).
    #[arg(long, default_value = "never", value_parser = ["never", "dl", "urn"])]
    pub epc_format: String,

    /// CBV value spelling: never (as given), web (Web URI) or urn.
    #[arg(long, default_value = "never", value_parser = ["never", "web", "urn"])]
    pub cbv_format: String,

    /// Convert events even when they fail validation (e.g. terms outside CBV 2.0); a document
    /// that is not EPCIS, or a misplaced element, still stops the conversion.
    #[arg(long)]
    pub lenient: bool,
}

/// `generate` options.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of events.
    #[arg(long, value_name = "N")]
    pub events: usize,

    /// Write JSON-LD files into this directory instead of loading the store.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Events per document.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub per_document: usize,

    /// Random seed (the same seed gives the same data).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// `bench` options.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Events captured over HTTP per repetition (0 skips the capture benchmark).
    #[arg(long, default_value_t = 200_000, value_name = "N")]
    pub events: usize,

    /// Events loaded for the query-latency benchmark (0 skips it); try 10000000.
    #[arg(long, default_value_t = 1_000_000, value_name = "M")]
    pub query_store_events: usize,

    /// Events loaded for the trace benchmark (0 skips it); try 1000000.
    #[arg(long, default_value_t = 0, value_name = "M")]
    pub trace_store_events: usize,

    /// Traces timed per kind (blended lots, single-chain lots).
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub traces: usize,

    /// Chains blended into each traced lot (about four identifiers per chain).
    #[arg(long, default_value_t = 250, value_name = "N")]
    pub blend: usize,

    /// Query requests per round (half MATCH_epc, half MATCH_anyEPC).
    #[arg(long, default_value_t = 2_000, value_name = "N")]
    pub queries: usize,

    /// Repetitions; medians are reported.
    #[arg(long, default_value_t = 3, value_name = "R")]
    pub repeat: usize,

    /// Concurrent HTTP clients for capture.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub clients: usize,

    /// Events per capture document.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub per_document: usize,

    /// Probe events for the subscription delivery benchmark (0 skips it).
    #[arg(long, default_value_t = 300, value_name = "N")]
    pub delivery_probes: usize,

    /// Milliseconds between delivery probes.
    #[arg(long, default_value_t = 20, value_name = "MS")]
    pub delivery_interval_ms: u64,

    /// Background capture rate during the delivery benchmark, events per second.
    #[arg(long, default_value_t = 2_000, value_name = "EPS")]
    pub delivery_load_eps: usize,

    /// Directory for the temporary stores (removed afterwards); use a real disk, not tmpfs.
    #[arg(long, default_value = "bench-data", value_name = "DIR")]
    pub work_dir: PathBuf,

    /// Size of the XML document converted to JSON-LD to measure streaming conversion (time and
    /// peak memory of `traceport convert`), MB; 0 skips it.
    #[arg(long, default_value_t = 100, value_name = "MB")]
    pub convert_mb: usize,

    /// Keep the store of the query, resolver and trace sections in DIR and reuse it on later
    /// runs with the same sizes and seed (load once, measure many times).
    #[arg(long, value_name = "DIR")]
    pub keep_store: Option<PathBuf>,

    /// Write the results as Markdown to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Random seed of the synthetic data.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,

    /// PostgreSQL server (`postgres://user@host/db`, any database the user may connect to):
    /// capture, query and trace are also measured on scratch databases there, in the same run
    /// as SQLite, each dropped afterwards.
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,

    /// Seconds of resolver load per phase (redirect, passport page) over the query store (0 skips it).
    #[arg(long, default_value_t = 10, value_name = "S")]
    pub resolver_seconds: u64,

    /// Concurrent keep-alive connections of the resolver load; a comma-separated list runs
    /// both phases once per entry (latency grows with connections in a closed loop).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "8,16,64",
        value_name = "N,…"
    )]
    pub resolver_connections: Vec<usize>,

    /// Load generator of the resolver benchmark: `wrk` in a second process (Debian package
    /// wrk), reqwest inside this process, or `auto` (wrk when installed).
    #[arg(long, value_enum, default_value_t = crate::bench::resolve::LoadGenerator::Auto)]
    pub load_generator: crate::bench::resolve::LoadGenerator,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// Generated ids may begin with `-` (one in 64): they are still values, not flags.
    #[test]
    fn a_token_id_beginning_with_a_dash_is_revoked() {
        let cli = Cli::try_parse_from(["traceport", "token", "revoke", "-9Xq_abc"])
            .expect("a dash-led id parses");
        let Command::Token(TokenCommand::Revoke { id }) = cli.command else {
            panic!("not a token revoke: {:?}", cli.command);
        };
        assert_eq!(id, "-9Xq_abc");
    }
}
