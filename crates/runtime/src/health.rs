//! `GET /healthz`: is this service able to do its job?
//!
//! ```text
//! 200 {"status":"ok","database":"sqlite"}
//! 503 {"status":"unavailable","database":"postgres"}
//! ```
//!
//! Container health checks and the gateway read only the status code. Every HTTP
//! service mounts the same [`resource`].

use actix_web::dev::HttpServiceFactory;
use actix_web::{HttpResponse, web};
use model::Store;
use serde_json::json;

/// Pings the database and answers 200 or 503.
pub async fn healthz(store: web::Data<Store>) -> HttpResponse {
    let database = store.backend().to_string();
    match store.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ok", "database": database })),
        Err(error) => {
            tracing::warn!(%error, "health check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "database": database }))
        }
    }
}

/// `GET /healthz` as a resource to mount on any app; other methods get 405.
pub fn resource(store: Store) -> impl HttpServiceFactory {
    web::resource("/healthz")
        .app_data(web::Data::new(store))
        .get(healthz)
        .route(web::head().to(healthz))
}
