//! `/api/ws/dummies/`: a live feed of every Dummy created, updated or deleted, through
//! any protocol (see `model::feed` for how writes in other processes get here).
//!
//! ```text
//! {"event": "created", "dummy": {"id": 11, "day": 1, "weekday": "Monday", …}}
//! {"event": "missed", "count": 3}      the client read too slowly; 3 events were skipped
//! {"event": "interrupted", "reason": "the database is unavailable; …"}
//! {"event": "resumed"}                 the database is back; changes made in between were not sent
//! ```
//!
//! A database outage does not close the feed: the client gets `interrupted`, then
//! `resumed` once the server's listener has reconnected (with back-off, up to 5 s
//! between tries), and should re-read whatever it displays.
//!
//! The feed is read-only: text sent to it gets an `error` frame.

use actix_ws::CloseCode;
use tokio::sync::broadcast::error::RecvError;

use crate::close;
use crate::connection::{Connection, Next};
use crate::messages;
use crate::state::WsState;

/// Runs a feed session until either side ends it.
pub async fn run(mut conn: Connection, state: WsState) {
    let mut events = match state.store.feed().subscribe().await {
        Ok(events) => events,
        Err(error) => {
            tracing::warn!(%error, "feed cannot subscribe");
            // 1013 Try Again Later: the database behind the feed is unavailable.
            conn.close(close::reason(
                CloseCode::Again,
                "the feed is unavailable; try again later",
            ))
            .await;
            return;
        }
    };
    let mut live = state.store.feed().status();
    live.borrow_and_update();
    let mut watching_live = true;
    loop {
        tokio::select! {
            changed = live.changed(), if watching_live => {
                if changed.is_err() {
                    watching_live = false;
                    continue;
                }
                let frame = if *live.borrow_and_update() {
                    messages::resumed()
                } else {
                    messages::interrupted()
                };
                if !conn.text(frame).await {
                    break;
                }
            }
            next = conn.next() => match next {
                Next::Text(_) => {
                    if !conn.invalid("this feed is read-only").await {
                        break;
                    }
                }
                Next::Gone => break,
            },
            event = events.recv() => {
                let frame = match event {
                    Ok(event) => messages::feed_event(&event),
                    Err(RecvError::Lagged(count)) => messages::missed(count),
                    Err(RecvError::Closed) => break,
                };
                if !conn.text(frame).await {
                    break;
                }
            }
        }
    }
}
