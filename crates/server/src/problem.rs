//! RFC 7807 problem documents: every error the API returns, and the one place where
//! domain and store errors are mapped to an HTTP status and an `epcisException:` type.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use epcis::{DocumentError, FieldError};
use serde_json::{json, Value};
use store::StoreError;

/// The `epcisException:` types this server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionType {
    /// Input that is not a valid EPCIS document or event.
    Validation,
    /// A capture body larger than the advertised limits.
    CaptureLimitExceeded,
    /// A query parameter that cannot be used.
    QueryParameter,
    /// A query that matches more events than `maxEventCount`.
    QueryTooLarge,
    /// A resource that does not exist.
    NoSuchName,
    /// A resource that already exists.
    ResourceAlreadyExists,
    /// A body in a media type the server does not read.
    UnsupportedMediaType,
    /// A response the client's headers make impossible.
    NotAcceptable,
    /// The server failed.
    Implementation,
    /// Wrong HTTP method; the standard has no exception type for it.
    MethodNotAllowed,
    /// No credentials, or credentials that are unknown, expired or revoked.
    Unauthenticated,
    /// Valid credentials that do not allow the request.
    Forbidden,
    /// Subscription controls that cannot be used (no stream nor schedule, a bad schedule,
    /// a callback URL that is refused).
    SubscriptionControls,
    /// A request path or query that is not a valid GS1 Digital Link.
    BadDigitalLink,
    /// A link definition the resolver cannot publish.
    InvalidLink,
    /// Too many attempts (failed sign-ins); `Retry-After` says when to try again.
    TooManyRequests,
}

impl ExceptionType {
    /// The `type` member of the problem document.
    pub fn uri(self) -> &'static str {
        match self {
            ExceptionType::Validation => "epcisException:ValidationException",
            ExceptionType::CaptureLimitExceeded => "epcisException:CaptureLimitExceededException",
            ExceptionType::QueryParameter => "epcisException:QueryParameterException",
            ExceptionType::QueryTooLarge => "epcisException:QueryTooLargeException",
            ExceptionType::NoSuchName => "epcisException:NoSuchNameException",
            ExceptionType::ResourceAlreadyExists => "epcisException:ResourceAlreadyExistsException",
            ExceptionType::UnsupportedMediaType => "epcisException:UnsupportedMediaTypeException",
            ExceptionType::NotAcceptable => "epcisException:NotAcceptableException",
            ExceptionType::Implementation => "epcisException:ImplementationException",
            // RFC 7807 says `about:blank` when no more specific type exists.
            ExceptionType::MethodNotAllowed
            | ExceptionType::BadDigitalLink
            | ExceptionType::InvalidLink
            | ExceptionType::TooManyRequests => "about:blank",
            ExceptionType::Unauthenticated | ExceptionType::Forbidden => {
                "epcisException:SecurityException"
            }
            ExceptionType::SubscriptionControls => "epcisException:SubscriptionControlsException",
        }
    }

    /// The HTTP status the standard pairs with this type.
    pub fn status(self) -> StatusCode {
        match self {
            ExceptionType::Validation
            | ExceptionType::QueryParameter
            | ExceptionType::SubscriptionControls => StatusCode::BAD_REQUEST,
            ExceptionType::CaptureLimitExceeded | ExceptionType::QueryTooLarge => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ExceptionType::NoSuchName => StatusCode::NOT_FOUND,
            ExceptionType::ResourceAlreadyExists => StatusCode::CONFLICT,
            ExceptionType::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ExceptionType::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ExceptionType::Implementation => StatusCode::INTERNAL_SERVER_ERROR,
            ExceptionType::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ExceptionType::Unauthenticated => StatusCode::UNAUTHORIZED,
            ExceptionType::BadDigitalLink | ExceptionType::InvalidLink => StatusCode::BAD_REQUEST,
            ExceptionType::Forbidden => StatusCode::FORBIDDEN,
            ExceptionType::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// A short human title.
    pub fn title(self) -> &'static str {
        match self {
            ExceptionType::Validation => "Invalid EPCIS input",
            ExceptionType::CaptureLimitExceeded => "Capture payload too large",
            ExceptionType::QueryParameter => "Invalid query parameter",
            ExceptionType::QueryTooLarge => "Query result too large",
            ExceptionType::NoSuchName => "Resource not found",
            ExceptionType::ResourceAlreadyExists => {
                "A resource with the provided identifier already exists"
            }
            ExceptionType::UnsupportedMediaType => "Unsupported media type",
            ExceptionType::NotAcceptable => "Not acceptable",
            ExceptionType::Implementation => "A server-side error occurred",
            ExceptionType::MethodNotAllowed => "Method not allowed",
            ExceptionType::Unauthenticated => "Authentication required",
            ExceptionType::Forbidden => "Forbidden",
            ExceptionType::SubscriptionControls => "Subscription error",
            ExceptionType::BadDigitalLink => "Malformed GS1 Digital Link",
            ExceptionType::InvalidLink => "Invalid link",
            ExceptionType::TooManyRequests => "Too many requests",
        }
    }
}

/// An API error, rendered as an `application/problem+json` response.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} ({}): {detail}", kind.uri(), kind.status())]
pub struct ApiError {
    /// The exception type (which fixes the status).
    pub kind: ExceptionType,
    /// What was wrong, in plain words.
    pub detail: String,
    /// Per-field errors (JSON pointers), when the input had several.
    pub errors: Vec<FieldError>,
    /// Extra members merged into the problem document (e.g. `line`, `column`).
    pub extra: Vec<(String, Value)>,
}

impl ApiError {
    /// An error of `kind` with `detail`.
    pub fn new(kind: ExceptionType, detail: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            detail: detail.into(),
            errors: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// Adds an extra member to the problem document.
    pub fn with(mut self, key: &str, value: Value) -> ApiError {
        self.extra.push((key.to_string(), value));
        self
    }

    /// 400 ValidationException.
    pub fn validation(detail: impl Into<String>) -> ApiError {
        ApiError::new(ExceptionType::Validation, detail)
    }

    /// 400 QueryParameterException.
    pub fn query_param(detail: impl Into<String>) -> ApiError {
        ApiError::new(ExceptionType::QueryParameter, detail)
    }

    /// 401: sign in first.
    pub fn unauthenticated(detail: impl Into<String>) -> ApiError {
        ApiError::new(ExceptionType::Unauthenticated, detail)
    }

    /// 403: not permitted.
    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(ExceptionType::Forbidden, detail)
    }

    /// 404 NoSuchNameException.
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(ExceptionType::NoSuchName, detail)
    }

    /// 429: wait `retry_after_secs` before trying again.
    pub fn too_many_requests(detail: impl Into<String>, retry_after_secs: u64) -> ApiError {
        ApiError::new(ExceptionType::TooManyRequests, detail)
            .with("retryAfter", json!(retry_after_secs))
    }

    /// The `Retry-After` header value, for a 429.
    pub fn retry_after(&self) -> Option<HeaderValue> {
        self.extra
            .iter()
            .find(|(k, _)| k == "retryAfter")
            .and_then(|(_, v)| v.as_u64())
            .and_then(|secs| HeaderValue::from_str(&secs.to_string()).ok())
    }

    /// 500 ImplementationException; the cause is logged, not shown.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            ExceptionType::Implementation,
            "the server failed to handle the request; see its logs",
        )
    }

    /// The problem document.
    pub fn body(&self) -> Value {
        let mut doc = json!({
            "type": self.kind.uri(),
            "title": self.kind.title(),
            "status": self.kind.status().as_u16(),
            "detail": self.detail,
        });
        if let Some(obj) = doc.as_object_mut() {
            if !self.errors.is_empty() {
                let errors: Vec<Value> = self
                    .errors
                    .iter()
                    .map(|e| json!({"pointer": e.pointer, "detail": e.message}))
                    .collect();
                obj.insert("errors".into(), Value::Array(errors));
            }
            for (k, v) in &self.extra {
                obj.insert(k.clone(), v.clone());
            }
        }
        doc
    }
}

/// Renders a problem document with its status.
pub fn problem_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = problem_response(self.kind.status(), &self.body());
        if let Some(wait) = self.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, wait);
        }
        if self.kind == ExceptionType::Unauthenticated {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"traceport\""),
            );
        }
        response
    }
}

impl From<epcis::convert::ConvertError> for ApiError {
    fn from(e: epcis::convert::ConvertError) -> ApiError {
        use epcis::convert::ConvertError;
        match e {
            ConvertError::Document(d) => d.into(),
            ConvertError::InvalidEvent { errors, .. } => DocumentError::Invalid(errors).into(),
            ConvertError::Xml(w) => ApiError::new(ExceptionType::NotAcceptable, w.to_string()),
            ConvertError::Io(io) => ApiError::internal(io.to_string()),
        }
    }
}

impl From<gs1::Gs1Error> for ApiError {
    fn from(e: gs1::Gs1Error) -> ApiError {
        ApiError::new(ExceptionType::BadDigitalLink, e.to_string())
    }
}

impl From<resolver::ResolverError> for ApiError {
    fn from(e: resolver::ResolverError) -> ApiError {
        match e {
            resolver::ResolverError::Key(e) => e.into(),
            e => ApiError::new(ExceptionType::InvalidLink, e.to_string()),
        }
    }
}

impl From<DocumentError> for ApiError {
    fn from(e: DocumentError) -> ApiError {
        match e {
            DocumentError::Syntax {
                line,
                column,
                message,
            } => ApiError::validation(format!(
                "malformed JSON at line {line}, column {column}: {message}"
            ))
            .with("line", json!(line))
            .with("column", json!(column)),
            // Too deep a nesting is not cured by splitting the payload, which is what a 413
            // tells the client to do, so it is a 400.
            e @ DocumentError::TooDeep { .. } => ApiError::validation(e.to_string()),
            DocumentError::Xml { line, message } => {
                ApiError::validation(format!("XML line {line}: {message}"))
                    .with("line", json!(line))
            }
            DocumentError::TooLarge(msg) => ApiError::new(ExceptionType::CaptureLimitExceeded, msg),
            DocumentError::Invalid(errors) => {
                let detail = match errors.first() {
                    Some(first) if errors.len() == 1 => format!("invalid EPCIS input: {first}"),
                    Some(first) => format!(
                        "invalid EPCIS input: {first} (and {} more)",
                        errors.len() - 1
                    ),
                    None => "invalid EPCIS input".to_string(),
                };
                ApiError {
                    errors,
                    ..ApiError::validation(detail)
                }
            }
        }
    }
}

impl From<epcis::query::QueryParamError> for ApiError {
    fn from(e: epcis::query::QueryParamError) -> ApiError {
        ApiError::query_param(e.to_string()).with("parameter", json!(e.param))
    }
}

impl From<registry::Denial> for ApiError {
    fn from(d: registry::Denial) -> ApiError {
        match d {
            registry::Denial::Unauthenticated(m) => ApiError::unauthenticated(m),
            registry::Denial::Forbidden(m) => ApiError::forbidden(m),
        }
    }
}

impl From<registry::validate::InvalidField> for ApiError {
    fn from(e: registry::validate::InvalidField) -> ApiError {
        ApiError::validation(e.to_string()).with("field", json!(e.field))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::InvalidCursor => ApiError::query_param("nextPageToken is not valid"),
            StoreError::TooLarge { .. } => {
                ApiError::new(ExceptionType::QueryTooLarge, e.to_string())
            }
            StoreError::Conflict(_) => {
                ApiError::new(ExceptionType::ResourceAlreadyExists, e.to_string())
            }
            StoreError::NotFound(_) => ApiError::not_found(e.to_string()),
            StoreError::Database(_) => ApiError::internal(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_carries_line_and_column() {
        let e: ApiError = DocumentError::Syntax {
            line: 3,
            column: 7,
            message: "expected value".into(),
        }
        .into();
        assert_eq!(e.kind.status(), StatusCode::BAD_REQUEST);
        let body = e.body();
        assert_eq!(body["type"], "epcisException:ValidationException");
        assert_eq!(body["line"], 3);
        assert_eq!(body["column"], 7);
        assert!(body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("line 3, column 7"));
    }

    #[test]
    fn invalid_document_lists_pointers() {
        let e: ApiError = DocumentError::Invalid(vec![
            FieldError {
                pointer: "/eventTime".into(),
                message: "missing time zone".into(),
            },
            FieldError {
                pointer: "/epcList/0".into(),
                message: "bad check digit".into(),
            },
        ])
        .into();
        let body = e.body();
        assert_eq!(body["status"], 400);
        assert_eq!(body["errors"][1]["pointer"], "/epcList/0");
        assert!(body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("/eventTime"));
    }

    #[test]
    fn store_errors_map_to_standard_statuses() {
        let cases = [
            (
                StoreError::InvalidCursor,
                400,
                "epcisException:QueryParameterException",
            ),
            (
                StoreError::TooLarge { limit: 5 },
                413,
                "epcisException:QueryTooLargeException",
            ),
            (
                StoreError::Conflict("q".into()),
                409,
                "epcisException:ResourceAlreadyExistsException",
            ),
            (
                StoreError::NotFound("q".into()),
                404,
                "epcisException:NoSuchNameException",
            ),
            (
                StoreError::Database("disk".into()),
                500,
                "epcisException:ImplementationException",
            ),
        ];
        for (err, status, ty) in cases {
            let e: ApiError = err.into();
            assert_eq!(e.kind.status().as_u16(), status);
            assert_eq!(e.body()["type"], ty);
        }
    }

    #[test]
    fn too_deep_document_is_a_validation_error() {
        let e: ApiError = DocumentError::TooDeep {
            max_depth: 32,
            byte: 40,
        }
        .into();
        assert_eq!(e.kind.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn too_large_document_is_capture_limit() {
        let e: ApiError = DocumentError::TooLarge("more than 10 events".into()).into();
        assert_eq!(e.kind.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            e.body()["type"],
            "epcisException:CaptureLimitExceededException"
        );
    }
}
