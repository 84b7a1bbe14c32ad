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
            "/convert",
            "/trace",
            "/trace/view",
            "/trace/fsma.csv",
            "/trace/fsma.xlsx",
            "/trace/epcis",
        ] {
            assert!(paths.contains_key(p), "missing {p}");
        }
        for p in [
            "/auth/login",
            "/registry/organisations",
            "/registry/organisations/{id}/status",
            "/registry/products/{gtin}",
            "/registry/tokens",
            "/registry/plots/{id}",
            "/registry/codes/{code}/status",
            "/registry/flags",
        ] {
            assert!(paths.contains_key(p), "missing {p}");
        }
        assert!(doc["components"]["securitySchemes"]["bearerAuth"].is_object());
        assert!(
            doc["paths"]["/events"]["get"]["responses"]["200"]["content"]
                .get("application/xml")
                .is_some()
        );
        assert!(doc["paths"]["/capture"]["post"]["requestBody"]["content"]
            .get("text/xml")
            .is_some());
        for p in [
            "/queries/{queryName}/subscriptions",
            "/queries/{queryName}/subscriptions/{subscriptionID}",
        ] {
            assert!(paths.contains_key(p), "missing {p}");
        }
    }
}
