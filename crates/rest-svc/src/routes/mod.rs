//! The URL map of the REST API. Paths are the original Django API's, kept exactly
//! (`/dummies` for the list, `/dummie/{id}` for one record, no trailing slash), plus the
//! plural aliases `/dummies/{id}` and `POST /dummies` that a REST client would expect.
//!
//! | Method | Path | Handler | Success |
//! |---|---|---|---|
//! | GET | `/api/rest/dummies` | [`dummies::list`] | 200, JSON array ordered by id |
//! | POST | `/api/rest/dummie`, `/api/rest/dummies` | [`dummies::create`] | 201 + `Location` |
//! | GET | `/api/rest/dummie/{id}`, `/api/rest/dummies/{id}` | [`dummies::read`] | 200 |
//! | PUT | same | [`dummies::replace`] | 200 |
//! | PATCH | same | [`dummies::patch`] | 200 |
//! | DELETE | same | [`dummies::delete`] | 204, empty body |
//! | GET | `/api/rest/openapi.json` | [`openapi::document`] | 200 |
//! | GET | `/api/sse/dummies` | [`sse::dummies`] | 200, `text/event-stream` that never ends |
//! | GET | `/api/feeds/dummies.atom` | [`atom::dummies`] | 200 Atom, or 304 to a conditional GET |
//! | GET | `/sse` | the page that watches it with `EventSource` (`web/sse.html`) | 200 |
//! | GET | `/http` | the HTTP playground's request builder (`web/http.html`) | 200 |
//! | … | `/api/webhooks/…` | [`webhooks`]: subscriptions, their delivery logs, the echo receiver | |
//! | … | `/api/http/…` | [`crate::playground`]: httpbin-style endpoints to poke | |
//! | GET | `/healthz` | `runtime::health` | 200, or 503 when the database is down |
//!
//! Any other path answers 404 `{"detail":"Not found."}`; a known path with another
//! method answers 405 with an `Allow` header.

pub mod atom;
pub mod dummies;
pub mod openapi;
pub mod sse;
pub mod webhooks;

use actix_web::{HttpRequest, HttpResponse, web};
use model::Store;

use crate::error::ApiError;

/// What every REST handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The shared database handle.
    pub store: Store,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Cancelled when the server stops: event streams end then.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// The webhook settings and sender, shared with the deliverer.
    pub webhooks: crate::webhooks::Webhooks,
}

/// The page at `/sse`.
pub const SSE_PAGE: &str = include_str!("../../../../web/sse.html");

async fn sse_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(SSE_PAGE)
}

/// The page at `/http`: the HTTP playground's request builder.
pub const HTTP_PAGE: &str = include_str!("../../../../web/http.html");

async fn http_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(HTTP_PAGE)
}

/// Mounts `/api/rest/…` on an app. Used by `rest-svc` alone and by `protocols serve`
/// next to the other services.
pub fn api(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let data = web::Data::new(state);
        crate::playground::mount(cfg, data.clone());
        cfg.service(
            web::scope("/api/sse")
                .app_data(data.clone())
                .service(
                    web::resource("/dummies")
                        .get(sse::dummies)
                        .default_service(web::to(not_allowed("GET"))),
                )
                .default_service(web::to(not_found)),
        )
        .route("/sse", web::get().to(sse_page))
        .route("/http", web::get().to(http_page))
        .service(
            web::scope("/api/feeds")
                .app_data(data.clone())
                .service(
                    web::resource("/dummies.atom")
                        .get(atom::dummies)
                        .route(web::head().to(atom::dummies))
                        .default_service(web::to(not_allowed("GET, HEAD"))),
                )
                .default_service(web::to(not_found)),
        )
        .service(
            web::scope("/api/webhooks")
                .app_data(data.clone())
                .service(
                    web::resource("")
                        .get(webhooks::list)
                        .post(webhooks::create)
                        .default_service(web::to(not_allowed("GET, POST"))),
                )
                .service(
                    web::resource("/echo")
                        .post(webhooks::echo)
                        .default_service(web::to(not_allowed("POST"))),
                )
                .service(
                    web::resource("/{id}")
                        .get(webhooks::read)
                        .delete(webhooks::delete)
                        .default_service(web::to(not_allowed("GET, DELETE"))),
                )
                .service(
                    web::resource("/{id}/rotate-secret")
                        .post(webhooks::rotate_secret)
                        .default_service(web::to(not_allowed("POST"))),
                )
                .service(
                    web::resource("/{id}/pause")
                        .post(webhooks::pause)
                        .default_service(web::to(not_allowed("POST"))),
                )
                .service(
                    web::resource("/{id}/resume")
                        .post(webhooks::resume)
                        .default_service(web::to(not_allowed("POST"))),
                )
                .service(
                    web::resource("/{id}/deliveries")
                        .get(webhooks::deliveries)
                        .default_service(web::to(not_allowed("GET"))),
                )
                .service(
                    web::resource("/{id}/deliveries/{delivery}/resend")
                        .post(webhooks::resend)
                        .default_service(web::to(not_allowed("POST"))),
                )
                .default_service(web::to(not_found)),
        )
        .service(
            web::scope("/api/rest")
                .app_data(data)
                .service(
                    web::resource("/dummies")
                        .get(dummies::list)
                        .route(web::head().to(dummies::list))
                        .post(dummies::create)
                        .default_service(web::to(not_allowed("GET, HEAD, POST"))),
                )
                .service(
                    web::resource("/dummie")
                        .post(dummies::create)
                        .default_service(web::to(not_allowed("POST"))),
                )
                .service(
                    web::resource(["/dummie/{id}", "/dummies/{id}"])
                        .get(dummies::read)
                        .route(web::head().to(dummies::read))
                        .put(dummies::replace)
                        .patch(dummies::patch)
                        .delete(dummies::delete)
                        .default_service(web::to(not_allowed("GET, HEAD, PUT, PATCH, DELETE"))),
                )
                .service(
                    web::resource("/openapi.json")
                        .get(openapi::document)
                        .default_service(web::to(not_allowed("GET"))),
                )
                .default_service(web::to(not_found)),
        );
    }
}

/// A number in a path (`/dummie/{id}`, `/api/webhooks/{id}`): digits only, else 404,
/// as for a path that names nothing.
pub(crate) fn path_number(raw: &str) -> Result<i64, ApiError> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::NotFound);
    }
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// 404 in the API's JSON form, for any path no route claims.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// A handler answering 405 with the methods the resource does accept.
pub(crate) fn not_allowed(
    allow: &'static str,
) -> impl Fn(HttpRequest) -> std::future::Ready<Result<HttpResponse, ApiError>> + Clone + 'static {
    move |req: HttpRequest| {
        std::future::ready(Err(ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            allow,
        }))
    }
}
