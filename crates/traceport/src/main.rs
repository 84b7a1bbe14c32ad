//! The `traceport` binary: CLI, configuration and wiring of the `epcis`, `store`, `server`
//! and `demo` crates. Every failure is a message on stderr and a non-zero exit status.

mod bench;
mod cli;
mod commands;
mod config;
mod demo_registry;
mod error;
mod loader;
mod logging;
mod synth;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use config::{FileConfig, Settings};
use error::CliError;

/// mimalloc instead of glibc malloc: the server allocates many small short-lived strings on
/// every core at once, where glibc's arenas cost a fifth of a page's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // `traceport query | head` closing the pipe early is not an error worth a message.
        Err(CliError::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("traceport: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    let file = match &cli.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let serve_args = match &cli.command {
        Command::Serve(args) => Some(args),
        _ => None,
    };
    let settings = Settings::resolve(&cli, file, serve_args)?;
    // The service logs its work; one-shot commands stay quiet unless asked.
    let fallback = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    logging::init(settings.log_format, settings.log_level.as_deref(), fallback);

    let location = settings.location()?;
    match &cli.command {
        Command::Serve(args) => commands::serve::run(&settings, args.demo),
        Command::Demo => commands::demo::run(loader::open_location(&location)?.as_ref()),
        Command::Import(args) => commands::import::run(
            loader::open_location(&location)?.as_ref(),
            args,
            settings.server.ownership_rule,
        ),
        Command::Token(cmd) => {
            commands::accounts::token(loader::open_location(&location)?.as_ref(), cmd)
        }
        Command::User(cmd) => {
            commands::accounts::user(loader::open_location(&location)?.as_ref(), cmd)
        }
        Command::Org(args) => {
            commands::accounts::org(loader::open_location(&location)?.as_ref(), args)
        }
        Command::Query(args) => {
            commands::query::run_query(open_existing(&location)?.as_ref(), args)
        }
        Command::Export(args) => {
            commands::query::run_export(open_existing(&location)?.as_ref(), args)
        }
        Command::Generate(args) => match &args.out {
            Some(dir) => commands::generate::to_files(args, dir),
            None => commands::generate::to_store(args, loader::open_location(&location)?.as_ref()),
        },
        Command::Convert(args) => commands::convert::run(args),
        Command::Trace(args) => commands::trace::run(open_existing(&location)?.as_ref(), args),
        Command::Bench(args) => bench::run(args),
        Command::Migrate => commands::admin::migrate(&location),
        Command::Backup(args) => commands::admin::backup(&location, &args.file),
        Command::Restore(args) => commands::admin::restore(&location, &args.file),
        Command::Copy(args) => commands::admin::copy(&location, args),
    }
}

/// Read-only commands must not create an empty store by accident (a mistyped --data-dir).
fn open_existing(
    location: &store::Location,
) -> Result<std::sync::Arc<dyn store::Backend>, CliError> {
    if !location.exists() {
        return Err(CliError::Usage(format!(
            "no store at {location} (set --data-dir, or create one with `traceport import` or `traceport demo`)"
        )));
    }
    loader::open_location(location)
}
