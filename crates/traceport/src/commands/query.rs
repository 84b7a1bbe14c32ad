//! `traceport query` and `traceport export`: the `GET /events` parameters against the local store.

use std::io::Write;

use epcis::query::{from_params, Query};
use serde_json::{json, Value};
use store::{PageRequest, Store, StoredEvent};

use crate::cli::{ExportArgs, QueryArgs, QueryParams};
use crate::error::CliError;

/// The standard JSON-LD context of EPCIS 2.0 documents.
const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
/// Page size used internally by `export`.
const EXPORT_PAGE: usize = 1_000;

/// Splits `NAME=VALUE` arguments and builds the typed query.
pub fn build_query(params: &QueryParams) -> Result<Query, CliError> {
    let mut pairs = Vec::with_capacity(params.params.len());
    for raw in &params.params {
        let Some((name, value)) = raw.split_once('=') else {
            return Err(CliError::Usage(format!(
                "--param {raw:?}: expected NAME=VALUE"
            )));
        };
        if name == "perPage" || name == "nextPageToken" {
            return Err(CliError::Usage(format!(
                "--param {name}: use --per-page / --after for paging"
            )));
        }
        pairs.push((name.to_owned(), value.to_owned()));
    }
    Ok(from_params(&pairs)?)
}

/// Runs `query`: prints one page as an EPCISQueryDocument; the next cursor goes to stderr.
pub fn run_query(store: &dyn Store, args: &QueryArgs) -> Result<(), CliError> {
    if args.per_page == 0 {
        return Err(CliError::Usage("--per-page must be at least 1".into()));
    }
    let query = build_query(&args.query)?;
    let page = store.query(
        &query,
        &PageRequest {
            per_page: args.per_page,
            after: args.after.clone(),
        },
    )?;
    let events = bodies(&page.items)?;
    let document = json!({
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": now_rfc3339(),
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": { "eventList": events }
            }
        }
    });
    write_json(&mut std::io::stdout().lock(), &document).map_err(CliError::io("stdout"))?;
    if let Some(next) = page.next {
        eprintln!("more results: add --after {next}");
    }
    Ok(())
}

/// Runs `export`: every matching event, in pages, as one EPCISDocument.
pub fn run_export(store: &dyn Store, args: &ExportArgs) -> Result<(), CliError> {
    let query = build_query(&args.query)?;
    let mut events = Vec::new();
    let mut after = None;
    loop {
        let page = store.query(
            &query,
            &PageRequest {
                per_page: EXPORT_PAGE,
                after,
            },
        )?;
        events.extend(bodies(&page.items)?);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let count = events.len();
    let document = json!({
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": now_rfc3339(),
        "epcisBody": { "eventList": events }
    });
    match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(CliError::io(path))?;
            let mut out = std::io::BufWriter::new(file);
            write_json(&mut out, &document)
                .and_then(|_| out.flush())
                .map_err(CliError::io(path))?;
            eprintln!("exported {count} events to {}", path.display());
        }
        None => {
            write_json(&mut std::io::stdout().lock(), &document).map_err(CliError::io("stdout"))?
        }
    }
    Ok(())
}

/// The stored JSON bodies as values.
fn bodies(items: &[StoredEvent]) -> Result<Vec<Value>, CliError> {
    items
        .iter()
        .map(|e| {
            serde_json::from_str(&e.body).map_err(|err| CliError::Document {
                what: format!("stored event {}", e.event_id),
                message: format!("body is not JSON: {err}"),
            })
        })
        .collect()
}

fn write_json(out: &mut impl Write, value: &Value) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_need_a_name_and_value_and_paging_is_refused() {
        let p = |v: &[&str]| QueryParams {
            params: v.iter().map(|s| s.to_string()).collect(),
        };
        assert!(matches!(
            build_query(&p(&["MATCH_epc"])),
            Err(CliError::Usage(_))
        ));
        assert!(matches!(
            build_query(&p(&["perPage=3"])),
            Err(CliError::Usage(_))
        ));
        assert!(matches!(
            build_query(&p(&["nextPageToken=x"])),
            Err(CliError::Usage(_))
        ));
    }
}
