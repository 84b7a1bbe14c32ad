//! Storage for tracing: the trace index kept beside the events, read a level at a time.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;

use trace::{EventRecord, Link, Party, TraceGraph, TraceRequest, Word};

use crate::StoreError;

/// What the trace engine needs from storage. The index is written with the events (in the
/// same commit), so a trace sees exactly the acknowledged events.
pub trait TraceStore: Send + Sync {
    /// The trace records of every event naming any of `nodes` (canonical identifiers), in
    /// any role, each once.
    fn trace_records(&self, nodes: &[String]) -> Result<Vec<Arc<EventRecord>>, StoreError>;

    /// Computes a trace in one consistent read.
    fn trace(&self, request: &TraceRequest) -> Result<TraceGraph, StoreError>;
}

/// What the trace index keeps of one event: its trace record, serialised, and the
/// identifiers it names. Built when the event is prepared for storage (in parallel, on the
/// capturing thread), so that the single writer only inserts rows.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEntry {
    /// The [`EventRecord`] in its stored form ([`EventRecord::encode`]).
    pub record: Vec<u8>,
    /// The identifiers the event names, each once (the index keys).
    pub nodes: Vec<String>,
}

impl TraceEntry {
    /// The entry of an event's JSON-LD object; `None` when the event names no identifier
    /// (it cannot be reached by a trace).
    pub fn from_json(obj: &serde_json::Map<String, serde_json::Value>) -> Option<TraceEntry> {
        TraceEntry::from_record(&EventRecord::from_json(obj)?)
    }

    /// The entry of a validated event, from its typed view (see [`epcis::Event::view`]);
    /// `event_id` is the event's `eventID`. The same entry as [`TraceEntry::from_json`] of
    /// the event's object, reusing the identifier conversions validation made.
    pub fn from_view(
        event_id: &str,
        view: &epcis::model::EventView<'_>,
        ids: &epcis::ids::CanonicalIds,
    ) -> Option<TraceEntry> {
        TraceEntry::from_record(&EventRecord::from_view_with(event_id, view, ids))
    }

    /// The entry of a stored event body (for indexing events stored before the index).
    pub fn from_body(body: &str) -> Option<TraceEntry> {
        TraceEntry::from_record(&EventRecord::from_body(body)?)
    }

    fn from_record(record: &EventRecord) -> Option<TraceEntry> {
        if record.links.is_empty() {
            return None;
        }
        Some(TraceEntry {
            record: record.encode(),
            nodes: record.index_keys().into_iter().map(str::to_owned).collect(),
        })
    }
}

/// Memory the decoded trace records of one store may hold (roughly). A trace of a
/// 1,000-identifier lot decodes about 3,600 records (~2.5 MB); this keeps the records of a
/// few dozen such traces in each generation.
pub(crate) const RECORD_CACHE_BYTES: usize = 256 << 20;

/// Decoded trace records by `seq`, shared by every trace of one store. A committed record
/// never changes (events are append-only and the index row is written in the same commit),
/// so an entry can never be stale, whichever process wrote it: the database still decides
/// which events a trace sees, the cache only saves decoding them again.
///
/// Two generations bound the memory: records go into the young one; when it holds half the
/// budget it becomes the old one and the previous old one is dropped. A hit in the old
/// generation moves the record back to the young one, so records in use survive.
pub(crate) struct RecordCache {
    budget: usize,
    inner: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    young: FxHashMap<i64, Arc<EventRecord>>,
    young_bytes: usize,
    old: FxHashMap<i64, Arc<EventRecord>>,
}

impl Generations {
    fn put(&mut self, seq: i64, record: Arc<EventRecord>, half: usize) {
        self.young_bytes += approximate_size(&record);
        self.young.insert(seq, record);
        if self.young_bytes > half {
            let retired = std::mem::replace(&mut self.old, std::mem::take(&mut self.young));
            self.young_bytes = 0;
            retire(retired);
        }
    }
}

/// Frees a retired generation on a thread of its own. A generation holds about half the
/// budget in small allocations (over a million at the default): freeing them took the
/// trace that happened to fill the young generation 100–400 ms, holding the cache's lock.
fn retire(generation: FxHashMap<i64, Arc<EventRecord>>) {
    if generation.is_empty() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("trace-cache-free".into())
        .spawn(move || drop(generation));
    // When no thread can be started, the generation was freed here, as before.
    drop(spawned);
}

impl RecordCache {
    /// An empty cache of about `budget` bytes.
    pub(crate) fn new(budget: usize) -> RecordCache {
        RecordCache {
            budget,
            inner: Mutex::new(Generations::default()),
        }
    }

    /// Appends the cached records of `seqs` to `out`; returns the `seqs` not cached.
    pub(crate) fn lookup(&self, seqs: &[i64], out: &mut Vec<Arc<EventRecord>>) -> Vec<i64> {
        let half = self.budget / 2;
        // The maps stay consistent whatever a panicking holder was doing.
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut missing = Vec::new();
        for &seq in seqs {
            if let Some(r) = g.young.get(&seq) {
                out.push(Arc::clone(r));
            } else if let Some(r) = g.old.remove(&seq) {
                out.push(Arc::clone(&r));
                g.put(seq, r, half);
            } else {
                missing.push(seq);
            }
        }
        missing
    }

    /// Keeps records just decoded.
    pub(crate) fn insert(&self, records: &[(i64, Arc<EventRecord>)]) {
        let half = self.budget / 2;
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        for (seq, r) in records {
            g.put(*seq, Arc::clone(r), half);
        }
    }
}

/// Heap and inline bytes of a decoded record, near enough to bound the cache (a shared
/// standard word takes no heap).
fn approximate_size(r: &EventRecord) -> usize {
    let heap = |s: Option<&str>| s.map_or(0, str::len);
    let word = |w: Option<&Word>| match w {
        Some(Cow::Owned(s)) => s.len(),
        _ => 0,
    };
    let parties = |list: &[Party]| {
        list.iter()
            .map(|p| std::mem::size_of::<Party>() + word(Some(&p.kind)) + p.id.len())
            .sum::<usize>()
    };
    let links: usize = r
        .links
        .iter()
        .map(|l: &Link| std::mem::size_of::<Link>() + l.node.len() + word(l.uom.as_ref()))
        .sum();
    // Plus the map entry and the Arc's counters.
    64 + std::mem::size_of::<EventRecord>()
        + r.event_id.len()
        + word(Some(&r.time_zone))
        + word(r.biz_step.as_ref())
        + word(r.disposition.as_ref())
        + heap(r.read_point.as_deref())
        + heap(r.biz_location.as_deref())
        + parties(&r.sources)
        + parties(&r.destinations)
        + parties(&r.biz_transactions)
        + links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: i64) -> Arc<EventRecord> {
        let obj = serde_json::json!({
            "type": "ObjectEvent", "eventID": format!("urn:x:{n}"),
            "eventTime": "2026-02-01T08:00:00.000+07:00", "eventTimeZoneOffset": "+07:00",
            "action": "OBSERVE", "epcList": [format!("urn:epc:id:sscc:8934567.{n:010}")]
        });
        Arc::new(EventRecord::from_json(obj.as_object().unwrap()).unwrap())
    }

    fn cached(cache: &RecordCache, seqs: &[i64]) -> (Vec<String>, Vec<i64>) {
        let mut out = Vec::new();
        let missing = cache.lookup(seqs, &mut out);
        (out.iter().map(|r| r.event_id.clone()).collect(), missing)
    }

    #[test]
    fn records_come_back_by_seq_and_misses_are_listed() {
        let cache = RecordCache::new(1 << 20);
        cache.insert(&[(1, record(1)), (3, record(3))]);
        let (found, missing) = cached(&cache, &[1, 2, 3]);
        assert_eq!(found, ["urn:x:1", "urn:x:3"]);
        assert_eq!(missing, [2]);
    }

    #[test]
    fn the_budget_bounds_the_cache_and_records_in_use_survive() {
        let size = approximate_size(&record(0));
        // Room for about ten records: five per generation.
        let cache = RecordCache::new(size * 10 + size / 2);
        cache.insert(&[(0, record(0))]);
        for n in 1..100 {
            cache.insert(&[(n, record(n))]);
            // Record 0 is used all along: each hit keeps it in the young generation.
            assert!(cached(&cache, &[0]).1.is_empty(), "record 0 evicted at {n}");
        }
        let all: Vec<i64> = (0..100).collect();
        let (found, _) = cached(&cache, &all);
        assert!(found.len() <= 12, "{} records kept", found.len());
        assert!(found.contains(&"urn:x:99".to_owned()));
    }
}
