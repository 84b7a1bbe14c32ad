//! [`RecallStore`] for SQLite: writes on the writer thread (each in its savepoint), reads on
//! pooled read-only connections.

use rusqlite::{params, Connection, OptionalExtension};
use trace::recall::{Acknowledgement, Actor, Recall, RecallState, RecallStatus};

use super::writer::WriteOp;
use super::SqliteStore;
use crate::cursor::{decode_tagged, encode_text};
use crate::recalls::{
    from_json, status, to_json, NoticeKind, RecallNotice, RecallWebhook, LIST_SQL, NOTICES_SQL, TAG,
};
use crate::{Page, PageRequest, RecallStore, StoreError};

const HOOK_COLUMNS: &str = "org_id, url, secret, cursor_n, failures, last_error, created_ms";

fn acknowledgements(conn: &Connection, id: &str) -> Result<Vec<Acknowledgement>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT org_id, acknowledged_ms, acknowledged_by, note FROM recall_parties WHERE recall_id = ?1",
        )?
        .query_map([id], |r| {
            Ok(Acknowledgement {
                org: r.get(0)?,
                at_ms: r.get(1)?,
                by: r.get(2)?,
                note: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

fn read_recall(conn: &Connection, id: &str) -> Result<Option<Recall>, StoreError> {
    let record: Option<String> = conn
        .prepare_cached("SELECT record FROM recalls WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    record.map(|r| from_json(&r)).transpose()
}

/// Queues a notice of `kind` to every organisation `recall` affects, numbered after the
/// last notice (the writer thread serialises writes, so numbers follow commit order).
fn queue_notices(
    conn: &Connection,
    recall: &Recall,
    kind: NoticeKind,
    at_ms: i64,
) -> Result<(), StoreError> {
    for a in &recall.affected {
        conn.prepare_cached(
            "INSERT INTO recall_notices (n, recall_id, org_id, kind, at_ms) \
             SELECT COALESCE(MAX(n), 0) + 1, ?1, ?2, ?3, ?4 FROM recall_notices",
        )?
        .execute(params![recall.id, a.org, kind.as_str(), at_ms])?;
    }
    Ok(())
}

fn hook_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecallWebhook> {
    Ok(RecallWebhook {
        org: r.get(0)?,
        url: r.get(1)?,
        secret: r.get(2)?,
        cursor: r.get(3)?,
        failures: r.get(4)?,
        last_error: r.get(5)?,
        created_ms: r.get(6)?,
    })
}

impl RecallStore for SqliteStore {
    fn create_recall(&self, recall: &Recall) -> Result<(), StoreError> {
        let recall = recall.clone();
        let record = to_json(&recall)?;
        self.write(WriteOp::Exec(Box::new(move |conn| {
            if read_recall(conn, &recall.id)?.is_some() {
                return Err(StoreError::Conflict(format!("recall {}", recall.id)));
            }
            let n: i64 = conn.query_row("SELECT COALESCE(MAX(n), 0) + 1 FROM recalls", [], |r| {
                r.get(0)
            })?;
            conn.prepare_cached(
                "INSERT INTO recalls (id, n, state, declared_ms, declarer_org, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                recall.id,
                n,
                recall.state.as_str(),
                recall.declared_ms,
                recall.declarer_org(),
                record
            ])?;
            for lot in &recall.lots {
                conn.prepare_cached(
                    "INSERT INTO recall_lots (gtin, lot, recall_id) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![lot.gtin, lot.lot, recall.id])?;
            }
            for a in &recall.affected {
                conn.prepare_cached(
                    "INSERT INTO recall_parties (recall_id, org_id) VALUES (?1, ?2)",
                )?
                .execute(params![recall.id, a.org])?;
            }
            queue_notices(conn, &recall, NoticeKind::Declared, recall.declared_ms)?;
            Ok(())
        })))
    }

    fn recall(&self, id: &str) -> Result<Option<RecallStatus>, StoreError> {
        self.readers.read(|c| {
            let Some(recall) = read_recall(c, id)? else {
                return Ok(None);
            };
            let acks = acknowledgements(c, id)?;
            Ok(Some(status(recall, acks)))
        })
    }

    fn recalls(
        &self,
        org: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<RecallStatus>, StoreError> {
        self.readers.read(|c| {
            let before = page
                .after
                .as_deref()
                .map(|a| {
                    decode_tagged(a, TAG)?
                        .parse::<i64>()
                        .map_err(|_| StoreError::InvalidCursor)
                })
                .transpose()?;
            let want = page.per_page.max(1);
            let rows: Vec<(i64, String)> = c
                .prepare_cached(LIST_SQL)?
                .query_map(
                    params![org, org, org, before, before, (want + 1) as i64],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?
                .collect::<Result<_, _>>()?;
            let more = rows.len() > want;
            let mut items = Vec::with_capacity(want);
            let mut last = None;
            for (n, record) in rows.into_iter().take(want) {
                let recall = from_json(&record)?;
                let acks = acknowledgements(c, &recall.id)?;
                items.push(status(recall, acks));
                last = Some(n);
            }
            Ok(Page {
                items,
                next: last
                    .filter(|_| more)
                    .map(|n| encode_text(TAG, &n.to_string())),
            })
        })
    }

    fn open_recalls_of_lot(&self, gtin: &str, lot: &str) -> Result<Vec<Recall>, StoreError> {
        self.readers.read(|c| {
            let records: Vec<String> = c
                .prepare_cached(
                    "SELECT r.record FROM recall_lots l JOIN recalls r ON r.id = l.recall_id \
                     WHERE l.gtin = ?1 AND l.lot = ?2 AND r.state = 'open' ORDER BY r.n DESC",
                )?
                .query_map([gtin, lot], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            records.iter().map(|r| from_json(r)).collect()
        })
    }

    fn acknowledge_recall(&self, id: &str, ack: &Acknowledgement) -> Result<(), StoreError> {
        let (id, ack) = (id.to_owned(), ack.clone());
        self.write(WriteOp::Exec(Box::new(move |conn| {
            let Some(recall) = read_recall(conn, &id)? else {
                return Err(StoreError::NotFound(format!("recall {id}")));
            };
            if recall.state == RecallState::Closed {
                return Err(StoreError::Conflict(format!("a closure of recall {id}")));
            }
            let done: Option<Option<i64>> = conn
                .prepare_cached(
                    "SELECT acknowledged_ms FROM recall_parties WHERE recall_id = ?1 AND org_id = ?2",
                )?
                .query_row([&id, &ack.org], |r| r.get(0))
                .optional()?;
            match done {
                None => Err(StoreError::NotFound(format!(
                    "organisation {} among those recall {id} affects",
                    ack.org
                ))),
                Some(Some(_)) => Err(StoreError::Conflict(format!(
                    "an acknowledgement of recall {id} by {}",
                    ack.org
                ))),
                Some(None) => {
                    conn.prepare_cached(
                        "UPDATE recall_parties SET acknowledged_ms = ?3, acknowledged_by = ?4, note = ?5 \
                         WHERE recall_id = ?1 AND org_id = ?2",
                    )?
                    .execute(params![id, ack.org, ack.at_ms, ack.by, ack.note])?;
                    Ok(())
                }
            }
        })))
    }

    fn close_recall(
        &self,
        id: &str,
        by: &Actor,
        note: Option<&str>,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        let (id, by, note) = (id.to_owned(), by.clone(), note.map(str::to_owned));
        self.write(WriteOp::Exec(Box::new(move |conn| {
            let Some(mut recall) = read_recall(conn, &id)? else {
                return Err(StoreError::NotFound(format!("recall {id}")));
            };
            if recall.state == RecallState::Closed {
                return Err(StoreError::Conflict(format!("a closure of recall {id}")));
            }
            recall.state = RecallState::Closed;
            recall.closed_ms = Some(at_ms);
            recall.closed_by = Some(by.clone());
            recall.close_note = note.clone();
            conn.prepare_cached("UPDATE recalls SET state = ?2, record = ?3 WHERE id = ?1")?
                .execute(params![id, recall.state.as_str(), to_json(&recall)?])?;
            queue_notices(conn, &recall, NoticeKind::Closed, at_ms)?;
            Ok(())
        })))
    }

    fn put_recall_webhook(&self, hook: &RecallWebhook) -> Result<RecallWebhook, StoreError> {
        let hook = hook.clone();
        let org = hook.org.clone();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            conn.prepare_cached(
                "INSERT INTO recall_webhooks (org_id, url, secret, cursor_n, failures, last_error, created_ms) \
                 VALUES (?1, ?2, ?3, ?4, 0, NULL, ?5) \
                 ON CONFLICT (org_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, \
                 failures = 0, last_error = NULL",
            )?
            .execute(params![hook.org, hook.url, hook.secret, hook.cursor, hook.created_ms])?;
            Ok(())
        })))?;
        self.recall_webhook(&org)?
            .ok_or_else(|| StoreError::NotFound(format!("recall webhook of {org}")))
    }

    fn recall_webhook(&self, org: &str) -> Result<Option<RecallWebhook>, StoreError> {
        self.readers.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {HOOK_COLUMNS} FROM recall_webhooks WHERE org_id = ?1"
            ))?
            .query_row([org], hook_row)
            .optional()?)
        })
    }

    fn recall_webhooks(&self) -> Result<Vec<RecallWebhook>, StoreError> {
        self.readers.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {HOOK_COLUMNS} FROM recall_webhooks ORDER BY org_id"
            ))?
            .query_map([], hook_row)?
            .collect::<Result<_, _>>()?)
        })
    }

    fn delete_recall_webhook(&self, org: &str) -> Result<(), StoreError> {
        let org = org.to_owned();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            let n = conn
                .prepare_cached("DELETE FROM recall_webhooks WHERE org_id = ?1")?
                .execute([&org])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("recall webhook of {org}")));
            }
            Ok(())
        })))
    }

    fn recall_notices_after(
        &self,
        org: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<RecallNotice>, StoreError> {
        self.readers.read(|c| {
            let rows: Vec<(i64, String, i64, String)> = c
                .prepare_cached(NOTICES_SQL)?
                .query_map(params![org, after, limit as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(|(n, kind, at_ms, record)| {
                    Ok(RecallNotice {
                        n,
                        org: org.to_owned(),
                        kind: NoticeKind::parse(&kind)?,
                        at_ms,
                        recall: from_json(&record)?,
                    })
                })
                .collect()
        })
    }

    fn acknowledge_recall_delivery(&self, org: &str, to: i64) -> Result<(), StoreError> {
        let org = org.to_owned();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            let n = conn
                .prepare_cached(
                    "UPDATE recall_webhooks SET cursor_n = CASE WHEN cursor_n > ?2 THEN cursor_n ELSE ?2 END, \
                     failures = 0, last_error = NULL WHERE org_id = ?1",
                )?
                .execute(params![org, to])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("recall webhook of {org}")));
            }
            Ok(())
        })))
    }

    fn record_recall_delivery_failure(&self, org: &str, error: &str) -> Result<(), StoreError> {
        let (org, error) = (org.to_owned(), error.to_owned());
        self.write(WriteOp::Exec(Box::new(move |conn| {
            conn.prepare_cached(
                "UPDATE recall_webhooks SET failures = failures + 1, last_error = ?2 WHERE org_id = ?1",
            )?
            .execute([&org, &error])?;
            Ok(())
        })))
    }

    /// One process owns a SQLite database and delivers every webhook: a claim is always
    /// granted while the webhook exists.
    fn claim_recall_delivery(
        &self,
        org: &str,
        _holder: &str,
        _now_ms: i64,
        _until_ms: i64,
    ) -> Result<bool, StoreError> {
        match self.recall_webhook(org)? {
            Some(_) => Ok(true),
            None => Err(StoreError::NotFound(format!("recall webhook of {org}"))),
        }
    }
}
