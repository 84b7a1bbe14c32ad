//! The route table and the layers around it (panic catching, tracing, metrics, versions).

use std::any::Any;

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, options, MethodRouter};
use axum::{Json, Router};
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::headers::{check_versions, options_response, version_headers, Discovery};
use crate::problem::{ApiError, ExceptionType};
use crate::resources::{self, Resource};
use crate::{capture, events, openapi, ops, queries, AppState};

/// `OPTIONS` answering with the discovery headers and `allow`.
fn discover(allow: &'static str, kind: Discovery) -> MethodRouter<AppState> {
    options(move |State(s): State<AppState>| async move { options_response(&s, allow, kind) })
}

const GET: &str = "OPTIONS, GET";

/// Builds the router with its state and layers.
pub(crate) fn build(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/", discover(GET, Discovery::Default).get(root))
        .route(
            "/capture",
            discover("OPTIONS, GET, POST", Discovery::Capture)
                .get(capture::list)
                .post(capture::post),
        )
        .route(
            "/capture/{captureID}",
            discover(GET, Discovery::Default).get(capture::get_job),
        )
        .route(
            "/events",
            discover("OPTIONS, GET, POST", Discovery::Default)
                .get(events::list)
                .post(events::post),
        )
        .route(
            "/events/{eventID}",
            discover(GET, Discovery::Default).get(events::get_one),
        )
        .route(
            "/queries",
            discover("OPTIONS, GET, POST", Discovery::Default)
                .get(queries::list)
                .post(queries::create),
        )
        .route(
            "/queries/{queryName}",
            discover("OPTIONS, GET, DELETE", Discovery::Default)
                .get(queries::get_one)
                .delete(queries::delete),
        )
        .route(
            "/queries/{queryName}/events",
            discover(GET, Discovery::Default).get(queries::events),
        )
        .route("/openapi.json", get(openapi::serve))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics));
    for resource in Resource::ALL {
        router = resource_routes(router, resource);
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn(version_headers))
        .layer(from_fn(check_versions))
        .layer(from_fn_with_state(state.clone(), ops::track))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state)
}

/// The three routes of a top-level resource, each with its `OPTIONS`.
fn resource_routes(router: Router<AppState>, resource: Resource) -> Router<AppState> {
    let base = resource.path();
    router
        .route(
            base,
            discover(GET, Discovery::Default).get(
                move |State(s): State<AppState>, h: HeaderMap, RawQuery(q): RawQuery| {
                    resources::list(resource, s, h, q)
                },
            ),
        )
        .route(
            &format!("{base}/{{value}}"),
            discover(GET, Discovery::Default).get(
                move |State(s): State<AppState>, Path(v): Path<String>| {
                    resources::one(resource, s, v)
                },
            ),
        )
        .route(
            &format!("{base}/{{value}}/events"),
            discover(GET, Discovery::Default).get(
                move |State(s): State<AppState>,
                      h: HeaderMap,
                      OriginalUri(uri): OriginalUri,
                      Path(v): Path<String>,
                      RawQuery(q): RawQuery| {
                    resources::events(resource, s, h, uri.path().to_string(), v, q)
                },
            ),
        )
}

/// `GET /`: the top-level resources.
async fn root() -> Json<serde_json::Value> {
    Json(json!({
        "@context": events::EPCIS_CONTEXT,
        "type": "Collection",
        "member": ["queries", "capture", "events", "eventTypes", "epcs", "readPoints", "bizLocations", "dispositions", "bizSteps"]
    }))
}

async fn not_found(OriginalUri(uri): OriginalUri) -> Response {
    ApiError::not_found(format!("no resource at {}", uri.path()))
        .with("instance", json!(uri.path()))
        .into_response()
}

async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    ApiError::new(
        ExceptionType::MethodNotAllowed,
        format!("{method} is not allowed on {}", uri.path()),
    )
    .with("instance", json!(uri.path()))
    .into_response()
}

/// What a client sees if a handler panics: a 500 problem, never a dropped connection.
fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response {
    let cause = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into());
    ApiError::internal(format!("handler panicked: {cause}")).into_response()
}
