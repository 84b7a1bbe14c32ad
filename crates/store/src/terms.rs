//! The writers' cache of facet term ids: text facets are stored as (term, seq) postings,
//! and a term's id is looked up for every text facet of every captured event. Most of
//! those look-ups repeat (a lot, a location, a business step is named by many events), so
//! each writer keeps the ids it has seen, bounded in two generations like the record cache:
//! when the newer fills up, the older is dropped and the newer takes its place. The values
//! come from senders, so the maps keep the standard library's keyed hasher.

use std::collections::HashMap;

/// Term ids by field id and value, bounded to about `capacity` terms per generation.
pub(crate) struct TermCache {
    current: HashMap<i64, HashMap<Box<str>, i64>>,
    previous: HashMap<i64, HashMap<Box<str>, i64>>,
    len: usize,
    capacity: usize,
}

impl TermCache {
    /// An empty cache holding up to `capacity` terms per generation.
    pub(crate) fn new(capacity: usize) -> TermCache {
        TermCache {
            current: HashMap::new(),
            previous: HashMap::new(),
            len: 0,
            capacity: capacity.max(1),
        }
    }

    /// The id of `(field_id, value)` if cached; a hit in the older generation moves the
    /// term to the newer.
    pub(crate) fn get(&mut self, field_id: i64, value: &str) -> Option<i64> {
        if let Some(&id) = self.current.get(&field_id).and_then(|m| m.get(value)) {
            return Some(id);
        }
        let id = *self.previous.get(&field_id)?.get(value)?;
        self.insert(field_id, value, id);
        Some(id)
    }

    /// Remembers the id of `(field_id, value)`.
    pub(crate) fn insert(&mut self, field_id: i64, value: &str, id: i64) {
        if self.len >= self.capacity {
            self.previous = std::mem::take(&mut self.current);
            self.len = 0;
        }
        let old = self
            .current
            .entry(field_id)
            .or_default()
            .insert(value.into(), id);
        if old.is_none() {
            self.len += 1;
        }
    }

    /// Forgets every id (after a rollback that may have taken some away).
    pub(crate) fn clear(&mut self) {
        self.current.clear();
        self.previous.clear();
        self.len = 0;
    }
}

/// Terms kept per generation by each writer: about 100 bytes each, so two generations
/// stay under ~100 MiB.
pub(crate) const TERM_CACHE_CAPACITY: usize = 500_000;

/// The store made before text facets were interned, and what the upgrade (migration 700)
/// must make of it: shared by the SQLite and PostgreSQL migration tests.
#[cfg(test)]
pub(crate) mod upgrade_fixture {
    /// Rows of the old `facet_text` (and the fields they name).
    pub(crate) const LEGACY_ROWS: &str =
        "INSERT INTO fields (id, name) VALUES (1, 'epc'), (2, 'bizStep');
         INSERT INTO facet_text (field_id, value, seq) VALUES
             (1, 'urn:a', 1), (1, 'urn:a', 2), (1, 'urn:b', 2), (2, 'urn:a', 3);";
    /// Every posting with its term, in order.
    pub(crate) const POSTINGS: &str = "SELECT t.field_id, t.value, p.seq FROM facet_postings p \
         JOIN facet_terms t ON t.id = p.term_id ORDER BY 1, 2, 3";

    /// What [`POSTINGS`] must give after the upgrade: every old row, as (field, value, seq).
    pub(crate) fn expected() -> Vec<(i64, String, i64)> {
        [
            (1, "urn:a", 1),
            (1, "urn:a", 2),
            (1, "urn:b", 2),
            (2, "urn:a", 3),
        ]
        .iter()
        .map(|(f, v, s)| (*f, v.to_string(), *s))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_survive_one_rotation_and_are_dropped_by_the_second() {
        let mut cache = TermCache::new(2);
        cache.insert(1, "a", 10);
        cache.insert(1, "b", 11);
        // The third term rotates: a and b move to the older generation.
        cache.insert(2, "a", 12);
        assert_eq!(cache.get(1, "a"), Some(10), "a hit in the older generation");
        assert_eq!(cache.get(2, "a"), Some(12));
        assert_eq!(cache.get(1, "c"), None);
        // a was promoted; b was not and is gone after the next rotation.
        cache.insert(3, "x", 13);
        assert_eq!(cache.get(1, "b"), None);
        assert_eq!(cache.get(3, "x"), Some(13));
        cache.clear();
        assert_eq!(cache.get(3, "x"), None);
    }

    #[test]
    fn the_same_value_under_two_fields_is_two_terms() {
        let mut cache = TermCache::new(10);
        cache.insert(1, "urn:x", 1);
        cache.insert(2, "urn:x", 2);
        assert_eq!(cache.get(1, "urn:x"), Some(1));
        assert_eq!(cache.get(2, "urn:x"), Some(2));
    }
}
