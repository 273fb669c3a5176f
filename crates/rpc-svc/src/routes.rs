//! The URL map of the RPC service: one endpoint per envelope, as in the original.
//!
//! | Method | Path | Answer |
//! |---|---|---|
//! | POST | `/api/rpc/json` | JSON-RPC 2.0 ([`crate::jsonrpc`]) |
//! | POST | `/api/rpc/xml` | XML-RPC ([`crate::xmlrpc`]) |
//! | GET | `/api/rpc/json`, `/api/rpc/xml` | a short plain-text guide instead of a bare 405 |
//! | GET | `/rpc` | the browser client page (`web/rpc.html`) |
//! | GET | `/healthz` | 200, or 503 while the database is down |

use std::fmt::Write;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use jsonrpc_core::MetaIoHandler;
use model::Store;

use crate::jsonrpc::{self, Ctx};
use crate::methods::{Envelope, Method};
use crate::xmlrpc;

/// The browser page that calls both endpoints and shows the bytes.
pub const RPC_PAGE: &str = include_str!("../../../web/rpc.html");

/// What the RPC handlers can reach.
#[derive(Clone)]
pub struct RpcState {
    /// The shared database handle.
    pub store: Store,
    /// The JSON-RPC method table, built once.
    pub json_io: Arc<MetaIoHandler<Ctx>>,
    /// Largest request body, in bytes.
    pub body_limit: usize,
}

/// Why a request body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Over the limit: by its `Content-Length` (nothing read), or as it arrived.
    TooLarge,
    /// The connection broke, or the chunked framing was bad.
    Broken,
}

impl RpcState {
    /// Reads the whole body, refusing one whose `Content-Length` is over the limit
    /// before reading any of it, and one without that grows over the limit as it comes.
    ///
    /// # Errors
    /// See [`BodyError`].
    pub async fn read_body(
        &self,
        req: &HttpRequest,
        payload: web::Payload,
    ) -> Result<web::Bytes, BodyError> {
        if runtime::http::declared_length(req).is_some_and(|length| length > self.body_limit) {
            return Err(BodyError::TooLarge);
        }
        match payload.to_bytes_limited(self.body_limit).await {
            Ok(Ok(body)) => Ok(body),
            Ok(Err(_)) => Err(BodyError::Broken),
            Err(_) => Err(BodyError::TooLarge),
        }
    }

    /// State for a store, with the method table built.
    pub fn new(store: Store, body_limit: usize) -> RpcState {
        RpcState {
            store,
            json_io: Arc::new(jsonrpc::io_handler()),
            body_limit,
        }
    }
}

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

/// The plain-text guide served on `GET`.
pub fn help_text(envelope: Envelope) -> String {
    let mut text = String::new();
    let (name, path, example) = match envelope {
        Envelope::Json => (
            "JSON-RPC 2.0",
            "/api/rpc/json",
            r#"curl -s localhost:8080/api/rpc/json -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}'"#,
        ),
        Envelope::Xml => (
            "XML-RPC",
            "/api/rpc/xml",
            r#"curl -s localhost:8080/api/rpc/xml -H 'Content-Type: text/xml' -d '<methodCall><methodName>add</methodName><params><param><value><int>2</int></value></param><param><value><int>3</int></value></param></params></methodCall>'"#,
        ),
    };
    let _ = writeln!(
        text,
        "{name} endpoint. POST a request to {path}, for example:\n\n  {example}\n"
    );
    let _ = writeln!(text, "Procedures:");
    for method in Method::ALL.iter().filter(|m| m.offered_on(envelope)) {
        let params: Vec<String> = method
            .params()
            .iter()
            .map(|p| {
                if p.optional {
                    format!("[{}]", p.name)
                } else {
                    p.name.to_owned()
                }
            })
            .collect();
        let _ = writeln!(
            text,
            "  {}({}) -> {}\n      {}",
            method.name(),
            params.join(", "),
            method.returns(),
            method.help()
        );
    }
    let _ = writeln!(
        text,
        "\nErrors: -32700 parse error, -32600 invalid request, -32601 no such procedure, -32602 params do not fit, \
         -32603 internal; 1 not found, 2 invalid Dummy (per-field messages), 3 conflict, 4 database unavailable."
    );
    text
}
