//! The hub: one task per process that owns every room's member list.
//!
//! Sessions talk to it through a [`HubHandle`] (a bounded command channel, replies on
//! oneshot channels), so no lock is shared between connections. It receives every
//! room message from the store and hands it to the members of that room on this
//! replica, each through its own bounded queue. A member whose queue is full is too
//! slow: the hub drops it (its session then closes with 1008) instead of letting it
//! hold up the room. If the hub itself falls more than `model::feed::CAPACITY`
//! messages behind, every member gets an `{"error": …}` frame saying how many were lost.

use std::collections::HashMap;
use std::time::Duration;

use model::Store;

use super::{CHANNEL, RoomMessage};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// A member's id, unique in this process.
pub type MemberId = u64;

/// What sessions ask of the hub.
#[derive(Debug)]
enum HubCommand {
    /// Add a member to a room; its messages go to `queue`.
    Join {
        room: String,
        queue: mpsc::Sender<String>,
        reply: oneshot::Sender<MemberId>,
    },
    /// Remove a member.
    Leave { room: String, member: MemberId },
}

/// A cheap, clonable way to talk to the hub task.
#[derive(Debug, Clone)]
pub struct HubHandle {
    commands: mpsc::Sender<HubCommand>,
    queue_len: usize,
}

impl HubHandle {
    /// Joins `room`; returns the member id and the queue its messages arrive on, or
    /// `None` if the hub has stopped (the server is shutting down).
    pub async fn join(&self, room: &str) -> Option<(MemberId, mpsc::Receiver<String>)> {
        let (queue, receiver) = mpsc::channel(self.queue_len);
        let (reply, member) = oneshot::channel();
        self.commands
            .send(HubCommand::Join {
                room: room.to_owned(),
                queue,
                reply,
            })
            .await
            .ok()?;
        Some((member.await.ok()?, receiver))
    }

    /// Leaves `room`.
    pub async fn leave(&self, room: &str, member: MemberId) {
        let _ = self
            .commands
            .send(HubCommand::Leave {
                room: room.to_owned(),
                member,
            })
            .await;
    }
}

/// The hub's state, owned by its task alone.
pub struct Hub {
    rooms: HashMap<String, HashMap<MemberId, mpsc::Sender<String>>>,
    next_id: MemberId,
}

impl Hub {
    /// Starts the hub task; it stops when `shutdown` is cancelled.
    /// `queue_len` bounds each member's queue of undelivered messages.
    pub fn spawn(store: Store, queue_len: usize, shutdown: CancellationToken) -> HubHandle {
        // Bounded: a flood of joins waits instead of growing memory.
        let (commands, receiver) = mpsc::channel(256);
        let hub = Hub {
            rooms: HashMap::new(),
            next_id: 1,
        };
        tokio::spawn(hub.run(store, receiver, shutdown));
        HubHandle {
            commands,
            queue_len,
        }
    }

    async fn run(
        mut self,
        store: Store,
        mut commands: mpsc::Receiver<HubCommand>,
        shutdown: CancellationToken,
    ) {
        let mut messages: Option<broadcast::Receiver<String>> = None;
        let mut retry = tokio::time::interval(Duration::from_secs(1));
        // One warning per outage, not one per retry: the database's own log says more.
        let mut warned = false;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                command = commands.recv() => match command {
                    Some(command) => self.handle(command),
                    None => break,
                },
                // (Re)subscribe while there is no subscription, e.g. the database was down at start.
                _ = retry.tick(), if messages.is_none() => match store.feed().channel(CHANNEL).await {
                    Ok(receiver) => {
                        if std::mem::take(&mut warned) {
                            tracing::info!("chat hub subscribed to rooms");
                        }
                        messages = Some(receiver);
                    }
                    Err(error) if !warned => {
                        warned = true;
                        tracing::warn!(%error, "chat hub cannot subscribe to rooms yet; retrying every second");
                    }
                    Err(error) => tracing::debug!(%error, "chat hub cannot subscribe to rooms yet"),
                },
                received = recv(&mut messages) => match received {
                    Ok(message) => self.deliver(&message),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "chat hub fell behind; some room messages were lost");
                        // Which rooms lost them is unknown: tell every member.
                        let notice = crate::messages::error(&format!(
                            "the server fell behind and {n} room messages were lost"
                        ));
                        let everyone: Vec<String> = self.rooms.keys().cloned().collect();
                        for room in everyone {
                            self.deliver(&RoomMessage { room, payload: notice.clone() });
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => messages = None,
                },
            }
        }
        tracing::debug!("chat hub stopped");
    }

    fn handle(&mut self, command: HubCommand) {
        match command {
            HubCommand::Join { room, queue, reply } => {
                let id = self.next_id;
                self.next_id += 1;
                self.rooms.entry(room).or_default().insert(id, queue);
                let _ = reply.send(id);
            }
            HubCommand::Leave { room, member } => {
                if let Some(members) = self.rooms.get_mut(&room) {
                    members.remove(&member);
                    if members.is_empty() {
                        self.rooms.remove(&room);
                    }
                }
            }
        }
    }

    /// Hands a message to each member of its room here; drops members that cannot keep up.
    fn deliver(&mut self, message: &RoomMessage) {
        let Some(members) = self.rooms.get_mut(&message.room) else {
            return;
        };
        members.retain(
            |member, queue| match queue.try_send(message.payload.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(member, room = %message.room, "member too slow; dropping it");
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            },
        );
    }
}

/// Receives from the subscription if there is one; otherwise waits forever (the
/// `select!` arm stays quiet until a subscription exists).
async fn recv(
    messages: &mut Option<broadcast::Receiver<String>>,
) -> Result<RoomMessage, broadcast::error::RecvError> {
    let Some(receiver) = messages else {
        return std::future::pending().await;
    };
    loop {
        let json = receiver.recv().await?;
        match serde_json::from_str(&json) {
            Ok(message) => return Ok(message),
            Err(error) => tracing::warn!(%error, "ignoring a malformed room message"),
        }
    }
}
