//! `/api/ws/dummies/`: a live feed of every Dummy created, updated or deleted, through
//! any protocol (see `model::feed` for how writes in other processes get here), read
//! from the event journal (`model::journal`), so nothing is lost.
//!
//! ```text
//! {"event": "created", "seq": 42, "dummy": {"id": 11, "day": 1, "weekday": "Monday", …}}
//! {"event": "interrupted", "reason": "the database is unavailable; …"}
//! {"event": "resumed"}                 the database is back; the changes made meanwhile follow
//! {"event": "too_old", "after": 3, "pruned_through": 90, "message": "…"}   then close 4410
//! ```
//!
//! **Resume.** `seq` is the change's number in the journal. A client that reconnects
//! with `?after=42` gets every change after 42, then the live ones, each once, in
//! order; without `after` it gets the changes from the moment it connects. A position
//! the journal no longer keeps gets a `too_old` frame and the close `4410` (like HTTP's
//! `410 Gone`): read the data again, then watch without `after`. A position not given
//! out yet gets an `error` frame and the close `1008`; one that is not a number is
//! refused before the handshake (`400`).
//!
//! A database outage does not close the feed: the client gets `interrupted`, then
//! `resumed` once the server's listener has reconnected (with back-off, up to 5 s
//! between tries), followed by what changed in between. A client that reads slowly
//! gets every event all the same: the server reads what its buffer dropped from the
//! journal. (The `missed` frame of earlier versions is no longer sent.)
//!
//! The feed is read-only: text sent to it gets an `error` frame.

use actix_ws::CloseCode;
use model::Update;

use crate::close;
use crate::connection::{Connection, Next};
use crate::messages;
use crate::state::WsState;

/// The code of the close after a `too_old` frame: the position is gone, like HTTP 410.
pub const TOO_OLD: u16 = 4410;

/// Runs a feed session from `after` (or from now) until either side ends it.
pub async fn run(mut conn: Connection, state: WsState, after: Option<i64>) {
    let mut watch = match state.store.watch(after).await {
        Ok(watch) => watch,
        Err(
            error @ model::Error::TooOld {
                after,
                pruned_through,
            },
        ) => {
            let frame = messages::too_old(after, pruned_through, &error.to_string());
            if conn.text(frame).await {
                conn.close(close::reason(
                    CloseCode::Other(TOO_OLD),
                    "resume position too old",
                ))
                .await;
            }
            return;
        }
        Err(model::Error::Invalid(errors)) => {
            if conn.text(messages::error(&errors.to_string())).await {
                conn.close(close::reason(CloseCode::Policy, "invalid resume position"))
                    .await;
            }
            return;
        }
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
    loop {
        tokio::select! {
            next = conn.next() => match next {
                Next::Text(_) => {
                    if !conn.invalid("this feed is read-only").await {
                        break;
                    }
                }
                Next::Gone => break,
            },
            update = watch.next() => {
                let frame = match update {
                    Some(Ok(Update::Changed(event))) => messages::feed_event(&event),
                    Some(Ok(Update::Interrupted)) => messages::interrupted(),
                    Some(Ok(Update::Resumed)) => messages::resumed(),
                    Some(Err(error @ model::Error::TooOld { after, pruned_through })) => {
                        let frame = messages::too_old(after, pruned_through, &error.to_string());
                        if conn.text(frame).await {
                            conn.close(close::reason(CloseCode::Other(TOO_OLD), "resume position too old"))
                                .await;
                        }
                        break;
                    }
                    Some(Err(error)) => {
                        tracing::warn!(%error, "the feed failed");
                        conn.close(close::reason(CloseCode::Error, "the feed failed")).await;
                        break;
                    }
                    None => break,
                };
                if !conn.text(frame).await {
                    break;
                }
            }
        }
    }
}
