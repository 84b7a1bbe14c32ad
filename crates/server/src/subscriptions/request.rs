//! Reading and checking subscription requests: the body of
//! `POST /queries/{name}/subscriptions` and the query string of a WebSocket subscription.

use epcis::schedule::Schedule;
use serde_json::{json, Map, Value};
use store::NewSubscription;

use axum::http::{HeaderMap, HeaderValue};

use crate::headers::{header_str, output_formats, OutputFormats};
use crate::problem::{ApiError, ExceptionType};

/// Longest accepted `dest` URL.
const MAX_DEST_LEN: usize = 2048;
/// Longest accepted `signatureToken`.
const MAX_TOKEN_LEN: usize = 1024;
/// The schedule fields (also the WebSocket query parameters that make a schedule).
pub(crate) const SCHEDULE_FIELDS: [&str; 6] = [
    "second",
    "minute",
    "hour",
    "dayOfMonth",
    "month",
    "dayOfWeek",
];

/// When a subscription reports.
#[derive(Debug, Clone)]
pub(crate) enum Mode {
    /// On every new matching event.
    Stream,
    /// At the schedule's query times.
    Scheduled {
        /// The schedule.
        schedule: Box<Schedule>,
        /// Report even when no new event matched.
        report_if_empty: bool,
    },
}

/// A 400 SubscriptionControlsException.
pub(crate) fn controls(detail: impl Into<String>) -> ApiError {
    ApiError::new(ExceptionType::SubscriptionControls, detail)
}

/// Checks a callback URL: absolute `http`/`https` with a host, no user or password in it
/// (secrets belong in `signatureToken`, and URLs end up in logs), at most 2048 characters.
pub(crate) fn check_dest(dest: &str) -> Result<url::Url, ApiError> {
    let bad = |why: &str| controls(format!("dest {dest:?} {why}")).with("pointer", json!("/dest"));
    if dest.len() > MAX_DEST_LEN {
        return Err(
            controls(format!("dest is longer than {MAX_DEST_LEN} characters"))
                .with("pointer", json!("/dest")),
        );
    }
    let url = url::Url::parse(dest).map_err(|e| bad(&format!("is not an absolute URL ({e})")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad("must use http or https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "must not carry credentials; use signatureToken to authenticate callbacks",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    Ok(url)
}

/// The mode from `stream` and `schedule`: exactly one of them.
fn mode(stream: bool, schedule: Option<Schedule>, report_if_empty: bool) -> Result<Mode, ApiError> {
    match (stream, schedule) {
        (true, Some(_)) => Err(controls(
            "stream and schedule are mutually exclusive: give stream: true or a schedule, not both",
        )),
        (true, None) => Ok(Mode::Stream),
        (false, Some(schedule)) => {
            if schedule.next_after(chrono::Utc::now()).is_none() {
                return Err(controls("the schedule names a date that never occurs"));
            }
            Ok(Mode::Scheduled {
                schedule: Box::new(schedule),
                report_if_empty,
            })
        }
        (false, None) => Err(controls(
            "a subscription needs stream: true or a schedule; without either it would never report",
        )),
    }
}

fn schedule_error(e: epcis::schedule::ScheduleError) -> ApiError {
    controls(e.to_string()).with("field", json!(e.field))
}

fn time_ms(text: &str, name: &str) -> Result<i64, ApiError> {
    epcis::lexical::parse_time_ms(text)
        .map_err(|e| controls(format!("{name} must be an RFC 3339 date-time: {e}")))
}

/// Output-format request headers kept with a subscription, so callbacks use the formats
/// asked for when subscribing.
const FORMAT_HEADERS: [(&str, &str); 3] = [
    ("gs1-epc-format", "epcFormat"),
    ("gs1-cbv-format", "cbvFormat"),
    ("gs1-cbv-xml-format", "cbvXmlFormat"),
];

/// The output options kept with a subscription: the format headers given at subscription
/// time (checked first, so an unknown value is a 406 now rather than a failure later) and
/// the callback binding.
pub(crate) fn options_json(headers: &HeaderMap) -> Result<Value, ApiError> {
    output_formats(headers)?;
    let mut obj = Map::new();
    for (header, key) in FORMAT_HEADERS {
        if let Some(v) = header_str(headers, header)? {
            obj.insert(key.into(), json!(v));
        }
    }
    // JSON-LD only for now; an XML callback binding would be chosen here and rendered in
    // `delivery::render`.
    obj.insert("binding".into(), json!("json-ld"));
    Ok(Value::Object(obj))
}

/// The output formats kept in a subscription's options.
pub(crate) fn stored_formats(options: &Value) -> OutputFormats {
    let mut headers = HeaderMap::new();
    for (header, key) in FORMAT_HEADERS {
        if let Some(v) = options.get(key).and_then(Value::as_str) {
            if let Ok(v) = HeaderValue::from_str(v) {
                headers.insert(header, v);
            }
        }
    }
    output_formats(&headers).unwrap_or_default()
}

/// Parses the body of `POST /queries/{name}/subscriptions`.
pub(crate) fn from_body(
    bytes: &[u8],
    query_name: &str,
    headers: &HeaderMap,
    max_depth: usize,
) -> Result<(NewSubscription, Mode), ApiError> {
    let body: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::validation(format!(
            "malformed JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
        .with("line", json!(e.line()))
        .with("column", json!(e.column()))
    })?;
    if crate::queries::depth(&body) > max_depth {
        return Err(ApiError::validation(format!(
            "the body nests deeper than {max_depth} levels"
        )));
    }
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::validation("the body must be a JSON object with dest"))?;
    let field = |name: &str| obj.get(name).filter(|v| !v.is_null());
    let wrong = |name: &str, what: &str| {
        ApiError::validation(format!("/{name} must be {what}"))
            .with("pointer", json!(format!("/{name}")))
    };
    for name in obj.keys() {
        if !matches!(
            name.as_str(),
            "dest"
                | "signatureToken"
                | "secret"
                | "stream"
                | "schedule"
                | "reportIfEmpty"
                | "initialRecordTime"
        ) {
            return Err(ApiError::validation(format!(
                "unknown member /{name} (expected dest, signatureToken, stream, schedule, reportIfEmpty, initialRecordTime)"
            ))
            .with("pointer", json!(format!("/{name}"))));
        }
    }
    let dest = match field("dest") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(wrong("dest", "a URL string")),
        None => {
            return Err(ApiError::validation("/dest is required").with("pointer", json!("/dest")))
        }
    };
    check_dest(&dest)?;
    // The OpenAPI schema lists `secret` as required while describing `signatureToken`;
    // both names are read.
    let token_name = if field("signatureToken").is_some() {
        "signatureToken"
    } else {
        "secret"
    };
    let signature_token = match field(token_name) {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_TOKEN_LEN => Some(s.clone()),
        Some(_) => {
            return Err(wrong(
                token_name,
                &format!("a non-empty string of at most {MAX_TOKEN_LEN} bytes"),
            ))
        }
        None => None,
    };
    let flag = |name: &str| match field(name) {
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(wrong(name, "true or false")),
        None => Ok(false),
    };
    let stream = flag("stream")?;
    let report_if_empty = flag("reportIfEmpty")?;
    let schedule = field("schedule")
        .map(|v| Schedule::from_json(v).map_err(schedule_error))
        .transpose()?;
    let initial_record_time_ms = match field("initialRecordTime") {
        Some(Value::String(s)) => Some(time_ms(s, "initialRecordTime")?),
        Some(_) => return Err(wrong("initialRecordTime", "a date-time string")),
        None => None,
    };
    let mode = mode(stream, schedule, report_if_empty)?;
    let schedule = match &mode {
        Mode::Scheduled { schedule, .. } => Some(schedule.to_json()),
        Mode::Stream => None,
    };
    Ok((
        NewSubscription {
            query_name: query_name.to_owned(),
            dest,
            signature_token,
            stream,
            schedule,
            report_if_empty: report_if_empty && !stream,
            initial_record_time_ms,
            options: options_json(headers)?,
        },
        mode,
    ))
}

/// The mode of a stored subscription.
pub(crate) fn stored_mode(spec: &NewSubscription) -> Result<Mode, String> {
    match &spec.schedule {
        Some(s) if !spec.stream => Ok(Mode::Scheduled {
            schedule: Box::new(Schedule::from_json(s).map_err(|e| e.to_string())?),
            report_if_empty: spec.report_if_empty,
        }),
        None if spec.stream => Ok(Mode::Stream),
        _ => Err("stored subscription has neither stream nor a schedule".into()),
    }
}

/// A WebSocket subscription's parameters: `stream=true` or schedule fields, plus
/// `reportIfEmpty` and `initialRecordTime`. Other parameters are refused.
pub(crate) fn from_params(params: &[(String, String)]) -> Result<(Mode, Option<i64>), ApiError> {
    let mut stream = false;
    let mut report_if_empty = false;
    let mut initial = None;
    let mut schedule = Vec::new();
    let bool_param = |name: &str, v: &str| match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(controls(format!("{name} must be true or false, not {v:?}"))
            .with("parameter", json!(name))),
    };
    for (name, value) in params {
        match name.as_str() {
            "stream" => stream = bool_param(name, value)?,
            "reportIfEmpty" => report_if_empty = bool_param(name, value)?,
            "initialRecordTime" => initial = Some(time_ms(value, "initialRecordTime")?),
            n if SCHEDULE_FIELDS.contains(&n) => schedule.push((n, value.as_str())),
            other => {
                return Err(ApiError::query_param(format!(
                    "query parameter {other} is not accepted on a WebSocket subscription (the named query fixes the query)"
                ))
                .with("parameter", json!(other)))
            }
        }
    }
    let schedule = if schedule.is_empty() {
        None
    } else {
        Some(Schedule::from_pairs(schedule).map_err(schedule_error)?)
    };
    Ok((mode(stream, schedule, report_if_empty)?, initial))
}

/// The subscription object of responses (never the `signatureToken`).
pub(crate) fn subscription_json(s: &store::Subscription) -> Value {
    let rfc = crate::capture::rfc3339;
    let mut obj = Map::new();
    obj.insert("subscriptionID".into(), json!(s.id));
    obj.insert("queryName".into(), json!(s.spec.query_name));
    obj.insert("dest".into(), json!(s.spec.dest));
    if s.spec.stream {
        obj.insert("stream".into(), json!(true));
    }
    if let Some(schedule) = &s.spec.schedule {
        obj.insert("schedule".into(), schedule.clone());
        obj.insert("reportIfEmpty".into(), json!(s.spec.report_if_empty));
    }
    if let Some(t) = s.spec.initial_record_time_ms {
        obj.insert("initialRecordTime".into(), json!(rfc(t)));
    }
    obj.insert("createdAt".into(), json!(rfc(s.created_ms)));
    if let Some(t) = s.last_notified_ms {
        obj.insert("lastNotifiedAt".into(), json!(rfc(t)));
    }
    if let Some(f) = s.spec.options.get("epcFormat") {
        obj.insert("epcFormat".into(), f.clone());
    }
    // Not in the standard: lets a client see why callbacks are not arriving.
    if s.failures > 0 {
        obj.insert("deliveryFailures".into(), json!(s.failures));
    }
    if let Some(e) = &s.last_error {
        obj.insert("lastDeliveryError".into(), json!(e));
    }
    Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: Value) -> Result<(NewSubscription, Mode), ApiError> {
        from_body(body.to_string().as_bytes(), "q", &HeaderMap::new(), 32)
    }

    #[test]
    fn destinations() {
        assert!(check_dest("https://client.example.com/cb?x=1").is_ok());
        assert!(check_dest("http://127.0.0.1:8080/hook").is_ok());
        for bad in [
            "ftp://example.com/x",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://user:pw@example.com/",
            "https://user@example.com/",
            "/relative",
            "http://",
            "",
        ] {
            let e = check_dest(bad).unwrap_err();
            assert_eq!(e.kind, ExceptionType::SubscriptionControls, "{bad}");
            assert_eq!(e.kind.status().as_u16(), 400);
        }
        let long = format!("https://example.com/{}", "a".repeat(3000));
        assert!(check_dest(&long).is_err());
    }

    #[test]
    fn bodies() {
        let (s, mode) =
            parse(json!({"dest": "https://c.example/cb", "signatureToken": "t", "stream": true}))
                .unwrap();
        assert!(matches!(mode, Mode::Stream));
        assert_eq!(s.signature_token.as_deref(), Some("t"));
        let (s, mode) = parse(json!({"dest": "https://c.example/cb", "secret": "t2", "reportIfEmpty": true, "schedule": {"hour": "1", "minute": "5"}})).unwrap();
        assert!(matches!(
            mode,
            Mode::Scheduled {
                report_if_empty: true,
                ..
            }
        ));
        assert_eq!(s.signature_token.as_deref(), Some("t2"));
        assert_eq!(s.schedule, Some(json!({"minute": "5", "hour": "1"})));

        for (body, kind) in [
            (
                json!({"dest": "https://c.example/cb"}),
                ExceptionType::SubscriptionControls,
            ),
            (
                json!({"dest": "https://c.example/cb", "stream": true, "schedule": {"hour": "1"}}),
                ExceptionType::SubscriptionControls,
            ),
            (
                json!({"dest": "https://c.example/cb", "schedule": {"hour": "25"}}),
                ExceptionType::SubscriptionControls,
            ),
            (
                json!({"dest": "https://c.example/cb", "schedule": {"dayOfMonth": "31", "month": "2"}}),
                ExceptionType::SubscriptionControls,
            ),
            (
                json!({"dest": "https://u:p@c.example/cb", "stream": true}),
                ExceptionType::SubscriptionControls,
            ),
            (json!({"stream": true}), ExceptionType::Validation),
            (
                json!({"dest": 5, "stream": true}),
                ExceptionType::Validation,
            ),
            (
                json!({"dest": "https://c.example/cb", "stream": "yes"}),
                ExceptionType::Validation,
            ),
            (
                json!({"dest": "https://c.example/cb", "stream": true, "initialRecordTime": "yesterday"}),
                ExceptionType::SubscriptionControls,
            ),
            (
                json!({"dest": "https://c.example/cb", "stream": true, "callback": "x"}),
                ExceptionType::Validation,
            ),
            (
                json!({"dest": "https://c.example/cb", "stream": true, "signatureToken": ""}),
                ExceptionType::Validation,
            ),
            (json!([1]), ExceptionType::Validation),
        ] {
            let e = parse(body.clone())
                .err()
                .unwrap_or_else(|| panic!("accepted {body}"));
            assert_eq!(e.kind, kind, "{body}: {}", e.detail);
        }
    }

    #[test]
    fn websocket_params() {
        let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert!(matches!(
            from_params(&p(&[("stream", "true")])),
            Ok((Mode::Stream, None))
        ));
        assert!(matches!(
            from_params(&p(&[("minute", "5"), ("hour", "1")])),
            Ok((Mode::Scheduled { .. }, None))
        ));
        assert!(from_params(&p(&[])).is_err());
        assert!(from_params(&p(&[("stream", "true"), ("minute", "5")])).is_err());
        assert!(from_params(&p(&[("stream", "maybe")])).is_err());
        assert!(from_params(&p(&[("stream", "true"), ("EQ_bizStep", "x")])).is_err());
    }
}
