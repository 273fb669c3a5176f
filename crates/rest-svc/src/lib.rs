//! # rest-svc: REST over HTTP/1.1 with JSON
//!
//! REST models an API as *resources* addressed by URLs and manipulated with HTTP's
//! own verbs: `GET` reads, `POST` creates, `PUT` replaces, `PATCH` changes some
//! fields, `DELETE` removes. The status code says what happened, the body carries
//! the representation (JSON here). See RFC 9110 (HTTP semantics) for the verbs and
//! codes, and RFC 8259 for JSON.
//!
//! The API is compatible with the original Django REST framework project: same
//! paths, same bodies, same error shapes.
//!
//! ## On the wire
//!
//! ```text
//! POST /api/rest/dummie HTTP/1.1
//! Host: localhost:8001
//! Content-Type: application/json
//! Content-Length: 63
//!
//! {"day":2,"weekday":"Tuesday","month":"February","year":"1985"}
//! ```
//!
//! ```text
//! HTTP/1.1 201 Created
//! content-length: 170
//! content-type: application/json
//! location: /api/rest/dummie/11
//!
//! {"id":11,"day":2,"weekday":"Tuesday","month":"February","year":1985,"pre_seeded":false,"created_at":"2026-11-29T10:11:52.123456Z","updated_at":"2026-11-29T10:11:52.123456Z"}
//! ```
//!
//! A read of a missing record, and a write that breaks a rule:
//!
//! ```text
//! GET /api/rest/dummie/999 HTTP/1.1          ->  404 {"detail":"Not found."}
//! PATCH /api/rest/dummie/11  {"day":32}       ->  400 {"day":["Ensure this value is less than or equal to 31."]}
//! ```
//!
//! ## Where to read
//!
//! 1. [`routes`]: the URL map.
//! 2. [`routes::dummies`]: the handlers, listing and streaming.
//! 3. [`body`]: JSON, urlencoded and multipart bodies.
//! 4. [`error`]: which error becomes which status (the project-wide table is in
//!    `shared/STYLE.md`, section 4).
//! 5. Beside the CRUD, the same changes pushed: [`routes::sse`] (Server-Sent Events),
//!    [`routes::atom`] (an Atom feed), and [`webhooks`] with [`routes::webhooks`]
//!    (signed POSTs to the URLs clients subscribe).
//! 6. [`playground`]: httpbin-style endpoints under `/api/http/` that reflect a request
//!    or answer with the status, delay, redirect, encoding or range it asks for.
//!
//! ## Left out on purpose
//!
//! No authentication, no compression on the CRUD routes (the playground's `/gzip` and
//! others show it), no ETags or conditional requests on the CRUD routes (the Atom feed
//! has both). TLS and HTTP/2 only on the optional TLS port (`REST_TLS_CERT`), where
//! ALPN picks the version; the plain port speaks HTTP/1.1.
//!
//! ## Try it
//!
//! ```text
//! cargo run -p protocols -- serve
//! curl -s localhost:8001/api/rest/dummies
//! curl -s -X POST localhost:8001/api/rest/dummie -H 'Content-Type: application/json' \
//!      -d '{"day":2,"weekday":"Tuesday","month":"February","year":"1985"}'
//! ```

#![warn(missing_docs)]

pub mod body;
pub mod config;
pub mod dto;
pub mod error;
pub mod playground;
pub mod routes;
pub mod startup;
pub mod webhooks;

pub use config::Args;
