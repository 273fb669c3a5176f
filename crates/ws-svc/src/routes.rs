//! The URL map. Each path answers a WebSocket handshake, and a plain `GET` (no
//! `Upgrade` header) with the page that uses it, as the original did.
//!
//! | Path | WebSocket | Page |
//! |---|---|---|
//! | `/api/ws/` | – | [`crate::index`]: the endpoints, as JSON (or HTML for a browser) |
//! | `/api/ws/echo/` | [`crate::echo`] | echo page |
//! | `/api/ws/chat/` | – | room picker |
//! | `/api/ws/chat/{room}/`, `/api/ws/async_chat/{room}/` | [`crate::chat`] | the room |
//! | `/api/ws/dummies/` | [`crate::feed`] | live feed |
//! | `/api/ws/raw/` | [`crate::raw`] | raw echo page |
//!
//! The trailing slash is optional. A handshake on `/api/ws/echo` or
//! `/api/ws/chat/lobby` is taken as it is (WebSocket clients do not follow redirects),
//! and a plain `GET` of such a path is redirected (`301`) to the path with the slash,
//! where the page's relative links work.
//!
//! The handshake on the wire:
//!
//! ```text
//! GET /api/ws/chat/lobby/ HTTP/1.1
//! Host: localhost:8003
//! Upgrade: websocket
//! Connection: Upgrade
//! Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
//! Sec-WebSocket-Version: 13
//! Origin: http://localhost:8080
//!
//! HTTP/1.1 101 Switching Protocols
//! upgrade: websocket
//! connection: upgrade
//! sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=     base64(SHA-1(key + fixed GUID))
//! ```

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::connection::Connection;
use crate::state::WsState;
use crate::{chat, echo, feed, index, raw};

const ECHO_PAGE: &str = include_str!("../../../web/ws/echo.html");
const ROOMS_PAGE: &str = include_str!("../../../web/ws/rooms.html");
const ROOM_PAGE: &str = include_str!("../../../web/ws/room.html");
const FEED_PAGE: &str = include_str!("../../../web/ws/feed.html");
const RAW_PAGE: &str = include_str!("../../../web/ws/raw.html");

/// Mounts `/api/ws/…`. Used by `ws-svc` alone and by `protocols serve`.
pub fn api(state: WsState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.service(
            web::scope("/api/ws")
                .app_data(web::Data::new(state))
                // Each path with and without its trailing slash.
                .service(web::resource(["/", ""]).get(index::index))
                .service(web::resource(["/echo/", "/echo"]).get(echo_endpoint))
                .service(web::resource(["/chat/", "/chat"]).get(rooms_page))
                .service(
                    web::resource([
                        "/chat/{room}/",
                        "/chat/{room}",
                        "/async_chat/{room}/",
                        "/async_chat/{room}",
                    ])
                    .get(chat_endpoint),
                )
                .service(web::resource(["/dummies/", "/dummies"]).get(feed_endpoint))
                .service(web::resource(["/raw/", "/raw"]).get(raw_endpoint)),
        );
    }
}

fn wants_websocket(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The page at its canonical path, the one with the slash: a path without it is
/// redirected there, query string kept (`/api/ws/chat/lobby?server=…` to
/// `/api/ws/chat/lobby/?server=…`), so the page's relative links resolve as written.
fn page(req: &HttpRequest, html: &'static str) -> HttpResponse {
    let path = req.path();
    if !path.ends_with('/') {
        let location = match req.query_string() {
            "" => format!("{path}/"),
            query => format!("{path}/?{query}"),
        };
        return HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, location))
            .finish();
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html)
}

/// Checks the origin and completes the handshake; the session runs as its own task.
fn upgrade<F, Fut>(
    req: &HttpRequest,
    body: web::Payload,
    state: &WsState,
    session: F,
) -> HttpResponse
where
    F: FnOnce(Connection) -> Fut,
    Fut: std::future::Future<Output = ()> + 'static,
{
    if !state.origins.allows(req) {
        return HttpResponse::Forbidden().json(json!({"detail": "Origin not allowed"}));
    }
    match actix_ws::handle(req, body) {
        Ok((response, ws_session, stream)) => {
            let conn = Connection::new(
                ws_session,
                stream,
                state.limits.clone(),
                state.shutdown.clone(),
            );
            actix_web::rt::spawn(session(conn));
            response
        }
        // Not a valid handshake (wrong version, missing key, …): 400 with the reason.
        Err(error) => HttpResponse::BadRequest().json(json!({"detail": error.to_string()})),
    }
}

async fn echo_endpoint(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<WsState>,
) -> HttpResponse {
    if !wants_websocket(&req) {
        return page(&req, ECHO_PAGE);
    }
    upgrade(&req, body, &state, echo::run)
}

async fn rooms_page(req: HttpRequest) -> HttpResponse {
    page(&req, ROOMS_PAGE)
}

async fn chat_endpoint(
    req: HttpRequest,
    body: web::Payload,
    room: web::Path<String>,
    state: web::Data<WsState>,
) -> HttpResponse {
    let room = room.into_inner();
    if !chat::valid_room(&room) {
        return HttpResponse::NotFound().json(json!({"detail": "Not found."}));
    }
    if !wants_websocket(&req) {
        return page(&req, ROOM_PAGE);
    }
    // Join the room before the handshake is answered: a client whose socket is open is a
    // member, and hears every message sent after that, however soon. (Joined from the
    // session task instead, a message sent at once by another member could come first.)
    // A refused handshake drops the membership; the hub forgets it at its next delivery.
    let membership = state.hub.join(&room).await;
    let state_for_session = state.get_ref().clone();
    upgrade(&req, body, &state, move |conn| {
        chat::session::run(conn, room, membership, state_for_session)
    })
}

/// The feed's query string.
#[derive(serde::Deserialize)]
struct FeedQuery {
    after: Option<String>,
}

async fn feed_endpoint(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<WsState>,
) -> HttpResponse {
    if !wants_websocket(&req) {
        return page(&req, FEED_PAGE);
    }
    // `?after=SEQ`: resume after the change numbered SEQ. Refused before the handshake
    // when it is not a number, as REST refuses a bad query parameter.
    let after = web::Query::<FeedQuery>::from_query(req.query_string())
        .map_err(drop)
        .and_then(|query| match query.into_inner().after {
            Some(text) => model::journal::parse_position("after", &text)
                .map(Some)
                .map_err(drop),
            None => Ok(None),
        });
    let Ok(after) = after else {
        return HttpResponse::BadRequest().json(json!({"after": [model::dummy::NOT_INTEGER]}));
    };
    let state_for_session = state.get_ref().clone();
    upgrade(&req, body, &state, move |conn| {
        feed::run(conn, state_for_session, after)
    })
}

async fn raw_endpoint(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<WsState>,
) -> HttpResponse {
    if !wants_websocket(&req) {
        return page(&req, RAW_PAGE);
    }
    let options = match raw::Options::parse(req.query_string()) {
        Ok(options) => options,
        Err(problem) => return HttpResponse::BadRequest().json(json!({"detail": problem})),
    };
    upgrade(&req, body, &state, move |conn| raw::run(conn, options))
}
