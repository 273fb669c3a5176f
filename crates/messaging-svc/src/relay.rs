//! A relay carries the event journal to a broker, at least once and in order.
//!
//! ```text
//!  dummy_events ──watch after position──► batch of ≤ BATCH changes ──publish──► broker
//!        ▲                                                                      │
//!        └──────────── relays.position = last seq ◄──── every one confirmed ◄───┘
//! ```
//!
//! Each session with the broker starts from the relay's position in the database
//! ([`model::relays`]), publishes what the journal holds after it, and moves the
//! position only once the broker has confirmed a whole batch (AMQP publisher
//! confirms, MQTT `PUBACK`s). When the broker goes away (or the database does) the
//! session ends, the service reports itself unhealthy, and a new session starts after
//! a backoff that doubles from [`BACKOFF_MIN`] to [`BACKOFF_MAX`]: it publishes again
//! what was unconfirmed, so a consumer may see a `seq` twice, never miss one.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use model::{ChangeEvent, Error as ModelError, Store, Update};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The most changes published before waiting for the broker's confirmations.
pub const BATCH: usize = 256;
/// The first wait before reconnecting.
pub const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// The longest wait before reconnecting.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// The longest a batch may wait for the broker's confirmations (a broker that blocks
/// publishers, out of memory or disk, holds them back); then the session starts over.
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(30);

/// A broker a relay can open sessions with.
pub trait Outlet: Send + 'static {
    /// One connection's worth of publishing.
    type Session: Session;
    /// Connects (and declares what the relay publishes to).
    fn connect(&mut self) -> impl Future<Output = Result<Self::Session, String>> + Send;
}

/// One connection to a broker.
pub trait Session: Send {
    /// Publishes `events`, in order, and returns once the broker has confirmed them all.
    fn publish(
        &mut self,
        events: &[ChangeEvent],
    ) -> impl Future<Output = Result<(), String>> + Send;
    /// Resolves once the connection is gone (why), so that an idle relay notices, and
    /// reports it, without waiting for its next publish.
    fn closed(&mut self) -> impl Future<Output = String> + Send;
    /// Says goodbye (on shutdown).
    fn close(self) -> impl Future<Output = ()> + Send;
}

/// Whether a relay's broker is connected: what `/healthz` reports.
#[derive(Debug, Clone, Default)]
pub struct Link(Arc<AtomicBool>);

impl Link {
    /// Connected now?
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Records whether it is connected; whether it was.
    pub fn set_up(&self, up: bool) -> bool {
        self.0.swap(up, Ordering::SeqCst)
    }
}

/// Why a session ended.
enum Ended {
    Shutdown,
    Broker(String),
    Database(ModelError),
    JournalStopped,
}

/// Runs the relay `name` until `shutdown`: sessions one after another, with backoff.
pub async fn run<O: Outlet>(
    name: &'static str,
    store: Store,
    mut outlet: O,
    link: Link,
    shutdown: CancellationToken,
) {
    let mut backoff = BACKOFF_MIN;
    let mut outage_logged = false;
    loop {
        let (ended, progressed) = session(name, &store, &mut outlet, &link, &shutdown).await;
        let was_up = link.set_up(false);
        // Only a session that got a batch through starts the backoff over: one that
        // connects and then fails the same way every time keeps doubling it.
        if progressed {
            backoff = BACKOFF_MIN;
        }
        match ended {
            Ended::Shutdown => return,
            Ended::Broker(error) if !outage_logged || was_up => {
                tracing::warn!(relay = name, %error, "broker unreachable; reconnecting with backoff");
                outage_logged = true;
            }
            Ended::Broker(error) => {
                tracing::debug!(relay = name, %error, "broker still unreachable")
            }
            Ended::Database(error) => {
                tracing::debug!(relay = name, %error, "relay waits for the database");
            }
            Ended::JournalStopped => {}
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = shutdown.cancelled() => return,
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// One session: how it ended, and whether it got a batch confirmed.
async fn session<O: Outlet>(
    name: &'static str,
    store: &Store,
    outlet: &mut O,
    link: &Link,
    shutdown: &CancellationToken,
) -> (Ended, bool) {
    let position = match store.relay_position(name).await {
        Ok(position) => position,
        Err(error) => return (Ended::Database(error), false),
    };
    let mut session = tokio::select! {
        connected = outlet.connect() => match connected {
            Ok(session) => session,
            Err(error) => return (Ended::Broker(error), false),
        },
        () = shutdown.cancelled() => return (Ended::Shutdown, false),
    };
    link.set_up(true);
    tracing::info!(
        relay = name,
        position,
        "connected to the broker; publishing from the journal"
    );
    let (tx, mut changes) = mpsc::channel(BATCH * 4);
    let reader = tokio::spawn(read_journal(name, store.clone(), position, tx));
    let mut batch = Vec::with_capacity(BATCH);
    let mut progressed = false;
    let ended = loop {
        batch.clear();
        tokio::select! {
            received = changes.recv_many(&mut batch, BATCH) => if received == 0 {
                // The reader stopped: the journal could not be read (it said why).
                break Ended::JournalStopped;
            },
            error = session.closed() => break Ended::Broker(error),
            () = shutdown.cancelled() => break Ended::Shutdown,
        }
        let Some(last) = batch.last().map(|event| event.seq) else {
            continue;
        };
        let published = tokio::select! {
            published = tokio::time::timeout(PUBLISH_TIMEOUT, session.publish(&batch)) => published,
            () = shutdown.cancelled() => break Ended::Shutdown,
        };
        match published {
            Ok(Ok(())) => {}
            Ok(Err(error)) => break Ended::Broker(error),
            Err(_) => {
                break Ended::Broker(format!("no confirmation within {PUBLISH_TIMEOUT:?}"));
            }
        }
        if let Err(error) = store.set_relay_position(name, last).await {
            break Ended::Database(error);
        }
        progressed = true;
    };
    reader.abort();
    // A broker still there is told goodbye (no last will fired); a lost one is not.
    if !matches!(ended, Ended::Broker(_)) {
        session.close().await;
    }
    (ended, progressed)
}

/// Hands the changes after `position` to the session, in order, until the session
/// stops taking them or the journal can't be read.
async fn read_journal(name: &str, store: Store, position: i64, tx: mpsc::Sender<ChangeEvent>) {
    let mut watch = match store.watch(Some(position)).await {
        Ok(watch) => watch,
        Err(ModelError::TooOld {
            after,
            pruned_through,
        }) => {
            // Retention deleted changes this relay never published: say so, and go on
            // from what is left rather than stop for good.
            tracing::error!(
                relay = name,
                after,
                pruned_through,
                "the journal no longer holds changes this relay had not published; skipping them"
            );
            let _ = store.set_relay_position(name, pruned_through).await;
            return;
        }
        Err(error) => {
            tracing::debug!(relay = name, %error, "cannot watch the journal");
            return;
        }
    };
    while let Some(update) = watch.next().await {
        match update {
            Ok(Update::Changed(event)) => {
                if tx.send(event).await.is_err() {
                    return;
                }
            }
            Ok(Update::Interrupted | Update::Resumed) => {}
            Err(error) => {
                tracing::error!(relay = name, %error, "cannot read the journal");
                return;
            }
        }
    }
}
