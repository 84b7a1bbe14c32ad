//! Every GS1 JSON-LD example parses and validates with zero errors. Skips when the
//! reference data (`../shared` next to the repository, or `/work/shared`) is absent.

use std::path::{Path, PathBuf};

use epcis::{parse_document, Limits};

fn examples_dir() -> Option<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    [
        repo.join("../shared/gs1/epcis/JSON"),
        PathBuf::from("/work/shared/gs1/epcis/JSON"),
    ]
    .into_iter()
    .find(|p| p.is_dir())
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "jsonld" || e == "json")
        {
            out.push(path);
        }
    }
}

#[test]
fn all_gs1_examples_parse_and_validate() {
    let Some(dir) = examples_dir() else {
        eprintln!("GS1 examples not found; skipping");
        return;
    };
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files.sort();
    assert_eq!(
        files.len(),
        47,
        "expected the 47 GS1 JSON-LD examples in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    let mut events = 0;
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        match parse_document(&bytes, &Limits::default()) {
            Ok(doc) => {
                for (i, ev) in doc.events.iter().enumerate() {
                    match ev {
                        Ok(ev) => {
                            events += 1;
                            assert!(
                                !ev.facets().is_empty(),
                                "{}: event {i} has no facets",
                                file.display()
                            );
                        }
                        Err(errs) => failures.push(format!("{}: {errs:?}", file.display())),
                    }
                }
            }
            Err(e) => failures.push(format!("{}: {e}", file.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(events >= 56, "only {events} events read");
}
