//! [`AccountStore`] for SQLite.

use rusqlite::{params, OptionalExtension, Row};

use registry::accounts::{AccountRole, ApiToken, AuditEntry, Binding, User};
use registry::Scope;

use super::writer::{is_key_violation, WriteOp};
use super::{records, SqliteStore};
use crate::cursor::{decode_tagged, encode_text};
use crate::{AccountStore, CaptureJob, Page, PageRequest, StoreError};

const USER_COLUMNS: &str = "name, password_hash, role, org_id, province, created_ms, disabled";
const TOKEN_COLUMNS: &str = "id, secret_sha256, name, role, org_id, province, scopes, created_by, created_ms, expires_ms, revoked_ms, last_used_ms";

fn binding(
    role: &str,
    org: Option<String>,
    province: Option<String>,
) -> Result<Binding, StoreError> {
    let role = AccountRole::parse(role)
        .ok_or_else(|| StoreError::Database(format!("stored account with unknown role {role}")))?;
    Ok(Binding {
        role,
        org,
        province,
    })
}

fn row_to_user(r: &Row<'_>) -> rusqlite::Result<Result<User, StoreError>> {
    let role: String = r.get(2)?;
    let binding = match binding(&role, r.get(3)?, r.get(4)?) {
        Ok(b) => b,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(User {
        name: r.get(0)?,
        password_hash: r.get(1)?,
        binding,
        created_ms: r.get(5)?,
        disabled: r.get::<_, i64>(6)? != 0,
    }))
}

fn row_to_token(r: &Row<'_>) -> rusqlite::Result<Result<ApiToken, StoreError>> {
    let role: String = r.get(3)?;
    let binding = match binding(&role, r.get(4)?, r.get(5)?) {
        Ok(b) => b,
        Err(e) => return Ok(Err(e)),
    };
    let scopes: String = r.get(6)?;
    Ok(Ok(ApiToken {
        id: r.get(0)?,
        secret_sha256: r.get(1)?,
        name: r.get(2)?,
        binding,
        scopes: scopes.split(',').filter_map(Scope::parse).collect(),
        created_by: r.get(7)?,
        created_ms: r.get(8)?,
        expires_ms: r.get(9)?,
        revoked_ms: r.get(10)?,
        last_used_ms: r.get(11)?,
    }))
}

fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

impl AccountStore for SqliteStore {
    fn create_user(&self, user: &User) -> Result<(), StoreError> {
        let user = user.clone();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO users (name, password_hash, role, org_id, province, created_ms, disabled) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
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
            c.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"))?
                .query_row([name], row_to_user)
                .optional()?
                .transpose()
        })
    }

    fn user_count(&self) -> Result<i64, StoreError> {
        self.readers
            .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?))
    }

    fn set_password(&self, name: &str, password_hash: &str) -> Result<(), StoreError> {
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        self.write(WriteOp::Exec(Box::new(move |conn| {
            let n = conn
                .prepare_cached("UPDATE users SET password_hash = ?2 WHERE name = ?1")?
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
            conn.prepare_cached("DELETE FROM sessions WHERE expires_ms <= ?1")?
                .execute([created_ms])?;
            conn.prepare_cached(
                "INSERT INTO sessions (secret_sha256, user_name, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![secret, user, created_ms, expires_ms])?;
            Ok(())
        })))
    }

    fn session_user(&self, secret_sha256: &str, now_ms: i64) -> Result<Option<User>, StoreError> {
        self.readers.read(|c| {
            let cols = USER_COLUMNS
                .split(", ")
                .map(|col| format!("u.{col}"))
                .collect::<Vec<_>>()
                .join(", ");
            c.prepare_cached(&format!(
                "SELECT {cols} FROM sessions s JOIN users u ON u.name = s.user_name \
                 WHERE s.secret_sha256 = ?1 AND s.expires_ms > ?2"
            ))?
            .query_row(params![secret_sha256, now_ms], row_to_user)
            .optional()?
            .transpose()
        })
    }

    fn delete_session(&self, secret_sha256: &str) -> Result<(), StoreError> {
        let secret = secret_sha256.to_owned();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            conn.prepare_cached("DELETE FROM sessions WHERE secret_sha256 = ?1")?
                .execute([&secret])?;
            Ok(())
        })))
    }

    fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        let t = token.clone();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            conn.prepare_cached(&format!(
                "INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ))?
            .execute(params![
                t.id,
                t.secret_sha256,
                t.name,
                t.binding.role.as_str(),
                t.binding.org,
                t.binding.province,
                scopes_text(&t.scopes),
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
            c.prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE secret_sha256 = ?1"
            ))?
            .query_row([secret_sha256], row_to_token)
            .optional()?
            .transpose()
        })
    }

    fn token(&self, id: &str) -> Result<Option<ApiToken>, StoreError> {
        self.readers.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?1"
            ))?
            .query_row([id], row_to_token)
            .optional()?
            .transpose()
        })
    }

    fn tokens(&self, org: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        self.readers.read(|c| {
            let sql = match org {
                Some(_) => format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE org_id = ?1 ORDER BY created_ms DESC, id"
                ),
                None => format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE org_id IS NULL AND ?1 IS NULL ORDER BY created_ms DESC, id"
                ),
            };
            c.prepare_cached(&sql)?
                .query_map([org], row_to_token)?
                .collect::<Result<Result<Vec<_>, StoreError>, _>>()?
        })
    }

    fn revoke_token(&self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(WriteOp::Exec(Box::new(move |conn| {
            let n = conn
                .prepare_cached(
                    "UPDATE api_tokens SET revoked_ms = COALESCE(revoked_ms, ?2) WHERE id = ?1",
                )?
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
            conn.prepare_cached("UPDATE api_tokens SET last_used_ms = ?2 WHERE id = ?1")?
                .execute(params![id, at_ms])?;
            Ok(())
        })))
    }

    fn set_capture_job_owner(&self, job_id: &str, org: &str) -> Result<(), StoreError> {
        let (job, org) = (job_id.to_owned(), org.to_owned());
        self.write(WriteOp::Exec(Box::new(move |conn| {
            conn.prepare_cached(
                "INSERT INTO capture_job_owners (job_id, org_id) VALUES (?1, ?2) \
                 ON CONFLICT (job_id) DO UPDATE SET org_id = excluded.org_id",
            )?
            .execute([&job, &org])?;
            Ok(())
        })))
    }

    fn capture_job_owner(&self, job_id: &str) -> Result<Option<String>, StoreError> {
        self.readers.read(|c| {
            Ok(
                c.prepare_cached("SELECT org_id FROM capture_job_owners WHERE job_id = ?1")?
                    .query_row([job_id], |r| r.get(0))
                    .optional()?,
            )
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
            conn.prepare_cached(
                "INSERT INTO audit_log (at_ms, actor, role, org_id, province, method, path, status, source) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
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
        self.readers.read(|c| {
            let before = match page.after.as_deref() {
                Some(a) => decode_tagged(a, "a1")?
                    .parse::<i64>()
                    .map_err(|_| StoreError::InvalidCursor)?,
                None => i64::MAX,
            };
            let want = page.per_page.max(1);
            let rows: Vec<(i64, AuditEntry)> = c
                .prepare_cached(
                    "SELECT n, at_ms, actor, role, org_id, province, method, path, status, source FROM audit_log \
                     WHERE n < ?1 AND (?2 IS NULL OR province = ?2) ORDER BY n DESC LIMIT ?3",
                )?
                .query_map(params![before, province, records::limit_plus_one(want)], |r| {
                    Ok((
                        r.get(0)?,
                        AuditEntry {
                            at_ms: r.get(1)?,
                            actor: r.get(2)?,
                            role: r.get(3)?,
                            org: r.get(4)?,
                            province: r.get(5)?,
                            method: r.get(6)?,
                            path: r.get(7)?,
                            status: r.get(8)?,
                            source: r.get(9)?,
                        },
                    ))
                })?
                .collect::<Result<_, _>>()?;
            Ok(records::paged(
                rows,
                want,
                |(n, _)| encode_text("a1", &n.to_string()),
                |(_, e)| e,
            ))
        })
    }

    fn set_named_query_owner(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        let (name, owner) = (name.to_owned(), owner.to_owned());
        self.write(WriteOp::Exec(Box::new(move |conn| {
            conn.prepare_cached(
                "INSERT INTO named_query_owners (name, owner) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET owner = excluded.owner",
            )?
            .execute([&name, &owner])?;
            Ok(())
        })))
    }

    fn named_query_owner(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.readers.read(|c| {
            Ok(
                c.prepare_cached("SELECT owner FROM named_query_owners WHERE name = ?1")?
                    .query_row([name], |r| r.get(0))
                    .optional()?,
            )
        })
    }
}
