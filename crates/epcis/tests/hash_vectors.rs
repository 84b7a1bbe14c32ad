//! GS1's event-hash test vectors (`gs1/event-hash-vectors/*.jsonld` with `.prehashes` and
//! `.hashes`), when the shared reference data is present; skipped cleanly when it is not.

use std::fs;
use std::path::{Path, PathBuf};

use epcis::context::Namespaces;
use epcis::hash::{
    document_events, hash_pre_hash_string, ignored_fields, pre_hash_string_ignoring,
};
use serde_json::{Map, Value};

/// `$TRACEPORT_SHARED`, `/work/shared` or `../shared` beside the repository root.
fn vectors_dir() -> Option<PathBuf> {
    let repo_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        std::env::var_os("TRACEPORT_SHARED").map(PathBuf::from),
        Some(PathBuf::from("/work/shared")),
        Some(repo_root.join("../shared")),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(|shared| shared.join("gs1/event-hash-vectors"))
        .find(|dir| dir.is_dir())
}

fn lines(path: &Path) -> Option<Vec<String>> {
    let text = fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
    )
}

struct Outcome {
    documents: usize,
    events: usize,
    failures: Vec<String>,
    defective_pre_hashes: Vec<String>,
}

fn check_document(path: &Path, outcome: &mut Outcome) {
    let text = fs::read_to_string(path).unwrap();
    let document: Map<String, Value> = serde_json::from_str(&text).unwrap();
    let namespaces = Namespaces::from_context(document.get("@context").unwrap_or(&Value::Null));
    let ignored = ignored_fields(&document, &namespaces);
    let computed: Vec<String> = document_events(&document)
        .into_iter()
        .map(|event| pre_hash_string_ignoring(event, &namespaces, &ignored))
        .collect();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    outcome.documents += 1;
    outcome.events += computed.len();
    let expected_hashes = lines(&path.with_extension("hashes"));
    if let Some(expected) = lines(&path.with_extension("prehashes")) {
        if expected.len() != computed.len() {
            outcome.failures.push(format!(
                "{name}: {} pre-hashes expected, {} computed",
                expected.len(),
                computed.len()
            ));
        }
        for (i, (want, got)) in expected.iter().zip(&computed).enumerate() {
            // A few published pre-hash lines are garbled or belong to another event; the
            // vector's own hash shows which. Those are checked through the hash alone.
            let hash_of_want = hash_pre_hash_string(want);
            let consistent = expected_hashes
                .as_ref()
                .is_none_or(|hashes| hashes.get(i) == Some(&hash_of_want));
            if !consistent {
                outcome
                    .defective_pre_hashes
                    .push(format!("{name} event {i}"));
            } else if want != got {
                outcome.failures.push(format!(
                    "{name} event {i} pre-hash\n  want {want}\n  got  {got}"
                ));
            }
        }
    }
    if let Some(expected) = expected_hashes {
        if expected.len() != computed.len() {
            outcome.failures.push(format!(
                "{name}: {} hashes expected, {} computed",
                expected.len(),
                computed.len()
            ));
        }
        for (i, (want, pre)) in expected.iter().zip(&computed).enumerate() {
            let got = hash_pre_hash_string(pre);
            if *want != got {
                outcome
                    .failures
                    .push(format!("{name} event {i} hash: want {want}, got {got}"));
            }
        }
    }
}

#[test]
fn every_json_ld_vector_matches() {
    let Some(dir) = vectors_dir() else {
        eprintln!("event-hash vectors not found; skipping");
        return;
    };
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonld"))
        .collect();
    paths.sort();
    let mut outcome = Outcome {
        documents: 0,
        events: 0,
        failures: Vec::new(),
        defective_pre_hashes: Vec::new(),
    };
    for path in &paths {
        check_document(path, &mut outcome);
    }
    eprintln!(
        "{} JSON-LD vector documents, {} events checked",
        outcome.documents, outcome.events
    );
    if !outcome.defective_pre_hashes.is_empty() {
        eprintln!(
            "pre-hash lines inconsistent with their own hash (checked by hash only): {}",
            outcome.defective_pre_hashes.join(", ")
        );
    }
    assert!(
        outcome.documents > 0,
        "no .jsonld vectors in {}",
        dir.display()
    );
    assert!(
        outcome.failures.is_empty(),
        "{} mismatches:\n{}",
        outcome.failures.len(),
        outcome.failures.join("\n")
    );
}

/// The whole capture path: `parse_document` then `Event::hash` (which honours the document's
/// `ignoreFields`) gives the vector hashes, for every vector document that validates.
#[test]
fn parsed_events_hash_to_the_vectors() {
    let Some(dir) = vectors_dir() else {
        eprintln!("skipped: no shared event-hash vectors");
        return;
    };
    let mut checked = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("jsonld") {
            continue;
        }
        let Some(expected) = lines(&path.with_extension("hashes")) else {
            continue;
        };
        let bytes = fs::read(&path).unwrap();
        let document = epcis::parse_document(&bytes, &epcis::Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let hashes: Vec<String> = document
            .events
            .iter()
            .map(|event| match event {
                Ok(event) => event.hash(),
                Err(errors) => panic!("{}: invalid event: {errors:?}", path.display()),
            })
            .collect();
        assert_eq!(hashes, expected, "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} vector documents checked");
}
