//! `traceport trace KEY`: the trace of a lot, item or logistic unit from the local store,
//! as a readable tree, the JSON graph, the FSMA 204 spreadsheet, or its origin plots as
//! GeoJSON.

use std::io::Write;

use store::Backend;
use trace::{Direction, TraceRequest};

use crate::cli::{TraceArgs, TraceDirection, TraceFormat};
use crate::error::CliError;

/// Runs `trace`.
pub fn run(store: &dyn Backend, args: &TraceArgs) -> Result<(), CliError> {
    let start = trace::parse_key(&args.key).map_err(|e| CliError::Usage(e.to_string()))?;
    let time = |flag: &str, t: &Option<String>| {
        t.as_deref()
            .map(|t| {
                epcis::lexical::parse_time_ms(t)
                    .map_err(|e| CliError::Usage(format!("--{flag} {t:?}: {e}")))
            })
            .transpose()
    };
    let request = TraceRequest {
        direction: match (args.format, args.direction) {
            // Origin plots are upstream, whatever the direction asked for.
            (TraceFormat::Geojson, _) | (_, TraceDirection::Backward) => Direction::Backward,
            (_, TraceDirection::Forward) => Direction::Forward,
            (_, TraceDirection::Both) => Direction::Both,
        },
        from_ms: time("from", &args.from)?,
        to_ms: time("to", &args.to)?,
        ..TraceRequest::new(start)
    };
    let graph = store.trace(&request)?;
    if graph.events.is_empty() {
        return Err(CliError::Usage(format!(
            "no event names {} ({})",
            args.key, request.start
        )));
    }
    let bytes = match args.format {
        TraceFormat::Tree => trace::text::tree(&graph).into_bytes(),
        TraceFormat::Json => {
            let mut v = serde_json::to_vec_pretty(&graph).map_err(|e| CliError::Document {
                what: "the trace".into(),
                message: e.to_string(),
            })?;
            v.push(b'\n');
            v
        }
        TraceFormat::Csv => trace::fsma::to_csv(&trace::fsma::rows(&graph, &|_| None)).into_bytes(),
        TraceFormat::Xlsx => {
            if args.out.is_none() {
                return Err(CliError::Usage("--format xlsx needs --out FILE".into()));
            }
            trace::fsma::to_xlsx(&trace::fsma::rows(&graph, &|_| None)).map_err(|e| {
                CliError::Document {
                    what: "the spreadsheet".into(),
                    message: e.to_string(),
                }
            })?
        }
        TraceFormat::Geojson => {
            let doc = server::trace::origin_plots(store, &graph)?;
            let mut text = registry::places::geojson_text(&doc).into_bytes();
            text.push(b'\n');
            text
        }
    };
    match &args.out {
        Some(path) => std::fs::write(path, bytes).map_err(CliError::io(path)),
        None => std::io::stdout()
            .lock()
            .write_all(&bytes)
            .map_err(CliError::io("stdout")),
    }
}
