//! Storage of accounts: users, browser sessions, API tokens, and who owns capture jobs and
//! named queries. Secrets are never stored, only their SHA-256 (tokens, sessions) or an
//! argon2 hash (passwords), computed by the caller.

use registry::accounts::{ApiToken, AuditEntry, User};

use crate::{CaptureJob, Page, PageRequest, StoreError};

/// Accounts. Implemented by every backend (see [`crate::Backend`]).
pub trait AccountStore: Send + Sync {
    /// Creates a user; `Conflict` when the name is taken.
    fn create_user(&self, user: &User) -> Result<(), StoreError>;
    /// One user by name.
    fn user(&self, name: &str) -> Result<Option<User>, StoreError>;
    /// Number of users (to know whether to bootstrap an operator).
    fn user_count(&self) -> Result<i64, StoreError>;
    /// Replaces a user's password hash; `NotFound` when absent.
    fn set_password(&self, name: &str, password_hash: &str) -> Result<(), StoreError>;

    /// Starts a session for `user` until `expires_ms`.
    fn create_session(
        &self,
        secret_sha256: &str,
        user: &str,
        created_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError>;
    /// The user of a live session.
    fn session_user(&self, secret_sha256: &str, now_ms: i64) -> Result<Option<User>, StoreError>;
    /// Ends a session (no error when already gone).
    fn delete_session(&self, secret_sha256: &str) -> Result<(), StoreError>;

    /// Stores a new API token.
    fn create_token(&self, token: &ApiToken) -> Result<(), StoreError>;
    /// A token by the SHA-256 of its secret.
    fn token_by_secret(&self, secret_sha256: &str) -> Result<Option<ApiToken>, StoreError>;
    /// A token by id.
    fn token(&self, id: &str) -> Result<Option<ApiToken>, StoreError>;
    /// Tokens of one organisation (or, with `None`, those bound to none), newest first.
    fn tokens(&self, org: Option<&str>) -> Result<Vec<ApiToken>, StoreError>;
    /// Revokes a token; `NotFound` when absent.
    fn revoke_token(&self, id: &str, at_ms: i64) -> Result<(), StoreError>;
    /// Records a token's use.
    fn touch_token(&self, id: &str, at_ms: i64) -> Result<(), StoreError>;

    /// Records the organisation that submitted a capture job.
    fn set_capture_job_owner(&self, job_id: &str, org: &str) -> Result<(), StoreError>;
    /// The organisation that submitted a capture job.
    fn capture_job_owner(&self, job_id: &str) -> Result<Option<String>, StoreError>;
    /// Capture jobs of one organisation, newest first.
    fn capture_jobs_of(
        &self,
        org: &str,
        page: &PageRequest,
    ) -> Result<Page<CaptureJob>, StoreError>;

    /// Appends to the audit log.
    fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// The audit log, newest first, optionally of one province only.
    fn audit_entries(
        &self,
        province: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError>;

    /// Records who created a named query.
    fn set_named_query_owner(&self, name: &str, owner: &str) -> Result<(), StoreError>;
    /// Who created a named query (`None` for queries from before accounts existed).
    fn named_query_owner(&self, name: &str) -> Result<Option<String>, StoreError>;
}
