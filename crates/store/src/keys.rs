//! Event keys: the compact index behind duplicate detection and look-ups by `eventID`.
//!
//! Instead of two UNIQUE indexes on long text (`eventID` and the canonical hash, 70–90
//! bytes each, in random order, and the same text twice for an event captured without an
//! `eventID`), each event has one or two rows `event_keys(key, seq)`: the key is the first
//! eight bytes of the SHA-256 of the text, the same for an `eventID` and a hash. An index
//! of 8-byte integers is about a sixth of the size, so far fewer of its pages are
//! rewritten per commit and it stays in cache much longer.
//!
//! Keys may collide: a key is only where to look. Every hit is checked against the
//! stored `event_id` and `hash` of the event it points to, so duplicates are found
//! exactly as with the UNIQUE indexes (same `eventID`, or same hash), and the key's
//! primary key `(key, seq)` lets two events share a key.

use sha2::{Digest, Sha256};

/// SQL: the key rows of one event (`?1` key, `?2` seq).
pub(crate) const INSERT_KEY: &str = "INSERT INTO event_keys (key, seq) VALUES (?1, ?2)";

/// The key of an `eventID` or a hash: the first eight bytes of its SHA-256, big-endian.
pub(crate) fn event_key(text: &str) -> i64 {
    #[cfg(test)]
    if text.starts_with(test_support::COLLIDING) {
        // Tests make different texts share a key, to exercise the collision path.
        return test_support::COLLIDING_KEY;
    }
    let digest = Sha256::digest(text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// The distinct keys of an event with this `eventID` and hash (one when they are the
/// same text, as for an event captured without an `eventID`).
pub(crate) fn keys_of(event_id: &str, hash: &str) -> (i64, Option<i64>) {
    let id_key = event_key(event_id);
    if hash == event_id {
        return (id_key, None);
    }
    let hash_key = event_key(hash);
    (id_key, (hash_key != id_key).then_some(hash_key))
}

/// The rows `(key, seq)` of the events `(seq, event_id, hash)`, for building the table
/// on open (a store from before it, or a restored dump).
pub(crate) fn rows_of<'a>(
    events: impl IntoIterator<Item = (i64, &'a str, &'a str)>,
) -> Vec<(i64, i64)> {
    let mut rows = Vec::new();
    for (seq, event_id, hash) in events {
        let (a, b) = keys_of(event_id, hash);
        rows.push((a, seq));
        rows.extend(b.map(|b| (b, seq)));
    }
    rows
}

/// Hooks for the collision tests of both backends.
#[cfg(test)]
pub(crate) mod test_support {
    /// Texts starting with this all have [`COLLIDING_KEY`] (in test builds only).
    pub(crate) const COLLIDING: &str = "urn:test:collide:";
    /// The key every colliding text has.
    pub(crate) const COLLIDING_KEY: i64 = 42;

    use crate::{AppendMode, NewEvent, RejectReason, Store};

    /// Events stored before `event_keys` existed (migration 730): one captured without an
    /// eventID (its hash is its eventID), two with their own.
    pub(crate) const LEGACY_EVENTS: &str =
        "INSERT INTO events (seq, event_id, hash, event_type, event_time, record_time, body) VALUES
             (1, 'urn:uuid:legacy-1', 'ni:///sha-256;01?ver=CBV2.0', 1, 1, 1, '{}'),
             (2, 'ni:///sha-256;02?ver=CBV2.0', 'ni:///sha-256;02?ver=CBV2.0', 1, 2, 2, '{}'),
             (3, 'urn:uuid:legacy-3', 'ni:///sha-256;03?ver=CBV2.0', 1, 3, 3, '{}');";

    /// After the upgrade, the events of [`LEGACY_EVENTS`] are found by eventID and are
    /// duplicates of new events with their eventID or hash.
    pub(crate) fn check_upgraded(store: &dyn Store) {
        for (id, seq) in [
            ("urn:uuid:legacy-1", 1),
            ("ni:///sha-256;02?ver=CBV2.0", 2),
            ("urn:uuid:legacy-3", 3),
        ] {
            assert_eq!(store.event(id).unwrap().unwrap().seq, seq, "{id}");
        }
        let new = |id: &str, hash: &str| NewEvent {
            event_id: id.into(),
            hash: hash.into(),
            event_type: epcis::EventType::ObjectEvent,
            event_time_ms: 4,
            record_time_ms: 4,
            body: "{}".into(),
            facets: Vec::new(),
            trace: None,
        };
        let outcome = store
            .append(
                vec![
                    new("urn:uuid:legacy-1", "ni:///sha-256;0a?ver=CBV2.0"),
                    new("urn:uuid:new-1", "ni:///sha-256;02?ver=CBV2.0"),
                    new("urn:uuid:new-2", "ni:///sha-256;03?ver=CBV2.0"),
                    new("urn:uuid:new-3", "ni:///sha-256;04?ver=CBV2.0"),
                ],
                AppendMode::SkipFailures,
            )
            .unwrap();
        let duplicate = |id: &str| {
            Err(RejectReason::Duplicate {
                event_id: id.into(),
            })
        };
        assert_eq!(
            outcome.results,
            vec![
                duplicate("urn:uuid:legacy-1"),
                duplicate("urn:uuid:new-1"),
                duplicate("urn:uuid:new-2"),
                Ok(4),
            ]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AppendMode, NewEvent, PageRequest, RejectReason, SqliteStore, Store};
    use epcis::query::{Condition, Query};
    use epcis::EventType;

    fn event(event_id: &str, hash: &str) -> NewEvent {
        NewEvent {
            event_id: event_id.into(),
            hash: hash.into(),
            event_type: EventType::ObjectEvent,
            event_time_ms: 1,
            record_time_ms: 1,
            body: "{}".into(),
            facets: Vec::new(),
            trace: None,
        }
    }

    /// Events whose eventIDs and hashes all share one key are told apart by their text:
    /// none is taken for a duplicate of another, each is found by its eventID, and a real
    /// duplicate (same eventID, or same hash) is still refused, also within one batch.
    fn colliding_keys_are_checked_against_the_text(store: &dyn Store) {
        let c = test_support::COLLIDING;
        let stored = store
            .append(
                vec![
                    event(&format!("{c}a"), &format!("{c}hash-a")),
                    event(&format!("{c}b"), &format!("{c}hash-b")),
                    // An eventID equal to another event's hash is not a duplicate of it.
                    event(&format!("{c}hash-a"), &format!("{c}hash-c")),
                ],
                AppendMode::AllOrNothing,
            )
            .unwrap();
        assert_eq!(
            stored.results,
            vec![Ok(1), Ok(2), Ok(3)],
            "colliding keys are no duplicates"
        );
        for (id, seq) in [("a", 1), ("b", 2), ("hash-a", 3)] {
            let found = store.event(&format!("{c}{id}")).unwrap().unwrap();
            assert_eq!(found.seq, seq);
        }
        assert!(store.event(&format!("{c}z")).unwrap().is_none());
        let query = Query {
            conditions: vec![Condition::EventIdIn(vec![format!("{c}b"), format!("{c}z")])],
            ..Query::default()
        };
        let page = store
            .query(
                &query,
                &PageRequest {
                    per_page: 10,
                    after: None,
                },
            )
            .unwrap();
        let seqs: Vec<i64> = page.items.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![2]);
        let again = store
            .append(
                vec![
                    event(&format!("{c}new-1"), &format!("{c}hash-new-1")),
                    event(&format!("{c}b"), &format!("{c}hash-other")),
                    event(&format!("{c}new-2"), &format!("{c}hash-c")),
                    event(&format!("{c}new-3"), &format!("{c}hash-new-1")),
                    event(&format!("{c}new-1"), &format!("{c}hash-new-4")),
                ],
                AppendMode::SkipFailures,
            )
            .unwrap();
        let duplicate = |id: &str| {
            Err(RejectReason::Duplicate {
                event_id: format!("{c}{id}"),
            })
        };
        assert_eq!(
            again.results,
            vec![
                Ok(4),
                duplicate("b"),
                duplicate("new-2"),
                duplicate("new-3"),
                duplicate("new-1"),
            ]
        );
        assert_eq!(store.event_count().unwrap(), 4);
    }

    #[test]
    fn colliding_keys_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("k.sqlite")).unwrap();
        colliding_keys_are_checked_against_the_text(&store);
    }

    #[test]
    fn colliding_keys_on_postgres() {
        let Some(db) = crate::postgres::scratch::ScratchDatabase::for_test("tp_key_collide") else {
            return;
        };
        let store = crate::PgStore::open(db.url()).unwrap();
        colliding_keys_are_checked_against_the_text(&store);
        drop(store);
    }

    #[test]
    fn keys_are_the_first_eight_bytes_of_sha256() {
        // SHA-256("abc") = ba7816bf 8f01cfea …
        assert_eq!(
            event_key("abc"),
            i64::from_be_bytes([0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea])
        );
        assert_ne!(event_key("urn:uuid:1"), event_key("urn:uuid:2"));
    }

    #[test]
    fn an_event_without_its_own_id_has_one_key() {
        let hash = "ni:///sha-256;00ff?ver=CBV2.0";
        assert_eq!(keys_of(hash, hash), (event_key(hash), None));
        let (a, b) = keys_of("urn:uuid:1", hash);
        assert_eq!((a, b), (event_key("urn:uuid:1"), Some(event_key(hash))));
        let (a, b) = keys_of("urn:test:collide:1", "urn:test:collide:2");
        assert_eq!((a, b), (42, None), "colliding id and hash: one row");
    }
}
