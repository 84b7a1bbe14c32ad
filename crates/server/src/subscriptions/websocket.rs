//! WebSocket subscriptions: `GET /queries/{queryName}/events?stream=true` (or with schedule
//! parameters) with `Upgrade: websocket`. Each result is one text message holding an
//! `EPCISQueryDocument`. The subscription lives as long as the connection; it has no
//! durable cursor (a client that reconnects passes `initialRecordTime`).

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use epcis::query::{CmpOp, Condition, TimeColumn};
use epcis::Query;
use serde_json::Value;
use tokio::sync::mpsc;

use super::delivery::{drive, Ended, Outlet, Plan};
use super::request;
use crate::access::{self, View};
use crate::headers::output_formats;
use crate::problem::{problem_response, ApiError};
use crate::{blocking, AppState};

/// Answers a WebSocket handshake on a named query's events.
pub(crate) async fn upgrade(
    state: AppState,
    headers: &HeaderMap,
    name: String,
    params: &[(String, String)],
    ws: WebSocketUpgrade,
    view: View,
) -> Result<Response, ApiError> {
    let (mode, initial) = request::from_params(params)?;
    let formats = output_formats(headers)?;
    let lookup = name.clone();
    let named = blocking(&state, move |s| s.named_query(&lookup))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no named query {name}")))?;
    let mut query = epcis::query::from_definition(&named.definition)?;
    access::restrict(&view, &mut query)?;
    let Ok(permit) = state.subscriptions.websockets.clone().try_acquire_owned() else {
        let body = serde_json::json!({
            "type": "about:blank",
            "title": "Too many WebSocket subscriptions",
            "status": 503,
            "detail": "the server holds as many WebSocket subscriptions as it allows; try again later",
        });
        return Ok(problem_response(StatusCode::SERVICE_UNAVAILABLE, &body));
    };
    // The starting point is fixed before the handshake completes, so an event stored after
    // the client sees 101 is always reported.
    let cursor = blocking(&state, move |s| match initial {
        None => s.event_count(),
        Some(t) => {
            let from = Query {
                conditions: vec![Condition::Time {
                    column: TimeColumn::RecordTime,
                    op: CmpOp::Ge,
                    operand_ms: t,
                }],
                ..Query::default()
            };
            match s.events_after(&from, 0, 1)?.first() {
                Some(e) => Ok(e.seq - 1),
                None => s.event_count(),
            }
        }
    })
    .await?;
    let plan = Plan {
        query_name: name,
        query,
        mode,
        formats,
        subscription_id: None,
        view,
    };
    Ok(ws
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| async move {
            let _permit = permit;
            serve(state, plan, cursor, socket).await;
        })
        .into_response())
}

/// Hands documents to the task that owns the socket; one in flight at a time.
struct Socket(mpsc::Sender<String>);

impl Outlet for Socket {
    async fn deliver(&mut self, document: Value, _up_to: i64) -> Result<(), Ended> {
        self.0
            .send(document.to_string())
            .await
            .map_err(|_| Ended("the WebSocket closed".into()))
    }
}

async fn serve(state: AppState, plan: Plan, cursor: i64, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::channel::<String>(1);
    let mut outlet = Socket(tx);
    let mut closing = state.subscriptions.closing.subscribe();
    let producer = drive(&state, &plan, cursor, &mut outlet);
    tokio::pin!(producer);
    loop {
        if *closing.borrow_and_update() {
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
        tokio::select! {
            _ = closing.changed() => {}
            Ended(why) = &mut producer => {
                tracing::debug!(reason = %why, "WebSocket subscription ended");
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            Some(text) = rx.recv() => {
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                // Pings are answered by the library; other client messages mean nothing here.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            }
        }
    }
}
