//! The registry API (JSON): organisations (registration, verification, suspension),
//! products, and the accounts and API tokens of organisations and authorities.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use registry::accounts::{AccountRole, ApiToken, Binding};
use registry::validate;
use registry::{
    Action, Caller, NewOrganisation, Organisation, Product, Scope, Suspension, Verification,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use store::{Backend, Page, PageRequest, StoreError};

use crate::access::require;
use crate::auth::{self, Auth};
use crate::capture::read_body;
use crate::headers::require_json;
use crate::paging::{base_url, encode, next_link, page_params, parse_query};
use crate::problem::ApiError;
use crate::{blocking, AppState};

/// The registry routes, under `/registry`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/registry/organisations",
            get(list_organisations).post(register),
        )
        .route("/registry/organisations/{id}", get(get_organisation))
        .route("/registry/organisations/{id}/status", post(set_status))
        .route("/registry/products", get(list_products))
        .route(
            "/registry/products/{gtin}",
            get(get_product).put(put_product).delete(delete_product),
        )
        .route("/registry/tokens", get(list_tokens).post(create_token))
        .route("/registry/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/registry/users", post(create_user))
}

/// Reads a JSON body into `T`, naming what is wrong.
pub(crate) async fn json_body<T: DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<T, ApiError> {
    require_json(headers)?;
    let bytes = read_body(headers, body, state.config.max_body_bytes).await?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::validation(format!("the body is not the expected JSON: {e}"))
            .with("line", json!(e.line()))
            .with("column", json!(e.column()))
    })
}

/// A 201 with `Location` and the created thing as JSON.
pub(crate) fn created(location: String, body: Value) -> Response {
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewAccount {
    name: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Registration {
    organisation: NewOrganisation,
    /// The first administrator's account.
    #[serde(default)]
    admin: Option<NewAccount>,
}

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

fn check_account(account: &NewAccount) -> Result<(), ApiError> {
    validate::check_id("admin/name", &account.name).map_err(ApiError::from)?;
    if account.password.chars().count() < MIN_PASSWORD_LEN {
        return Err(ApiError::validation(format!(
            "admin/password: at least {MIN_PASSWORD_LEN} characters"
        ))
        .with("field", json!("admin/password")));
    }
    Ok(())
}

/// Checks and stores a registration (used by the API and the web form). Blocking.
pub(crate) fn register_blocking(
    store: &dyn store::Backend,
    details: NewOrganisation,
    admin: Option<(String, String)>,
) -> Result<Organisation, ApiError> {
    validate::check_organisation(&details, registry::admin::is_current_province)?;
    if store.organisation(&details.id)?.is_some() {
        return Err(ApiError::from(StoreError::Conflict(format!(
            "organisation {}",
            details.id
        ))));
    }
    if let Some((name, _)) = &admin {
        if store.user(name)?.is_some() {
            return Err(ApiError::from(StoreError::Conflict(format!("user {name}"))));
        }
    }
    let org = Organisation {
        details,
        verification: Verification::Pending,
        suspension: None,
        created_ms: auth::now_ms(),
    };
    store.create_organisation(&org)?;
    if let Some((name, password)) = admin {
        auth::create_user(
            store,
            &name,
            &password,
            Binding {
                role: AccountRole::Admin,
                org: Some(org.id().to_owned()),
                province: None,
            },
        )?;
    }
    Ok(org)
}

/// `POST /registry/organisations`: anyone may register; the organisation starts unverified.
async fn register(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require(&caller, Action::RegisterOrganisation)?;
    let reg: Registration = json_body(&state, &headers, body).await?;
    if let Some(a) = &reg.admin {
        check_account(a)?;
    }
    let admin = reg.admin.map(|a| (a.name, a.password));
    let details = reg.organisation;
    let store = state.store.clone();
    let org =
        tokio::task::spawn_blocking(move || register_blocking(store.as_ref(), details, admin))
            .await
            .map_err(ApiError::internal)??;
    let location = format!(
        "{}/registry/organisations/{}",
        base_url(&state, &headers),
        encode(org.id())
    );
    Ok(created(location, json!(org)))
}

/// A store listing of one page, with one optional filter (an owner, a province).
type PagedList<T> = fn(&dyn Backend, Option<&str>, &PageRequest) -> Result<Page<T>, StoreError>;

/// `GET path[?filter=…]` of a paged registry list, with its `Link: rel="next"`.
async fn paged_list<T: Serialize + Send + 'static>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    raw: Option<&str>,
    (path, filter): (&str, &str),
    list: PagedList<T>,
) -> Result<Response, ApiError> {
    require(caller, Action::ReadRegistry)?;
    let page = page_params(state, path, parse_query(raw)?)?;
    let mut value = None;
    for (name, v) in &page.params {
        if name != filter {
            return Err(ApiError::query_param(format!(
                "unknown query parameter {name} for {path}"
            )));
        }
        value = Some(v.clone());
    }
    let request = page.request();
    let result = blocking(state, move |s| list(s, value.as_deref(), &request)).await?;
    let mut response = Json(json!(result.items)).into_response();
    if let Some(link) = next_link(state, headers, path, &page, result.next.as_deref()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// One record the store may lack: 404 naming `what` and `id` when absent.
pub(crate) async fn find_one<T: Send + 'static>(
    state: &AppState,
    what: &str,
    id: &str,
    get: fn(&dyn Backend, &str) -> Result<Option<T>, StoreError>,
) -> Result<T, ApiError> {
    let lookup = id.to_owned();
    blocking(state, move |s| get(s, &lookup))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no {what} {id}")))
}

/// `GET /registry/organisations[?province=CODE]`.
async fn list_organisations(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let route = ("/registry/organisations", "province");
    paged_list(
        &state,
        &caller,
        &headers,
        raw.as_deref(),
        route,
        |s, p, r| s.organisations(p, r),
    )
    .await
}

/// One organisation.
pub(crate) async fn find_organisation(
    state: &AppState,
    id: &str,
) -> Result<Organisation, ApiError> {
    find_one(state, "organisation", id, |s, id| s.organisation(id)).await
}

/// `GET /registry/organisations/{id}`.
async fn get_organisation(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    require(&caller, Action::ReadRegistry)?;
    Ok(Json(json!(find_organisation(&state, &id).await?)).into_response())
}

/// What an official does to an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    /// Confirm its legal identity.
    Verify,
    /// Refuse it (a reason is required).
    Reject,
    /// Suspend it (a reason is required).
    Suspend,
    /// Lift a suspension.
    Reinstate,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StatusChange {
    decision: Decision,
    #[serde(default)]
    reason: String,
}

/// Applies an official's decision to an organisation (API and web form).
pub(crate) async fn judge(
    state: &AppState,
    caller: &Caller,
    id: &str,
    decision: Decision,
    reason: String,
) -> Result<Organisation, ApiError> {
    let mut org = find_organisation(state, id).await?;
    require(
        caller,
        Action::JudgeOrganisation {
            province: &org.details.province_code,
        },
    )?;
    let now = auth::now_ms();
    let reason = reason.trim().to_owned();
    let need_reason = || {
        ApiError::validation("reason: required to reject or suspend an organisation")
            .with("field", json!("reason"))
    };
    match decision {
        Decision::Verify => {
            org.verification = Verification::Verified {
                by: caller.name.clone(),
                at_ms: now,
            }
        }
        Decision::Reject if reason.is_empty() => return Err(need_reason()),
        Decision::Reject => {
            org.verification = Verification::Rejected {
                by: caller.name.clone(),
                at_ms: now,
                reason,
            }
        }
        Decision::Suspend if reason.is_empty() => return Err(need_reason()),
        Decision::Suspend => {
            org.suspension = Some(Suspension {
                by: caller.name.clone(),
                at_ms: now,
                reason,
            })
        }
        Decision::Reinstate => org.suspension = None,
    }
    let stored = org.clone();
    blocking(state, move |s| s.update_organisation(&stored)).await?;
    Ok(org)
}

/// `POST /registry/organisations/{id}/status` `{"decision": "verify"|"reject"|"suspend"|"reinstate", "reason": …}`.
async fn set_status(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let change: StatusChange = json_body(&state, &headers, body).await?;
    let org = judge(&state, &caller, &id, change.decision, change.reason).await?;
    Ok(Json(json!(org)).into_response())
}

/// `GET /registry/products[?owner=ORG]`.
async fn list_products(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let route = ("/registry/products", "owner");
    paged_list(
        &state,
        &caller,
        &headers,
        raw.as_deref(),
        route,
        |s, o, r| s.products(o, r),
    )
    .await
}

fn gtin_of(text: &str) -> Result<String, ApiError> {
    gs1::keys::normalize_gtin(text).map_err(|e| {
        ApiError::validation(format!("gtin {text:?}: {e}")).with("field", json!("gtin"))
    })
}

/// One product by GTIN (any length; padded to 14 digits).
pub(crate) async fn find_product(state: &AppState, gtin: &str) -> Result<Product, ApiError> {
    let gtin = gtin_of(gtin)?;
    find_one(state, "product", &gtin, |s, gtin| s.product(gtin)).await
}

/// `GET /registry/products/{gtin}`.
async fn get_product(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(gtin): Path<String>,
) -> Result<Response, ApiError> {
    require(&caller, Action::ReadRegistry)?;
    Ok(Json(json!(find_product(&state, &gtin).await?)).into_response())
}

/// Checks and stores a product for its owner (API and web form); returns it and whether it is new.
pub(crate) async fn save_product(
    state: &AppState,
    caller: &Caller,
    gtin: &str,
    mut product: Product,
) -> Result<(Product, bool), ApiError> {
    let gtin = gtin_of(gtin)?;
    if !product.gtin.is_empty() && gtin_of(&product.gtin)? != gtin {
        return Err(ApiError::validation(format!(
            "gtin: the body names {} but the path {gtin}",
            product.gtin
        ))
        .with("field", json!("gtin")));
    }
    // Members act for their organisation; operators name the owner.
    if let Some(org) = caller.org() {
        product.owner = org.to_owned();
    }
    if product.owner.is_empty() {
        return Err(
            ApiError::validation("owner: the registry id of the brand owner is required")
                .with("field", json!("owner")),
        );
    }
    require(
        caller,
        Action::ManageProducts {
            org: &product.owner,
        },
    )?;
    let owner = find_organisation(state, &product.owner).await?;
    product.gtin = gtin.clone();
    validate::check_product(&product, &owner.details.company_prefixes)?;
    let lookup = gtin.clone();
    let existing = blocking(state, move |s| s.product(&lookup)).await?;
    let stored = product.clone();
    blocking(state, move |s| s.put_product(&stored)).await?;
    Ok((product, existing.is_none()))
}

/// `PUT /registry/products/{gtin}`: create or replace.
async fn put_product(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(gtin): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let product: Product = json_body(&state, &headers, body).await?;
    let (product, new) = save_product(&state, &caller, &gtin, product).await?;
    if new {
        let location = format!(
            "{}/registry/products/{}",
            base_url(&state, &headers),
            product.gtin
        );
        Ok(created(location, json!(product)))
    } else {
        Ok(Json(json!(product)).into_response())
    }
}

/// Deletes a product of the caller's organisation (API and web form).
pub(crate) async fn remove_product(
    state: &AppState,
    caller: &Caller,
    gtin: &str,
) -> Result<(), ApiError> {
    let product = find_product(state, gtin).await?;
    require(
        caller,
        Action::ManageProducts {
            org: &product.owner,
        },
    )?;
    blocking(state, move |s| s.delete_product(&product.gtin)).await
}

/// `DELETE /registry/products/{gtin}`.
async fn delete_product(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(gtin): Path<String>,
) -> Result<Response, ApiError> {
    remove_product(&state, &caller, &gtin).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Whom a new account or token is for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BindingRequest {
    #[serde(default)]
    role: Option<AccountRole>,
    #[serde(default)]
    org: Option<String>,
    #[serde(default)]
    province: Option<String>,
}

/// The binding asked for, defaulting to a member of the caller's organisation, checked
/// against the policy: organisation administrators bind to their own organisation only;
/// authorities are created by operators.
pub(crate) async fn permitted_binding(
    state: &AppState,
    caller: &Caller,
    request: BindingRequest,
) -> Result<Binding, ApiError> {
    let role = request.role.unwrap_or(AccountRole::Member);
    let org = match (role.needs_org(), request.org) {
        (true, Some(o)) => Some(o),
        (true, None) => caller.org().map(str::to_owned),
        (false, o) => o,
    };
    let binding = Binding {
        role,
        org,
        province: request.province,
    };
    binding
        .check()
        .map_err(|m| ApiError::validation(m).with("field", json!("role")))?;
    match &binding.org {
        Some(org) => {
            require(caller, Action::ManageAccess { org })?;
            find_organisation(state, org).await?;
        }
        None => {
            require(caller, Action::ManageAuthorities)?;
            if let Some(p) = &binding.province {
                if !registry::admin::is_current_province(p) {
                    return Err(ApiError::validation(format!(
                        "province: {p:?} is not one of the 34 provinces in force"
                    ))
                    .with("field", json!("province")));
                }
            }
        }
    }
    Ok(binding)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenRequest {
    name: String,
    #[serde(default)]
    scopes: Option<Vec<Scope>>,
    #[serde(default)]
    expires_days: Option<u32>,
    #[serde(flatten)]
    binding: BindingRequest,
}

/// The token as listed (never its secret).
pub(crate) fn token_json(t: &ApiToken) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "role": t.binding.role,
        "org": t.binding.org,
        "province": t.binding.province,
        "scopes": t.scopes,
        "createdBy": t.created_by,
        "createdMs": t.created_ms,
        "expiresMs": t.expires_ms,
        "revokedMs": t.revoked_ms,
        "lastUsedMs": t.last_used_ms,
    })
}

/// Issues a token for `binding` (API and web form); returns it with its secret.
pub(crate) async fn issue(
    state: &AppState,
    caller: &Caller,
    name: String,
    binding: Binding,
    scopes: Vec<Scope>,
    expires_days: Option<u32>,
) -> Result<auth::IssuedToken, ApiError> {
    if name.trim().is_empty() {
        return Err(
            ApiError::validation("name: a label for the token is required")
                .with("field", json!("name")),
        );
    }
    // A token never carries more than its creator's session or token may do.
    if let Some(s) = scopes.iter().find(|s| !caller.scopes.contains(s)) {
        return Err(ApiError::forbidden(format!(
            "a token cannot have the {} scope its creator lacks",
            s.as_str()
        )));
    }
    let expires = expires_days.map(|d| auth::now_ms() + i64::from(d) * 86_400_000);
    let by = caller.name.clone();
    blocking(state, move |s| {
        auth::issue_token(s, &name, binding, scopes, &by, expires)
    })
    .await
}

/// `POST /registry/tokens`: the secret is in the answer, once.
async fn create_token(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let request: TokenRequest = json_body(&state, &headers, body).await?;
    let binding = permitted_binding(&state, &caller, request.binding).await?;
    let scopes = request.scopes.unwrap_or_else(|| Scope::ALL.to_vec());
    let issued = issue(
        &state,
        &caller,
        request.name,
        binding,
        scopes,
        request.expires_days,
    )
    .await?;
    let mut body = token_json(&issued.token);
    body["token"] = json!(issued.secret);
    let location = format!(
        "{}/registry/tokens/{}",
        base_url(&state, &headers),
        issued.token.id
    );
    Ok(created(location, body))
}

/// `GET /registry/tokens[?org=ORG]` (default: the caller's organisation; without one, the
/// authorities' tokens, for operators).
async fn list_tokens(
    State(state): State<AppState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = parse_query(raw.as_deref())?;
    let mut org = caller.org().map(str::to_owned);
    for (name, value) in params {
        match name.as_str() {
            "org" => org = Some(value),
            other => {
                return Err(ApiError::query_param(format!(
                    "unknown query parameter {other} for /registry/tokens"
                )))
            }
        }
    }
    match &org {
        Some(o) => require(&caller, Action::ManageAccess { org: o })?,
        None => require(&caller, Action::ManageAuthorities)?,
    };
    let tokens = blocking(&state, move |s| s.tokens(org.as_deref())).await?;
    Ok(Json(Value::Array(tokens.iter().map(token_json).collect())).into_response())
}

/// Revokes a token the caller manages (API and web form).
pub(crate) async fn revoke(state: &AppState, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let lookup = id.to_owned();
    let token = blocking(state, move |s| s.token(&lookup))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no API token {id}")))?;
    match &token.binding.org {
        Some(org) => require(caller, Action::ManageAccess { org })?,
        None => require(caller, Action::ManageAuthorities)?,
    };
    let now = auth::now_ms();
    blocking(state, move |s| s.revoke_token(&token.id, now)).await
}

/// `DELETE /registry/tokens/{id}`.
async fn revoke_token(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    revoke(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRequest {
    name: String,
    password: String,
    #[serde(flatten)]
    binding: BindingRequest,
}

/// `POST /registry/users`: an organisation's administrator adds its staff; operators add
/// officials and operators.
async fn create_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let request: UserRequest = json_body(&state, &headers, body).await?;
    let account = NewAccount {
        name: request.name,
        password: request.password,
    };
    check_account(&account)?;
    let binding = permitted_binding(&state, &caller, request.binding).await?;
    let user = blocking(&state, move |s| {
        auth::create_user(s, &account.name, &account.password, binding)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"name": user.name, "role": user.binding.role, "org": user.binding.org, "province": user.binding.province})),
    )
        .into_response())
}
