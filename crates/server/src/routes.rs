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

use crate::auth::Auth;
use crate::headers::{check_versions, options_response, version_headers, Discovery};
use crate::problem::{ApiError, ExceptionType};
use crate::resources::{self, Resource};
use crate::{
    capture, convert, events, links, openapi, ops, passport, queries, resolve, stamps,
    subscriptions, trace, trace_page, AppState,
};

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
        .route(
            "/convert",
            discover("OPTIONS, POST", Discovery::Default).post(convert::post),
        )
        .route(
            "/queries/{queryName}/subscriptions",
            discover("OPTIONS, GET, POST", Discovery::Default)
                .get(subscriptions::list)
                .post(subscriptions::create),
        )
        .route(
            "/queries/{queryName}/subscriptions/{subscriptionID}",
            discover("OPTIONS, GET, DELETE", Discovery::Default)
                .get(subscriptions::get_one)
                .delete(subscriptions::delete),
        )
        .route("/registry/audit", get(crate::audit::list))
        .route("/trace", discover(GET, Discovery::Default).get(trace::json))
        .route("/trace/view", get(trace_page::page))
        .route("/trace/fsma.csv", get(trace::fsma_csv))
        .route("/trace/fsma.xlsx", get(trace::fsma_xlsx))
        .route("/trace/epcis", get(trace::epcis_document))
        .route("/trace/plots.geojson", get(trace::plots_geojson))
        .route("/openapi.json", get(openapi::serve))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics));
    for resource in Resource::ALL {
        router = resource_routes(router, resource);
    }
    router = router
        .merge(crate::registry_api::routes())
        .merge(crate::places_api::routes())
        .merge(crate::recalls::routes())
        .merge(crate::session::routes())
        .merge(crate::web::routes());
    router = resolver_routes(router, state.config.legacy_digital_links);
    router
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn(version_headers))
        .layer(from_fn(check_versions))
        .layer(from_fn_with_state(state.clone(), crate::audit::record))
        .layer(from_fn_with_state(state.clone(), ops::track))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state)
}

/// The resolver on every Digital Link primary key path (and the 1.0 short names when
/// enabled), its description document, and link management.
fn resolver_routes(mut router: Router<AppState>, legacy: bool) -> Router<AppState> {
    let resolver = || {
        get(resolve::resolve)
            .options(resolve::preflight)
            .fallback(resolve::method_not_allowed)
    };
    let keys = gs1::ai::all_ais().iter().filter(|s| s.is_primary_key());
    for spec in keys {
        router = router.route(&format!("/{}/{{*rest}}", spec.code), resolver());
        if legacy {
            let short = [
                "sscc", "gtin", "gdti", "gcn", "ginc", "gsin", "gln", "payTo", "partyGln", "grai",
                "giai", "itip", "cpid", "gmn", "gsrnp", "gsrn",
            ];
            for name in short {
                if gs1::dl::legacy_code(name) == Some(spec.code) {
                    router = router.route(&format!("/{name}/{{*rest}}"), resolver());
                }
            }
        }
    }
    router
        .route("/.well-known/gs1resolver", get(resolve::well_known))
        .route("/scans", get(links::scan_stats))
        .route(
            "/passport/{*rest}",
            get(passport::page).post(passport::report),
        )
        .route("/labels/qr/{*rest}", get(stamps::qr))
        .route("/labels/datamatrix/{*rest}", get(stamps::datamatrix))
        .route("/labels/sheet/{*rest}", get(stamps::sheet))
        .route("/labels/serials", axum::routing::post(stamps::serials))
        .route(
            "/links",
            discover("OPTIONS, GET, POST", Discovery::Default)
                .get(links::list)
                .post(links::create),
        )
        .route(
            "/links/{id}",
            discover("OPTIONS, GET, PUT, DELETE", Discovery::Default)
                .get(links::get_one)
                .put(links::replace)
                .delete(links::delete),
        )
}

/// The three routes of a top-level resource, each with its `OPTIONS`.
fn resource_routes(router: Router<AppState>, resource: Resource) -> Router<AppState> {
    let base = resource.path();
    router
        .route(
            base,
            discover(GET, Discovery::Default).get(
                move |State(s): State<AppState>,
                      Auth(c): Auth,
                      h: HeaderMap,
                      RawQuery(q): RawQuery| {
                    resources::list(resource, s, c, h, q)
                },
            ),
        )
        .route(
            &format!("{base}/{{value}}"),
            discover(GET, Discovery::Default).get(
                move |State(s): State<AppState>, Auth(c): Auth, Path(v): Path<String>| {
                    resources::one(resource, s, c, v)
                },
            ),
        )
        .route(
            &format!("{base}/{{value}}/events"),
            discover(GET, Discovery::Default).get(
                move |State(s): State<AppState>,
                      Auth(c): Auth,
                      h: HeaderMap,
                      OriginalUri(uri): OriginalUri,
                      Path(v): Path<String>,
                      RawQuery(q): RawQuery| {
                    resources::events(resource, s, c, h, uri.path().to_string(), v, q)
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

/// Unrouted paths: a compressed Digital Link is resolved, anything else is a 404.
async fn fallback(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    if resolve::is_compressed_link(&state, &uri) {
        return match method {
            Method::GET | Method::HEAD => {
                resolve::resolve(State(state), headers, OriginalUri(uri)).await
            }
            Method::OPTIONS => resolve::preflight().await,
            other => resolve::method_not_allowed(other).await,
        };
    }
    not_found(OriginalUri(uri)).await
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
