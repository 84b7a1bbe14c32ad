//! Prints the canonical hash of every event in EPCIS documents (JSON-LD, or XML 2.0/1.2),
//! one per line.
//!
//! `cargo run -p epcis --example event_hash -- [--prehash] FILE.jsonld|FILE.xml…`
//! With `--prehash`, each hash is followed by a line with its pre-hash string.

use std::process::ExitCode;

use epcis::context::Namespaces;
use epcis::hash::{
    document_events, hash_pre_hash_string, ignored_fields, pre_hash_string_ignoring,
};
use serde_json::{Map, Value};

fn hash_xml_file(path: &str, bytes: &[u8], show_pre_hash: bool) -> Result<(), String> {
    let limits = epcis::Limits {
        max_bytes: usize::MAX,
        max_events: usize::MAX,
        ..epcis::Limits::default()
    };
    let mut reader =
        epcis::xml::XmlEvents::new(bytes, &limits).map_err(|e| format!("{path}: {e}"))?;
    // Unvalidated: the vectors include events that CBV 2.0 validation refuses (1.x terms).
    while let Some(event) = reader.next_unvalidated() {
        match event.map_err(|e| format!("{path}: {e}"))? {
            Ok(event) => {
                println!("{}", event.hash());
                if show_pre_hash {
                    println!("{}", event.pre_hash_string());
                }
            }
            Err(errors) => {
                let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                return Err(format!("{path}: {}", messages.join("; ")));
            }
        }
    }
    Ok(())
}

fn hash_file(path: &str, show_pre_hash: bool) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    if epcis::xml::is_xml(&bytes) {
        return hash_xml_file(path, &bytes, show_pre_hash);
    }
    let text = String::from_utf8(bytes).map_err(|e| format!("{path}: {e}"))?;
    let document: Map<String, Value> =
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let namespaces = Namespaces::from_context(document.get("@context").unwrap_or(&Value::Null));
    let ignored = ignored_fields(&document, &namespaces);
    for event in document_events(&document) {
        // An event may carry its own @context (as traceport's stored events do).
        let mut own = namespaces.clone();
        if let Some(context) = event.get("@context") {
            own.add_context(context);
        }
        let pre_hash = pre_hash_string_ignoring(event, &own, &ignored);
        println!("{}", hash_pre_hash_string(&pre_hash));
        if show_pre_hash {
            println!("{pre_hash}");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut show_pre_hash = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--prehash" => show_pre_hash = true,
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        eprintln!("usage: event_hash [--prehash] FILE.jsonld…");
        return ExitCode::from(2);
    }
    let mut status = ExitCode::SUCCESS;
    for file in &files {
        if let Err(message) = hash_file(file, show_pre_hash) {
            eprintln!("{message}");
            status = ExitCode::FAILURE;
        }
    }
    status
}
