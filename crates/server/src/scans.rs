//! Scan records: each resolution is queued here and written in batches off the request
//! path, so recording never slows a redirect. Nothing personal is kept: the user agent
//! is reduced to a class, the address is never read, the region is what the client gave.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use store::{Backend, Scan};
use tokio::sync::mpsc;

/// Most scans waiting to be written; beyond it scans are dropped (and counted) rather than
/// letting memory grow under a flood.
const QUEUE: usize = 131_072;
/// Most scans written in one store call.
const BATCH: usize = 16_384;
/// How long a lone scan may wait for company. Each commit rewrites every index page its scans
/// touch (scans of many identifiers land all over the two indexes), so fewer, bigger commits
/// write far fewer bytes per scan: with 2,048 scans per 50 ms, 30,000 redirects/s made about
/// 300 MB/s of disk writes and half the CPU went to the kernel. Half a second is still well
/// within what the authenticity panel needs.
const LINGER: Duration = Duration::from_millis(500);

/// The queue in front of the store.
#[derive(Default)]
pub struct ScanRecorder {
    sender: OnceLock<mpsc::Sender<Scan>>,
    /// Scans dropped because the queue was full or the store failed.
    pub dropped: AtomicU64,
    /// Scans written.
    pub written: Arc<AtomicU64>,
}

impl ScanRecorder {
    /// Queues a scan; starts the writer task on first use (needs a Tokio runtime).
    pub fn record(self: &Arc<Self>, store: &Arc<dyn Backend>, scan: Scan) {
        let sender = self.sender.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(write_loop(self.clone(), store.clone(), rx));
            tx
        });
        if sender.try_send(scan).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn write_loop(
    recorder: Arc<ScanRecorder>,
    store: Arc<dyn Backend>,
    mut rx: mpsc::Receiver<Scan>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < BATCH {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(scan)) => batch.push(scan),
                _ => break,
            }
        }
        let scans = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
        let n = scans.len() as u64;
        let store = store.clone();
        let result = tokio::task::spawn_blocking(move || store.record_scans(&scans)).await;
        match result {
            Ok(Ok(())) => {
                recorder.written.fetch_add(n, Ordering::Relaxed);
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, scans = n, "could not record scans");
                recorder.dropped.fetch_add(n, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::warn!(error = %e, scans = n, "scan writer task failed");
                recorder.dropped.fetch_add(n, Ordering::Relaxed);
            }
        }
    }
}

/// The class of a user agent: `bot`, `ios`, `android`, `desktop` or `other`.
pub fn ua_class(user_agent: &str) -> &'static str {
    let ua = user_agent.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| ua.contains(w));
    if has(&[
        "bot",
        "crawl",
        "spider",
        "curl/",
        "wget",
        "python-requests",
        "headless",
    ]) {
        "bot"
    } else if has(&["iphone", "ipad", "ipod", "ios"]) {
        "ios"
    } else if has(&["android"]) {
        "android"
    } else if has(&["windows", "macintosh", "x11", "linux", "cros"]) {
        "desktop"
    } else {
        "other"
    }
}

/// A coarse region as given by the client (`VN-HN`, `VN`): ISO 3166-1 alpha-2, optionally
/// with a subdivision; anything else is ignored. Returns (country, region).
pub fn coarse_region(text: &str) -> Option<(String, Option<String>)> {
    let up = text.trim().to_ascii_uppercase();
    let (country, sub) = match up.split_once('-') {
        Some((c, s)) => (c, Some(s)),
        None => (up.as_str(), None),
    };
    let country_ok = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
    let sub_ok = sub
        .is_none_or(|s| (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    (country_ok && sub_ok).then(|| (country.to_owned(), sub.map(|_| up.clone())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15";
        let android =
            "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 Chrome/120 Mobile";
        let desktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120";
        assert_eq!(ua_class(iphone), "ios");
        assert_eq!(ua_class(android), "android");
        assert_eq!(ua_class(desktop), "desktop");
        assert_eq!(ua_class("Googlebot/2.1"), "bot");
        assert_eq!(ua_class(""), "other");
    }

    #[test]
    fn regions() {
        assert_eq!(
            coarse_region("vn-hn"),
            Some(("VN".into(), Some("VN-HN".into())))
        );
        assert_eq!(coarse_region("VN"), Some(("VN".into(), None)));
        assert_eq!(coarse_region("Hanoi"), None);
        assert_eq!(coarse_region("VN-HANOI"), None);
        assert_eq!(coarse_region("10.1.2.3"), None);
    }
}
