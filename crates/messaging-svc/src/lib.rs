//! # messaging-svc: the Dummy's changes and procedures through a broker
//!
//! Every other service here answers its clients directly. This one talks to a
//! *broker*, a server in the middle that takes messages from publishers and hands
//! them to whoever subscribed, now or later: the publisher does not know who listens,
//! nor whether they are up. Two brokers, two protocols:
//!
//! - **AMQP 0-9-1 to RabbitMQ** ([`amqp`], [`rpc`]). Publishers send to an
//!   *exchange*; the exchange routes each message by its *routing key* to the *queues*
//!   bound to it; consumers read queues and acknowledge each message. Queues can be
//!   durable, messages persistent, and deliveries confirmed both ways.
//! - **MQTT 3.1.1 to Mosquitto** ([`mqtt`]). Publishers send to a *topic*, a path like
//!   `dummies/17/created`; subscribers give *filters* (`dummies/+/created`,
//!   `dummies/#`). A topic can hold one *retained* message that every new subscriber
//!   gets at once: the current state. Built for small devices on poor networks.
//!
//! ## On the wire
//!
//! AMQP: one TCP connection, many *channels* in it; each frame is `type (1 byte) │
//! channel (2) │ size (4) │ payload │ 0xCE`. Publishing a change is three frames:
//!
//! ```text
//! METHOD  channel 1  basic.publish exchange="dummies" routing-key="dummy.created"
//! HEADER  channel 1  body-size=212 content-type=application/json delivery-mode=2 (persistent)
//!                    message-id=dummy-event-41 type=dummy.created headers={seq: 41}
//! BODY    channel 1  {"seq":41,"type":"dummy.created","dummy":{"id":17,"day":3,…}}
//!       ◄ METHOD  channel 1  basic.ack delivery-tag=7      (publisher confirm: the
//!                                                        channel's 7th publish)
//! ```
//!
//! MQTT: each packet is a fixed header (type and flags in one byte, then the
//! remaining length in 1 to 4 bytes), a variable header, a payload:
//!
//! ```text
//! 32 ea 01  00 12 "dummies/17/created"  00 07  {"seq":41,…}     PUBLISH QoS 1, packet id 7
//!        ◄ 40 02 00 07                                          PUBACK 7
//! 33 b8 01  00 0a "dummies/17"  00 08  {"id":17,…}              PUBLISH QoS 1 retained
//! ```
//!
//! `ea 01` is the remaining length, 7 bits a byte, low bits first: `0x6a + 1 × 128 =
//! 234` = 2 (topic length) + 18 (topic) + 2 (packet id) + 212 (the same body as above).
//!
//! ## Where to read
//!
//! 1. [`relay`]: how the event journal reaches a broker at least once, in order,
//!    across restarts of either side.
//! 2. [`message`]: the one body both brokers carry.
//! 3. [`amqp`]: the exchange, its routing keys, persistence and publisher confirms.
//! 4. [`rpc`]: request/reply over a queue, with `reply-to` and `correlation-id`, and
//!    what happens to a request the service can't read (dead letters).
//! 5. [`mqtt`]: topics, QoS, retained state and the last will.
//! 6. `asyncapi/messaging.yaml`: the contract, in AsyncAPI 3.
//! 7. `examples/`: RabbitMQ's tutorial patterns on this record: a work queue, fanout,
//!    routing, topics, request/reply, and MQTT's three QoS levels.
//!
//! ## Try it
//!
//! ```text
//! cargo run -p messaging-svc            # RabbitMQ on 5672 and Mosquitto on 1883 running
//! mosquitto_sub -v -t 'dummies/#' -t 'presence/#'
//! cargo run -p messaging-svc --example amqp_topics
//! ```

#![warn(missing_docs)]

pub mod amqp;
pub mod config;
pub mod message;
pub mod mqtt;
pub mod relay;
pub mod routes;
pub mod rpc;
pub mod startup;

pub use config::Args;
