//! A small in-memory cache whose entries expire: the resolver's links per key and the
//! passport's registry lookups. Reads take a shared lock; a full cache is emptied rather than
//! tracking recency (entries are cheap to fetch again, and expiry bounds staleness anyway).
//!
//! An expired entry is not dropped at once: for a grace period as long as its time to live
//! it is still served, while the first reader to see it expired — and only that one — fetches
//! it again. Without that, every reader of a hot key fetched it at the instant it expired,
//! and keys cached together (a warm-up, a burst of scans) all expired together: at ten
//! million events the resolver stalled for about 100 ms every 30 s. Times to live are also
//! spread over their last fifth, for the same reason.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// One cached value.
struct Entry<V> {
    fresh_until: Instant,
    stale_until: Instant,
    /// Set when a reader took on fetching the expired value again.
    refreshing: AtomicBool,
    value: V,
}

/// What [`TtlCache::get`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cached<V> {
    /// A value to use: within its time to live, or expired but being fetched again by another
    /// reader.
    Fresh(V),
    /// An expired value within its grace period: this reader, the only one, should fetch it
    /// again and `put` the answer (it may serve this value if the fetch fails).
    Refresh(V),
}

/// Values by string key, each valid for the time it was put with.
pub struct TtlCache<V> {
    map: RwLock<HashMap<String, Entry<V>>>,
    capacity: usize,
}

impl<V: Clone> TtlCache<V> {
    /// An empty cache holding at most `capacity` keys.
    pub fn new(capacity: usize) -> TtlCache<V> {
        TtlCache {
            map: RwLock::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The value of `key`, unless absent or past its grace period.
    pub fn get(&self, key: &str) -> Option<Cached<V>> {
        let map = self.map.read().ok()?;
        let entry = map.get(key)?;
        let now = Instant::now();
        if now < entry.fresh_until {
            return Some(Cached::Fresh(entry.value.clone()));
        }
        if now >= entry.stale_until {
            return None;
        }
        if entry.refreshing.swap(true, Ordering::AcqRel) {
            Some(Cached::Fresh(entry.value.clone()))
        } else {
            Some(Cached::Refresh(entry.value.clone()))
        }
    }

    /// Keeps `value` for about `ttl` (between four fifths of it and all of it), then serves it
    /// for as long again while it is fetched anew.
    pub fn put(&self, key: String, value: V, ttl: Duration) {
        let fresh_until = Instant::now() + ttl.mul_f64(0.8 + 0.2 * rand::random::<f64>());
        self.insert(key, value, fresh_until, fresh_until + ttl);
    }

    fn insert(&self, key: String, value: V, fresh_until: Instant, stale_until: Instant) {
        let entry = Entry {
            fresh_until,
            stale_until,
            refreshing: AtomicBool::new(false),
            value,
        };
        if let Ok(mut map) = self.map.write() {
            if map.len() >= self.capacity && !map.contains_key(&key) {
                map.clear();
            }
            map.insert(key, entry);
        }
    }

    /// Forgets `key`.
    pub fn invalidate(&self, key: &str) {
        if let Ok(mut map) = self.map.write() {
            map.remove(key);
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        if let Ok(mut map) = self.map.write() {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh<V>(c: Option<Cached<V>>) -> Option<V> {
        match c {
            Some(Cached::Fresh(v)) => Some(v),
            _ => None,
        }
    }

    #[test]
    fn entries_expire_and_can_be_dropped() {
        let cache = TtlCache::new(10);
        cache.put("a".into(), 1, Duration::from_secs(60));
        cache.put("b".into(), 2, Duration::ZERO);
        assert_eq!(cache.get("a"), Some(Cached::Fresh(1)));
        assert_eq!(cache.get("b"), None, "a zero TTL is already past its grace");
        cache.invalidate("a");
        assert_eq!(cache.get("a"), None);
    }

    #[test]
    fn an_expired_entry_is_refreshed_by_one_reader_while_the_others_are_served() {
        let cache = TtlCache::new(10);
        let now = Instant::now();
        let minute = Duration::from_secs(60);
        cache.insert("k".into(), 1, now - minute, now + minute);
        assert_eq!(
            cache.get("k"),
            Some(Cached::Refresh(1)),
            "the first reader refreshes"
        );
        for _ in 0..3 {
            assert_eq!(
                cache.get("k"),
                Some(Cached::Fresh(1)),
                "the others are served"
            );
        }
        cache.put("k".into(), 2, minute);
        assert_eq!(cache.get("k"), Some(Cached::Fresh(2)));
        cache.insert("k".into(), 3, now - minute, now - Duration::from_secs(1));
        assert_eq!(
            cache.get("k"),
            None,
            "nothing is served past the grace period"
        );
    }

    #[test]
    fn times_to_live_are_spread_over_their_last_fifth() {
        let cache = TtlCache::new(1000);
        let ttl = Duration::from_secs(100);
        let before = Instant::now();
        for i in 0..200 {
            cache.put(i.to_string(), i, ttl);
        }
        let after = Instant::now();
        let map = cache.map.read().unwrap();
        let lives: Vec<Duration> = map.values().map(|e| e.fresh_until - before).collect();
        assert!(lives
            .iter()
            .all(|l| *l >= ttl.mul_f64(0.8) && *l <= ttl + (after - before)));
        assert!(map.values().all(|e| e.stale_until == e.fresh_until + ttl));
        let (min, max) = (lives.iter().min().unwrap(), lives.iter().max().unwrap());
        assert!(
            *max - *min > Duration::from_secs(10),
            "spread: {min:?}..{max:?}"
        );
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache = TtlCache::new(2);
        let long = Duration::from_secs(60);
        cache.put("a".into(), 1, long);
        cache.put("b".into(), 2, long);
        cache.put("b".into(), 3, long);
        assert_eq!(
            fresh(cache.get("a")),
            Some(1),
            "replacing a key does not evict"
        );
        cache.put("c".into(), 4, long);
        assert_eq!(
            (fresh(cache.get("a")), fresh(cache.get("c"))),
            (None, Some(4))
        );
        cache.clear();
        assert_eq!(cache.get("c"), None);
    }
}
