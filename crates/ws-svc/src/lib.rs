//! # ws-svc: WebSocket (RFC 6455)
//!
//! A WebSocket starts as an ordinary HTTP/1.1 `GET` with `Upgrade: websocket`; the
//! server answers `101 Switching Protocols`, and from then on the same TCP connection
//! carries *frames* in both directions, whenever either side likes: no more requests
//! and responses. See [RFC 6455](https://www.rfc-editor.org/rfc/rfc6455).
//!
//! ## On the wire
//!
//! The handshake is shown in [`routes`]. Then, frames:
//!
//! ```text
//! 81 93 <4-byte mask> <19 masked bytes>        client -> server: FIN + text, masked, {"message":"hello"}
//! 81 13 7b 22 6d 65 73 73 61 67 65 22 …        server -> client: FIN + text, not masked
//! 89 00  /  8a 00                              ping / pong (the server pings every 5 s)
//! 88 02 03 e9                                  close, code 1001 (Going Away)
//! ```
//!
//! Clients mask what they send (so proxies cannot be tricked into caching it); servers
//! do not. Our messages are JSON text: see [`messages`].
//!
//! ## Endpoints
//!
//! - [`index`]: `/api/ws/`, the list below, as JSON (HTML when a browser asks).
//! - [`echo`]: `/api/ws/echo/`, every message back to its sender (optionally delayed).
//! - [`chat`]: `/api/ws/chat/{room}/` (and `/api/ws/async_chat/{room}/`), every message
//!   to everyone in the room, shared between replicas through PostgreSQL.
//! - [`feed`]: `/api/ws/dummies/`, every Dummy change made through any protocol.
//! - [`raw`]: `/api/ws/raw/`, the playground: any frame back as it came, text or binary,
//!   and a close with the code and reason asked for, or pings, on request.
//!
//! Each path also answers without its trailing slash (`/api/ws/echo`,
//! `/api/ws/chat/lobby`), as the original's clients write them; see [`routes`].
//!
//! Errors: a frame that is not the expected JSON gets `{"error": "…"}` and the
//! connection stays open; problems with the connection itself close it with a code
//! from [`close`]. The project-wide table is in `shared/STYLE.md`, section 4.
//!
//! ## Where to read
//!
//! [`routes`] (handshake and pages) and [`state`] (what every session reaches),
//! [`connection`] (heartbeat, limits, close codes),
//! then each endpoint; [`chat::hub`] for how rooms fan out without shared locks.
//!
//! ## Left out on purpose
//!
//! No authentication, no TLS (`wss://` belongs to a proxy in front), no compression
//! (permessage-deflate), no sub-protocols.
//!
//! ## Try it
//!
//! ```text
//! cargo run -p protocols -- serve
//! curl -s localhost:8080/api/ws/                   which endpoints there are
//! websocat ws://localhost:8080/api/ws/echo/        then type {"message": "hi"}
//! open http://localhost:8080/api/ws/chat/ in two browser tabs
//! cargo run -p ws-svc --example chat_client -- lobby
//! ```

#![warn(missing_docs)]

pub mod chat;
pub mod close;
pub mod config;
pub mod connection;
pub mod echo;
pub mod feed;
pub mod index;
pub mod messages;
pub mod origin;
pub mod raw;
pub mod routes;
pub mod startup;
pub mod state;

pub use config::Args;
