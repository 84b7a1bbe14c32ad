//! One store test suite for every backend: [`TestDb`] is a fresh, empty store of one
//! backend that can be opened (and reopened) any number of times, and [`store_suite!`]
//! turns every case of `cases.rs` into a `#[test]` for that backend.

#![allow(dead_code)]

pub mod cases;
pub mod links;
pub mod masterdata;
pub mod registries;
pub mod subscriptions;
pub mod trace;

use std::sync::Arc;

use store::postgres::scratch::ScratchDatabase;
use store::{Backend, Location, PgStore, SqliteStore};

/// The backend a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SQLite in a temporary directory.
    Sqlite,
    /// A scratch database on the test PostgreSQL server.
    Postgres,
}

/// A fresh store location of one backend.
pub struct TestDb {
    pub kind: Kind,
    dir: tempfile::TempDir,
    pg: Option<ScratchDatabase>,
}

impl TestDb {
    /// A fresh location; `None` when PostgreSQL is unreachable outside CI (the test is skipped).
    pub fn new(kind: Kind) -> Option<TestDb> {
        let pg = match kind {
            Kind::Sqlite => None,
            Kind::Postgres => Some(ScratchDatabase::for_test("tp_store")?),
        };
        Some(TestDb {
            kind,
            dir: tempfile::tempdir().unwrap(),
            pg,
        })
    }

    /// The PostgreSQL URL, for PostgreSQL locations.
    pub fn url(&self) -> Option<&str> {
        self.pg.as_ref().map(ScratchDatabase::url)
    }

    /// The location, for backup, restore and copy.
    pub fn location(&self) -> Location {
        match &self.pg {
            None => Location::Sqlite(self.dir.path().join("traceport.sqlite")),
            Some(db) => Location::Postgres(db.url().to_owned()),
        }
    }

    /// Runs raw SQL on the database (the store must not be open, for SQLite).
    pub fn execute(&self, sql: &str) {
        match &self.pg {
            None => rusqlite::Connection::open(self.dir.path().join("traceport.sqlite"))
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
            Some(db) => {
                let (url, sql) = (db.url().to_owned(), sql.to_owned());
                std::thread::spawn(move || {
                    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                    client.batch_execute(&sql).unwrap();
                })
                .join()
                .unwrap();
            }
        }
    }

    /// Opens the store with `helpers` trace helper threads (see `open` for the default).
    pub fn open_with_trace_helpers(&self, helpers: usize) -> Arc<dyn Backend> {
        match &self.pg {
            None => {
                let options = store::SqliteOptions {
                    trace_helpers: helpers,
                    ..store::SqliteOptions::default()
                };
                let path = self.dir.path().join("traceport.sqlite");
                Arc::new(SqliteStore::open_with(&path, options).unwrap())
            }
            Some(db) => {
                let options = store::PgOptions {
                    trace_helpers: helpers,
                    ..store::PgOptions::default()
                };
                Arc::new(PgStore::open_with(db.url(), options).unwrap())
            }
        }
    }

    /// Opens the store (creating it the first time).
    pub fn open(&self) -> Arc<dyn Backend> {
        match &self.pg {
            None => Arc::new(SqliteStore::open(&self.dir.path().join("traceport.sqlite")).unwrap()),
            Some(db) => Arc::new(PgStore::open(db.url()).unwrap()),
        }
    }
}

/// `#[test]` functions running the named cases against one backend.
#[macro_export]
macro_rules! store_suite {
    ($kind:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                if let Some(db) = suite::TestDb::new($kind) {
                    suite::cases::$name(&db);
                }
            }
        )*
    };
}

/// Every case of the suite, for both backends' test files.
#[macro_export]
macro_rules! all_cases {
    ($kind:expr) => {
        $crate::store_suite!($kind;
            seqs_are_dense_across_batches_and_after_a_rolled_back_batch,
            skip_failures_refuses_only_duplicates_by_id_hash_and_within_batch,
            all_or_nothing_stores_nothing_on_any_duplicate,
            stored_event_round_trips,
            every_condition_gives_its_known_answer,
            unknown_fields_match_nothing_even_in_a_fresh_store,
            every_order_and_direction_pages_through_all_results_without_loss_or_repeats,
            paging_a_filtered_query_and_event_count_limit_spanning_pages,
            max_event_count_fails_when_more_match,
            garbage_cursors_are_invalid,
            distinct_values_are_sorted_merged_and_paged,
            capture_job_lifecycle_survives_reopen,
            a_resumed_job_answers_with_its_committed_append,
            named_queries_conflict_and_not_found,
            appended_events_survive_reopen_and_numbering_continues,
            concurrent_appends_get_distinct_dense_seqs,
            backup_then_restore_gives_the_same_store,
            restore_refuses_a_store_with_data,
            a_dump_from_before_interned_facets_restores,
            copy_from_sqlite_keeps_every_table,
            cursor_starts_at_now_or_at_initial_record_time,
            events_after_follow_the_query_in_capture_order,
            acknowledgements_move_forward_only_and_survive_reopen,
            listing_paging_deleting_and_cascade_with_the_named_query,
            a_delivery_is_claimed_by_one_holder_until_its_lease_lapses,
            organisations_are_unique_by_id_tax_code_and_prefix,
            products_belong_to_one_owner,
            users_sessions_and_tokens,
            partners_marks_and_job_owners,
            places_and_codes,
            traces_read_the_index_written_with_the_events,
            an_index_missing_rows_is_rebuilt_on_open,
            records_stored_as_json_by_earlier_builds_are_still_read,
            rolled_back_batches_leave_no_index_rows,
            traces_read_with_helper_threads_equal_traces_read_alone,
            links_scans_reports,
            elements_are_upserted_and_survive_a_reopen,
        );
    };
}
