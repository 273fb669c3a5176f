//! # The HTTP playground: endpoints to poke, after httpbin
//!
//! Under `/api/http/`, a request is answered with what the server saw of it, or with
//! the status, delay, redirect, cookie, encoding or byte range it asked for. It is the
//! quickest way to see what a client really sends (curl, a browser's `fetch`, Python's
//! `urllib`) and how it handles what comes back.
//!
//! ```text
//! GET /api/http/anything/x?a=1&a=2 HTTP/1.1
//! Host: localhost:8001
//! User-Agent: curl/8.5.0
//!
//! HTTP/1.1 200 OK
//! content-type: application/json
//! x-http-version: HTTP/1.1                 every playground answer names its HTTP version
//!
//! {"method":"GET","url":"http://localhost:8001/api/http/anything/x?a=1&a=2",
//!  "http_version":"HTTP/1.1","args":{"a":["1","2"]},"headers":{"host":"localhost:8001",
//!  "user-agent":"curl/8.5.0"},"origin":"127.0.0.1","data":"","form":{},"files":{},"json":null}
//! ```
//!
//! Header names are shown lowercase, as the server holds them: HTTP/1.1 names are
//! case-insensitive, and HTTP/2 sends them lowercase on the wire. `origin` is the
//! address in `Forwarded` or `X-Forwarded-For` when a proxy (the gateway) set one,
//! else the peer's; `peer` is always the socket's.
//!
//! Why in rest-svc: each protocol's playground lives in the service that speaks it
//! (gRPC's in grpc-svc, WebSocket's in ws-svc), so it shares that service's port,
//! gateway location, request log and limits, and `protocols serve` and Compose carry
//! it without a service of its own.
//!
//! | Method | Path | Answer |
//! |---|---|---|
//! | GET | `/api/http` | this table, as JSON |
//! | GET | `/api/http/openapi.json` | the playground in OpenAPI 3.0 ([`openapi`]) |
//! | any of eight | `/anything`, `/anything/{any}` | the reflection: method, URL, args, headers, origin, body as `data`, `form`, `files`, `json` |
//! | GET, POST, PUT, PATCH, DELETE | `/get`, `/post`, `/put`, `/patch`, `/delete` | the same, for that method only |
//! | GET | `/headers`, `/ip`, `/user-agent` | one part of it |
//! | any | `/status/{codes}` | that status; `200,500:3` picks one, weighted |
//! | any | `/delay/{seconds}` | the reflection, after that long |
//! | GET | `/redirect/{n}` | `302` to `/redirect/{n-1}` …, then `/get`; `?absolute=true` for absolute URLs |
//! | any | `/redirect-to?url=&status_code=` | a redirect to a path of this server |
//! | GET | `/cookies`, `/cookies/set?k=v`, `/cookies/delete?k` | the cookies sent; set or expire some, then `302` to `/cookies` |
//! | GET | `/basic-auth/{user}/{pass}`, `/bearer` | `200`, or `401` with `WWW-Authenticate` |
//! | GET | `/gzip`, `/deflate`, `/brotli` | the reflection in that encoding, if `Accept-Encoding` allows it, else `406` |
//! | GET | `/stream/{n}` | n JSON lines, each its own chunk |
//! | GET | `/drip?duration=&numbytes=&delay=&code=` | bytes dribbled over a time |
//! | GET | `/range/{n}` | n bytes, honouring `Range` (`206`, `416`) |
//! | GET | `/cache`, `/cache/{seconds}`, `/etag/{tag}` | conditional requests: `304`, `412`, `Cache-Control` |
//! | any | `/response-headers?k=v` | an answer carrying those headers |
//!
//! "any" is any of the eight methods OpenAPI can name (GET, HEAD, POST, PUT, PATCH,
//! DELETE, OPTIONS, TRACE); another method name gets 405, so the document and the
//! routes agree.
//!
//! Bounds ([`limits`]): every size, count and delay has one. A value past it is a `400`
//! naming the bound, never silently cut. No endpoint makes the server connect anywhere,
//! and a redirect only ever points at this server's own paths.

pub mod auth;
pub mod bytes;
pub mod limits;
pub mod openapi;
pub mod reflect;
pub mod respond;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{FromRequest, Handler, HttpResponse, Responder, web};
use serde_json::json;

use crate::routes::{AppState, not_allowed, not_found};

/// Mounts `/api/http/…`.
pub fn mount(cfg: &mut web::ServiceConfig, data: web::Data<AppState>) {
    cfg.service(
        web::scope("/api/http")
            .app_data(data)
            .wrap(from_fn(http_version))
            .service(get("", index))
            .service(get("/", index))
            .service(get("/openapi.json", openapi::document))
            .service(any("/anything", reflect::anything))
            .service(any("/anything/{any:.*}", reflect::anything))
            .service(get("/get", reflect::anything))
            .service(only("/post", Method::POST, "POST", reflect::anything))
            .service(only("/put", Method::PUT, "PUT", reflect::anything))
            .service(only("/patch", Method::PATCH, "PATCH", reflect::anything))
            .service(only("/delete", Method::DELETE, "DELETE", reflect::anything))
            .service(get("/headers", reflect::headers))
            .service(get("/ip", reflect::ip))
            .service(get("/user-agent", reflect::user_agent))
            .service(any("/status/{codes}", respond::status))
            .service(any("/delay/{seconds}", respond::delay))
            .service(get("/redirect/{n}", respond::redirect))
            .service(any("/redirect-to", respond::redirect_to))
            .service(any("/response-headers", respond::response_headers))
            .service(get("/cache", respond::cache))
            .service(get("/cache/{seconds}", respond::cache_for))
            .service(get("/etag/{tag}", respond::etag))
            .service(get("/cookies", auth::cookies))
            .service(get("/cookies/set", auth::set_cookies))
            .service(get("/cookies/delete", auth::delete_cookies))
            .service(get("/basic-auth/{user}/{password}", auth::basic))
            .service(get("/bearer", auth::bearer))
            .service(get("/gzip", bytes::gzip))
            .service(get("/deflate", bytes::deflate))
            .service(get("/brotli", bytes::brotli))
            .service(get("/stream/{n}", bytes::stream))
            .service(get("/drip", bytes::drip))
            .service(get("/range/{n}", bytes::range))
            .default_service(web::to(not_found)),
    );
}

/// A resource answering GET (and HEAD, the same without the body), else 405.
fn get<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(not_allowed("GET, HEAD")))
}

/// The methods an "any method" route takes: the eight OpenAPI 3.0 can name, so the
/// document ([`openapi`]) and the routes agree. Others (`QUERY`, `PROPFIND`) get 405.
const ANY_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE";

/// A resource answering each of [`ANY_METHODS`] with `handler`, else 405.
fn any<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let mut resource = web::resource(path);
    for method in [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
    ] {
        resource = resource.route(web::method(method).to(handler.clone()));
    }
    resource.default_service(web::to(not_allowed(ANY_METHODS)))
}

/// A resource answering one method only, else 405.
fn only<F, Args>(path: &str, method: Method, allow: &'static str, handler: F) -> actix_web::Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::method(method).to(handler))
        .default_service(web::to(not_allowed(allow)))
}

/// Adds `x-http-version` to every playground answer: the version of the exchange that
/// carried it (`HTTP/1.1`, or `HTTP/2.0` on the TLS port).
async fn http_version(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let version = reflect::version_name(req.version());
    let mut response = next.call(req).await?;
    response.headers_mut().insert(
        HeaderName::from_static("x-http-version"),
        HeaderValue::from_static(version),
    );
    Ok(response)
}

/// `GET /api/http`: what can be poked here.
async fn index() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "endpoints": {
            "/api/http/anything": "any of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE: the request as the server saw it",
            "/api/http/get": "GET only (also /post, /put, /patch, /delete)",
            "/api/http/headers": "the request's headers",
            "/api/http/ip": "the caller's address",
            "/api/http/user-agent": "the User-Agent header",
            "/api/http/status/418": "that status; /status/200,500:3 picks one, weighted",
            "/api/http/delay/1.5": format!("the reflection after 1.5 s (at most {} s)", limits::MAX_DELAY_SECS),
            "/api/http/redirect/3": format!("3 redirects, then /get (at most {})", limits::MAX_REDIRECTS),
            "/api/http/redirect-to?url=/api/http/get&status_code=307": "one redirect to a path of this server",
            "/api/http/cookies": "the cookies sent",
            "/api/http/cookies/set?flavour=oat": "sets cookies, then 302 to /cookies",
            "/api/http/cookies/delete?flavour": "expires cookies, then 302 to /cookies",
            "/api/http/basic-auth/user/pass": "200 with those Basic credentials, else 401",
            "/api/http/bearer": "200 with any Bearer token, else 401",
            "/api/http/gzip": "gzip-encoded, if Accept-Encoding allows it (also /deflate, /brotli)",
            "/api/http/stream/5": format!("5 JSON lines, one chunk each (at most {})", limits::MAX_STREAM_LINES),
            "/api/http/drip?duration=2&numbytes=10": format!("10 bytes over 2 s (at most {} bytes, {} s)", limits::MAX_DRIP_BYTES, limits::MAX_DELAY_SECS),
            "/api/http/range/1024": format!("1,024 bytes honouring Range (at most {})", limits::MAX_RANGE_BYTES),
            "/api/http/cache": "304 to a conditional GET, else 200 with ETag and Last-Modified",
            "/api/http/cache/60": "Cache-Control: public, max-age=60",
            "/api/http/etag/abc": "304 to If-None-Match: \"abc\", 412 to an If-Match without it",
            "/api/http/response-headers?X-Hello=world": "an answer carrying those headers",
        }
    }))
}
