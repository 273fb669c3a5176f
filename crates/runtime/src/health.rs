//! `GET /healthz`: is this service able to do its job?
//!
//! ```text
//! 200 {"status":"ok","database":"sqlite"}
//! 503 {"status":"unavailable","database":"postgres"}
//! ```
//!
//! Container health checks and the gateway read only the status code. Every HTTP
//! service mounts the same [`resource`]. A failing check is logged once per outage (a
//! health checker asks every few seconds), and the recovery once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::dev::HttpServiceFactory;
use actix_web::{HttpResponse, web};
use model::Store;
use serde_json::json;

/// Whether the last check this worker answered failed.
#[derive(Clone, Default)]
struct Failing(Arc<AtomicBool>);

/// Pings the database and answers 200 or 503.
async fn healthz(store: web::Data<Store>, failing: web::Data<Failing>) -> HttpResponse {
    let database = store.backend().to_string();
    match store.ping().await {
        Ok(()) => {
            if failing.0.swap(false, Ordering::SeqCst) {
                tracing::info!("health check passes again");
            }
            HttpResponse::Ok().json(json!({ "status": "ok", "database": database }))
        }
        Err(error) => {
            if failing.0.swap(true, Ordering::SeqCst) {
                tracing::debug!(%error, "health check failed");
            } else {
                tracing::warn!(%error, "health check failed; logged again when it passes");
            }
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "database": database }))
        }
    }
}

/// `GET /healthz` as a resource to mount on any app; other methods get 405.
pub fn resource(store: Store) -> impl HttpServiceFactory {
    web::resource("/healthz")
        .app_data(web::Data::new(store))
        .app_data(web::Data::new(Failing::default()))
        .get(healthz)
        .route(web::head().to(healthz))
}
