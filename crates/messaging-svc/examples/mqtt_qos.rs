//! MQTT's three qualities of service, packet by packet: each message published to
//! `tutorial/qos/N` at QoS N and received by a subscriber at QoS 2, with the packets
//! the client library saw go out and come in.
//!
//! ```text
//! QoS 0  PUBLISH                                  at most once: no answer
//! QoS 1  PUBLISH → PUBACK                         at least once: kept until acknowledged,
//!                                                 sent again (DUP) after a reconnect
//! QoS 2  PUBLISH → PUBREC → PUBREL → PUBCOMP      exactly once: a two-step handshake
//! ```
//!
//! ```text
//! cargo run -p messaging-svc --example mqtt_qos    (MQTT_ADDR, or Mosquitto on 127.0.0.1:1883)
//! ```

use std::time::Duration;

use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, Outgoing, QoS};

#[tokio::main]
async fn main() {
    let addr = std::env::var("MQTT_ADDR").unwrap_or_else(|_| "127.0.0.1:1883".into());
    let (host, port) = addr.rsplit_once(':').expect("MQTT_ADDR is host:port");
    let options = MqttOptions::new(
        format!("qos-example-{}", std::process::id()),
        host,
        port.parse().unwrap(),
    );
    let (client, mut events) = AsyncClient::new(options, 16);
    client
        .subscribe("tutorial/qos/+", QoS::ExactlyOnce)
        .await
        .unwrap();

    for (level, qos) in [
        (0, QoS::AtMostOnce),
        (1, QoS::AtLeastOnce),
        (2, QoS::ExactlyOnce),
    ] {
        client
            .publish(
                format!("tutorial/qos/{level}"),
                qos,
                false,
                format!("QoS {level}"),
            )
            .await
            .unwrap();
        // Until the subscriber has the message and the publisher's handshake is over.
        let mut packets = Vec::new();
        let (mut received, mut done) = (false, level == 0);
        while !(received && done) {
            let event = tokio::time::timeout(Duration::from_secs(5), events.poll())
                .await
                .expect("the broker answers")
                .expect("the connection holds");
            let (direction, name) = match &event {
                Event::Outgoing(Outgoing::Publish(_)) => ("->", "PUBLISH"),
                Event::Outgoing(Outgoing::PubRel(_)) => ("->", "PUBREL"),
                Event::Outgoing(Outgoing::PubAck(_)) => ("->", "PUBACK (as subscriber)"),
                Event::Outgoing(Outgoing::PubRec(_)) => ("->", "PUBREC (as subscriber)"),
                Event::Outgoing(Outgoing::PubComp(_)) => ("->", "PUBCOMP (as subscriber)"),
                Event::Incoming(Incoming::PubAck(_)) => ("<-", "PUBACK"),
                Event::Incoming(Incoming::PubRec(_)) => ("<-", "PUBREC"),
                Event::Incoming(Incoming::PubRel(_)) => ("<-", "PUBREL (as subscriber)"),
                Event::Incoming(Incoming::PubComp(_)) => ("<-", "PUBCOMP"),
                Event::Incoming(Incoming::Publish(p))
                    if p.topic == format!("tutorial/qos/{level}") =>
                {
                    ("<-", "PUBLISH (as subscriber)")
                }
                _ => continue,
            };
            packets.push(format!("{direction} {name}"));
            match &event {
                Event::Incoming(Incoming::Publish(_)) if level == 0 => received = true,
                Event::Outgoing(Outgoing::PubAck(_) | Outgoing::PubComp(_)) => received = true,
                Event::Incoming(Incoming::PubAck(_) | Incoming::PubComp(_)) => done = true,
                _ => {}
            }
        }
        println!("QoS {level}: {}", packets.join(", "));
    }
    // DISCONNECT is queued; the event loop sends it.
    client.disconnect().await.unwrap();
    while let Ok(Ok(event)) = tokio::time::timeout(Duration::from_secs(2), events.poll()).await {
        if matches!(event, Event::Outgoing(Outgoing::Disconnect)) {
            break;
        }
    }
    println!("mqtt qos: every level delivered");
}
