//! [`AccountStore`] for SQLite (the SQL is shared with PostgreSQL: [`crate::sql::accounts`]).

use rusqlite::{params, OptionalExtension};

use registry::accounts::{ApiToken, AuditEntry, User};

use super::writer::{is_key_violation, WriteOp};
use super::{records, SqliteStore};
use crate::sql::accounts as stmt;
use crate::{AccountStore, CaptureJob, Page, PageRequest, StoreError};

impl AccountStore for SqliteStore {
    fn create_user(&self, user: &User) -> Result<(), StoreError> {
        let user = user.clone();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            let inserted = conn.prepare_cached(stmt::INSERT_USER)?.execute(params![
                user.name,
                user.password_hash,
                user.binding.role.as_str(),
                user.binding.org,
                user.binding.province,
                user.created_ms,
                i64::from(user.disabled)
            ]);
            match inserted {
                Err(e) if is_key_violation(&e) => {
                    Err(StoreError::Conflict(format!("user {}", user.name)))
                }
                other => other.map(|_| ()).map_err(Into::into),
            }
        })))
    }

    fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.readers.read(|c| {
            c.prepare_cached(stmt::USER)?
                .query_row([name], |r| Ok(stmt::user(r)))
                .optional()?
                .transpose()
        })
    }

    fn user_count(&self) -> Result<i64, StoreError> {
        self.readers
            .read(|c| Ok(c.query_row(stmt::USER_COUNT, [], |r| r.get(0))?))
    }

    fn set_password(&self, name: &str, password_hash: &str) -> Result<(), StoreError> {
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        self.write(WriteOp::Exec(Box::new(move |conn| {
            let n = conn
                .prepare_cached(stmt::SET_PASSWORD)?
                .execute([&name, &hash])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("user {name}")));
            }
            Ok(())
        })))
    }

    fn create_session(
        &self,
        secret_sha256: &str,
        user: &str,
        created_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        let (secret, user) = (secret_sha256.to_owned(), user.to_owned());
        self.write(WriteOp::Exec(Box::new(move |conn| {
            // Expired sessions are cleared as new ones start.
            conn.prepare_cached(stmt::DELETE_EXPIRED_SESSIONS)?
                .execute([created_ms])?;
            conn.prepare_cached(stmt::INSERT_SESSION)?
                .execute(params![secret, user, created_ms, expires_ms])?;
            Ok(())
        })))
    }

    fn session_user(&self, secret_sha256: &str, now_ms: i64) -> Result<Option<User>, StoreError> {
        self.readers.read(|c| {
            c.prepare_cached(stmt::SESSION_USER)?
                .query_row(params![secret_sha256, now_ms], |r| Ok(stmt::user(r)))
                .optional()?
                .transpose()
        })
    }

    fn delete_session(&self, secret_sha256: &str) -> Result<(), StoreError> {
        let secret = secret_sha256.to_owned();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            conn.prepare_cached(stmt::DELETE_SESSION)?
                .execute([&secret])?;
            Ok(())
        })))
    }

    fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        let t = token.clone();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            conn.prepare_cached(stmt::INSERT_TOKEN)?.execute(params![
                t.id,
                t.secret_sha256,
                t.name,
                t.binding.role.as_str(),
                t.binding.org,
                t.binding.province,
                stmt::scopes_text(&t.scopes),
                t.created_by,
                t.created_ms,
                t.expires_ms,
                t.revoked_ms,
                t.last_used_ms
            ])?;
            Ok(())
        })))
    }

    fn token_by_secret(&self, secret_sha256: &str) -> Result<Option<ApiToken>, StoreError> {
        self.readers.read(|c| {
            c.prepare_cached(stmt::TOKEN_BY_SECRET)?
                .query_row([secret_sha256], |r| Ok(stmt::token(r)))
                .optional()?
                .transpose()
        })
    }

    fn token(&self, id: &str) -> Result<Option<ApiToken>, StoreError> {
        self.readers.read(|c| {
            c.prepare_cached(stmt::TOKEN)?
                .query_row([id], |r| Ok(stmt::token(r)))
                .optional()?
                .transpose()
        })
    }

    fn tokens(&self, org: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        self.readers.read(|c| {
            let (sql, args) = match org {
                Some(org) => (stmt::TOKENS_OF_ORG, vec![org]),
                None => (stmt::TOKENS_WITHOUT_ORG, vec![]),
            };
            c.prepare_cached(sql)?
                .query_map(rusqlite::params_from_iter(args), |r| Ok(stmt::token(r)))?
                .collect::<Result<Result<Vec<_>, StoreError>, _>>()?
        })
    }

    fn revoke_token(&self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            let n = conn
                .prepare_cached(stmt::REVOKE_TOKEN)?
                .execute(params![id, at_ms])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("API token {id}")));
            }
            Ok(())
        })))
    }

    fn touch_token(&self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            conn.prepare_cached(stmt::TOUCH_TOKEN)?
                .execute(params![id, at_ms])?;
            Ok(())
        })))
    }

    fn set_capture_job_owner(&self, job_id: &str, org: &str) -> Result<(), StoreError> {
        let (job, org) = (job_id.to_owned(), org.to_owned());
        self.write(WriteOp::Exec(Box::new(move |conn| {
            conn.prepare_cached(stmt::SET_JOB_OWNER)?
                .execute([&job, &org])?;
            Ok(())
        })))
    }

    fn capture_job_owner(&self, job_id: &str) -> Result<Option<String>, StoreError> {
        self.readers.read(|c| {
            Ok(c.prepare_cached(stmt::JOB_OWNER)?
                .query_row([job_id], |r| r.get(0))
                .optional()?)
        })
    }

    fn capture_jobs_of(
        &self,
        org: &str,
        page: &PageRequest,
    ) -> Result<Page<CaptureJob>, StoreError> {
        self.readers
            .read(|c| records::capture_jobs_where(c, page, Some(org)))
    }

    fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let e = entry.clone();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            conn.prepare_cached(stmt::INSERT_AUDIT)?.execute(params![
                e.at_ms, e.actor, e.role, e.org, e.province, e.method, e.path, e.status, e.source
            ])?;
            Ok(())
        })))
    }

    fn audit_entries(
        &self,
        province: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let (before, want) = stmt::audit_start(page)?;
        self.readers.read(|c| {
            let rows = c
                .prepare_cached(stmt::AUDIT_PAGE)?
                .query_map(
                    params![before, province, records::limit_plus_one(want)],
                    |r| Ok(stmt::audit(r)),
                )?
                .collect::<Result<Result<Vec<_>, StoreError>, _>>()??;
            Ok(stmt::audit_page(rows, want))
        })
    }

    fn set_named_query_owner(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        let (name, owner) = (name.to_owned(), owner.to_owned());
        self.write(WriteOp::Exec(Box::new(move |conn| {
            conn.prepare_cached(stmt::SET_QUERY_OWNER)?
                .execute([&name, &owner])?;
            Ok(())
        })))
    }

    fn named_query_owner(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.readers.read(|c| {
            Ok(c.prepare_cached(stmt::QUERY_OWNER)?
                .query_row([name], |r| r.get(0))
                .optional()?)
        })
    }
}
