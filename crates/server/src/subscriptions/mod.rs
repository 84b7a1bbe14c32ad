//! Query subscriptions: `POST/GET /queries/{queryName}/subscriptions`,
//! `GET/DELETE /queries/{queryName}/subscriptions/{subscriptionID}`, the webhook delivery
//! worker, and WebSocket subscriptions on `GET /queries/{queryName}/events`.

pub mod delivery;
mod request;
pub mod websocket;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use store::Subscription;
use tokio::sync::{mpsc, watch, Semaphore};

use crate::access::{self, require, View};
use crate::auth::Auth;
use crate::capture::read_body;
use crate::headers::require_json;
use crate::paging::{base_url, encode, next_link, page_params, parse_query};
use crate::problem::ApiError;
use crate::{blocking, AppState};
use registry::Action;

pub use delivery::signature;
pub(crate) use request::check_dest;

/// Tuning of subscription delivery.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Whole-request timeout of one callback.
    pub timeout: Duration,
    /// Connect timeout of one callback.
    pub connect_timeout: Duration,
    /// First retry delay after a failed callback; doubles per failure.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// How often a streaming subscription looks for new events without being woken.
    pub poll: Duration,
    /// Most events in one callback document.
    pub batch_events: usize,
    /// Most callbacks in flight at once, across all subscriptions.
    pub max_in_flight: usize,
    /// Most WebSocket subscriptions open at once.
    pub max_websockets: usize,
    /// How long a process's claim on delivering a webhook subscription lasts unless renewed
    /// (renewed every third of it); after that another process on the same store takes the
    /// subscription over. Also how often the worker looks for subscriptions created elsewhere.
    pub lease: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            retry_base: Duration::from_millis(500),
            retry_max: Duration::from_secs(300),
            poll: Duration::from_secs(2),
            batch_events: 500,
            max_in_flight: 32,
            max_websockets: 1024,
            lease: Duration::from_secs(30),
        }
    }
}

/// What the HTTP handlers tell the delivery worker.
pub(crate) enum Command {
    /// A new subscription.
    Start(Box<Subscription>),
    /// A deleted subscription.
    Stop(String),
    /// A deleted named query (its subscriptions are gone).
    StopQuery(String),
    /// A new or changed recall webhook of an organisation.
    StartRecallHook(Box<store::RecallWebhook>),
}

/// Shared by capture, the handlers and the delivery tasks.
pub struct Hub {
    /// Bumped after every append that stored events; wakes streaming subscriptions.
    generation: watch::Sender<u64>,
    commands: mpsc::UnboundedSender<Command>,
    commands_rx: Mutex<Option<mpsc::UnboundedReceiver<Command>>>,
    config: DeliveryConfig,
    client: reqwest::Client,
    permits: Semaphore,
    websockets: Arc<Semaphore>,
    /// Set when the server shuts down: WebSocket subscriptions close (graceful shutdown
    /// waits for open connections, and a subscription never ends by itself).
    closing: watch::Sender<bool>,
    /// This process's name in delivery claims (random per start).
    holder: String,
}

impl Hub {
    /// A hub with its HTTP client.
    pub fn new(config: DeliveryConfig) -> Hub {
        let (generation, _) = watch::channel(0);
        let (commands, rx) = mpsc::unbounded_channel();
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            // A redirect could lead a callback past the checks made on dest.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(crate::headers::VENDOR_VERSION)
            .build()
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "cannot build the callback client; using defaults");
                reqwest::Client::default()
            });
        Hub {
            generation,
            commands,
            commands_rx: Mutex::new(Some(rx)),
            permits: Semaphore::new(config.max_in_flight.max(1)),
            websockets: Arc::new(Semaphore::new(config.max_websockets)),
            closing: watch::channel(false).0,
            holder: format!("{:032x}", rand::random::<u128>()),
            config,
            client,
        }
    }

    /// Called after events are stored: wakes the streaming subscriptions. Never blocks.
    pub fn events_stored(&self) {
        self.generation.send_modify(|g| *g = g.wrapping_add(1));
    }

    /// Closes the WebSocket subscriptions (at shutdown).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    pub(crate) fn tell(&self, command: Command) {
        // Without a worker (a router used alone) there is nobody to tell; the
        // subscription is durable and starts with the next worker.
        let _ = self.commands.send(command);
    }
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new(DeliveryConfig::default())
    }
}

/// Tells the delivery worker that a named query and its subscriptions are gone.
pub(crate) fn query_deleted(state: &AppState, name: &str) {
    state
        .subscriptions
        .tell(Command::StopQuery(name.to_owned()));
}

fn location(state: &AppState, headers: &HeaderMap, s: &Subscription) -> String {
    format!(
        "{}/queries/{}/subscriptions/{}",
        base_url(state, headers),
        encode(&s.spec.query_name),
        encode(&s.id)
    )
}

/// `POST /queries/{queryName}/subscriptions`.
pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    require(&caller, Action::ReadNamedQueries)?;
    // A subscription reads on its creator's behalf for as long as it lives: it keeps the
    // creator's view, and the public, who would see nothing in full, cannot subscribe.
    let view = access::read_view(&state, &caller).await?;
    if view == View::Consumer {
        return Err(ApiError::unauthenticated(
            "sign in to subscribe: subscriptions deliver events on the subscriber's behalf",
        ));
    }
    require_json(&headers)?;
    let bytes = read_body(&headers, body, state.config.max_body_bytes).await?;
    let (mut spec, _mode) =
        request::from_body(&bytes, &name, &headers, state.config.max_json_depth)?;
    if let Some(options) = spec.options.as_object_mut() {
        options.insert("view".into(), view.to_json());
    }
    let created = blocking(&state, move |s| s.create_subscription(spec))
        .await
        .map_err(|e| match e.kind {
            crate::problem::ExceptionType::NoSuchName => {
                ApiError::not_found(format!("no named query {name}"))
            }
            _ => e,
        })?;
    state
        .subscriptions
        .tell(Command::Start(Box::new(created.clone())));
    let mut response = (
        StatusCode::CREATED,
        Json(request::subscription_json(&created)),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&location(&state, &headers, &created)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /queries/{queryName}/subscriptions`.
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    require(&caller, Action::ReadNamedQueries)?;
    let path = uri.path().to_string();
    let page = page_params(&state, &path, parse_query(raw.as_deref())?)?;
    if let Some((param, _)) = page.params.first() {
        return Err(
            ApiError::query_param(format!("unknown query parameter {param} for {path}"))
                .with("parameter", json!(param)),
        );
    }
    let lookup = name.clone();
    if blocking(&state, move |s| s.named_query(&lookup))
        .await?
        .is_none()
    {
        return Err(ApiError::not_found(format!("no named query {name}")));
    }
    let request = page.request();
    let result = blocking(&state, move |s| s.subscriptions(&name, &request)).await?;
    let items: Vec<Value> = result
        .items
        .iter()
        .map(request::subscription_json)
        .collect();
    let mut response = Json(Value::Array(items)).into_response();
    if let Some(link) = next_link(&state, &headers, &path, &page, result.next.as_deref()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// `GET /queries/{queryName}/subscriptions/{subscriptionID}`.
pub async fn get_one(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    require(&caller, Action::ReadNamedQueries)?;
    let (n, i) = (name.clone(), id.clone());
    match blocking(&state, move |s| s.subscription(&n, &i)).await? {
        Some(sub) => Ok(Json(request::subscription_json(&sub)).into_response()),
        None => Err(ApiError::not_found(format!(
            "no subscription {id} on named query {name}"
        ))),
    }
}

/// `DELETE /queries/{queryName}/subscriptions/{subscriptionID}`.
pub async fn delete(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    require(&caller, Action::ReadNamedQueries)?;
    let (n, i) = (name.clone(), id.clone());
    blocking(&state, move |s| s.delete_subscription(&n, &i))
        .await
        .map_err(|e| match e.kind {
            crate::problem::ExceptionType::NoSuchName => {
                ApiError::not_found(format!("no subscription {id} on named query {name}"))
            }
            _ => e,
        })?;
    state.subscriptions.tell(Command::Stop(id));
    Ok(StatusCode::NO_CONTENT.into_response())
}
