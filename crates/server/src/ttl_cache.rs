//! A small in-memory cache whose entries expire: the resolver's links per key and the
//! passport's registry lookups. Reads take a shared lock; a full cache is emptied rather than
//! tracking recency (entries are cheap to fetch again, and expiry bounds staleness anyway).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Values by string key, each valid for the time it was put with.
pub struct TtlCache<V> {
    map: RwLock<HashMap<String, (Instant, V)>>,
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

    /// The value of `key` unless it has expired.
    pub fn get(&self, key: &str) -> Option<V> {
        let map = self.map.read().ok()?;
        let (expires, value) = map.get(key)?;
        (Instant::now() < *expires).then(|| value.clone())
    }

    /// Keeps `value` for `ttl`.
    pub fn put(&self, key: String, value: V, ttl: Duration) {
        if let Ok(mut map) = self.map.write() {
            if map.len() >= self.capacity && !map.contains_key(&key) {
                map.clear();
            }
            map.insert(key, (Instant::now() + ttl, value));
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

    #[test]
    fn entries_expire_and_can_be_dropped() {
        let cache = TtlCache::new(10);
        cache.put("a".into(), 1, Duration::from_secs(60));
        cache.put("b".into(), 2, Duration::ZERO);
        assert_eq!(cache.get("a"), Some(1));
        assert_eq!(cache.get("b"), None, "a zero TTL is already expired");
        cache.invalidate("a");
        assert_eq!(cache.get("a"), None);
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache = TtlCache::new(2);
        let long = Duration::from_secs(60);
        cache.put("a".into(), 1, long);
        cache.put("b".into(), 2, long);
        cache.put("b".into(), 3, long);
        assert_eq!(cache.get("a"), Some(1), "replacing a key does not evict");
        cache.put("c".into(), 4, long);
        assert_eq!((cache.get("a"), cache.get("c")), (None, Some(4)));
        cache.clear();
        assert_eq!(cache.get("c"), None);
    }
}
