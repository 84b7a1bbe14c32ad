//! `traceport convert IN [-o OUT] [--to xml|json]`: one document from one binding to the
//! other, streaming (an XML input of any size runs in bounded memory).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};

use epcis::convert::{convert, Binding, ConvertOptions};
use epcis::format::{CbvFormat, EpcFormat};

use crate::cli::{ConvertArgs, ConvertTarget};
use crate::error::CliError;
use crate::loader::file_limits;

/// Runs the command; a one-line summary goes to stderr.
pub fn run(args: &ConvertArgs) -> Result<(), CliError> {
    let input: Box<dyn Read> = if args.input.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(&args.input).map_err(CliError::io(&args.input))?)
    };
    let input = BufReader::with_capacity(256 * 1024, input);
    let output: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(File::create(path).map_err(CliError::io(path))?),
        None => Box::new(io::stdout().lock()),
    };
    let output = BufWriter::with_capacity(256 * 1024, output);
    let options = ConvertOptions {
        target: args.to.map(|t| match t {
            ConvertTarget::Xml => Binding::Xml,
            ConvertTarget::Json => Binding::Json,
        }),
        epc: match args.epc_format.as_str() {
            "dl" => EpcFormat::AlwaysDigitalLink,
            "urn" => EpcFormat::AlwaysEpcUrn,
            _ => EpcFormat::NeverTranslates,
        },
        cbv: match args.cbv_format.as_str() {
            "web" => CbvFormat::AlwaysWebUri,
            "urn" => CbvFormat::AlwaysUrn,
            _ => CbvFormat::NeverTranslates,
        },
        limits: epcis::Limits {
            max_bytes: usize::MAX,
            max_events: usize::MAX,
            ..file_limits()
        },
        validate: !args.lenient,
    };
    let summary = convert(input, output, &options).map_err(|source| CliError::Convert {
        path: args.input.clone(),
        source,
    })?;
    let name = |b: Binding| match b {
        Binding::Json => "JSON-LD",
        Binding::Xml => "XML",
    };
    eprintln!(
        "converted {} events from {}{} to {} 2.0",
        summary.events,
        name(summary.from),
        if summary.from_epcis_1 {
            " (EPCIS 1.x)"
        } else {
            ""
        },
        name(summary.to)
    );
    Ok(())
}
