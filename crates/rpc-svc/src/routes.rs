//! The URL map of the RPC service: one endpoint per envelope, as in the original.
//!
//! | Method | Path | Answer |
//! |---|---|---|
//! | POST | `/api/rpc/json` | JSON-RPC 2.0 ([`crate::jsonrpc`]) |
//! | POST | `/api/rpc/xml` | XML-RPC ([`crate::xmlrpc`]) |
//! | GET | `/api/rpc/json`, `/api/rpc/xml` | a short plain-text guide instead of a bare 405 |
//! | GET | `/rpc` | the browser client page (`web/rpc.html`) |
//! | GET | `/healthz` | 200, or 503 while the database is down |

use actix_web::{HttpResponse, web};

use crate::state::RpcState;
use crate::{jsonrpc, xmlrpc};

/// The browser page that calls both endpoints and shows the bytes.
pub const RPC_PAGE: &str = include_str!("../../../web/rpc.html");

/// Mounts `/api/rpc/…` and `/rpc`. Used by `rpc-svc` alone and by `protocols serve`.
pub fn api(state: RpcState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.service(
            web::scope("/api/rpc")
                .app_data(web::Data::new(state))
                .service(
                    web::resource("/json")
                        .get(jsonrpc::help)
                        .post(jsonrpc::post),
                )
                .service(web::resource("/xml").get(xmlrpc::help).post(xmlrpc::post)),
        )
        .route("/rpc", web::get().to(page));
    }
}

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(RPC_PAGE)
}
