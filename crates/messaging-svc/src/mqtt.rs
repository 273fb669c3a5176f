//! MQTT 3.1.1 to Mosquitto: each change on its own topic, each Dummy's current state
//! retained, and the service's presence.
//!
//! | Topic | QoS | Retained | Payload |
//! |---|---|---|---|
//! | `dummies/{id}/{kind}` (`created`, `updated`, `deleted`) | 1 | no | the change ([`crate::message::body`]) |
//! | `dummies/{id}` | 1 | yes | the Dummy as it is now; a delete clears it (an empty retained message) |
//! | `presence/messaging-svc` | 1 | yes | `online`, or `offline`: said on shutdown, or by the broker for us (the last will) |
//!
//! A subscriber to `dummies/+` gets, at once, the retained state of every Dummy, then
//! each new state; one to `dummies/+/deleted` only the deletions; `dummies/#` both.
//!
//! On the wire a QoS 1 `PUBLISH` carries a packet id, and the broker answers `PUBACK`
//! with it once it has taken the message; the relay moves its position only after
//! every `PUBACK` of a batch. QoS 0 has no answer (at most once); QoS 2 takes four
//! packets (`PUBLISH`, `PUBREC`, `PUBREL`, `PUBCOMP`) to deliver exactly once
//! (`examples/mqtt_qos.rs` shows all three, and `just capture mqtt` their packets).
//!
//! The last will is given in `CONNECT`: if the connection drops without a
//! `DISCONNECT` (the process killed, the network gone), the broker publishes
//! `offline` on the presence topic itself.

use std::time::Duration;

use model::{ChangeEvent, ChangeKind};
use rumqttc::{AsyncClient, Event, EventLoop, Incoming, LastWill, MqttOptions, QoS};
use tokio::sync::mpsc;

use crate::message;
use crate::relay::{Outlet, Session};

/// The topic of the service's presence.
pub const PRESENCE: &str = "presence/messaging-svc";
/// How long a connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the client pings an idle connection; the broker drops it after 1.5 times
/// that without a packet.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// The largest packet either side may send.
pub const MAX_PACKET: usize = 256 * 1024;

/// The topic of one change.
pub fn change_topic(event: &ChangeEvent) -> String {
    format!("dummies/{}/{}", event.dummy.id, event.kind.as_str())
}

/// The topic of one Dummy's retained state.
pub fn state_topic(event: &ChangeEvent) -> String {
    format!("dummies/{}", event.dummy.id)
}

/// The relay's broker.
pub struct MqttOutlet {
    /// The broker's host.
    pub host: String,
    /// Its port.
    pub port: u16,
}

/// One connection of the MQTT relay.
pub struct MqttSession {
    client: AsyncClient,
    /// One `()` per `PUBACK`; closed when the connection is gone.
    acks: mpsc::UnboundedReceiver<()>,
    poller: tokio::task::JoinHandle<()>,
}

impl Drop for MqttSession {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

/// Connects, waiting for the broker's `CONNACK`; the event loop then runs in a task
/// of its own that reports each `PUBACK`.
///
/// # Errors
/// When the broker can't be reached in [`CONNECT_TIMEOUT`] or refuses the connection.
pub async fn connect(
    options: MqttOptions,
) -> Result<
    (
        AsyncClient,
        mpsc::UnboundedReceiver<()>,
        tokio::task::JoinHandle<()>,
    ),
    String,
> {
    let (client, mut events) = AsyncClient::new(options, 64);
    let connected = tokio::time::timeout(CONNECT_TIMEOUT, async {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Incoming::ConnAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(error) => return Err(error.to_string()),
            }
        }
    })
    .await;
    match connected {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return Err(error),
        Err(_) => return Err(format!("no CONNACK from the broker in {CONNECT_TIMEOUT:?}")),
    }
    let (tx, acks) = mpsc::unbounded_channel();
    let poller = tokio::spawn(poll(events, tx));
    Ok((client, acks, poller))
}

async fn poll(mut events: EventLoop, acks: mpsc::UnboundedSender<()>) {
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Incoming::PubAck(_))) => {
                if acks.send(()).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            // Dropping the sender tells the session the connection is gone.
            Err(error) => {
                tracing::debug!(%error, "MQTT connection lost");
                return;
            }
        }
    }
}

impl MqttSession {
    async fn send(&self, topic: String, retain: bool, payload: Vec<u8>) -> Result<(), String> {
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload)
            .await
            .map_err(|e| e.to_string())
    }

    async fn acknowledged(&mut self, count: usize) -> Result<(), String> {
        for _ in 0..count {
            if self.acks.recv().await.is_none() {
                return Err("the connection to the broker was lost".to_owned());
            }
        }
        Ok(())
    }
}

impl Outlet for MqttOutlet {
    type Session = MqttSession;

    async fn connect(&mut self) -> Result<MqttSession, String> {
        let mut options = MqttOptions::new(
            format!("messaging-svc-{}", std::process::id()),
            self.host.clone(),
            self.port,
        );
        options
            .set_keep_alive(KEEP_ALIVE)
            .set_clean_session(true)
            .set_max_packet_size(MAX_PACKET, MAX_PACKET)
            .set_last_will(LastWill::new(PRESENCE, "offline", QoS::AtLeastOnce, true));
        let (client, acks, poller) = connect(options).await?;
        let mut session = MqttSession {
            client,
            acks,
            poller,
        };
        session
            .send(PRESENCE.to_owned(), true, b"online".to_vec())
            .await?;
        session.acknowledged(1).await?;
        Ok(session)
    }
}

impl Session for MqttSession {
    async fn publish(&mut self, events: &[ChangeEvent]) -> Result<(), String> {
        for event in events {
            self.send(change_topic(event), false, message::body(event))
                .await?;
            let state = match event.kind {
                ChangeKind::Deleted => Vec::new(),
                ChangeKind::Created | ChangeKind::Updated => message::state(event),
            };
            self.send(state_topic(event), true, state).await?;
        }
        self.acknowledged(events.len() * 2).await
    }

    async fn closed(&mut self) -> String {
        // The event loop's task ends when the connection does.
        let _ = (&mut self.poller).await;
        "the connection to the broker was lost".to_owned()
    }

    async fn close(mut self) {
        // A clean DISCONNECT does not fire the last will: say it ourselves.
        if self
            .send(PRESENCE.to_owned(), true, b"offline".to_vec())
            .await
            .is_ok()
        {
            let _ = tokio::time::timeout(Duration::from_secs(2), self.acknowledged(1)).await;
        }
        let _ = self.client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.poller).await;
    }
}
