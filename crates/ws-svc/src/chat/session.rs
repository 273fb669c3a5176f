//! One chat connection: what the client sends goes to the room (through the store),
//! what the room says comes back through the hub.

use super::RoomMessage;
use actix_ws::CloseCode;
use chrono::Utc;
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::chat::hub::MemberId;
use crate::close;
use crate::connection::{Connection, Next};
use crate::messages::{ChatMessage, ClientMsg};
use crate::state::WsState;

/// A place in a room's hub, taken before the handshake is answered (see
/// [`crate::routes`]); `None` when the hub has stopped.
pub type Membership = Option<(MemberId, mpsc::Receiver<String>)>;

/// Runs a chat session until either side ends it.
pub async fn run(conn: Connection, room: String, membership: Membership, state: WsState) {
    let sender = format!("{:08x}", fastrand::u32(..));
    let span = tracing::info_span!("ws", ws.room = %room, ws.conn_id = %sender);
    session(conn, room, sender, membership, state)
        .instrument(span)
        .await;
}

async fn session(
    mut conn: Connection,
    room: String,
    sender: String,
    membership: Membership,
    state: WsState,
) {
    let Some((member, mut inbox)) = membership else {
        conn.close(close::reason(CloseCode::Away, "server shutting down"))
            .await;
        return;
    };
    loop {
        tokio::select! {
            next = conn.next() => match next {
                Next::Text(text) => match ClientMsg::parse(&text) {
                    Ok(msg) => {
                        conn.valid();
                        let payload = serde_json::to_string(&ChatMessage {
                            message: &msg.message,
                            room: &room,
                            sender: &sender,
                            timestamp: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                        })
                        .expect("a chat message always serializes");
                        let published = RoomMessage { room: room.clone(), payload }
                            .publish(&state.store)
                            .await;
                        // Too big is the client's doing and counts toward the limit of
                        // invalid messages; a database outage is not, and only gets an error frame.
                        let open = match published {
                            Ok(()) => true,
                            Err(model::Error::Invalid(errors)) => conn.invalid(&errors.to_string()).await,
                            Err(_) => {
                                let problem = "the room is unavailable right now; try again shortly";
                                conn.text(crate::messages::error(problem)).await
                            }
                        };
                        if !open {
                            break;
                        }
                    }
                    Err(problem) => {
                        if !conn.invalid(&problem).await {
                            break;
                        }
                    }
                },
                Next::Gone => break,
            },
            delivered = inbox.recv() => match delivered {
                Some(payload) => {
                    if !conn.text(payload).await {
                        break;
                    }
                }
                // The hub let go of us: the server is stopping, or we could not keep up with the room.
                None => {
                    let reason = if state.shutdown.is_cancelled() {
                        close::reason(CloseCode::Away, "server shutting down")
                    } else {
                        close::reason(CloseCode::Policy, "too slow to keep up with the room")
                    };
                    conn.close(reason).await;
                    break;
                }
            },
        }
    }
    state.hub.leave(&room, member).await;
}
