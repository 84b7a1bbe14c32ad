//! `GET /openapi.json`: the OpenAPI document of what this server implements, written for
//! traceport (not the GS1 file) and embedded at build time.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// The document.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// `GET /openapi.json`.
pub async fn serve() -> Response {
    let mut response = OPENAPI_JSON.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_valid_json_listing_our_paths() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        assert_eq!(doc["openapi"], "3.0.3");
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/capture",
            "/capture/{captureID}",
            "/events",
            "/events/{eventID}",
            "/queries/{queryName}/events",
            "/epcs/{epc}/events",
        ] {
            assert!(paths.contains_key(p), "missing {p}");
        }
        assert!(
            !paths.keys().any(|p| p.contains("subscriptions")),
            "subscriptions are not implemented"
        );
    }
}
