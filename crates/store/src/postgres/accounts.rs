//! [`AccountStore`] on PostgreSQL: the statements shared with SQLite ([`crate::sql::accounts`]).

use registry::accounts::{ApiToken, AuditEntry, User};

use crate::sql::{self, accounts as stmt};
use crate::{AccountStore, CaptureJob, Page, PageRequest, StoreError};

use super::conn::is_unique_violation;
use super::{not_found, PgStore};

impl AccountStore for PgStore {
    fn create_user(&self, user: &User) -> Result<(), StoreError> {
        let u = user.clone();
        self.pool.run(move |c| {
            let inserted = c.execute(
                stmt::INSERT_USER,
                &[
                    &u.name,
                    &u.password_hash,
                    &u.binding.role.as_str(),
                    &u.binding.org,
                    &u.binding.province,
                    &u.created_ms,
                    &i64::from(u.disabled),
                ],
            );
            match inserted {
                Err(e) if is_unique_violation(&e) => {
                    Err(StoreError::Conflict(format!("user {}", u.name)))
                }
                other => other.map(|_| ()).map_err(Into::into),
            }
        })
    }

    fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        let name = name.to_owned();
        self.pool.run(move |c| {
            c.query_opt(stmt::USER, &[&name])?
                .map(|r| stmt::user(&r))
                .transpose()
        })
    }

    fn user_count(&self) -> Result<i64, StoreError> {
        self.pool.run(|c| {
            let row = c.query_opt(stmt::USER_COUNT, &[])?;
            Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
        })
    }

    fn set_password(&self, name: &str, password_hash: &str) -> Result<(), StoreError> {
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        self.pool.run(move |c| {
            if c.execute(stmt::SET_PASSWORD, &[&name, &hash])? == 0 {
                return Err(not_found("user", &name));
            }
            Ok(())
        })
    }

    fn create_session(
        &self,
        secret_sha256: &str,
        user: &str,
        created_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        let (secret, user) = (secret_sha256.to_owned(), user.to_owned());
        self.pool.run(move |c| {
            // Expired sessions are cleared as new ones start.
            c.execute(stmt::DELETE_EXPIRED_SESSIONS, &[&created_ms])?;
            c.execute(
                stmt::INSERT_SESSION,
                &[&secret, &user, &created_ms, &expires_ms],
            )?;
            Ok(())
        })
    }

    fn session_user(&self, secret_sha256: &str, now_ms: i64) -> Result<Option<User>, StoreError> {
        let secret = secret_sha256.to_owned();
        self.pool.run(move |c| {
            c.query_opt(stmt::SESSION_USER, &[&secret, &now_ms])?
                .map(|r| stmt::user(&r))
                .transpose()
        })
    }

    fn delete_session(&self, secret_sha256: &str) -> Result<(), StoreError> {
        let secret = secret_sha256.to_owned();
        self.pool.run(move |c| {
            c.execute(stmt::DELETE_SESSION, &[&secret])?;
            Ok(())
        })
    }

    fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        let t = token.clone();
        self.pool.run(move |c| {
            c.execute(
                stmt::INSERT_TOKEN,
                &[
                    &t.id,
                    &t.secret_sha256,
                    &t.name,
                    &t.binding.role.as_str(),
                    &t.binding.org,
                    &t.binding.province,
                    &stmt::scopes_text(&t.scopes),
                    &t.created_by,
                    &t.created_ms,
                    &t.expires_ms,
                    &t.revoked_ms,
                    &t.last_used_ms,
                ],
            )?;
            Ok(())
        })
    }

    fn token_by_secret(&self, secret_sha256: &str) -> Result<Option<ApiToken>, StoreError> {
        self.one_token(stmt::TOKEN_BY_SECRET, secret_sha256)
    }

    fn token(&self, id: &str) -> Result<Option<ApiToken>, StoreError> {
        self.one_token(stmt::TOKEN, id)
    }

    fn tokens(&self, org: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        let org = org.map(str::to_owned);
        self.pool.run(move |c| {
            let rows = match &org {
                Some(org) => c.query(stmt::TOKENS_OF_ORG, &[org])?,
                None => c.query(stmt::TOKENS_WITHOUT_ORG, &[])?,
            };
            rows.iter().map(stmt::token).collect()
        })
    }

    fn revoke_token(&self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.pool.run(move |c| {
            if c.execute(stmt::REVOKE_TOKEN, &[&id, &at_ms])? == 0 {
                return Err(not_found("API token", &id));
            }
            Ok(())
        })
    }

    fn touch_token(&self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.pool.run(move |c| {
            c.execute(stmt::TOUCH_TOKEN, &[&id, &at_ms])?;
            Ok(())
        })
    }

    fn set_capture_job_owner(&self, job_id: &str, org: &str) -> Result<(), StoreError> {
        let (job, org) = (job_id.to_owned(), org.to_owned());
        self.pool.run(move |c| {
            c.execute(stmt::SET_JOB_OWNER, &[&job, &org])?;
            Ok(())
        })
    }

    fn capture_job_owner(&self, job_id: &str) -> Result<Option<String>, StoreError> {
        self.one_text(stmt::JOB_OWNER, job_id)
    }

    fn capture_jobs_of(
        &self,
        org: &str,
        page: &PageRequest,
    ) -> Result<Page<CaptureJob>, StoreError> {
        self.capture_jobs_where(page, Some(org))
    }

    fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let e = entry.clone();
        self.pool.run(move |c| {
            c.execute(
                stmt::INSERT_AUDIT,
                &[
                    &e.at_ms,
                    &e.actor,
                    &e.role,
                    &e.org,
                    &e.province,
                    &e.method,
                    &e.path,
                    &i64::from(e.status),
                    &e.source,
                ],
            )?;
            Ok(())
        })
    }

    fn audit_entries(
        &self,
        province: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let (before, want) = stmt::audit_start(page)?;
        let province = province.map(str::to_owned);
        self.pool.run(move |c| {
            let rows = c.query(
                stmt::AUDIT_PAGE,
                &[&before, &province, &sql::limit_plus_one(want)],
            )?;
            let rows = rows
                .iter()
                .map(stmt::audit)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(stmt::audit_page(rows, want))
        })
    }

    fn set_named_query_owner(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        let (name, owner) = (name.to_owned(), owner.to_owned());
        self.pool.run(move |c| {
            c.execute(stmt::SET_QUERY_OWNER, &[&name, &owner])?;
            Ok(())
        })
    }

    fn named_query_owner(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.one_text(stmt::QUERY_OWNER, name)
    }
}

impl PgStore {
    fn one_token(&self, sql: &'static str, key: &str) -> Result<Option<ApiToken>, StoreError> {
        let key = key.to_owned();
        self.pool.run(move |c| {
            c.query_opt(sql, &[&key])?
                .map(|r| stmt::token(&r))
                .transpose()
        })
    }

    /// The text in the first column of the row `sql` (one `?1` key) finds, if any.
    pub(super) fn one_text(
        &self,
        sql: &'static str,
        key: &str,
    ) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.pool.run(move |c| {
            Ok(c.query_opt(sql, &[&key])?
                .map(|r| r.try_get(0))
                .transpose()?)
        })
    }
}
