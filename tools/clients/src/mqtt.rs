//! An MQTT 3.1.1 subscriber (rumqttc) for the messaging service's topics.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS, SubscribeFilter};
use tokio::sync::mpsc;

/// One message as a subscriber gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The topic it was published to.
    pub topic: String,
    /// The payload's bytes (empty for a cleared retained state).
    pub payload: Vec<u8>,
    /// Whether it is a retained message, given on subscribe.
    pub retained: bool,
    /// The QoS it came with: the lower of the publisher's and the subscription's.
    pub qos: u8,
}

impl Message {
    /// The payload as JSON.
    ///
    /// # Panics
    /// When it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload).expect("a JSON payload")
    }
}

/// A subscribed connection.
pub struct Subscriber {
    client: AsyncClient,
    messages: mpsc::UnboundedReceiver<Message>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The QoS of a level number (0, 1 or 2).
///
/// # Panics
/// On any other number.
pub fn qos(level: u8) -> QoS {
    match level {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        2 => QoS::ExactlyOnce,
        _ => panic!("QoS {level}: there are 0, 1 and 2"),
    }
}

impl Subscriber {
    /// Connects to `addr` (`host:port`), subscribes to `filters` at `level` and returns
    /// once the broker acknowledged the subscription (`SUBACK`).
    ///
    /// # Errors
    /// When the broker can't be reached or refuses.
    pub async fn subscribe(addr: &str, filters: &[&str], level: u8) -> Result<Subscriber, String> {
        let (host, port) = addr.rsplit_once(':').ok_or("host:port")?;
        let port = port.parse().map_err(|_| "a port number")?;
        let id = format!("test-{}-{}", std::process::id(), fastrand::u32(..));
        let mut options = MqttOptions::new(id, host, port);
        options
            .set_keep_alive(Duration::from_secs(5))
            .set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut events) = AsyncClient::new(options, 64);
        // One SUBSCRIBE packet for every filter: one SUBACK.
        let filters = filters
            .iter()
            .map(|filter| SubscribeFilter::new((*filter).to_owned(), qos(level)));
        client
            .subscribe_many(filters)
            .await
            .map_err(|e| e.to_string())?;
        let (tx, messages) = mpsc::unbounded_channel();
        let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let mut subscribed_tx = Some(subscribed_tx);
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Incoming::SubAck(_))) => {
                        if let Some(tx) = subscribed_tx.take() {
                            let _ = tx.send(Ok(()));
                        }
                    }
                    Ok(Event::Incoming(Incoming::Publish(publish))) => {
                        let message = Message {
                            topic: publish.topic.clone(),
                            payload: publish.payload.to_vec(),
                            retained: publish.retain,
                            qos: publish.qos as u8,
                        };
                        if tx.send(message).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(error) => {
                        if let Some(tx) = subscribed_tx.take() {
                            let _ = tx.send(Err(error.to_string()));
                        }
                        return;
                    }
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(10), subscribed)
            .await
            .map_err(|_| "no SUBACK within 10 s".to_owned())?
            .map_err(|_| "the connection ended".to_owned())??;
        Ok(Subscriber {
            client,
            messages,
            task,
        })
    }

    /// The next message; `None` after `wait` without one.
    pub async fn next(&mut self, wait: Duration) -> Option<Message> {
        tokio::time::timeout(wait, self.messages.recv())
            .await
            .ok()?
    }

    /// Publishes (to test what the service does with others' messages).
    ///
    /// # Errors
    /// When the connection is gone.
    pub async fn publish(
        &self,
        topic: &str,
        level: u8,
        retain: bool,
        payload: Vec<u8>,
    ) -> Result<(), String> {
        self.client
            .publish(topic, qos(level), retain, payload)
            .await
            .map_err(|e| e.to_string())
    }
}
