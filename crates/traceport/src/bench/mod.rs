//! `traceport bench`: the benchmark anyone can run. (a) bulk capture through the real HTTP
//! service against a plain SQLite insert of the same rows; (b) query latency over HTTP;
//! (c) trace speed and FSMA export (`--trace-store-events`). With `--postgres URL`, capture,
//! query and trace are measured on PostgreSQL too, each right after its SQLite run.

pub mod capture;
pub mod convert;
pub mod delivery;
pub mod harness;
pub mod latency;
pub mod national;
pub mod report;
pub mod resolve;
pub mod stats;
pub mod trace;

use std::sync::Arc;

use crate::cli::BenchArgs;
use crate::error::CliError;
use crate::loader::{file_limits, now_ms, prepare};
use crate::synth;
use report::{LatencyReport, Machine, PgFigures, Report};
use store::postgres::scratch::ScratchDatabase;
use store::Location;

/// Runs the benchmark, prints the table and writes Markdown to `--out`.
pub fn run(args: &BenchArgs) -> Result<(), CliError> {
    if args.per_document == 0 || args.repeat == 0 || args.clients == 0 {
        return Err(CliError::Usage(
            "--per-document, --repeat and --clients must be at least 1".into(),
        ));
    }
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: this is a debug build; run `cargo run --release -- bench` for real figures"
        );
    }
    std::fs::create_dir_all(&args.work_dir).map_err(CliError::io(&args.work_dir))?;
    let runtime = crate::commands::serve::runtime()?;
    let mut report = Report {
        machine: Machine::detect(),
        capture: Vec::new(),
        clients: args.clients,
        per_document: args.per_document,
        latency: None,
        xml_capture: Vec::new(),
        convert: None,
        resolver: Vec::new(),
        trace: None,
        postgres: args.postgres.as_ref().map(|_| PgFigures::default()),
    };

    if args.events > 0 {
        eprintln!("capture: generating {} events …", args.events);
        let inputs = capture_inputs(args)?;
        let rows = inputs.rows;
        let documents = Arc::new(inputs.json);
        let xml_documents = Arc::new(inputs.xml);
        for i in 0..args.repeat {
            let dir = temp_dir(args)?;
            let run = runtime.block_on(capture::run_once(
                dir.path(),
                None,
                documents.clone(),
                &rows,
                args.clients,
                args.per_document,
            ))?;
            eprintln!(
                "capture run {}/{}: {:.0} events/s over HTTP, baseline {:.0} events/s, ratio {:.2}",
                i + 1,
                args.repeat,
                run.http_eps(),
                run.baseline_eps(),
                run.ratio()
            );
            report.capture.push(run);
            if let Some(url) = &args.postgres {
                let db = scratch(url)?;
                let dir = temp_dir(args)?;
                let pg = runtime.block_on(capture::run_once(
                    dir.path(),
                    Some(&Location::Postgres(db.url().to_owned())),
                    documents.clone(),
                    &rows,
                    args.clients,
                    args.per_document,
                ))?;
                eprintln!(
                    "capture run {}/{} (PostgreSQL): {:.0} events/s over HTTP",
                    i + 1,
                    args.repeat,
                    pg.http_eps()
                );
                pg_figures(&mut report).capture.push(pg);
            }
            // The same events in XML, in the same run (same machine state), for the ratio.
            let dir = temp_dir(args)?;
            let xml = runtime.block_on(capture::run_xml_once(
                dir.path(),
                xml_documents.clone(),
                rows.len(),
                args.clients,
                args.per_document,
            ))?;
            eprintln!(
                "capture run {}/{} (XML): {:.0} events/s over HTTP, {:.2} of JSON-LD",
                i + 1,
                args.repeat,
                rows.len() as f64 / xml.as_secs_f64().max(1e-9),
                run.http.as_secs_f64() / xml.as_secs_f64().max(1e-9)
            );
            report.xml_capture.push(xml);
        }
    }

    if args.convert_mb > 0 {
        let dir = temp_dir(args)?;
        let run = convert::run(dir.path(), args.convert_mb, args.seed)?;
        eprintln!(
            "convert: {:.0} MB XML → JSON-LD in {:.1} s, peak RSS {:.0} MB",
            run.input_mb(),
            run.elapsed.as_secs_f64(),
            run.peak_rss_mb()
        );
        report.convert = Some(run);
    }

    // The store of the query, resolver and trace sections: one load when their sizes agree.
    let mut national: Option<national::NationalStore> = None;
    if args.query_store_events > 0 {
        eprintln!("query: loading {} events …", args.query_store_events);
        let held = national::NationalStore::open(
            args.keep_store.as_deref(),
            &args.work_dir,
            national_seed(args),
            args.query_store_events,
            args.per_document,
            args.queries,
        )?;
        let loaded = &held.loaded;
        eprintln!(
            "query: loaded in {:.1} s; {} targets",
            loaded.load.as_secs_f64(),
            loaded.targets.len()
        );
        let rounds =
            runtime.block_on(latency::measure(held.store(), &loaded.targets, args.repeat))?;
        report.latency = Some(LatencyReport {
            events: loaded.events,
            load: loaded.load,
            rounds,
        });
        if let Some(url) = &args.postgres {
            let db = scratch(url)?;
            eprintln!(
                "query (PostgreSQL): loading {} events …",
                args.query_store_events
            );
            let pg = latency::load(
                &Location::Postgres(db.url().to_owned()),
                national_seed(args),
                args.query_store_events,
                args.per_document,
                args.queries,
            )?;
            let pg_rounds =
                runtime.block_on(latency::measure(pg.store.clone(), &pg.targets, args.repeat))?;
            drop(pg.store);
            pg_figures(&mut report).latency = Some(LatencyReport {
                events: pg.events,
                load: pg.load,
                rounds: pg_rounds,
            });
        }
        if args.resolver_seconds > 0 {
            eprintln!(
                "resolver: {:?} connections, {} s per phase …",
                args.resolver_connections, args.resolver_seconds
            );
            report.resolver = runtime.block_on(resolve::measure(
                held.store(),
                resolve::paths(&loaded.targets),
                &args.resolver_connections,
                args.resolver_seconds,
                args.load_generator,
            ))?;
        }
        if let Some(l) = &report.latency {
            if l.misses() > 0 {
                return Err(CliError::Bench(format!(
                    "{} queries for existing EPCs returned no event",
                    l.misses()
                )));
            }
        }
        national = Some(held);
    }

    let mut delivery_runs = Vec::new();
    for i in 0..args
        .repeat
        .min(usize::from(args.delivery_probes > 0) * args.repeat)
    {
        let dir = temp_dir(args)?;
        let run = runtime.block_on(delivery::run_once(
            dir.path(),
            args.seed ^ 0xde1,
            args.delivery_probes,
            std::time::Duration::from_millis(args.delivery_interval_ms.max(1)),
            args.delivery_load_eps,
        ))?;
        eprintln!(
            "delivery run {}/{}: median {:.1} ms, p99 {:.1} ms, lost {}",
            i + 1,
            args.repeat,
            run.ms(50.0),
            run.ms(99.0),
            run.lost
        );
        delivery_runs.push(run);
    }

    if args.trace_store_events > 0 {
        let mut held = match national.take() {
            Some(held) if held.loaded.events == args.trace_store_events => held,
            _ => {
                eprintln!("trace: loading {} events …", args.trace_store_events);
                national::NationalStore::open(
                    args.keep_store.as_deref(),
                    &args.work_dir,
                    national_seed(args),
                    args.trace_store_events,
                    args.per_document,
                    args.queries,
                )?
            }
        };
        if let Some(b) = held.blend.filter(|&b| b != args.blend) {
            return Err(CliError::Bench(format!(
                "the kept store holds blends of {b} chains: use --blend {b} or another --keep-store directory"
            )));
        }
        let t = trace::measure(
            &held.loaded,
            held.seed,
            args.per_document,
            held.blend.is_some(),
            args.traces,
            args.blend,
        )?;
        held.blends_appended(args.blend)?;
        report.trace = Some(t);
        if let Some(url) = &args.postgres {
            let db = scratch(url)?;
            eprintln!(
                "trace (PostgreSQL): loading {} events …",
                args.trace_store_events
            );
            let t = trace::run(
                &Location::Postgres(db.url().to_owned()),
                national_seed(args),
                args.trace_store_events,
                args.per_document,
                args.traces,
                args.blend,
            )?;
            pg_figures(&mut report).trace = Some(t);
        }
    }

    print!("{}", report.table());
    let delivery_text: String = delivery_runs
        .iter()
        .map(delivery::DeliveryRun::table)
        .collect();
    print!("{delivery_text}");
    if let Some(out) = &args.out {
        let mut markdown = report.markdown();
        if !delivery_text.is_empty() {
            markdown.push_str("\n## Subscription delivery\n\n```text\n");
            markdown.push_str(&delivery_text);
            markdown.push_str("```\n");
        }
        std::fs::write(out, markdown).map_err(CliError::io(out))?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}

/// What the capture benchmark sends and compares with.
struct CaptureInputs {
    /// The JSON-LD documents, serialised once.
    json: Vec<Vec<u8>>,
    /// The same documents in XML.
    xml: Vec<Vec<u8>>,
    /// The `(eventID, body)` rows the baseline inserts.
    rows: Vec<(String, String)>,
}

/// The capture documents in both bindings, and the baseline's rows.
fn capture_inputs(args: &BenchArgs) -> Result<CaptureInputs, CliError> {
    let mut documents = Vec::new();
    let mut xml_documents = Vec::new();
    let mut rows = Vec::with_capacity(args.events);
    for (i, document) in synth::documents(args.seed, args.events, args.per_document).enumerate() {
        let what = || format!("generated document {}", i + 1);
        let bytes = serde_json::to_vec(&document.value).map_err(|e| CliError::Document {
            what: what(),
            message: e.to_string(),
        })?;
        let (events, problems) =
            prepare(&bytes, &file_limits(), now_ms()).map_err(|message| CliError::Document {
                what: what(),
                message,
            })?;
        if let Some(p) = problems.first() {
            return Err(CliError::Document {
                what: what(),
                message: format!("{}: {}", p.pointer, p.message),
            });
        }
        rows.extend(events.into_iter().map(|e| (e.event_id, e.body)));
        xml_documents.push(to_xml(&bytes).map_err(|message| CliError::Document {
            what: what(),
            message,
        })?);
        documents.push(bytes);
    }
    Ok(CaptureInputs {
        json: documents,
        xml: xml_documents,
        rows,
    })
}

/// A JSON-LD document converted to XML.
fn to_xml(json: &[u8]) -> Result<Vec<u8>, String> {
    let options = epcis::convert::ConvertOptions {
        target: Some(epcis::convert::Binding::Xml),
        epc: epcis::format::EpcFormat::NeverTranslates,
        cbv: epcis::format::CbvFormat::NeverTranslates,
        limits: file_limits(),
        validate: true,
    };
    let mut out = Vec::new();
    epcis::convert::convert(json, &mut out, &options).map_err(|e| e.to_string())?;
    Ok(out)
}

/// The generator seed of the national store (query, resolver and trace sections).
fn national_seed(args: &BenchArgs) -> u64 {
    args.seed ^ 0x7ace
}

/// A scratch database on the `--postgres` server, dropped when the section is done.
fn scratch(url: &str) -> Result<ScratchDatabase, CliError> {
    Ok(ScratchDatabase::create_on(url, "tp_bench")?)
}

/// The PostgreSQL figures of the report (present whenever `--postgres` is given).
fn pg_figures(report: &mut Report) -> &mut PgFigures {
    report.postgres.get_or_insert_with(PgFigures::default)
}

/// A fresh directory under `--work-dir`, removed when dropped.
fn temp_dir(args: &BenchArgs) -> Result<tempfile::TempDir, CliError> {
    tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(&args.work_dir)
        .map_err(CliError::io(&args.work_dir))
}
