//! Prints the canonical hash of every event in EPCIS JSON-LD documents, one per line.
//!
//! `cargo run -p epcis --example event_hash -- [--prehash] FILE.jsonld…`
//! With `--prehash`, each hash is followed by a line with its pre-hash string.

use std::process::ExitCode;

use epcis::context::Namespaces;
use epcis::hash::{
    document_events, hash_pre_hash_string, ignored_fields, pre_hash_string_ignoring,
};
use serde_json::{Map, Value};

fn hash_file(path: &str, show_pre_hash: bool) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let document: Map<String, Value> =
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let namespaces = Namespaces::from_context(document.get("@context").unwrap_or(&Value::Null));
    let ignored = ignored_fields(&document, &namespaces);
    for event in document_events(&document) {
        let pre_hash = pre_hash_string_ignoring(event, &namespaces, &ignored);
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
