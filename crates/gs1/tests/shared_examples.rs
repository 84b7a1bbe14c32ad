//! Every GS1 identifier in the GS1 EPCIS example documents (when the shared reference
//! data is beside the repository) parses and canonicalises to a fixed point.

use std::path::{Path, PathBuf};

use gs1::{canonical_id, to_digital_link};

fn examples_dir() -> Option<PathBuf> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    [
        PathBuf::from("/work/shared/gs1/epcis"),
        repo.join("../shared/gs1/epcis"),
    ]
    .into_iter()
    .find(|p| p.is_dir())
}

fn collect(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "jsonld")
        {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for quoted in text.split('"').skip(1).step_by(2) {
                let gs1_like = quoted.starts_with("https://id.gs1.org/")
                    || quoted.starts_with("urn:epc:id:")
                    || quoted.starts_with("urn:epc:class:");
                if gs1_like {
                    out.push(quoted.to_string());
                }
            }
        }
    }
}

#[test]
fn example_identifiers_canonicalise() {
    let Some(dir) = examples_dir() else {
        eprintln!("GS1 EPCIS examples not present: skipped");
        return;
    };
    let mut ids = Vec::new();
    collect(&dir, &mut ids);
    ids.sort();
    ids.dedup();
    assert!(!ids.is_empty());
    let mut failures = Vec::new();
    for id in &ids {
        match to_digital_link(id) {
            Ok(dl) => {
                assert_eq!(canonical_id(&dl), dl.as_str(), "{id}");
                // GS1's own Digital Links are already canonical.
                if id.starts_with("https://") && !id.contains('?') {
                    assert_eq!(&dl, id);
                }
            }
            Err(e) => failures.push(format!("{id}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {}:\n{}",
        failures.len(),
        ids.len(),
        failures.join("\n")
    );
}
