//! The deliverer: one task per process that moves changes from the event journal to
//! the subscribers' URLs.
//!
//! Each round (on a change, on a new or resumed subscription, when a backoff ends, and
//! every second while any subscription is active; with none, changes cost nothing), for
//! each active subscription that is due and that no other process holds:
//!
//! 1. take its lease (`model::webhooks`) with a token of this turn's own, so that
//!    replicas on one PostgreSQL database do not send the same delivery side by side
//!    (the lease is renewed, for one more attempt's time, before each send);
//! 2. queue the changes after its position that it wants (one transaction);
//! 3. send its oldest pending delivery; on a 2xx, the next one, up to [`BATCH`];
//! 4. on a failure, record it and stop: the next attempt waits
//!    [`Settings::backoff`](super::Settings::backoff), and after
//!    `WEBHOOK_DISABLE_AFTER` failures in a row the subscription is disabled.
//!
//! Killed mid-attempt, the process leaves the delivery pending: it is sent again by
//! the next process (on SQLite at once, as a process is alone with its file; on
//! PostgreSQL once the lease, the attempt timeout plus 5 s, has run out).

use std::time::Duration;

use chrono::Utc;
use futures_util::stream::{self, StreamExt};
use model::webhooks::{AfterAttempt, Message};
use model::{Backend, ChangeEvent, DummyJson, Store};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::{Webhooks, signature};

/// The most deliveries of one subscription sent in one round.
pub const BATCH: usize = 100;
/// How many subscriptions one process works on at once.
pub const SIDE_BY_SIDE: usize = 8;
/// How often the deliverer looks without being woken, while a subscription is active.
const TICK: Duration = Duration::from_secs(1);
/// How often it looks while none is (a new one wakes it at once).
const IDLE_TICK: Duration = Duration::from_secs(60);
/// The channel ([`Store::notify`]) that wakes the deliverers.
pub const WAKE_CHANNEL: &str = "webhooks";
/// How much longer than one attempt a lease lasts.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// The message for a change: a fresh `webhook-id` and the Standard Webhooks body,
/// `{"type", "timestamp", "data"}`, with the change's journal number and the Dummy.
///
/// # Errors
/// Never in practice; the body is JSON from plain values.
pub fn message(event: &ChangeEvent) -> Result<Message, model::Error> {
    let event_type = format!("dummy.{}", event.kind.as_str());
    let body = serde_json::json!({
        "type": event_type,
        "timestamp": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": {"seq": event.seq, "dummy": DummyJson::from(&event.dummy)},
    });
    Ok(Message {
        id: signature::new_message_id(),
        event_type,
        body: serde_json::to_string(&body).map_err(model::Error::internal)?,
    })
}

/// Starts the deliverer; it stops when `shutdown` is cancelled.
pub fn spawn(
    webhooks: Webhooks,
    store: Store,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        tokio::select! {
            () = run(&webhooks, &store) => {}
            () = shutdown.cancelled() => {}
        }
    })
}

async fn run(webhooks: &Webhooks, store: &Store) {
    let mut fresh_start = store.backend() == Backend::Sqlite;
    let mut changes = None;
    let mut wakes = None;
    // Until a first round succeeds, the schema may still be migrating (or the database
    // starting): failures then are expected, and not worth a warning.
    let mut started = false;
    loop {
        if changes.is_none() {
            changes = store.feed().subscribe().await.ok();
        }
        if wakes.is_none() {
            wakes = store.feed().channel(WAKE_CHANNEL).await.ok();
        }
        if fresh_start {
            // Alone with its SQLite file, this process may free the leases a killed
            // predecessor left (once the migrations have made the table).
            fresh_start = store.release_all_webhooks().await.is_err();
        }
        let (mut wait, mut idle) = (TICK, false);
        let result = round(webhooks, store).await;
        started |= result.is_ok();
        match result {
            // No active subscription: changes need no round, only a new or resumed
            // subscription does, and its wake-up says so. (A slow tick still looks, in
            // case a wake-up was lost while the listener reconnected.)
            Ok(Round::Idle) if wakes.is_some() => (wait, idle) = (IDLE_TICK, true),
            Ok(Round::Idle) => {}
            Ok(Round::Busy { next_retry }) => {
                if let Some(next) = next_retry {
                    wait = wait.min((next - Utc::now()).to_std().unwrap_or_default());
                }
            }
            // The database's own outage is reported by the health check and the API.
            Err(error @ model::Error::Unavailable(_)) => {
                tracing::debug!(%error, "webhook deliveries wait for the database");
            }
            Err(error) if !started => {
                tracing::debug!(%error, "webhook deliveries wait for the schema");
            }
            Err(error) => {
                tracing::warn!(%error, "webhook deliveries: a round failed; trying again");
            }
        }
        let change = async {
            match changes.as_mut() {
                Some(receiver) if !idle => next(receiver).await,
                _ => std::future::pending().await,
            }
        };
        let wake = async {
            match wakes.as_mut() {
                Some(receiver) => next(receiver).await,
                None => std::future::pending().await,
            }
        };
        let (changes_closed, wakes_closed) = tokio::select! {
            alive = change => (!alive, false),
            alive = wake => (false, !alive),
            () = tokio::time::sleep(wait) => (false, false),
        };
        if changes_closed {
            changes = None;
        }
        if wakes_closed {
            wakes = None;
        }
    }
}

/// Waits for the next message on a broadcast channel and takes any others waiting too
/// (several are one round); false once the channel is closed.
async fn next<T: Clone>(receiver: &mut tokio::sync::broadcast::Receiver<T>) -> bool {
    match receiver.recv().await {
        Ok(_) | Err(RecvError::Lagged(_)) => {
            while receiver.try_recv().is_ok() {}
            true
        }
        Err(RecvError::Closed) => false,
    }
}

/// Tells every deliverer on this database (this process's, and on PostgreSQL the
/// others', by `NOTIFY`) that subscription `id` was made or resumed. Best effort: a
/// deliverer that misses it looks on its next tick.
pub async fn wake(store: &Store, id: i64) {
    if let Err(error) = store.notify(WAKE_CHANNEL, id.to_string()).await {
        tracing::debug!(%error, "could not wake the webhook deliverers");
    }
}

/// What a round found.
enum Round {
    /// No active subscription at all.
    Idle,
    /// Some; and when the next backoff ends, if one is in force.
    Busy {
        next_retry: Option<chrono::DateTime<Utc>>,
    },
}

/// Works on the due subscriptions, [`SIDE_BY_SIDE`] at a time.
async fn round(webhooks: &Webhooks, store: &Store) -> Result<Round, model::Error> {
    let due = store.due_webhooks().await?;
    if !due.any_active {
        return Ok(Round::Idle);
    }
    let mut turns = stream::iter(due.ids)
        .map(|id| work(webhooks, store, id))
        .buffer_unordered(SIDE_BY_SIDE);
    while let Some(result) = turns.next().await {
        result?;
    }
    // Asked after the work: the failures of this round set new backoffs.
    let next_retry = store.due_webhooks().await?.next_retry;
    Ok(Round::Busy { next_retry })
}

/// One subscription's turn: lease, queue, send until a failure or [`BATCH`].
async fn work(webhooks: &Webhooks, store: &Store, id: i64) -> Result<(), model::Error> {
    // This turn's own token: renewing, releasing and recording failures need it, so a
    // turn whose lease ran out cannot undo the work of the one that took over.
    let token = signature::new_message_id();
    let lease = || Utc::now() + webhooks.settings.timeout() + LEASE_MARGIN;
    let Some(mut hook) = store.lease_webhook(id, &token, lease(), false).await? else {
        return Ok(());
    };
    let outcome = async {
        // Queue what came since the last turn, so that the log shows it waiting even
        // while the oldest keeps failing.
        if let Some(position) = store.enqueue_deliveries(&hook, message).await? {
            hook.position = position;
        }
        for _ in 0..BATCH {
            // What is queued first; the journal once the queue is empty (a page of
            // changes it does not want queues nothing: read on).
            let mut delivery = store.next_delivery(id).await?;
            while delivery.is_none() {
                let Some(position) = store.enqueue_deliveries(&hook, message).await? else {
                    break;
                };
                hook.position = position;
                delivery = store.next_delivery(id).await?;
            }
            let Some(delivery) = delivery else {
                break;
            };
            // A full attempt's time from now, and still active (not paused or deleted)?
            match store.lease_webhook(id, &token, lease(), true).await? {
                Some(current) => hook = current,
                None => break,
            }
            let attempt = webhooks.sender.send(&hook, &delivery).await;
            let succeeded = attempt.succeeded();
            let after = if succeeded {
                AfterAttempt::Delivered
            } else {
                let failures = u32::try_from(hook.failures).unwrap_or(0).saturating_add(1);
                tracing::info!(
                    webhook = id,
                    delivery = delivery.id,
                    failures,
                    error = attempt.error.as_deref().unwrap_or_default(),
                    "webhook delivery failed"
                );
                if failures >= webhooks.settings.disable_after {
                    AfterAttempt::Disable(format!(
                        "{failures} failed attempts in a row; the last: {}",
                        attempt.error.as_deref().unwrap_or("no answer")
                    ))
                } else {
                    AfterAttempt::RetryAt(Utc::now() + webhooks.settings.backoff(failures))
                }
            };
            store
                .record_attempt(delivery.id, attempt, after, &token)
                .await?;
            if !succeeded {
                break;
            }
            hook.failures = 0;
        }
        Ok::<_, model::Error>(())
    }
    .await;
    let released = store.release_webhook(id, &token).await;
    outcome.and(released)
}
