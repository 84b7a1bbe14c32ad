//! Who is calling: the `Authorization: Bearer` API token or the session cookie, resolved
//! to a [`Caller`] by the [`Auth`] extractor; and the secrets behind them (random tokens
//! kept as SHA-256, passwords kept as argon2id).

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use registry::accounts::{AccountRole, ApiToken, Binding, User};
use registry::{Caller, Scope};
use sha2::{Digest, Sha256};
use store::{Backend, StoreError};

use crate::problem::ApiError;
use crate::{blocking, AppState};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tp_session";
/// How long a browser session lasts.
pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;
/// Prefix of API token secrets, so they are recognisable in logs and secret scanners.
pub const TOKEN_PREFIX: &str = "tpk_";
/// A token's last use is written at most this often.
const TOUCH_INTERVAL_MS: i64 = 60_000;

/// 256 random bits, URL-safe.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256: how token and session secrets are stored (they are random and long, so a
/// fast hash suffices; passwords use argon2).
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The argon2id PHC string of a password.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// True when `password` matches the stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A valid hash of nothing in particular, to spend the same time on unknown user names.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_secret()).unwrap_or_default())
}

/// A new password: 18 random URL-safe characters.
pub fn random_password() -> String {
    random_secret()[..18].to_owned()
}

/// A token just created: the record and its secret, which is shown this once.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The stored record.
    pub token: ApiToken,
    /// The secret to give to the client.
    pub secret: String,
}

/// Creates and stores an API token. Blocking.
pub fn issue_token(
    store: &dyn Backend,
    name: &str,
    binding: Binding,
    scopes: Vec<Scope>,
    created_by: &str,
    expires_ms: Option<i64>,
) -> Result<IssuedToken, StoreError> {
    let secret = format!("{TOKEN_PREFIX}{}", random_secret());
    let token = ApiToken {
        id: random_secret()[..16].to_owned(),
        name: name.to_owned(),
        secret_sha256: sha256_hex(&secret),
        binding,
        scopes,
        created_by: created_by.to_owned(),
        created_ms: now_ms(),
        expires_ms,
        revoked_ms: None,
        last_used_ms: None,
    };
    store.create_token(&token)?;
    Ok(IssuedToken { token, secret })
}

/// Creates a user with a password. Blocking; `Conflict` when the name is taken.
pub fn create_user(
    store: &dyn Backend,
    name: &str,
    password: &str,
    binding: Binding,
) -> Result<User, StoreError> {
    let password_hash = hash_password(password).map_err(StoreError::Database)?;
    let user = User {
        name: name.to_owned(),
        password_hash,
        binding,
        created_ms: now_ms(),
        disabled: false,
    };
    store.create_user(&user)?;
    Ok(user)
}

/// On a store without users, creates the `operator` account with a random password and
/// returns the password (to print once). Blocking.
pub fn bootstrap_operator(store: &dyn Backend) -> Result<Option<String>, StoreError> {
    if store.user_count()? > 0 {
        return Ok(None);
    }
    let password = random_password();
    create_user(
        store,
        "operator",
        &password,
        Binding {
            role: AccountRole::Operator,
            org: None,
            province: None,
        },
    )?;
    Ok(Some(password))
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The session secret in the request's cookies, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// The caller of a request, resolved from its credentials. A request with a bad token is
/// refused (401) rather than served as the public, so a client never silently sees less.
#[derive(Debug, Clone)]
pub struct Auth(pub Caller);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, ApiError> {
        resolve(state, &parts.headers).await.map(Auth)
    }
}

/// Resolves the caller from request headers.
pub async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let text = value.to_str().unwrap_or_default();
        let Some(secret) = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .map(str::trim)
        else {
            return Err(ApiError::unauthenticated(
                "the Authorization header must be `Bearer <API token>`",
            ));
        };
        return token_caller(state, secret.to_owned()).await;
    }
    if let Some(secret) = session_cookie(headers) {
        let hash = sha256_hex(&secret);
        let now = now_ms();
        let user = blocking(state, move |s| s.session_user(&hash, now)).await?;
        if let Some(user) = user.filter(|u| !u.disabled) {
            let caller =
                bound_caller(state, &user.binding, Scope::ALL.to_vec(), user.name.clone()).await?;
            return Ok(caller);
        }
    }
    Ok(Caller::public())
}

async fn token_caller(state: &AppState, secret: String) -> Result<Caller, ApiError> {
    let hash = sha256_hex(&secret);
    let token = blocking(state, move |s| s.token_by_secret(&hash))
        .await?
        .ok_or_else(|| ApiError::unauthenticated("unknown API token"))?;
    let now = now_ms();
    if let Some(why) = token.unusable(now) {
        return Err(ApiError::unauthenticated(why));
    }
    if token
        .last_used_ms
        .is_none_or(|t| now - t >= TOUCH_INTERVAL_MS)
    {
        let store: Arc<dyn Backend> = state.store.clone();
        let id = token.id.clone();
        // Best effort, off the request path: a lost update only makes "last use" older.
        tokio::task::spawn_blocking(move || {
            if let Err(e) = store.touch_token(&id, now) {
                tracing::warn!(error = %e, "cannot record API token use");
            }
        });
    }
    bound_caller(
        state,
        &token.binding,
        token.scopes.clone(),
        format!("token:{}", token.id),
    )
    .await
}

/// The caller for an account binding, reading its organisation's current state.
async fn bound_caller(
    state: &AppState,
    binding: &Binding,
    scopes: Vec<Scope>,
    name: String,
) -> Result<Caller, ApiError> {
    let org = match &binding.org {
        Some(id) => {
            let id = id.clone();
            blocking(state, move |s| s.organisation(&id)).await?
        }
        None => None,
    };
    Ok(Caller {
        principal: binding.principal(org.as_ref()),
        scopes,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn passwords_round_trip() {
        let h = hash_password("đúng mật khẩu").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("đúng mật khẩu", &h));
        assert!(!verify_password("sai", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tp_session=abc; b=2"),
        );
        assert_eq!(session_cookie(&h).as_deref(), Some("abc"));
        h.insert(header::COOKIE, HeaderValue::from_static("a=1"));
        assert_eq!(session_cookie(&h), None);
    }
}
