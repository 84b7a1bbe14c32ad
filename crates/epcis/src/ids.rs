//! The canonical Digital Links of an event's GS1 identifiers, kept from validation.
//!
//! Validation converts every GS1 identifier of an event to its Digital Link to check it;
//! the hash, the facets and the trace record need the same conversion again. Keeping the
//! results once spares three repetitions of the conversion per identifier on capture.

use std::borrow::Cow;

/// Identifiers as written, each with `gs1::to_digital_link` of it, sorted for lookup.
///
/// Every entry is a pure function of its key, so a lookup can never be stale; an
/// identifier not kept is simply converted again.
#[derive(Debug, Clone, Default)]
pub struct CanonicalIds {
    entries: Vec<(Box<str>, Box<str>)>,
}

impl CanonicalIds {
    /// Keeps `(identifier as written, its canonical Digital Link)` pairs; duplicates are dropped.
    pub(crate) fn new(mut entries: Vec<(Box<str>, Box<str>)>) -> CanonicalIds {
        // A sorted vector rather than a hash map: no hashing of attacker-chosen keys, and
        // an event names only a few identifiers.
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        CanonicalIds { entries }
    }

    /// The canonical Digital Link of `raw` (`gs1::to_digital_link`), when kept.
    pub fn digital_link(&self, raw: &str) -> Option<&str> {
        self.entries
            .binary_search_by(|(k, _)| k.as_ref().cmp(raw))
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v.as_ref())
    }

    /// `gs1::canonical_id(raw)`, from the kept conversion when there is one.
    pub fn canonical_id<'a>(&'a self, raw: &'a str) -> Cow<'a, str> {
        match self.digital_link(raw) {
            Some(dl) => Cow::Borrowed(dl),
            None => gs1::canonical_id(raw),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_conversions_agree_with_gs1() {
        let ids = [
            "urn:epc:id:sgtin:0614141.107346.2018",
            "urn:epc:id:sscc:0614141.1234567890",
        ];
        let kept = CanonicalIds::new(
            ids.iter()
                .rev()
                .chain(&ids)
                .map(|id| {
                    let dl = gs1::to_digital_link(id).unwrap();
                    (Box::from(*id), dl.into_boxed_str())
                })
                .collect(),
        );
        for id in ids {
            assert_eq!(kept.canonical_id(id), gs1::canonical_id(id));
        }
        let other = "https://example.com/x";
        assert_eq!(kept.digital_link(other), None);
        assert_eq!(kept.canonical_id(other), other);
    }

    /// Every event of the shared example documents: with the kept conversions, the
    /// pre-hash string and the facets are exactly those computed from scratch.
    #[test]
    fn kept_conversions_change_no_hash_and_no_facet() {
        let dir = std::path::Path::new("/work/shared/gs1/epcis");
        if !dir.is_dir() {
            eprintln!("skipped: no shared EPCIS examples");
            return;
        }
        let none = CanonicalIds::default();
        let (mut stack, mut checked, mut kept) = (vec![dir.to_path_buf()], 0, 0);
        while let Some(d) = stack.pop() {
            for path in std::fs::read_dir(&d).unwrap().flatten().map(|e| e.path()) {
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap();
                let Ok(doc) = crate::parse_any_document(&bytes, &crate::Limits::default()) else {
                    continue;
                };
                for event in doc.events.into_iter().flatten() {
                    let view = event.view().unwrap();
                    let ns = event.namespaces();
                    assert_eq!(
                        event.facets(),
                        crate::facet::extract(&view, ns, &none),
                        "{path:?}"
                    );
                    assert_eq!(
                        event.pre_hash_string(),
                        crate::hash::pre_hash_string_with(event.json(), ns, &[], &none),
                        "{path:?}"
                    );
                    checked += 1;
                    kept += event.canonical_ids().entries.len();
                }
            }
        }
        assert!(
            checked > 0 && kept > 0,
            "{checked} events, {kept} identifiers"
        );
    }
}
