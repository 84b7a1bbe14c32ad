//! `POST /convert`: a document in one binding, answered in the other (or the one `Accept`
//! asks for); EPCIS 1.2 XML comes out as 2.0. Nothing is stored.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use epcis::convert::{convert, ConvertOptions};

use crate::capture::read_body;
use crate::headers::{accepted_binding, body_binding, header_str, output_formats_for, Binding};
use crate::problem::ApiError;
use crate::AppState;

fn epcis_binding(b: Binding) -> epcis::convert::Binding {
    match b {
        Binding::Json => epcis::convert::Binding::Json,
        Binding::Xml => epcis::convert::Binding::Xml,
    }
}

/// `POST /convert`.
pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let from = body_binding(&headers)?;
    // Without a specific Accept the answer is in the other binding.
    let to = match header_str(&headers, "accept")? {
        None | Some("") | Some("*/*") => match from {
            Binding::Json => Binding::Xml,
            Binding::Xml => Binding::Json,
        },
        Some(_) => accepted_binding(&headers)?,
    };
    let formats = output_formats_for(&headers, to)?;
    let bytes = read_body(&headers, body, state.config.max_body_bytes).await?;
    let options = ConvertOptions {
        target: Some(epcis_binding(to)),
        epc: formats.epc,
        cbv: formats.cbv,
        limits: state.config.limits(),
        validate: true,
    };
    let output = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        convert(bytes.as_ref(), &mut out, &options).map(|_| out)
    })
    .await
    .map_err(ApiError::internal)??;
    let mut response = output.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(to.media_type()),
    );
    Ok(response)
}
