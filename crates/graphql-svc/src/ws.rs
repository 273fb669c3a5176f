//! Subscriptions over WebSocket: `GET /api/graphql` with `Upgrade: websocket`.
//!
//! The client names the sub-protocol in the handshake, and the server echoes the one
//! it speaks:
//!
//! - `graphql-transport-ws`, the current one (the `graphql-ws` npm library's protocol);
//! - `graphql-ws`, the legacy Apollo `subscriptions-transport-ws` (despite the name).
//!
//! A `graphql-transport-ws` session:
//!
//! ```text
//! GET /api/graphql HTTP/1.1
//! Upgrade: websocket
//! Sec-WebSocket-Protocol: graphql-transport-ws
//!
//! HTTP/1.1 101 Switching Protocols
//! sec-websocket-protocol: graphql-transport-ws
//!
//! → {"type":"connection_init"}
//! ← {"type":"connection_ack"}
//! → {"id":"1","type":"subscribe","payload":{"query":"subscription { dummyChanged { ... on DummyChanged { kind dummy { id day } } } }"}}
//! ← {"id":"1","type":"next","payload":{"data":{"dummyChanged":{"kind":"CREATED","dummy":{"id":"12","day":3}}}}}
//! → {"id":"1","type":"complete"}
//! ```
//!
//! async-graphql runs the protocol's state machine ([`async_graphql::http::WebSocket`]);
//! this module carries its messages over actix-ws and keeps the rest to itself:
//!
//! | What | Close |
//! |---|---|
//! | a `subscribe` before `connection_init` | `4401 Unauthorized`, as `graphql-transport-ws` requires |
//! | no `connection_init` acknowledged within 3 s (`GRAPHQL_INIT_TIMEOUT_MS`) | `4408 Connection initialisation timeout`, likewise |
//! | a message over the size limit | `1009` |
//! | nothing from the client (not even a pong) for twice the heartbeat | `1001` |
//! | the server stops | `1001` |
//!
//! The heartbeat is a WebSocket ping every 5 s (`GRAPHQL_HEARTBEAT_SECS`), below the
//! protocol: browsers and client libraries answer it by themselves, and it keeps
//! proxies such as the gateway's nginx from closing a quiet subscription.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason};
use async_graphql::http::{WebSocketProtocols, WsMessage};
use futures_util::StreamExt;
use serde_json::json;
use tokio_stream::wrappers::ReceiverStream;

use crate::http::GraphqlState;

/// Whether a request asks to become a WebSocket.
pub fn wants_websocket(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The first sub-protocol the client offers that the server speaks.
fn chosen_protocol(req: &HttpRequest) -> Option<WebSocketProtocols> {
    req.headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())?
        .split(',')
        .find_map(|p| p.trim().parse().ok())
}

/// Upgrades the connection and serves subscriptions on it until either side ends.
pub fn upgrade(state: &GraphqlState, req: &HttpRequest, payload: web::Payload) -> HttpResponse {
    let Some(protocol) = chosen_protocol(req) else {
        return HttpResponse::BadRequest().json(json!({"errors": [{
            "message": "a GraphQL WebSocket names its sub-protocol: Sec-WebSocket-Protocol: graphql-transport-ws (or the legacy graphql-ws)",
            "extensions": {"code": "BAD_REQUEST"},
        }]}));
    };
    let (mut response, session, stream) = match actix_ws::handle(req, payload) {
        Ok(parts) => parts,
        Err(error) => return error.error_response(),
    };
    response.headers_mut().insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        header::HeaderValue::from_static(protocol.sec_websocket_protocol()),
    );
    let limit = state.limits.max_bytes;
    let incoming = stream
        .max_frame_size(limit)
        .aggregate_continuations()
        .max_continuation_size(limit);
    actix_web::rt::spawn(serve(state.clone(), protocol, session, incoming));
    response
}

async fn serve(
    state: GraphqlState,
    protocol: WebSocketProtocols,
    mut session: actix_ws::Session,
    mut incoming: actix_ws::AggregatedMessageStream,
) {
    // What the client sends reaches the protocol's state machine through a channel,
    // so that this loop keeps control frames, limits and shutdown to itself.
    let (to_graphql, from_client) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    let mut graphql = Box::pin(async_graphql::http::WebSocket::new(
        state.schema.clone(),
        ReceiverStream::new(from_client),
        protocol,
    ));
    let mut to_graphql = Some(to_graphql);
    let init_deadline = tokio::time::sleep(state.limits.init_timeout);
    tokio::pin!(init_deadline);
    let mut acknowledged = false;
    let beat = state.limits.heartbeat;
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + beat, beat);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = tokio::time::Instant::now();
    let reason = loop {
        tokio::select! {
            () = state.shutdown.cancelled() => {
                break Some(close(CloseCode::Away, "server shutting down"));
            }
            () = &mut init_deadline, if !acknowledged => {
                break Some(close(CloseCode::Other(4408), "Connection initialisation timeout"));
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > beat * 2 {
                    break Some(close(CloseCode::Away, "no answer to the heartbeat"));
                }
                if session.ping(b"").await.is_err() {
                    return;
                }
            }
            frame = incoming.next(), if to_graphql.is_some() => {
                if matches!(frame, Some(Ok(_))) {
                    last_heard = tokio::time::Instant::now();
                }
                match frame {
                    Some(Ok(AggregatedMessage::Text(text))) => {
                        forward(&mut to_graphql, text.as_bytes().to_vec()).await;
                    }
                    Some(Ok(AggregatedMessage::Binary(bytes))) => {
                        forward(&mut to_graphql, bytes.to_vec()).await;
                    }
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => {}
                    // The client closed, or went away: the state machine ends its streams.
                    Some(Ok(AggregatedMessage::Close(_))) | None => to_graphql = None,
                    Some(Err(actix_ws::ProtocolError::Overflow)) => {
                        break Some(close(
                            CloseCode::Size,
                            &format!("a message is larger than {} bytes", state.limits.max_bytes),
                        ));
                    }
                    Some(Err(error)) => break Some(close(CloseCode::Protocol, &error.to_string())),
                }
            }
            out = graphql.next() => match out {
                Some(WsMessage::Text(text)) => {
                    // Both sub-protocols acknowledge `connection_init` with this message.
                    acknowledged |= text.contains(r#""type":"connection_ack""#);
                    if session.text(text).await.is_err() {
                        return;
                    }
                }
                Some(WsMessage::Close(code, reason)) => break Some(protocol_close(protocol, code, reason)),
                None => break Some(close(CloseCode::Normal, "")),
            },
        }
    };
    let _ = session.close(reason).await;
}

/// Hands a client message on; if the state machine is gone, stop reading.
async fn forward(to_graphql: &mut Option<tokio::sync::mpsc::Sender<Vec<u8>>>, message: Vec<u8>) {
    if let Some(sender) = to_graphql {
        if sender.send(message).await.is_err() {
            *to_graphql = None;
        }
    }
}

fn close(code: CloseCode, description: &str) -> CloseReason {
    CloseReason {
        code,
        description: (!description.is_empty()).then(|| description.to_owned()),
    }
}

/// The state machine's close, with `graphql-transport-ws`'s own code for a
/// subscription sent before the connection was acknowledged.
fn protocol_close(protocol: WebSocketProtocols, code: u16, reason: String) -> CloseReason {
    if protocol == WebSocketProtocols::GraphQLWS && code == 1011 {
        return close(CloseCode::Other(4401), "Unauthorized");
    }
    close(CloseCode::from(code), &reason)
}
