//! Statements and rows of the account tables (users, sessions, API tokens, owners of jobs
//! and named queries, the audit log), shared by both backends.

use registry::accounts::{AccountRole, ApiToken, AuditEntry, Binding, User};
use registry::Scope;

use super::cells::Cells;
use crate::cursor::{decode_tagged, encode_text};
use crate::{Page, PageRequest, StoreError};

macro_rules! user_columns {
    () => {
        "u.name, u.password_hash, u.role, u.org_id, u.province, u.created_ms, u.disabled"
    };
}
macro_rules! token_columns {
    () => {
        "id, secret_sha256, name, role, org_id, province, scopes, created_by, created_ms, expires_ms, revoked_ms, last_used_ms"
    };
}

/// Creates a user (`?1` … `?7` in [`user_columns!`] order).
pub(crate) const INSERT_USER: &str =
    "INSERT INTO users (name, password_hash, role, org_id, province, created_ms, disabled) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
/// One user by name.
pub(crate) const USER: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users u WHERE u.name = ?1"
);
/// Number of users.
pub(crate) const USER_COUNT: &str = "SELECT COUNT(*) FROM users";
/// Replaces a password hash (`?1` name, `?2` hash).
pub(crate) const SET_PASSWORD: &str = "UPDATE users SET password_hash = ?2 WHERE name = ?1";
/// Clears the sessions expired at `?1`.
pub(crate) const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_ms <= ?1";
/// Starts a session (`?1` secret hash, `?2` user, `?3` created, `?4` expires).
pub(crate) const INSERT_SESSION: &str =
    "INSERT INTO sessions (secret_sha256, user_name, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)";
/// The user of a live session (`?1` secret hash, `?2` now).
pub(crate) const SESSION_USER: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM sessions s JOIN users u ON u.name = s.user_name \
     WHERE s.secret_sha256 = ?1 AND s.expires_ms > ?2"
);
/// Ends a session.
pub(crate) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE secret_sha256 = ?1";
/// Stores a token (`?1` … `?12` in [`token_columns!`] order).
pub(crate) const INSERT_TOKEN: &str = concat!(
    "INSERT INTO api_tokens (",
    token_columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
);
/// A token by the hash of its secret.
pub(crate) const TOKEN_BY_SECRET: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM api_tokens WHERE secret_sha256 = ?1"
);
/// A token by id.
pub(crate) const TOKEN: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM api_tokens WHERE id = ?1"
);
/// The tokens of an organisation (`?1`), newest first.
pub(crate) const TOKENS_OF_ORG: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM api_tokens WHERE org_id = ?1 ORDER BY created_ms DESC, id"
);
/// The tokens bound to no organisation, newest first.
pub(crate) const TOKENS_WITHOUT_ORG: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM api_tokens WHERE org_id IS NULL ORDER BY created_ms DESC, id"
);
/// Revokes a token (`?1` id, `?2` when), keeping an earlier revocation time.
pub(crate) const REVOKE_TOKEN: &str =
    "UPDATE api_tokens SET revoked_ms = COALESCE(revoked_ms, ?2) WHERE id = ?1";
/// Records a token's use (`?1` id, `?2` when).
pub(crate) const TOUCH_TOKEN: &str = "UPDATE api_tokens SET last_used_ms = ?2 WHERE id = ?1";
/// Records who submitted a capture job (`?1` job, `?2` organisation).
pub(crate) const SET_JOB_OWNER: &str =
    "INSERT INTO capture_job_owners (job_id, org_id) VALUES (?1, ?2) \
     ON CONFLICT (job_id) DO UPDATE SET org_id = excluded.org_id";
/// Who submitted a capture job.
pub(crate) const JOB_OWNER: &str = "SELECT org_id FROM capture_job_owners WHERE job_id = ?1";
/// Appends to the audit log (`?1` … `?9` in [`AuditEntry`] field order).
pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (at_ms, actor, role, org_id, province, method, path, status, source) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
/// A page of the audit log, newest first (`?1` before n, `?2` province or NULL, `?3` limit).
pub(crate) const AUDIT_PAGE: &str =
    "SELECT n, at_ms, actor, role, org_id, province, method, path, status, source FROM audit_log \
     WHERE n < ?1 AND (CAST(?2 AS TEXT) IS NULL OR province = ?2) ORDER BY n DESC LIMIT ?3";
/// Records who created a named query (`?1` name, `?2` owner).
pub(crate) const SET_QUERY_OWNER: &str =
    "INSERT INTO named_query_owners (name, owner) VALUES (?1, ?2) \
     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner";
/// Who created a named query.
pub(crate) const QUERY_OWNER: &str = "SELECT owner FROM named_query_owners WHERE name = ?1";

const AUDIT_TAG: &str = "a1";

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

/// A user row (`user_columns!()`).
pub(crate) fn user(r: &impl Cells) -> Result<User, StoreError> {
    Ok(User {
        name: r.text(0)?,
        password_hash: r.text(1)?,
        binding: binding(&r.text(2)?, r.opt_text(3)?, r.opt_text(4)?)?,
        created_ms: r.int(5)?,
        disabled: r.flag(6)?,
    })
}

/// A token row (`token_columns!()`).
pub(crate) fn token(r: &impl Cells) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: r.text(0)?,
        secret_sha256: r.text(1)?,
        name: r.text(2)?,
        binding: binding(&r.text(3)?, r.opt_text(4)?, r.opt_text(5)?)?,
        scopes: r.text(6)?.split(',').filter_map(Scope::parse).collect(),
        created_by: r.text(7)?,
        created_ms: r.int(8)?,
        expires_ms: r.opt_int(9)?,
        revoked_ms: r.opt_int(10)?,
        last_used_ms: r.opt_int(11)?,
    })
}

/// An audit row ([`AUDIT_PAGE`]) with its number.
pub(crate) fn audit(r: &impl Cells) -> Result<(i64, AuditEntry), StoreError> {
    let status = r.int(8)?;
    Ok((
        r.int(0)?,
        AuditEntry {
            at_ms: r.int(1)?,
            actor: r.text(2)?,
            role: r.text(3)?,
            org: r.opt_text(4)?,
            province: r.opt_text(5)?,
            method: r.text(6)?,
            path: r.text(7)?,
            status: u16::try_from(status)
                .map_err(|_| StoreError::Database(format!("audit entry with status {status}")))?,
            source: r.text(9)?,
        },
    ))
}

/// Where an audit page starts: the number below which to list, and how many.
pub(crate) fn audit_start(page: &PageRequest) -> Result<(i64, usize), StoreError> {
    let before = match page.after.as_deref() {
        Some(a) => decode_tagged(a, AUDIT_TAG)?
            .parse::<i64>()
            .map_err(|_| StoreError::InvalidCursor)?,
        None => i64::MAX,
    };
    Ok((before, page.per_page.max(1)))
}

/// Cuts audit rows fetched with one extra to a page.
pub(crate) fn audit_page(rows: Vec<(i64, AuditEntry)>, want: usize) -> Page<AuditEntry> {
    super::paged(
        rows,
        want,
        |(n, _)| encode_text(AUDIT_TAG, &n.to_string()),
        |(_, e)| e,
    )
}

/// The stored form of a token's scopes.
pub(crate) fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}
