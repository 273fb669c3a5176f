//! The messaging service's HTTP side: what a container, the gateway and a browser ask
//! of it. The messages themselves travel through the brokers.
//!
//! | Method | Path | Answer |
//! |---|---|---|
//! | GET | `/healthz` | 200 when the database and every broker turned on are connected, else 503 |
//! | GET | `/api/messaging/` | where everything is published: the exchange, the queues, the topics |
//! | GET | `/messaging` | the browser page: MQTT over WebSocket, live (`web/messaging.html`) |

use actix_web::{HttpResponse, web};
use model::Store;
use serde_json::json;

use crate::relay::Link;
use crate::{amqp, mqtt};

/// The browser page.
pub const MESSAGING_PAGE: &str = include_str!("../../../web/messaging.html");

/// Which brokers are on, and whether each of their links is up.
#[derive(Debug, Clone, Default)]
pub struct Links {
    /// The AMQP relay; `None` when AMQP is off.
    pub amqp_relay: Option<Link>,
    /// The request queue's consumer.
    pub amqp_requests: Option<Link>,
    /// The MQTT relay.
    pub mqtt_relay: Option<Link>,
}

fn state(link: Option<&Link>) -> &'static str {
    match link {
        None => "off",
        Some(link) if link.is_up() => "connected",
        Some(_) => "down",
    }
}

/// Mounts `/api/messaging/` and `/messaging`. Used by `messaging-svc` alone and by
/// `protocols serve`.
pub fn api(links: Links) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.service(
            web::resource(["/api/messaging", "/api/messaging/"])
                .app_data(web::Data::new(links))
                .get(index),
        )
        .route("/messaging", web::get().to(page));
    }
}

/// Mounts `/healthz`, which also asks about the brokers (`messaging-svc` alone; `serve`'s
/// port 8005).
pub fn health(store: Store, links: Links) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.service(
            web::resource("/healthz")
                .app_data(web::Data::new(store))
                .app_data(web::Data::new(links))
                .get(healthz)
                .route(web::head().to(healthz)),
        );
    }
}

async fn healthz(store: web::Data<Store>, links: web::Data<Links>) -> HttpResponse {
    let database = store.ping().await.is_ok();
    let amqp = match (&links.amqp_relay, &links.amqp_requests) {
        (Some(relay), Some(requests)) if !(relay.is_up() && requests.is_up()) => "down",
        (Some(_), _) => "connected",
        (None, _) => "off",
    };
    let mqtt = state(links.mqtt_relay.as_ref());
    let ok = database && amqp != "down" && mqtt != "down";
    let body = json!({
        "status": if ok { "ok" } else { "unavailable" },
        "database": store.backend().to_string(),
        "amqp": amqp,
        "mqtt": mqtt,
    });
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn index(links: web::Data<Links>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "asyncapi": "asyncapi/messaging.yaml",
        "amqp": {
            "state": state(links.amqp_relay.as_ref()),
            "exchange": {"name": amqp::EXCHANGE, "type": "topic", "routing_keys": ["dummy.created", "dummy.updated", "dummy.deleted"]},
            "requests": {"queue": amqp::RPC_QUEUE, "body": "a JSON-RPC 2.0 request", "reply": "to the request's reply-to, with its correlation-id"},
            "dead_letters": {"exchange": amqp::DEAD_LETTERS, "queue": amqp::DEAD_LETTERS},
        },
        "mqtt": {
            "state": state(links.mqtt_relay.as_ref()),
            "topics": {
                "dummies/{id}/{kind}": "each change, QoS 1",
                "dummies/{id}": "the Dummy now, retained; cleared on delete",
                (mqtt::PRESENCE): "online or offline, retained (the last will)",
            },
            "websocket": "/mqtt (through the gateway)",
        },
    }))
}

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(MESSAGING_PAGE)
}
