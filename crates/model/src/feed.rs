//! The change feed: every committed write to a Dummy, whichever protocol made it, and
//! named channels of messages between the replicas of a service.
//!
//! Live views (gRPC `WatchDummies`, the WebSocket feed) subscribe with
//! [`Feed::subscribe`] and receive [`ChangeEvent`]s on a tokio `broadcast` channel.
//! Where the events come from depends on the backend:
//!
//! ```text
//! PostgreSQL: any process's write ─▶ trigger dummies_notify ─▶ journal row + NOTIFY dummy_changes (JSON)
//!             ─▶ this process's listener (LISTEN dummy_changes) ─▶ broadcast ─▶ subscribers
//!
//! SQLite:     this process's write (+ journal row) ─▶ Store announces it after the commit ─▶ broadcast ─▶ subscribers
//! ```
//!
//! So with PostgreSQL two replicas of a service share one feed, and a write made by
//! rest-svc reaches a watcher connected to grpc-svc. SQLite is the one-process mode:
//! only writes made through this process are seen.
//!
//! Each event carries its number in the event journal ([`crate::journal`]), where the
//! same change was written in the same transaction. The channel is bounded
//! ([`CAPACITY`]): a subscriber that falls behind gets `RecvError::Lagged(n)`. The
//! services do not subscribe here directly but through [`Store::watch`](crate::Store::watch),
//! which then reads what it missed from the journal. Bulk seeding does not produce
//! events (see the migration that adds the trigger).
//!
//! **Named channels.** [`Feed::channel`] subscribes to any other NOTIFY channel, whose
//! payloads are text the feed does not read; [`Store::notify`](crate::Store::notify)
//! sends on one. ws-svc's chat rooms travel this way (`chat_messages`), so WebSocket
//! replicas behind one gateway share their rooms.
//!
//! **The listener.** On PostgreSQL one connection per process LISTENs, made with
//! tokio-postgres on a thread of its own (its own small runtime, so it outlives no
//! server and depends on none). Notifications arrive as an async stream of the
//! connection's messages, as soon as the server sends them; when the connection is
//! lost, [`Feed::status`] turns `false` (subscribers tell their clients that changes
//! may have been missed), the listener reconnects with back-off, and turns it back to
//! `true` once every channel is listened to again. It stops when the last clone of
//! the feed is dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, Once, PoisonError, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_postgres::AsyncMessage;

use crate::db::{Backend, DatabaseUrl};
use crate::dummy::Dummy;
use crate::error::Error;
use crate::store::DummyRow;

/// How many events a subscriber may fall behind before it starts missing them.
pub const CAPACITY: usize = 1024;
/// The NOTIFY channel the trigger writes to.
pub const CHANNEL: &str = "dummy_changes";
/// Largest payload of a named channel: NOTIFY payloads must stay under 8000 bytes.
pub const MAX_PAYLOAD: usize = 7_900;
/// How long [`Feed::subscribe`] and [`Feed::channel`] wait for the listener.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the listener waits for a connection before it counts the attempt as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection with no traffic for this long is asked whether it is still alive.
const KEEPALIVE: Duration = Duration::from_secs(5);

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

    /// The kind named `created`, `updated` or `deleted`.
    pub fn parse(name: &str) -> Option<ChangeKind> {
        match name {
            "created" => Some(ChangeKind::Created),
            "updated" => Some(ChangeKind::Updated),
            "deleted" => Some(ChangeKind::Deleted),
            _ => None,
        }
    }
}

/// One committed write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    /// Its number in the journal ([`crate::journal`]): strictly increasing, in commit order.
    pub seq: i64,
    /// What happened.
    pub kind: ChangeKind,
    /// The row after the write (for a delete: as it was just before).
    pub dummy: Dummy,
}

/// The trigger's JSON payload.
#[derive(Deserialize)]
struct Notification {
    seq: i64,
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
    Some(ChangeEvent {
        seq: parsed.seq,
        kind,
        dummy,
    })
}

/// The change feed and the named channels of one process; cheap to clone. Every
/// [`Store`](crate::Store) has one ([`Store::feed`](crate::Store::feed)).
#[derive(Clone)]
pub struct Feed {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    url: DatabaseUrl,
    changes: broadcast::Sender<ChangeEvent>,
    /// The named channels subscribed to so far, and where their payloads go.
    channels: Mutex<BTreeMap<String, broadcast::Sender<String>>>,
    /// Asks a running listener to LISTEN on a channel named after it started.
    requests: Mutex<Option<mpsc::UnboundedSender<String>>>,
    /// Whether the listener holds its LISTEN on [`CHANNEL`] (always on SQLite).
    live: watch::Sender<bool>,
    /// The channels the listener LISTENs to right now.
    listening: watch::Sender<BTreeSet<String>>,
    /// Starts the PostgreSQL listener on the first subscription, once.
    listener: Once,
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed")
            .field("backend", &self.inner.backend)
            .finish_non_exhaustive()
    }
}

impl Feed {
    /// The feed of the database at `url`. Nothing connects until the first subscription.
    pub(crate) fn new(url: &DatabaseUrl) -> Feed {
        let sqlite = url.backend() == Backend::Sqlite;
        Feed {
            inner: Arc::new(Inner {
                backend: url.backend(),
                url: url.clone(),
                changes: broadcast::channel(CAPACITY).0,
                channels: Mutex::new(BTreeMap::new()),
                requests: Mutex::new(None),
                // SQLite's feed is in-process: it is live from the start and never drops.
                live: watch::channel(sqlite).0,
                listening: watch::channel(BTreeSet::new()).0,
                listener: Once::new(),
            }),
        }
    }

    /// Subscribes to every committed write from now on.
    ///
    /// On PostgreSQL this starts the listener on first use and waits until it is live,
    /// so a write made after this returns is always seen.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the listener cannot get a connection in time.
    pub async fn subscribe(&self) -> Result<broadcast::Receiver<ChangeEvent>, Error> {
        let receiver = self.inner.changes.subscribe();
        if self.inner.backend == Backend::Postgres {
            self.start_listener();
            let mut live = self.inner.live.subscribe();
            wait(live.wait_for(|live| *live)).await?;
        }
        Ok(receiver)
    }

    /// Whether the change feed is live: `true` while the PostgreSQL listener holds its
    /// LISTEN, `false` while it reconnects (changes made meanwhile are not delivered).
    /// Always `true` on SQLite. Feeds watch this to tell their clients about a gap.
    pub fn status(&self) -> watch::Receiver<bool> {
        self.inner.live.subscribe()
    }

    /// Subscribes to the payloads sent on the channel `name` from now on, by any
    /// process on the same PostgreSQL database (see [`Store::notify`](crate::Store::notify)),
    /// or by this one on SQLite.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the listener cannot LISTEN on it in time.
    pub async fn channel(&self, name: &str) -> Result<broadcast::Receiver<String>, Error> {
        let (receiver, new) = {
            let mut channels = self
                .inner
                .channels
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let new = !channels.contains_key(name);
            let sender = channels
                .entry(name.to_owned())
                .or_insert_with(|| broadcast::channel(CAPACITY).0);
            (sender.subscribe(), new)
        };
        if self.inner.backend == Backend::Postgres {
            if new {
                let requests = self
                    .inner
                    .requests
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if let Some(requests) = requests.as_ref() {
                    let _ = requests.send(name.to_owned());
                }
            }
            self.start_listener();
            let mut listening = self.inner.listening.subscribe();
            wait(listening.wait_for(|channels| channels.contains(name))).await?;
        }
        Ok(receiver)
    }

    /// SQLite: the store announces its own writes, with their journal numbers
    /// (PostgreSQL's trigger does it there).
    pub(crate) fn announce(&self, event: ChangeEvent) {
        if self.inner.backend == Backend::Sqlite {
            // No subscriber is not an error: the event simply has no audience.
            let _ = self.inner.changes.send(event);
        }
    }

    /// SQLite: a payload sent on a named channel goes to this process's subscribers.
    pub(crate) fn deliver(&self, name: &str, payload: String) {
        let channels = self
            .inner
            .channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = channels.get(name) {
            let _ = sender.send(payload);
        }
    }

    /// Starts the PostgreSQL listener's thread, once.
    fn start_listener(&self) {
        self.inner.listener.call_once(|| {
            let (requests, incoming) = mpsc::unbounded_channel();
            *self.inner.requests.lock().unwrap_or_else(PoisonError::into_inner) = Some(requests);
            let inner = Arc::downgrade(&self.inner);
            let spawned = std::thread::Builder::new()
                .name("feed-listener".to_owned())
                .spawn(move || {
                    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                        Ok(runtime) => runtime.block_on(listen(inner, incoming)),
                        Err(error) => tracing::error!(%error, "cannot start the feed listener's runtime; live feeds will be silent"),
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start the feed listener; live feeds will be silent");
            }
        });
    }
}

/// Waits for the listener, at most [`SUBSCRIBE_TIMEOUT`].
async fn wait<T>(
    ready: impl std::future::Future<Output = Result<T, watch::error::RecvError>>,
) -> Result<(), Error> {
    tokio::time::timeout(SUBSCRIBE_TIMEOUT, ready)
        .await
        .map_err(|_| Error::Unavailable("the change listener is not connected".into()))?
        .map_err(Error::internal)?;
    Ok(())
}

/// The listener: connects, LISTENs on [`CHANNEL`] and every named channel, forwards
/// what arrives, and reconnects with back-off, until the feed is dropped.
async fn listen(feed: Weak<Inner>, mut requests: mpsc::UnboundedReceiver<String>) {
    let mut backoff = Duration::from_millis(100);
    // One WARN per outage, not one per attempt (see `ConnectFailures`).
    let failures = crate::db::ConnectFailures::new("change listener");
    loop {
        let Some(inner) = feed.upgrade() else { break };
        let url = inner.url.expose().to_owned();
        drop(inner);
        let connecting = tokio_postgres::connect(&url, tokio_postgres::NoTls);
        let connected = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(Ok(connected)) => Ok(connected),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no connection within {CONNECT_TIMEOUT:?}")),
        };
        let (client, mut connection) = match connected {
            Ok(connected) => connected,
            Err(reason) => {
                failures.failed(&reason);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        failures.succeeded();
        // The connection's messages, notifications among them, as a stream: polling it
        // also drives the client's queries.
        let (notifications, mut incoming) = mpsc::unbounded_channel();
        let driver = tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(message) = messages.next().await {
                match message {
                    Ok(AsyncMessage::Notification(n)) => {
                        if notifications.send(n).is_err() {
                            return Ok(());
                        }
                    }
                    Ok(_) => {}
                    Err(error) => return Err(error),
                }
            }
            Ok(())
        });
        let lost = relay(&feed, &client, &mut incoming, &mut requests).await;
        if let Some(inner) = feed.upgrade() {
            inner.live.send_replace(false);
            inner.listening.send_replace(BTreeSet::new());
        }
        drop(client);
        let ended = driver.await;
        match lost {
            Some(error) => {
                tracing::warn!(%error, "change listener lost its connection; reconnecting")
            }
            None => break,
        }
        if let Ok(Err(error)) = ended {
            tracing::debug!(%error, "the listener's connection ended");
        }
        backoff = Duration::from_millis(100);
    }
    tracing::debug!("change listener stopped: the feed is gone");
}

/// One connection's life: LISTEN, then forward notifications and LISTEN on channels
/// named meanwhile. `None` when the feed was dropped, the error when the connection
/// failed.
async fn relay(
    feed: &Weak<Inner>,
    client: &tokio_postgres::Client,
    incoming: &mut mpsc::UnboundedReceiver<tokio_postgres::Notification>,
    requests: &mut mpsc::UnboundedReceiver<String>,
) -> Option<String> {
    let names: Vec<String> = {
        let inner = feed.upgrade()?;
        let channels = inner
            .channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        std::iter::once(CHANNEL.to_owned())
            .chain(channels.keys().cloned())
            .collect()
    };
    for name in &names {
        if let Err(error) = client.batch_execute(&listen_statement(name)).await {
            return Some(format!("cannot LISTEN: {error}"));
        }
    }
    {
        let inner = feed.upgrade()?;
        tracing::info!(channel = CHANNEL, "listening for Dummy changes");
        inner.listening.send_replace(names.into_iter().collect());
        inner.live.send_replace(true);
    }
    let mut alive = tokio::time::interval(Duration::from_secs(1));
    let mut quiet = Duration::ZERO;
    loop {
        tokio::select! {
            notification = incoming.recv() => {
                let Some(notification) = notification else {
                    return Some("the connection closed".to_owned());
                };
                quiet = Duration::ZERO;
                let inner = feed.upgrade()?;
                forward(&inner, notification.channel(), notification.payload());
            }
            Some(name) = requests.recv() => {
                if let Err(error) = client.batch_execute(&listen_statement(&name)).await {
                    return Some(format!("cannot LISTEN: {error}"));
                }
                let inner = feed.upgrade()?;
                inner.listening.send_modify(|channels| {
                    channels.insert(name);
                });
            }
            _ = alive.tick() => {
                feed.upgrade()?;
                quiet += Duration::from_secs(1);
                // A quiet socket may be a dead one: ask the server now and then.
                if quiet >= KEEPALIVE {
                    quiet = Duration::ZERO;
                    let asked = tokio::time::timeout(KEEPALIVE, client.batch_execute("SELECT 1")).await;
                    match asked {
                        Ok(Ok(())) => {}
                        Ok(Err(error)) => return Some(error.to_string()),
                        Err(_) => return Some(format!("no answer to a keep-alive within {KEEPALIVE:?}")),
                    }
                }
            }
        }
    }
}

/// `LISTEN "name"`, the name quoted as an SQL identifier (a `"` in it doubled), so any
/// channel name is one identifier and never more SQL.
fn listen_statement(name: &str) -> String {
    format!("LISTEN \"{}\"", name.replace('"', "\"\""))
}

/// Hands one notification to the subscribers of its channel.
fn forward(inner: &Inner, channel: &str, payload: &str) {
    if channel == CHANNEL {
        if let Some(event) = parse(payload) {
            let _ = inner.changes.send(event);
        }
        return;
    }
    let channels = inner
        .channels
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(sender) = channels.get(channel) {
        let _ = sender.send(payload.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dummy::DummyId;

    #[test]
    fn a_channel_name_is_always_one_quoted_identifier() {
        assert_eq!(
            listen_statement("chat_messages"),
            r#"LISTEN "chat_messages""#
        );
        assert_eq!(
            listen_statement(r#"x"; DROP TABLE dummies; --"#),
            r#"LISTEN "x""; DROP TABLE dummies; --""#
        );
    }

    #[test]
    fn trigger_payloads_become_events() {
        let payload = r#"{"seq":41,"op":"UPDATE","row":{"id":7,"day":3,"weekday":"Friday","month":"May","year":1999,
            "pre_seeded":false,"created_at":"2026-11-29T10:11:52.123456+00:00","updated_at":"2026-11-29T11:11:52.5+01:00"}}"#;
        let event = parse(payload).unwrap();
        assert_eq!(event.kind, ChangeKind::Updated);
        assert_eq!(event.seq, 41);
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
