//! [`SubscriptionStore`] on PostgreSQL: the statements shared with SQLite
//! ([`crate::sql::subscriptions`]) on pooled connections.

use epcis::Query;

use crate::sql::{self, subscriptions as stmt};
use crate::{
    NewSubscription, Page, PageRequest, StoreError, StoredEvent, Subscription, SubscriptionStore,
};

use super::conn::Conn;
use super::exec::Pg;
use super::{not_found, now_ms, PgStore};

impl SubscriptionStore for PgStore {
    fn create_subscription(&self, new: NewSubscription) -> Result<Subscription, StoreError> {
        let id = crate::sqlite::random_id();
        let created_ms = now_ms();
        let (sub_id, spec) = (id.clone(), new);
        self.pool.run(move |c| {
            let mut tx = c.client().transaction()?;
            // The named query is share-locked so it cannot be deleted under the new subscription.
            let exists = tx
                .query_opt(
                    "SELECT name FROM named_queries WHERE name = $1 FOR SHARE",
                    &[&spec.query_name],
                )?
                .is_some();
            if !exists {
                return Err(not_found("named query", &spec.query_name));
            }
            // Appends commit in sequence order, so every event after the committed newest one
            // is still to come and will be delivered.
            let cursor: i64 = match spec.initial_record_time_ms {
                Some(t) => tx.query_one(&super::conn::numbered(stmt::CURSOR_FROM_TIME), &[&t])?,
                None => tx.query_one(stmt::CURSOR_NEWEST, &[])?,
            }
            .try_get(0)?;
            let v = stmt::insert_values(&spec);
            tx.execute(
                &super::conn::numbered(stmt::INSERT),
                &[
                    &sub_id,
                    &spec.query_name,
                    &spec.dest,
                    &spec.signature_token,
                    &v.stream,
                    &v.schedule,
                    &v.report_if_empty,
                    &spec.initial_record_time_ms,
                    &v.options,
                    &created_ms,
                    &cursor,
                ],
            )?;
            tx.commit()?;
            Ok(())
        })?;
        self.subscription_by_id(None, &id)?
            .ok_or_else(|| StoreError::Database(format!("subscription {id} vanished")))
    }

    fn subscription(&self, query_name: &str, id: &str) -> Result<Option<Subscription>, StoreError> {
        self.subscription_by_id(Some(query_name), id)
    }

    fn subscriptions(
        &self,
        query_name: &str,
        page: &PageRequest,
    ) -> Result<Page<Subscription>, StoreError> {
        let (after, want) = stmt::page_start(page)?;
        let query_name = query_name.to_owned();
        self.pool.run(move |c| {
            let rows = c.query(
                stmt::SELECT_PAGE,
                &[&query_name, &after, &sql::limit_plus_one(want)],
            )?;
            let rows = rows.iter().map(stmt::row).collect::<Result<Vec<_>, _>>()?;
            Ok(stmt::page(rows, want))
        })
    }

    fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        self.pool.run(|c| {
            c.query(stmt::SELECT_ALL, &[])?
                .iter()
                .map(|r| stmt::row(r).map(|(_, s)| s))
                .collect()
        })
    }

    fn delete_subscription(&self, query_name: &str, id: &str) -> Result<(), StoreError> {
        let (query_name, id) = (query_name.to_owned(), id.to_owned());
        self.pool.run(move |c| {
            if c.execute(stmt::DELETE, &[&query_name, &id])? == 0 {
                return Err(not_found("subscription", &id));
            }
            Ok(())
        })
    }

    fn events_after(
        &self,
        query: &Query,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let conditions = query.conditions.clone();
        let fields = std::sync::Arc::clone(&self.fields);
        self.pool
            .run(move |c| sql::events_after(&mut Pg(c, &fields), &conditions, after_seq, limit))
    }

    fn acknowledge_delivery(&self, id: &str, to_seq: i64, at_ms: i64) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.pool.run(move |c| {
            if c.execute(stmt::ACKNOWLEDGE, &[&to_seq, &at_ms, &id])? == 0 {
                return Err(not_found("subscription", &id));
            }
            Ok(())
        })
    }

    fn claim_delivery(
        &self,
        id: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let (id, holder) = (id.to_owned(), holder.to_owned());
        self.pool.run(move |c| {
            if c.query_opt(stmt::EXISTS, &[&id])?.is_none() {
                return Err(not_found("subscription", &id));
            }
            claim_lease(c, &id, &holder, now_ms, until_ms)
        })
    }

    fn record_delivery_failure(&self, id: &str, error: &str) -> Result<(), StoreError> {
        let (id, error) = (id.to_owned(), error.to_owned());
        self.pool.run(move |c| {
            c.execute(stmt::FAILURE, &[&error, &id])?;
            Ok(())
        })
    }
}

/// Claims or renews the delivery lease `key` (a subscription id, or a recall webhook's
/// [`crate::recall_lease_id`]) for `holder` until `until_ms`: true when `holder` holds it.
pub(super) fn claim_lease(
    c: &mut Conn,
    key: &str,
    holder: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<bool, StoreError> {
    // One statement: of several processes claiming at once, one inserts or takes over
    // the lapsed lease; the others change no row.
    let n = c.execute(
        "INSERT INTO subscription_leases (id, holder, until_ms) VALUES (?1, ?2, ?4) \
         ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms \
         WHERE subscription_leases.holder = excluded.holder OR subscription_leases.until_ms < ?3",
        &[&key, &holder, &now_ms, &until_ms],
    )?;
    Ok(n == 1)
}

impl PgStore {
    fn subscription_by_id(
        &self,
        query_name: Option<&str>,
        id: &str,
    ) -> Result<Option<Subscription>, StoreError> {
        let (query_name, id) = (query_name.map(str::to_owned), id.to_owned());
        self.pool.run(move |c| {
            c.query_opt(stmt::SELECT_ONE, &[&id, &query_name])?
                .map(|r| stmt::row(&r).map(|(_, s)| s))
                .transpose()
        })
    }
}
