//! Versioned migrations. The SQL is kept to what PostgreSQL can mirror one to one
//! (`INTEGER PRIMARY KEY` ↔ `BIGINT PRIMARY KEY`, `BLOB` ↔ `BYTEA`, `WITHOUT ROWID` ↔ a
//! plain table whose primary key is the covering index).

use rusqlite::{params, Connection};

use crate::StoreError;

/// Migrations in order; a version is applied once and recorded in `schema_migrations`.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL UNIQUE,
        event_type SMALLINT NOT NULL,
        event_time BIGINT NOT NULL,
        record_time BIGINT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX events_event_time ON events (event_time, seq);
    CREATE INDEX events_record_time ON events (record_time, seq);
    CREATE INDEX events_event_type ON events (event_type, seq);

    CREATE TABLE fields (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE TABLE facet_text (
        field_id INTEGER NOT NULL,
        value TEXT NOT NULL,
        seq BIGINT NOT NULL,
        PRIMARY KEY (field_id, value, seq)
    ) WITHOUT ROWID;
    CREATE TABLE facet_num (
        field_id INTEGER NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        seq BIGINT NOT NULL,
        PRIMARY KEY (field_id, value, seq)
    ) WITHOUT ROWID;

    CREATE TABLE capture_jobs (
        n INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        status SMALLINT NOT NULL,
        mode SMALLINT NOT NULL,
        created_ms BIGINT NOT NULL,
        finished_ms BIGINT,
        success SMALLINT NOT NULL,
        errors TEXT NOT NULL,
        stored BIGINT NOT NULL,
        document BLOB NOT NULL
    );
    CREATE INDEX capture_jobs_status ON capture_jobs (status, n);

    CREATE TABLE named_queries (
        name TEXT PRIMARY KEY,
        definition TEXT NOT NULL,
        created_ms BIGINT NOT NULL
    );
    ",
    ),
    (
        100,
        "
    CREATE TABLE master_data (
        vocabulary_type TEXT NOT NULL,
        element_id TEXT NOT NULL,
        element TEXT NOT NULL,
        updated_ms BIGINT NOT NULL,
        PRIMARY KEY (vocabulary_type, element_id)
    );
    ",
    ),
    (
        200,
        "
    CREATE TABLE subscriptions (
        n INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        query_name TEXT NOT NULL,
        dest TEXT NOT NULL,
        signature_token TEXT,
        stream SMALLINT NOT NULL,
        schedule TEXT,
        report_if_empty SMALLINT NOT NULL,
        initial_record_time BIGINT,
        options TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        last_notified_ms BIGINT,
        cursor_seq BIGINT NOT NULL,
        failures BIGINT NOT NULL,
        last_error TEXT
    );
    CREATE INDEX subscriptions_query ON subscriptions (query_name, n);
    ",
    ),
    (
        400,
        "
    CREATE TABLE organisations (
        id TEXT PRIMARY KEY,
        tax_code TEXT NOT NULL UNIQUE,
        province_code TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX organisations_province ON organisations (province_code, id);
    CREATE TABLE company_prefixes (
        prefix TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES organisations (id)
    );
    CREATE TABLE organisation_glns (
        gln TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES organisations (id)
    );
    CREATE TABLE products (
        gtin TEXT PRIMARY KEY,
        owner TEXT NOT NULL REFERENCES organisations (id),
        record TEXT NOT NULL
    );
    CREATE INDEX products_owner ON products (owner, gtin);
    CREATE TABLE trading_partners (
        partner_id TEXT NOT NULL,
        org_id TEXT NOT NULL,
        PRIMARY KEY (partner_id, org_id)
    );
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        org_id TEXT,
        province TEXT,
        created_ms BIGINT NOT NULL,
        disabled SMALLINT NOT NULL
    );
    CREATE TABLE sessions (
        secret_sha256 TEXT PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES users (name),
        created_ms BIGINT NOT NULL,
        expires_ms BIGINT NOT NULL
    );
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        secret_sha256 TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        org_id TEXT,
        province TEXT,
        scopes TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        expires_ms BIGINT,
        revoked_ms BIGINT,
        last_used_ms BIGINT
    );
    CREATE INDEX api_tokens_org ON api_tokens (org_id, created_ms);
    CREATE TABLE capture_job_owners (
        job_id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL
    );
    CREATE INDEX capture_job_owners_org ON capture_job_owners (org_id, job_id);
    CREATE TABLE named_query_owners (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL
    );
    ",
    ),
    (
        401,
        "
    CREATE TABLE locations (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL REFERENCES organisations (id),
        record TEXT NOT NULL
    );
    CREATE INDEX locations_owner ON locations (owner, id);
    CREATE TABLE plots (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL REFERENCES organisations (id),
        record TEXT NOT NULL
    );
    CREATE INDEX plots_owner ON plots (owner, id);
    CREATE TABLE export_codes (
        code TEXT PRIMARY KEY,
        owner TEXT NOT NULL REFERENCES organisations (id),
        province_code TEXT NOT NULL,
        status TEXT NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX export_codes_owner ON export_codes (owner, code);
    CREATE INDEX export_codes_status ON export_codes (status, code);
    ",
    ),
    (
        402,
        "
    CREATE TABLE audit_log (
        n INTEGER PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        org_id TEXT,
        province TEXT,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        status SMALLINT NOT NULL,
        source TEXT NOT NULL
    );
    CREATE INDEX audit_log_province ON audit_log (province, n);
    ",
    ),
    (
        300,
        "
    CREATE TABLE resolver_links (
        id TEXT PRIMARY KEY,
        n BIGINT NOT NULL,
        key TEXT NOT NULL,
        lot TEXT,
        serial_from TEXT,
        serial_to TEXT,
        link_type TEXT NOT NULL,
        href TEXT NOT NULL,
        title TEXT NOT NULL,
        hreflang TEXT NOT NULL,
        media_type TEXT,
        context TEXT,
        is_default SMALLINT NOT NULL
    );
    CREATE INDEX resolver_links_key ON resolver_links (key, n);

    CREATE TABLE resolver_scans (
        id INTEGER PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        key TEXT NOT NULL,
        identifier TEXT NOT NULL,
        link_type TEXT,
        country TEXT,
        region TEXT,
        ua_class TEXT NOT NULL,
        status SMALLINT NOT NULL
    );
    CREATE INDEX resolver_scans_identifier ON resolver_scans (identifier, at_ms);
    CREATE INDEX resolver_scans_key ON resolver_scans (key, at_ms);

    CREATE TABLE resolver_reports (
        id TEXT PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        key TEXT NOT NULL,
        identifier TEXT NOT NULL,
        category TEXT NOT NULL,
        message TEXT NOT NULL
    );
    CREATE INDEX resolver_reports_key ON resolver_reports (key, at_ms);
    ",
    ),
    (
        500,
        "
    -- The trace index: each event's trace record (see the trace crate's EventRecord), and
    -- one row per identifier it names, so a trace step is one seek per identifier.
    CREATE TABLE trace_records (
        seq INTEGER PRIMARY KEY,
        record TEXT NOT NULL
    );
    CREATE TABLE trace_nodes (
        node TEXT NOT NULL,
        seq BIGINT NOT NULL,
        PRIMARY KEY (node, seq)
    ) WITHOUT ROWID;
    ",
    ),
    (
        600,
        "
    -- Recalls: the record (JSON, with its scope), the lots it names, one row per affected
    -- organisation (its acknowledgement; n numbers the notices webhooks deliver), and the
    -- organisations' recall webhooks with their delivery cursors.
    CREATE TABLE recalls (
        id TEXT PRIMARY KEY,
        n BIGINT NOT NULL UNIQUE,
        state TEXT NOT NULL,
        declared_ms BIGINT NOT NULL,
        declarer_org TEXT,
        record TEXT NOT NULL
    );
    CREATE INDEX recalls_declarer ON recalls (declarer_org, n);
    CREATE TABLE recall_lots (
        gtin TEXT NOT NULL,
        lot TEXT NOT NULL,
        recall_id TEXT NOT NULL,
        PRIMARY KEY (gtin, lot, recall_id)
    ) WITHOUT ROWID;
    CREATE TABLE recall_parties (
        n INTEGER PRIMARY KEY,
        recall_id TEXT NOT NULL,
        org_id TEXT NOT NULL,
        acknowledged_ms BIGINT,
        acknowledged_by TEXT,
        note TEXT
    );
    CREATE UNIQUE INDEX recall_parties_recall ON recall_parties (recall_id, org_id);
    CREATE INDEX recall_parties_org ON recall_parties (org_id, n);
    CREATE TABLE recall_webhooks (
        org_id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        secret TEXT,
        cursor_n BIGINT NOT NULL,
        failures BIGINT NOT NULL,
        last_error TEXT,
        created_ms BIGINT NOT NULL
    );
    ",
    ),
    (
        601,
        "
    -- Recall notices: what each affected organisation is told (the declaration, the
    -- closing), numbered in the order they happen; webhooks deliver them after their cursor
    -- (the declaration notices keep the numbers recall_parties gave them, so cursors hold).
    CREATE TABLE recall_notices (
        n INTEGER PRIMARY KEY,
        recall_id TEXT NOT NULL,
        org_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        at_ms BIGINT NOT NULL
    );
    CREATE INDEX recall_notices_org ON recall_notices (org_id, n);
    INSERT INTO recall_notices (n, recall_id, org_id, kind, at_ms)
        SELECT p.n, p.recall_id, p.org_id, 'declared', r.declared_ms
        FROM recall_parties p JOIN recalls r ON r.id = p.recall_id;
    ",
    ),
    (
        700,
        "
    -- Text facets interned: each distinct (field, value) once in facet_terms, and one
    -- small integer posting (term, seq) per event that names it. New terms take the next
    -- ids, so the postings of the identifiers being captured now are written at the end of
    -- the index instead of all over it.
    CREATE TABLE facet_terms (
        id INTEGER PRIMARY KEY,
        field_id INTEGER NOT NULL,
        value TEXT NOT NULL,
        UNIQUE (field_id, value)
    );
    CREATE TABLE facet_postings (
        term_id INTEGER NOT NULL,
        seq BIGINT NOT NULL,
        PRIMARY KEY (term_id, seq)
    ) WITHOUT ROWID;
    INSERT INTO facet_terms (field_id, value)
        SELECT DISTINCT field_id, value FROM facet_text ORDER BY field_id, value;
    INSERT INTO facet_postings (term_id, seq)
        SELECT t.id, f.seq FROM facet_text f
        JOIN facet_terms t ON t.field_id = f.field_id AND t.value = f.value;
    DROP TABLE facet_text;
    ",
    ),
    (
        710,
        "
    -- The outcome of a capture job's append, written in the same commit as its events and
    -- cleared when the job is finished: a job resumed after a crash between the two answers
    -- with it instead of appending again.
    ALTER TABLE capture_jobs ADD COLUMN appended TEXT;
    ",
    ),
    (
        720,
        "
    -- trace_records.record holds the binary form of trace records from now on (see the
    -- trace crate's codec); records written before stay JSON text and are still read.
    -- SQLite's declared column type does not constrain what it holds: nothing to rewrite.
    ",
    ),
    (
        730,
        "
    -- Duplicate detection and eventID look-ups through one compact index of integer keys
    -- (see store::keys) instead of UNIQUE indexes on event_id and hash. SQLite cannot drop
    -- a column's UNIQUE index, so the table is copied without them. The keys of the events
    -- already stored are computed when the store opens (SQL has no SHA-256 here).
    CREATE TABLE event_keys (
        key INTEGER NOT NULL,
        seq BIGINT NOT NULL,
        PRIMARY KEY (key, seq)
    ) WITHOUT ROWID;
    CREATE TABLE events_730 (
        seq INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        event_type SMALLINT NOT NULL,
        event_time BIGINT NOT NULL,
        record_time BIGINT NOT NULL,
        body TEXT NOT NULL
    );
    INSERT INTO events_730 (seq, event_id, hash, event_type, event_time, record_time, body)
        SELECT seq, event_id, hash, event_type, event_time, record_time, body FROM events
        ORDER BY seq;
    DROP TABLE events;
    ALTER TABLE events_730 RENAME TO events;
    CREATE INDEX events_event_time ON events (event_time, seq);
    CREATE INDEX events_record_time ON events (record_time, seq);
    CREATE INDEX events_event_type ON events (event_type, seq);
    ",
    ),
    (
        740,
        "
    -- Capture job documents in their own table, keyed by the job's n: a job's row is
    -- updated as it runs (claimed, appended, finished), and an update that changes a row's
    -- size rewrites all of it, a document of a thousand events included. Jobs created
    -- before keep their document in capture_jobs.document (new jobs leave it empty).
    CREATE TABLE capture_job_documents (
        n INTEGER PRIMARY KEY,
        document BLOB NOT NULL
    );
    ",
    ),
];

/// Brings the schema up to the newest version; returns the versions applied.
pub(super) fn migrate(conn: &mut Connection, now_ms: i64) -> Result<Vec<i64>, StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
    )?;
    // Each feature owns a range of versions, so a build may bring a lower version than one
    // already applied: apply every version not yet recorded, in order.
    let done: Vec<i64> = conn
        .prepare("SELECT version FROM schema_migrations")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| !done.contains(v)) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)",
            params![version, now_ms],
        )?;
        tx.commit()?;
        applied.push(*version);
    }
    Ok(applied)
}

/// The schema version of a database (0 before the first migration).
pub(super) fn current_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?)
}

/// The newest schema version this build knows.
pub(super) fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|(v, _)| *v).max().unwrap_or(0)
}

/// Every schema version this build knows, in order.
#[cfg(test)]
pub(super) fn versions() -> Vec<i64> {
    let mut versions: Vec<i64> = MIGRATIONS.iter().map(|(v, _)| *v).collect();
    versions.sort_unstable();
    versions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terms::upgrade_fixture::{expected, LEGACY_ROWS, POSTINGS};

    /// Applies the migrations before `version`, as an older build left the database.
    fn migrate_below(conn: &Connection, version: i64) {
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
        )
        .unwrap();
        for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v < version) {
            conn.execute_batch(sql).unwrap();
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, 0)",
                [v],
            )
            .unwrap();
        }
    }

    /// A store from before `event_keys` loses the UNIQUE indexes on `event_id` and `hash`,
    /// gets the keys of its events when opened, and detects duplicates as before; a job's
    /// document stored before `capture_job_documents` is still read.
    #[test]
    fn events_are_keyed_on_upgrade() {
        use crate::keys::test_support::{check_upgraded, LEGACY_EVENTS};
        use crate::Store;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            migrate_below(&conn, 730);
            conn.execute_batch(LEGACY_EVENTS).unwrap();
            // A job of a store from before capture_job_documents keeps its document inline.
            conn.execute_batch(
                "INSERT INTO capture_jobs (id, status, mode, created_ms, finished_ms, success, errors, stored, document) \
                 VALUES ('legacy-job', 2, 0, 1, 2, 1, '[]', 3, x'7b7d')",
            )
            .unwrap();
        }
        let store = crate::SqliteStore::open(&path).unwrap();
        assert_eq!(store.capture_job_document("legacy-job").unwrap(), b"{}");
        let job = store
            .create_capture_job(crate::AppendMode::AllOrNothing, b"[1]")
            .unwrap();
        assert_eq!(store.capture_job_document(&job.id).unwrap(), b"[1]");
        {
            let conn = Connection::open(&path).unwrap();
            let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
            assert_eq!(
                count("SELECT COUNT(*) FROM sqlite_master WHERE tbl_name = 'events' AND name LIKE 'sqlite_autoindex%'"),
                0,
                "no UNIQUE index on events any more"
            );
            assert_eq!(
                count("SELECT COUNT(*) FROM sqlite_master WHERE tbl_name = 'events' AND type = 'index'"),
                3,
                "the time and type indexes are back"
            );
            assert_eq!(count("SELECT COUNT(*) FROM event_keys"), 5);
        }
        check_upgraded(&store);
    }

    /// A store made before the facets were interned keeps every facet, and answers the
    /// same, after the upgrade.
    #[test]
    fn text_facets_move_into_terms_and_postings() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_below(&conn, 700);
        conn.execute_batch(LEGACY_ROWS).unwrap();
        assert_eq!(
            migrate(&mut conn, 1).unwrap(),
            vec![700, 710, 720, 730, 740]
        );
        let postings: Vec<(i64, String, i64)> = conn
            .prepare(POSTINGS)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(postings, expected());
        let terms: i64 = conn
            .query_row("SELECT COUNT(*) FROM facet_terms", [], |r| r.get(0))
            .unwrap();
        assert_eq!(terms, 3, "one term per distinct (field, value)");
        let old: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'facet_text'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(old, 0, "the old table is gone");
    }
}
