//! [`RecallStore`] on PostgreSQL: the same tables and statements as on SQLite; each write
//! is one transaction, and rows another process may change at the same time are read
//! `FOR UPDATE`.

use postgres::Transaction;
use trace::recall::{Acknowledgement, Actor, Recall, RecallState, RecallStatus};

use super::conn::{is_unique_violation, Conn};
use super::PgStore;
use crate::cursor::{decode_tagged, encode_text};
use crate::recalls::{
    from_json, recall_lease_id, status, to_json, NoticeKind, RecallNotice, RecallWebhook, LIST_SQL,
    NOTICES_SQL, TAG,
};
use crate::{Page, PageRequest, RecallStore, StoreError};

const HOOK_COLUMNS: &str = "org_id, url, secret, cursor_n, failures, last_error, created_ms";

fn acknowledgements(c: &mut Conn, id: &str) -> Result<Vec<Acknowledgement>, StoreError> {
    c.query(
        "SELECT org_id, acknowledged_ms, acknowledged_by, note FROM recall_parties WHERE recall_id = ?",
        &[&id],
    )?
    .iter()
    .map(|r| {
        Ok(Acknowledgement {
            org: r.try_get(0)?,
            at_ms: r.try_get(1)?,
            by: r.try_get(2)?,
            note: r.try_get(3)?,
        })
    })
    .collect()
}

fn hook(r: &postgres::Row) -> Result<RecallWebhook, StoreError> {
    Ok(RecallWebhook {
        org: r.try_get(0)?,
        url: r.try_get(1)?,
        secret: r.try_get(2)?,
        cursor: r.try_get(3)?,
        failures: r.try_get(4)?,
        last_error: r.try_get(5)?,
        created_ms: r.try_get(6)?,
    })
}

/// The recall `id`, locked for the rest of the transaction.
fn locked(tx: &mut Transaction<'_>, id: &str) -> Result<Recall, StoreError> {
    let row = tx
        .query_opt(
            "SELECT record FROM recalls WHERE id = $1 FOR UPDATE",
            &[&id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("recall {id}")))?;
    from_json(&row.try_get::<_, String>(0)?)
}

/// Queues a notice of `kind` to every organisation `recall` affects. The table lock (taken
/// after the transaction's lock on `recalls`, as every writer of notices does) orders the
/// numbers as the transactions commit, so a webhook's cursor never passes a notice that
/// commits later with a lower number.
fn queue_notices(
    tx: &mut Transaction<'_>,
    recall: &Recall,
    kind: NoticeKind,
    at_ms: i64,
) -> Result<(), StoreError> {
    tx.batch_execute("LOCK TABLE recall_notices IN SHARE ROW EXCLUSIVE MODE")?;
    for a in &recall.affected {
        tx.execute(
            "INSERT INTO recall_notices (n, recall_id, org_id, kind, at_ms) \
             SELECT COALESCE(MAX(n), 0) + 1, $1, $2, $3, $4 FROM recall_notices",
            &[&recall.id, &a.org, &kind.as_str(), &at_ms],
        )?;
    }
    Ok(())
}

impl RecallStore for PgStore {
    fn create_recall(&self, recall: &Recall) -> Result<(), StoreError> {
        let recall = recall.clone();
        let record = to_json(&recall)?;
        self.pool.run(move |c| {
            let mut tx = c.client().transaction()?;
            // One counter row per store would serialise declarations; a recall is rare, so
            // the table lock that orders `n` costs nothing.
            tx.batch_execute("LOCK TABLE recalls IN SHARE ROW EXCLUSIVE MODE")?;
            let n: i64 = tx
                .query_one("SELECT COALESCE(MAX(n), 0) + 1 FROM recalls", &[])?
                .try_get(0)?;
            let inserted = tx.execute(
                "INSERT INTO recalls (id, n, state, declared_ms, declarer_org, record) VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &recall.id,
                    &n,
                    &recall.state.as_str(),
                    &recall.declared_ms,
                    &recall.declarer_org(),
                    &record,
                ],
            );
            match inserted {
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Conflict(format!("recall {}", recall.id)))
                }
                other => other?,
            };
            for lot in &recall.lots {
                tx.execute(
                    "INSERT INTO recall_lots (gtin, lot, recall_id) VALUES ($1, $2, $3)",
                    &[&lot.gtin, &lot.lot, &recall.id],
                )?;
            }
            for a in &recall.affected {
                tx.execute(
                    "INSERT INTO recall_parties (recall_id, org_id) VALUES ($1, $2)",
                    &[&recall.id, &a.org],
                )?;
            }
            queue_notices(&mut tx, &recall, NoticeKind::Declared, recall.declared_ms)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn recall(&self, id: &str) -> Result<Option<RecallStatus>, StoreError> {
        let id = id.to_owned();
        self.pool.run(move |c| {
            let Some(row) = c.query_opt("SELECT record FROM recalls WHERE id = ?", &[&id])? else {
                return Ok(None);
            };
            let recall = from_json(&row.try_get::<_, String>(0)?)?;
            let acks = acknowledgements(c, &id)?;
            Ok(Some(status(recall, acks)))
        })
    }

    fn recalls(
        &self,
        org: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<RecallStatus>, StoreError> {
        let org = org.map(str::to_owned);
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
        self.pool.run(move |c| {
            let limit = (want + 1) as i64;
            let rows = c.query(LIST_SQL, &[&org, &org, &org, &before, &before, &limit])?;
            let more = rows.len() > want;
            let mut items = Vec::with_capacity(want);
            let mut last = None;
            for r in rows.iter().take(want) {
                let recall = from_json(&r.try_get::<_, String>(1)?)?;
                let acks = acknowledgements(c, &recall.id)?;
                items.push(status(recall, acks));
                last = Some(r.try_get::<_, i64>(0)?);
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
        let (gtin, lot) = (gtin.to_owned(), lot.to_owned());
        self.pool.run(move |c| {
            c.query(
                "SELECT r.record FROM recall_lots l JOIN recalls r ON r.id = l.recall_id \
                 WHERE l.gtin = ? AND l.lot = ? AND r.state = 'open' ORDER BY r.n DESC",
                &[&gtin, &lot],
            )?
            .iter()
            .map(|r| from_json(&r.try_get::<_, String>(0)?))
            .collect()
        })
    }

    fn acknowledge_recall(&self, id: &str, ack: &Acknowledgement) -> Result<(), StoreError> {
        let (id, ack) = (id.to_owned(), ack.clone());
        self.pool.run(move |c| {
            let mut tx = c.client().transaction()?;
            let recall = locked(&mut tx, &id)?;
            if recall.state == RecallState::Closed {
                return Err(StoreError::Conflict(format!("a closure of recall {id}")));
            }
            let done = tx.query_opt(
                "SELECT acknowledged_ms FROM recall_parties WHERE recall_id = $1 AND org_id = $2 FOR UPDATE",
                &[&id, &ack.org],
            )?;
            match done.map(|r| r.try_get::<_, Option<i64>>(0)).transpose()? {
                None => Err(StoreError::NotFound(format!(
                    "organisation {} among those recall {id} affects",
                    ack.org
                ))),
                Some(Some(_)) => Err(StoreError::Conflict(format!(
                    "an acknowledgement of recall {id} by {}",
                    ack.org
                ))),
                Some(None) => {
                    tx.execute(
                        "UPDATE recall_parties SET acknowledged_ms = $3, acknowledged_by = $4, note = $5 \
                         WHERE recall_id = $1 AND org_id = $2",
                        &[&id, &ack.org, &ack.at_ms, &ack.by, &ack.note],
                    )?;
                    tx.commit()?;
                    Ok(())
                }
            }
        })
    }

    fn close_recall(
        &self,
        id: &str,
        by: &Actor,
        note: Option<&str>,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        let (id, by, note) = (id.to_owned(), by.clone(), note.map(str::to_owned));
        self.pool.run(move |c| {
            let mut tx = c.client().transaction()?;
            let mut recall = locked(&mut tx, &id)?;
            if recall.state == RecallState::Closed {
                return Err(StoreError::Conflict(format!("a closure of recall {id}")));
            }
            recall.state = RecallState::Closed;
            recall.closed_ms = Some(at_ms);
            recall.closed_by = Some(by);
            recall.close_note = note;
            tx.execute(
                "UPDATE recalls SET state = $2, record = $3 WHERE id = $1",
                &[&id, &recall.state.as_str(), &to_json(&recall)?],
            )?;
            queue_notices(&mut tx, &recall, NoticeKind::Closed, at_ms)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn put_recall_webhook(&self, hook_in: &RecallWebhook) -> Result<RecallWebhook, StoreError> {
        let h = hook_in.clone();
        self.pool.run(move |c| {
            c.execute(
                "INSERT INTO recall_webhooks (org_id, url, secret, cursor_n, failures, last_error, created_ms) \
                 VALUES (?, ?, ?, ?, 0, NULL, ?) \
                 ON CONFLICT (org_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, \
                 failures = 0, last_error = NULL",
                &[&h.org, &h.url, &h.secret, &h.cursor, &h.created_ms],
            )?;
            let row = c
                .query_opt(
                    &format!("SELECT {HOOK_COLUMNS} FROM recall_webhooks WHERE org_id = ?"),
                    &[&h.org],
                )?
                .ok_or_else(|| StoreError::NotFound(format!("recall webhook of {}", h.org)))?;
            hook(&row)
        })
    }

    fn recall_webhook(&self, org: &str) -> Result<Option<RecallWebhook>, StoreError> {
        let org = org.to_owned();
        self.pool.run(move |c| {
            c.query_opt(
                &format!("SELECT {HOOK_COLUMNS} FROM recall_webhooks WHERE org_id = ?"),
                &[&org],
            )?
            .as_ref()
            .map(hook)
            .transpose()
        })
    }

    fn recall_webhooks(&self) -> Result<Vec<RecallWebhook>, StoreError> {
        self.pool.run(move |c| {
            c.query(
                &format!("SELECT {HOOK_COLUMNS} FROM recall_webhooks ORDER BY org_id"),
                &[],
            )?
            .iter()
            .map(hook)
            .collect()
        })
    }

    fn delete_recall_webhook(&self, org: &str) -> Result<(), StoreError> {
        let org = org.to_owned();
        self.pool.run(move |c| {
            let n = c.execute("DELETE FROM recall_webhooks WHERE org_id = ?", &[&org])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("recall webhook of {org}")));
            }
            Ok(())
        })
    }

    fn recall_notices_after(
        &self,
        org: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<RecallNotice>, StoreError> {
        let org = org.to_owned();
        self.pool.run(move |c| {
            let limit = limit as i64;
            c.query(NOTICES_SQL, &[&org, &after, &limit])?
                .iter()
                .map(|r| {
                    Ok(RecallNotice {
                        n: r.try_get(0)?,
                        org: org.clone(),
                        kind: NoticeKind::parse(&r.try_get::<_, String>(1)?)?,
                        at_ms: r.try_get(2)?,
                        recall: from_json(&r.try_get::<_, String>(3)?)?,
                    })
                })
                .collect()
        })
    }

    fn acknowledge_recall_delivery(&self, org: &str, to: i64) -> Result<(), StoreError> {
        let org = org.to_owned();
        self.pool.run(move |c| {
            let n = c.execute(
                "UPDATE recall_webhooks SET cursor_n = GREATEST(cursor_n, ?), failures = 0, last_error = NULL \
                 WHERE org_id = ?",
                &[&to, &org],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("recall webhook of {org}")));
            }
            Ok(())
        })
    }

    fn record_recall_delivery_failure(&self, org: &str, error: &str) -> Result<(), StoreError> {
        let (org, error) = (org.to_owned(), error.to_owned());
        self.pool.run(move |c| {
            c.execute(
                "UPDATE recall_webhooks SET failures = failures + 1, last_error = ? WHERE org_id = ?",
                &[&error, &org],
            )?;
            Ok(())
        })
    }

    fn claim_recall_delivery(
        &self,
        org: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let (org, holder) = (org.to_owned(), holder.to_owned());
        self.pool.run(move |c| {
            if c.query_opt(
                "SELECT 1::BIGINT FROM recall_webhooks WHERE org_id = ?",
                &[&org],
            )?
            .is_none()
            {
                return Err(StoreError::NotFound(format!("recall webhook of {org}")));
            }
            super::subscriptions::claim_lease(c, &recall_lease_id(&org), &holder, now_ms, until_ms)
        })
    }
}
