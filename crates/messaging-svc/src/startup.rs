//! Builds the messaging service: the relays and the request queue as tasks, and the
//! HTTP side. `main`, `protocols serve` and the tests call the same [`build`].

use actix_web::web;
use model::Store;
use runtime::http::{HttpApp, ServerSettings};
use tokio_util::sync::CancellationToken;

use crate::amqp::AmqpOutlet;
use crate::config::Args;
use crate::mqtt::MqttOutlet;
use crate::relay::{self, Link};
use crate::routes::{self, Links};
use crate::rpc;

/// The relays' names in the `relays` table.
pub const AMQP_RELAY: &str = "amqp";
/// See [`AMQP_RELAY`].
pub const MQTT_RELAY: &str = "mqtt";

/// Starts the brokers' tasks (they stop when `shutdown` is cancelled) and binds the
/// HTTP listener.
///
/// # Errors
/// When the address can't be bound.
pub fn build(
    settings: &ServerSettings,
    args: &Args,
    store: Store,
    shutdown: CancellationToken,
) -> std::io::Result<HttpApp> {
    let links = spawn(args, &store, &shutdown);
    build_with(settings, store, links)
}

/// Binds the HTTP listener for brokers' tasks already started ([`spawn`]).
///
/// # Errors
/// When the address can't be bound.
pub fn build_with(
    settings: &ServerSettings,
    store: Store,
    links: Links,
) -> std::io::Result<HttpApp> {
    HttpApp::build(settings, move |cfg: &mut web::ServiceConfig| {
        cfg.configure(routes::api(links.clone()))
            .configure(routes::health(store.clone(), links.clone()));
    })
}

/// Starts the relays and the request queue's consumer for the brokers turned on.
pub fn spawn(args: &Args, store: &Store, shutdown: &CancellationToken) -> Links {
    let mut links = Links::default();
    if let Some(url) = args.amqp() {
        let link = Link::default();
        let outlet = AmqpOutlet {
            url: url.to_owned(),
        };
        tokio::spawn(relay::run(
            AMQP_RELAY,
            store.clone(),
            outlet,
            link.clone(),
            shutdown.clone(),
        ));
        links.amqp_relay = Some(link);
        let link = Link::default();
        let settings = rpc::Settings {
            url: url.to_owned(),
            max_bytes: args.max_bytes,
            prefetch: args.prefetch,
        };
        tokio::spawn(rpc::serve(
            settings,
            store.clone(),
            link.clone(),
            shutdown.clone(),
        ));
        links.amqp_requests = Some(link);
    }
    if let Some((host, port)) = args.mqtt() {
        let link = Link::default();
        tokio::spawn(relay::run(
            MQTT_RELAY,
            store.clone(),
            MqttOutlet { host, port },
            link.clone(),
            shutdown.clone(),
        ));
        links.mqtt_relay = Some(link);
    }
    links
}
