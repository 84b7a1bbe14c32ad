//! Sign-in throttling: after [`ACCOUNT_FAILURES`] failed sign-ins for one user name, or
//! [`ADDRESS_FAILURES`] from one client address, within [`WINDOW_MS`], further attempts are
//! refused until the oldest failure leaves the window. Kept in memory, for one process;
//! API tokens are not throttled (they are random and cannot be guessed). Times are Unix
//! milliseconds, as [`crate::auth::now_ms`] gives them.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Failed sign-ins allowed per user name within the window.
pub const ACCOUNT_FAILURES: usize = 5;
/// Failed sign-ins allowed per client address within the window (offices share one).
pub const ADDRESS_FAILURES: usize = 20;
/// The window, milliseconds (15 minutes).
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Most keys remembered; beyond, the expired ones are dropped first, then the stalest.
const MAX_KEYS: usize = 100_000;

/// Failure times per user name and per address.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<i64>>>,
}

fn account_key(name: &str) -> String {
    format!("user:{}", name.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

impl LoginLimiter {
    /// Milliseconds to wait before `name` may try again from `address`, when refused now.
    pub fn wait_ms(&self, name: &str, address: &str, now_ms: i64) -> Option<i64> {
        let Ok(mut map) = self.failures.lock() else {
            return None;
        };
        [
            (account_key(name), ACCOUNT_FAILURES),
            (address_key(address), ADDRESS_FAILURES),
        ]
        .into_iter()
        .filter_map(|(key, max)| {
            let times = map.get_mut(&key)?;
            expire(times, now_ms);
            (times.len() >= max).then(|| times.front().map_or(0, |t| t + WINDOW_MS - now_ms))
        })
        .max()
    }

    /// Records a failed sign-in.
    pub fn failed(&self, name: &str, address: &str, now_ms: i64) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= MAX_KEYS {
            map.retain(|_, times| {
                expire(times, now_ms);
                !times.is_empty()
            });
            while map.len() >= MAX_KEYS {
                let stalest = map
                    .iter()
                    .min_by_key(|(_, t)| t.back().copied().unwrap_or(0))
                    .map(|(k, _)| k.clone());
                match stalest {
                    Some(k) => map.remove(&k),
                    None => break,
                };
            }
        }
        for (key, max) in [
            (account_key(name), ACCOUNT_FAILURES),
            (address_key(address), ADDRESS_FAILURES),
        ] {
            let times = map.entry(key).or_default();
            expire(times, now_ms);
            times.push_back(now_ms);
            while times.len() > max {
                times.pop_front();
            }
        }
    }

    /// Forgets the failures of a user name after a successful sign-in.
    pub fn succeeded(&self, name: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&account_key(name));
        }
    }
}

fn expire(times: &mut VecDeque<i64>, now_ms: i64) {
    while times.front().is_some_and(|t| t + WINDOW_MS <= now_ms) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_000_000_000;

    #[test]
    fn the_sixth_attempt_on_an_account_waits_for_the_window() {
        let l = LoginLimiter::default();
        for i in 0..ACCOUNT_FAILURES as i64 {
            assert_eq!(l.wait_ms("Nhan", "10.0.0.1", T0 + i), None);
            l.failed("Nhan", "10.0.0.1", T0 + i);
        }
        // From another address too, and whatever the case of the name.
        assert_eq!(l.wait_ms("nhan", "10.0.0.2", T0 + 10), Some(WINDOW_MS - 10));
        assert_eq!(l.wait_ms("other", "10.0.0.2", T0 + 10), None);
        assert_eq!(l.wait_ms("nhan", "10.0.0.2", T0 + WINDOW_MS), None);
    }

    #[test]
    fn an_address_trying_many_names_is_refused() {
        let l = LoginLimiter::default();
        for i in 0..ADDRESS_FAILURES {
            l.failed(&format!("user{i}"), "10.0.0.9", T0);
        }
        assert!(l.wait_ms("someone-else", "10.0.0.9", T0 + 1).is_some());
        assert_eq!(l.wait_ms("someone-else", "10.0.0.8", T0 + 1), None);
    }

    #[test]
    fn success_clears_the_account() {
        let l = LoginLimiter::default();
        for _ in 0..ACCOUNT_FAILURES - 1 {
            l.failed("a", "x", T0);
        }
        l.succeeded("A");
        l.failed("a", "x", T0);
        assert_eq!(l.wait_ms("a", "y", T0), None);
    }
}
