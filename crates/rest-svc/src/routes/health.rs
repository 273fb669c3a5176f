//! `GET /healthz`: is this service able to do its job?
//!
//! ```text
//! 200 {"status":"ok","database":"sqlite"}
//! 503 {"status":"unavailable","database":"postgres"}
//! ```
//!
//! Container health checks and the gateway read only the status code.

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
