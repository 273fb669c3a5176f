//! The change feed: every committed write to a Dummy, whichever protocol made it.
//!
//! Live views (gRPC `WatchDummies`, the WebSocket feed) subscribe with
//! [`Store::subscribe`](crate::Store::subscribe) and receive [`ChangeEvent`]s on a
//! tokio `broadcast` channel. Where the events come from depends on the backend:
//!
//! ```text
//! PostgreSQL: any process's write ─▶ trigger dummies_notify ─▶ NOTIFY dummy_changes (JSON)
//!             ─▶ this process's listener thread (LISTEN dummy_changes) ─▶ broadcast ─▶ subscribers
//!
//! SQLite:     this process's write ─▶ Store publishes after the commit ─▶ broadcast ─▶ subscribers
//! ```
//!
//! So with PostgreSQL two replicas of a service share one feed, and a write made by
//! rest-svc reaches a watcher connected to grpc-svc. SQLite is the one-process mode:
//! only writes made through this process are seen.
//!
//! The channel is bounded ([`CAPACITY`]): a subscriber that falls behind gets
//! `RecvError::Lagged(n)` and should tell its client that it missed `n` events.
//! Bulk seeding does not produce events (see the migration that adds the trigger).
//!
//! The same path carries chat-room messages ([`RoomMessage`], NOTIFY channel
//! [`ROOM_CHANNEL`]), so WebSocket replicas behind one gateway share their rooms.
//!
//! The listener uses diesel's poll-based `notifications_iter` on a dedicated thread,
//! checking every [`POLL_INTERVAL`]; it reconnects with back-off when the database goes
//! away and stops when the last clone of the store is dropped.

use std::sync::Weak;
use std::time::Duration;

use diesel::prelude::*;
use serde::Deserialize;
use tokio::sync::broadcast;

use crate::db::DatabaseUrl;
use crate::dummy::Dummy;
use crate::store::DummyRow;

/// How many events a subscriber may fall behind before it starts missing them.
pub const CAPACITY: usize = 1024;
/// How often the PostgreSQL listener looks for new notifications.
pub const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// The NOTIFY channel the trigger writes to.
pub const CHANNEL: &str = "dummy_changes";
/// The NOTIFY channel chat-room messages travel on.
pub const ROOM_CHANNEL: &str = "chat_messages";
/// Largest room message payload: NOTIFY payloads must stay under 8000 bytes.
pub const MAX_ROOM_PAYLOAD: usize = 7_000;

/// A message for every member of a chat room, on every replica.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct RoomMessage {
    /// The room's name.
    pub room: String,
    /// What to deliver, already encoded for the wire (a JSON text frame).
    pub payload: String,
}

/// The sending side of room messages, owned by the store.
pub(crate) type RoomSender = broadcast::Sender<RoomMessage>;

pub(crate) fn room_channel() -> RoomSender {
    broadcast::channel(CAPACITY).0
}

/// What happened to a Dummy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new row.
    Created,
    /// A changed row.
    Updated,
    /// A removed row.
    Deleted,
}

impl ChangeKind {
    /// `created`, `updated` or `deleted`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Updated => "updated",
            ChangeKind::Deleted => "deleted",
        }
    }
}

/// One committed write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    /// What happened.
    pub kind: ChangeKind,
    /// The row after the write (for a delete: as it was just before).
    pub dummy: Dummy,
}

/// The sending side, owned by the store.
pub(crate) type Sender = broadcast::Sender<ChangeEvent>;

pub(crate) fn channel() -> Sender {
    broadcast::channel(CAPACITY).0
}

/// The trigger's JSON payload.
#[derive(Deserialize)]
struct Notification {
    op: String,
    row: DummyRow,
}

/// Reads one NOTIFY payload; `None` (and a warning) for one we do not understand.
fn parse(payload: &str) -> Option<ChangeEvent> {
    let parsed: Notification = match serde_json::from_str(payload) {
        Ok(parsed) => parsed,
        Err(error) => {
            tracing::warn!(%error, "ignoring a malformed change notification");
            return None;
        }
    };
    let kind = match parsed.op.as_str() {
        "INSERT" => ChangeKind::Created,
        "UPDATE" => ChangeKind::Updated,
        "DELETE" => ChangeKind::Deleted,
        _ => return None,
    };
    let dummy = match Dummy::try_from(parsed.row) {
        Ok(dummy) => dummy,
        Err(error) => {
            tracing::warn!(%error, "ignoring a change notification whose row the model does not accept");
            return None;
        }
    };
    Some(ChangeEvent { kind, dummy })
}

/// Starts the LISTEN thread for a PostgreSQL store. It runs while `alive` can be
/// upgraded, i.e. until the last clone of the store is dropped.
///
/// `listening` is set to true while a LISTEN is in place and back to false while the
/// connection is down, so subscribers can wait for the feed to be live.
pub(crate) fn spawn_listener<T: Send + Sync + 'static>(
    url: DatabaseUrl,
    senders: Senders,
    listening: tokio::sync::watch::Sender<bool>,
    alive: Weak<T>,
) {
    let spawned = std::thread::Builder::new()
        .name("dummy-changes".to_owned())
        .spawn(move || listen(&url, &senders, &listening, &alive));
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the change listener; live feeds will be silent");
    }
}

/// Where the listener forwards what it hears.
#[derive(Clone)]
pub(crate) struct Senders {
    pub(crate) changes: Sender,
    pub(crate) rooms: RoomSender,
}

fn listen<T>(
    url: &DatabaseUrl,
    sender: &Senders,
    listening: &tokio::sync::watch::Sender<bool>,
    alive: &Weak<T>,
) {
    let mut backoff = Duration::from_millis(100);
    // One WARN per outage, not one per attempt (see `ConnectFailures`).
    let failures = crate::db::ConnectFailures::new("change listener");
    while alive.strong_count() > 0 {
        let mut conn = match PgConnection::establish(url.expose()) {
            Ok(conn) => conn,
            Err(error) => {
                failures.failed(&error);
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        failures.succeeded();
        if let Err(error) = diesel::sql_query(format!("LISTEN {CHANNEL}"))
            .execute(&mut conn)
            .and_then(|_| diesel::sql_query(format!("LISTEN {ROOM_CHANNEL}")).execute(&mut conn))
        {
            tracing::warn!(%error, "change listener cannot LISTEN");
            std::thread::sleep(backoff);
            continue;
        }
        tracing::info!(channel = CHANNEL, "listening for Dummy changes");
        backoff = Duration::from_millis(100);
        listening.send_replace(true);
        if let Err(error) = pump(&mut conn, sender, alive) {
            tracing::warn!(%error, "change listener lost its connection; reconnecting");
        }
        listening.send_replace(false);
    }
    tracing::debug!("change listener stopped: the store is gone");
}

/// Forwards notifications until the connection fails or the store is dropped.
fn pump<T>(conn: &mut PgConnection, sender: &Senders, alive: &Weak<T>) -> QueryResult<()> {
    let mut idle = Duration::ZERO;
    while alive.strong_count() > 0 {
        let mut any = false;
        for notification in conn.notifications_iter() {
            let notification = notification?;
            any = true;
            // No subscriber is not an error: the message simply has no audience.
            if notification.channel == ROOM_CHANNEL {
                match serde_json::from_str::<RoomMessage>(&notification.payload) {
                    Ok(message) => {
                        let _ = sender.rooms.send(message);
                    }
                    Err(error) => tracing::warn!(%error, "ignoring a malformed room message"),
                }
            } else if let Some(event) = parse(&notification.payload) {
                let _ = sender.changes.send(event);
            }
        }
        if any {
            idle = Duration::ZERO;
        } else {
            std::thread::sleep(POLL_INTERVAL);
            idle += POLL_INTERVAL;
            // A quiet socket may be a dead one: ask the server now and then.
            if idle >= Duration::from_secs(5) {
                diesel::sql_query("SELECT 1").execute(conn)?;
                idle = Duration::ZERO;
            }
        }
    }
    Ok(())
}

/// Publishes a change made in this process (SQLite mode).
pub(crate) fn publish(sender: &Sender, kind: ChangeKind, dummy: &Dummy) {
    let _ = sender.send(ChangeEvent {
        kind,
        dummy: dummy.clone(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dummy::DummyId;

    #[test]
    fn trigger_payloads_become_events() {
        let payload = r#"{"op":"UPDATE","row":{"id":7,"day":3,"weekday":"Friday","month":"May","year":1999,
            "pre_seeded":false,"created_at":"2026-11-29T10:11:52.123456+00:00","updated_at":"2026-11-29T11:11:52.5+01:00"}}"#;
        let event = parse(payload).unwrap();
        assert_eq!(event.kind, ChangeKind::Updated);
        assert_eq!(event.dummy.id, DummyId(7));
        assert_eq!(
            event.dummy.updated_at.to_rfc3339(),
            "2026-11-29T10:11:52.500+00:00"
        );
        assert!(parse("{}").is_none());
        assert!(parse(r#"{"op":"TRUNCATE","row":{}}"#).is_none());
        // A row the model does not accept (edited by hand, say) is skipped with a
        // warning, as the store reports it: both go through `Dummy::try_from`.
        let funday = payload.replace("Friday", "Funday");
        assert!(parse(&funday).is_none());
        let day_zero = payload.replace(r#""day":3"#, r#""day":0"#);
        assert!(parse(&day_zero).is_none());
    }
}
