//! A trace step's reads shared with helper threads (off by default: on a 2-core machine
//! they made traces slower, each helper reading pages into a cache of its own; see
//! docs/benchmarks.md, "Capture writer and trace helpers").
//!
//! A large trace step looks up about a thousand identifiers and reads and decodes a few
//! thousand records: work that splits into independent chunks. The thread computing the
//! trace takes chunks one at a time; a helper thread (with a read connection of its own)
//! takes the others while it has nothing else to do. Nobody waits for help: the tracing
//! thread only waits for chunks a helper has already started, so on a busy machine, where
//! the helper gets no processor, a trace costs what it did on one thread.
//!
//! A helper reads outside the trace's read transaction, so every read is bounded by the
//! newest `seq` that transaction sees (see `sql::trace::seqs_sql`): events are
//! append-only and numbered in commit order, so the rows up to it are the same on any
//! connection opened later. Results come back in chunk order whoever read them, so a
//! trace is the same with or without help.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use trace::EventRecord;

use crate::StoreError;

/// What a helper thread reads a chunk with: a connection of its own.
pub(crate) trait ChunkReader: Send + 'static {
    /// The `seq`s (up to `bound`) of the events naming any of `nodes`, an event once per
    /// identifier it names, in the order of `nodes`.
    fn seqs(&mut self, nodes: &[String], bound: i64) -> Result<Vec<i64>, StoreError>;
    /// The decoded records of `seqs` (ascending), in `seq` order.
    fn records(&mut self, seqs: &[i64]) -> Result<Vec<(i64, Arc<EventRecord>)>, StoreError>;
}

/// Identifiers per chunk of a step's lookups.
pub(crate) const NODE_CHUNK: usize = 128;
/// Records per chunk of a step's reads.
pub(crate) const RECORD_CHUNK: usize = 256;

type Job<R> = Box<dyn FnOnce(&mut R) + Send>;

/// Helper threads of one store, each with its reader (opened on first use).
pub(crate) struct Helpers<R: ChunkReader> {
    queue: Option<SyncSender<Job<R>>>,
    /// Threads started.
    count: usize,
}

impl<R: ChunkReader> Helpers<R> {
    /// Starts `count` helper threads; `open` makes each one's reader when it is first
    /// needed. A helper whose reader cannot be opened drops the jobs it takes (the tracing
    /// thread then reads their chunks itself).
    pub(crate) fn start(
        count: usize,
        open: impl Fn() -> Result<R, StoreError> + Send + Sync + 'static,
    ) -> Helpers<R> {
        if count == 0 {
            return Helpers {
                queue: None,
                count: 0,
            };
        }
        let (tx, rx) = mpsc::sync_channel::<Job<R>>(count * 2);
        let rx = Arc::new(Mutex::new(rx));
        let open = Arc::new(open);
        let mut started = 0;
        for i in 0..count {
            let (rx, open) = (Arc::clone(&rx), Arc::clone(&open));
            let spawned = std::thread::Builder::new()
                .name(format!("trace-helper-{i}"))
                .spawn(move || serve(&rx, open.as_ref()));
            started += usize::from(spawned.is_ok());
        }
        Helpers {
            queue: (started > 0).then_some(tx),
            count: started,
        }
    }

    /// Whether any helper thread runs.
    pub(crate) fn active(&self) -> bool {
        self.queue.is_some()
    }

    /// `read_here(chunk)` over `items` in chunks of `chunk`, the helpers taking chunks
    /// with `read_there` while they are free; the results in the order of `items`.
    pub(crate) fn split<I, T, F>(
        &self,
        items: Vec<I>,
        chunk: usize,
        mut read_here: impl FnMut(&[I]) -> Result<Vec<T>, StoreError>,
        read_there: F,
    ) -> Result<Vec<T>, StoreError>
    where
        I: Send + Sync + 'static,
        T: Send + 'static,
        F: Fn(&mut R, &[I]) -> Result<Vec<T>, StoreError> + Send + Sync + 'static,
    {
        let chunk = chunk.max(1);
        let queue = match &self.queue {
            Some(queue) if items.len() > chunk => queue,
            _ => return read_here(&items),
        };
        let step = Arc::new(Step::new(items, chunk));
        let read_there = Arc::new(read_there);
        for _ in 0..self.count {
            let (shared, read) = (Arc::clone(&step), Arc::clone(&read_there));
            let job: Job<R> = Box::new(move |reader| shared.work(|c| read(reader, c)));
            match queue.try_send(job) {
                Ok(()) => {}
                // Every helper busy (or gone): this thread reads the rest.
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => break,
            }
        }
        step.work(&mut read_here);
        step.collect()
    }
}

/// Serves jobs until the store is dropped.
fn serve<R: ChunkReader>(
    rx: &Mutex<Receiver<Job<R>>>,
    open: &(dyn Fn() -> Result<R, StoreError> + Send + Sync),
) {
    let mut reader: Option<R> = None;
    loop {
        let job = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        if reader.is_none() {
            match open() {
                Ok(r) => reader = Some(r),
                Err(e) => {
                    tracing::warn!(error = %e, "a trace helper cannot open its reader");
                    // Dropping the job leaves its chunks to the tracing thread.
                    continue;
                }
            }
        }
        if let Some(r) = reader.as_mut() {
            job(r);
        }
    }
}

/// One step's chunks, taken in turn by whoever is free.
struct Step<I, T> {
    items: Vec<I>,
    chunk: usize,
    chunks: usize,
    next: AtomicUsize,
    state: Mutex<Slots<T>>,
    filled: Condvar,
}

struct Slots<T> {
    results: Vec<Option<Result<Vec<T>, StoreError>>>,
    filled: usize,
}

impl<I, T> Step<I, T> {
    fn new(items: Vec<I>, chunk: usize) -> Step<I, T> {
        let chunks = items.len().div_ceil(chunk);
        Step {
            items,
            chunk,
            chunks,
            next: AtomicUsize::new(0),
            state: Mutex::new(Slots {
                results: (0..chunks).map(|_| None).collect(),
                filled: 0,
            }),
            filled: Condvar::new(),
        }
    }

    /// Reads chunks until none is left to take.
    fn work(&self, mut read: impl FnMut(&[I]) -> Result<Vec<T>, StoreError>) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.chunks {
                return;
            }
            let start = i * self.chunk;
            let end = (start + self.chunk).min(self.items.len());
            let result = read(&self.items[start..end]);
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.results[i] = Some(result);
            state.filled += 1;
            if state.filled == self.chunks {
                self.filled.notify_all();
            }
        }
    }

    /// Waits for the chunks still being read elsewhere; the results in chunk order, or
    /// the first error.
    fn collect(&self) -> Result<Vec<T>, StoreError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while state.filled < self.chunks {
            state = self
                .filled
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let mut out = Vec::new();
        for slot in state.results.iter_mut() {
            match slot.take() {
                Some(Ok(part)) => out.extend(part),
                Some(Err(e)) => return Err(e),
                None => {
                    return Err(StoreError::Database(
                        "a trace step chunk was not read".into(),
                    ))
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads "records" whose content is the `seq`, counting what it read.
    struct Counting(Arc<AtomicUsize>);

    impl ChunkReader for Counting {
        fn seqs(&mut self, nodes: &[String], _bound: i64) -> Result<Vec<i64>, StoreError> {
            self.0.fetch_add(nodes.len(), Ordering::Relaxed);
            Ok(nodes.iter().map(|n| n.parse().unwrap_or(-1)).collect())
        }
        fn records(&mut self, _: &[i64]) -> Result<Vec<(i64, Arc<EventRecord>)>, StoreError> {
            Ok(Vec::new())
        }
    }

    fn parse(nodes: &[String]) -> Result<Vec<i64>, StoreError> {
        Ok(nodes.iter().map(|n| n.parse().unwrap_or(-1)).collect())
    }

    #[test]
    fn results_keep_the_order_of_the_items_whoever_reads_them() {
        let there = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&there);
        let helpers = Helpers::start(2, move || Ok(Counting(Arc::clone(&counter))));
        let items: Vec<String> = (0..5_000).map(|n| n.to_string()).collect();
        let expected: Vec<i64> = (0..5_000).collect();
        for _ in 0..50 {
            let out = helpers
                .split(items.clone(), 7, parse, |r, c| r.seqs(c, 0))
                .unwrap();
            assert_eq!(out, expected);
        }
        // Not a timing claim: only that the helpers took part at all over 50 steps.
        assert!(
            there.load(Ordering::Relaxed) > 0,
            "no chunk read by a helper"
        );
    }

    #[test]
    fn without_helpers_everything_is_read_here() {
        let helpers: Helpers<Counting> = Helpers::start(0, || unreachable!());
        let items: Vec<String> = (0..100).map(|n| n.to_string()).collect();
        let out = helpers.split(items, 7, parse, |r, c| r.seqs(c, 0)).unwrap();
        assert_eq!(out, (0..100).collect::<Vec<i64>>());
    }

    #[test]
    fn an_error_in_any_chunk_fails_the_step() {
        struct Failing;
        impl ChunkReader for Failing {
            fn seqs(&mut self, _: &[String], _: i64) -> Result<Vec<i64>, StoreError> {
                Err(StoreError::Database("helper failed".into()))
            }
            fn records(&mut self, _: &[i64]) -> Result<Vec<(i64, Arc<EventRecord>)>, StoreError> {
                Err(StoreError::Database("helper failed".into()))
            }
        }
        let helpers = Helpers::start(1, || Ok(Failing));
        let items: Vec<String> = (0..10_000).map(|n| n.to_string()).collect();
        let mut failed = 0;
        for _ in 0..20 {
            // This thread's chunks succeed; any chunk the helper took must fail the step.
            let slow = |c: &[String]| {
                std::thread::sleep(std::time::Duration::from_micros(50));
                parse(c)
            };
            if helpers
                .split(items.clone(), 100, slow, |r, c| r.seqs(c, 0))
                .is_err()
            {
                failed += 1;
            }
        }
        assert!(failed > 0, "a helper's error was lost");
    }

    #[test]
    fn a_helper_that_cannot_open_its_reader_leaves_the_work_here() {
        let helpers: Helpers<Counting> =
            Helpers::start(1, || Err(StoreError::Database("no connection".into())));
        let items: Vec<String> = (0..1_000).map(|n| n.to_string()).collect();
        for _ in 0..10 {
            let out = helpers
                .split(items.clone(), 10, parse, |r, c| r.seqs(c, 0))
                .unwrap();
            assert_eq!(out.len(), 1_000);
        }
    }
}
