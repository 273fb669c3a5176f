//! A webhook receiver: it listens on 127.0.0.1, subscribes itself on rest-svc, then
//! prints each delivery and whether its signature verifies with the secret it was
//! given. Ctrl-C stops it; the subscription stays until you delete it.
//!
//! ```text
//! cargo run -p protocols -- serve                              # in one terminal
//! cargo run -p rest-svc --example webhook_receiver             # in another
//! curl -s localhost:8001/api/rest/dummie -H 'Content-Type: application/json' \
//!      -d '{"day":2,"weekday":"Tuesday","month":"February","year":1985}'
//! ```
//!
//! ```text
//! subscribed: webhook 1, secret whsec_…, deliveries to http://127.0.0.1:40671/hook
//! msg_5e1f…  dummy.created  seq 43  verified (v1,K5oZ…)  {"id":11,"day":2,…}
//! ```

use std::sync::{Arc, OnceLock};

use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use rest_svc::webhooks::signature;
use serde_json::Value;

fn header<'a>(req: &'a HttpRequest, name: &str) -> &'a str {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn receive(req: HttpRequest, body: Bytes, secret: Arc<OnceLock<String>>) -> HttpResponse {
    let Some(secret) = secret.get() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let id = header(&req, "webhook-id");
    let checked = signature::verify(
        secret,
        id,
        header(&req, "webhook-timestamp"),
        &body,
        header(&req, "webhook-signature"),
        chrono::Utc::now().timestamp(),
    );
    let payload: Value = serde_json::from_slice(&body).unwrap_or_default();
    let verdict = match &checked {
        Ok(signature) => format!("verified ({signature})"),
        Err(reason) => format!("NOT verified: {reason}"),
    };
    println!(
        "{id}  {}  seq {}  {verdict}  {}",
        payload["type"].as_str().unwrap_or("?"),
        payload["data"]["seq"],
        payload["data"]["dummy"]
    );
    // Any 2xx says "delivered"; anything else makes the sender try again later.
    match checked {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(_) => HttpResponse::BadRequest().finish(),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8001".to_owned());
    let secret = Arc::new(OnceLock::new());
    let shared = secret.clone();
    let server = HttpServer::new(move || {
        let secret = shared.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: Bytes| {
            receive(req, body, secret.clone())
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")?;
    let hook = format!("http://{}/hook", server.addrs()[0]);
    let running = server.run();
    let subscription = clients::webhooks::subscribe(&reqwest::Client::new(), &base, &hook, &[])
        .await
        .map_err(std::io::Error::other)?;
    println!(
        "subscribed: webhook {}, secret {}, deliveries to {hook}",
        subscription.id, subscription.secret
    );
    let _ = secret.set(subscription.secret);
    running.await
}
