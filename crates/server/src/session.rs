//! Signing in and out: `POST /auth/login` (a server-side session in an HttpOnly cookie),
//! `POST /auth/logout`, and `GET /auth/me` (who the caller is).

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use registry::accounts::User;
use registry::{Caller, Principal};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::audit::{Attempt, ClientAddress};
use crate::auth::{self, Auth, SESSION_COOKIE, SESSION_TTL_MS};
use crate::problem::ApiError;
use crate::registry_api::json_body;
use crate::{blocking, AppState};

/// The sign-in routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    name: String,
    password: String,
}

/// Checks a user's password and opens a session; returns the user and the cookie secret.
/// The same answer for an unknown user and a wrong password; after too many failures for
/// the name or from the address `from`, 429 (see [`crate::login_limit`]).
pub(crate) async fn sign_in(
    state: &AppState,
    name: String,
    password: String,
    from: &str,
) -> Result<(User, String), ApiError> {
    let limit = &state.login_limit;
    if let Some(wait_ms) = limit.wait_ms(&name, from, auth::now_ms()) {
        let secs = u64::try_from(wait_ms.max(1)).unwrap_or(1).div_ceil(1000);
        return Err(ApiError::too_many_requests(
            format!("too many failed sign-ins for this user name or from this address; try again in {secs} s"),
            secs,
        ));
    }
    let result = check_password(state, &name, password).await;
    match &result {
        Ok(_) => limit.succeeded(&name),
        Err(e) if e.kind.status() == StatusCode::UNAUTHORIZED => {
            limit.failed(&name, from, auth::now_ms())
        }
        Err(_) => {}
    }
    let user = result?;
    let secret = auth::random_secret();
    let (hash, user_name, now) = (auth::sha256_hex(&secret), user.name.clone(), auth::now_ms());
    blocking(state, move |s| {
        s.create_session(&hash, &user_name, now, now + SESSION_TTL_MS)
    })
    .await?;
    Ok((user, secret))
}

/// The enabled user `name` if `password` is theirs.
async fn check_password(state: &AppState, name: &str, password: String) -> Result<User, ApiError> {
    let lookup = name.to_owned();
    let user = blocking(state, move |s| s.user(&lookup)).await?;
    let refused = || ApiError::unauthenticated("wrong user name or password");
    let Some(user) = user.filter(|u| !u.disabled) else {
        // Hash anyway so that timing does not tell which user names exist.
        let _ = tokio::task::spawn_blocking(move || {
            auth::verify_password(&password, auth::dummy_hash())
        })
        .await;
        return Err(refused());
    };
    let phc = user.password_hash.clone();
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &phc))
        .await
        .map_err(ApiError::internal)?;
    if ok {
        Ok(user)
    } else {
        Err(refused())
    }
}

/// Marks a sign-in response with the name tried, for the audit log.
pub(crate) fn attempted(mut response: Response, name: String) -> Response {
    response.extensions_mut().insert(Attempt(name));
    response
}

/// The `Set-Cookie` value for a session (empty secret: remove the cookie); `Secure` when the
/// public base URL is https.
pub(crate) fn session_cookie(state: &AppState, secret: &str) -> HeaderValue {
    let secure = state
        .config
        .base_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let max_age = if secret.is_empty() {
        0
    } else {
        SESSION_TTL_MS / 1000
    };
    // SameSite=Strict: the browser never sends it with a request started by another site.
    let value = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Ends the request's session, if any.
pub(crate) async fn sign_out(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(secret) = auth::session_cookie(headers) {
        let hash = auth::sha256_hex(&secret);
        blocking(state, move |s| s.delete_session(&hash)).await?;
    }
    Ok(())
}

/// `POST /auth/login` `{"name": …, "password": …}`.
async fn login(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let c: Credentials = json_body(&state, &headers, body).await?;
    let name = c.name.clone();
    let (user, secret) = match sign_in(&state, c.name, c.password, &from).await {
        Ok(signed_in) => signed_in,
        Err(e) => return Ok(attempted(e.into_response(), name)),
    };
    let mut response = Json(json!({
        "name": user.name,
        "role": user.binding.role,
        "org": user.binding.org,
        "province": user.binding.province,
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, &secret));
    Ok(attempted(response, name))
}

/// `POST /auth/logout`.
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    sign_out(&state, &headers).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, ""));
    Ok(response)
}

/// The caller as JSON.
pub fn caller_json(caller: &Caller) -> Value {
    let (role, org, province, admin, active) = match &caller.principal {
        Principal::Public => ("public", None, None, false, false),
        Principal::Member { org, admin, active } => {
            ("member", Some(org.clone()), None, *admin, *active)
        }
        Principal::ProvincialOfficial { province } => (
            "provincialOfficial",
            None,
            Some(province.clone()),
            false,
            true,
        ),
        Principal::NationalOfficial => ("nationalOfficial", None, None, false, true),
        Principal::Operator => ("operator", None, None, false, true),
    };
    json!({
        "name": caller.name,
        "role": role,
        "org": org,
        "admin": admin,
        "active": active,
        "province": province,
        "scopes": caller.scopes,
    })
}

/// `GET /auth/me`.
async fn me(Auth(caller): Auth) -> Json<Value> {
    Json(caller_json(&caller))
}
