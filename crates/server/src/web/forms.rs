//! Form scaffolding shared by the pages: a form posting with the CSRF token, labelled inputs
//! holding their values, and the error of a failed save next to the field it names.

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Form;

use super::{check_csrf, error_page, esc, hidden_csrf, Fields, Ui};
use crate::problem::ApiError;
use crate::AppState;

/// A posted form whose CSRF token is the session's; else the error page (403).
pub(super) struct Posted {
    /// The request.
    pub(super) ui: Ui,
    /// The form fields.
    pub(super) f: HashMap<String, String>,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Posted, Response> {
        let (mut parts, body) = request.into_parts();
        let ui = Ui::from_request_parts(&mut parts, state).await?;
        let Form(f) = Fields::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        if let Err(e) = check_csrf(&ui.headers, &f) {
            return Err(error_page(ui.lang, &ui.caller, &ui.headers, e));
        }
        Ok(Posted { ui, f })
    }
}

/// A form posting to `action` (its query keeps the language), with the session's CSRF
/// token, `top` (an error naming no field), `fields` and a submit button. The `inline`
/// class keeps a one-button form on its table row.
pub(super) fn form(
    headers: &HeaderMap,
    action: &str,
    class: &str,
    top: &str,
    fields: &str,
    button: &str,
) -> String {
    let style = if class == "inline" {
        " style=\"display:inline\""
    } else {
        ""
    };
    format!(
        "<form method=\"post\" action=\"{}\" class=\"{class}\"{style}>{}{top}{fields}<button>{}</button></form>",
        esc(action),
        hidden_csrf(headers),
        esc(button)
    )
}

/// What a form shows: its values, and the error of a failed save.
#[derive(Debug, Default)]
pub(super) struct FormState {
    /// Field values by name.
    pub(super) values: HashMap<String, String>,
    /// The field at fault (the first segment of the problem's `field`) and the message.
    error: Option<(String, String)>,
}

impl FormState {
    /// A form filled with `values`.
    pub(super) fn with_values(values: HashMap<String, String>) -> FormState {
        FormState {
            values,
            error: None,
        }
    }

    /// The form again after `e`, with what was sent.
    pub(super) fn failed(values: HashMap<String, String>, e: &ApiError) -> FormState {
        let field = e
            .extra
            .iter()
            .find(|(k, _)| k == "field")
            .and_then(|(_, v)| v.as_str())
            .map(|f| f.split('/').next().unwrap_or(f).to_owned())
            .unwrap_or_default();
        FormState {
            values,
            error: Some((field, e.detail.clone())),
        }
    }

    /// The value of a field (empty when none).
    pub(super) fn value(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    /// The error message for `name`, as an alert beside the field (empty when none).
    pub(super) fn error_for(&self, name: &str) -> String {
        match &self.error {
            Some((field, message)) if field == name => format!(
                " <span class=\"error\" role=\"alert\" id=\"error-{name}\">{}</span>",
                esc(message)
            ),
            _ => String::new(),
        }
    }

    /// The error when it names none of `fields` (shown above the form).
    pub(super) fn other_error(&self, fields: &[&str]) -> String {
        match &self.error {
            Some((field, message)) if !fields.contains(&field.as_str()) => {
                format!("<p class=\"error\" role=\"alert\">{}</p>", esc(message))
            }
            _ => String::new(),
        }
    }

    /// A labelled text input with its value and error; `attrs` adds attributes
    /// (` required`, ` type="number"` …).
    pub(super) fn input(&self, name: &str, label: &str, attrs: &str) -> String {
        format!(
            "<label>{label} <input name=\"{name}\" value=\"{}\"{attrs}>{}</label>",
            esc(self.value(name)),
            self.error_for(name)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_goes_next_to_the_field_it_names() {
        let e = ApiError::validation("geometry/coordinates/0: the ring crosses itself")
            .with("field", serde_json::json!("geometry/coordinates/0"));
        let values = HashMap::from([("id".to_owned(), "a<b".to_owned())]);
        let f = FormState::failed(values, &e);
        assert!(f.error_for("geometry").contains("crosses itself"));
        assert_eq!(f.error_for("id"), "");
        assert_eq!(f.other_error(&["id", "geometry"]), "");
        assert!(f.other_error(&["id"]).contains("crosses itself"));
        assert!(f
            .input("id", "Id", " required")
            .contains("value=\"a&lt;b\" required"));
    }
}
