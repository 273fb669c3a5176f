//! # graphql-svc: GraphQL over HTTP and WebSocket
//!
//! GraphQL puts the shape of the answer in the client's hands. There is one
//! endpoint, and each request carries a *document* in GraphQL's own language naming
//! exactly the fields it wants; the server answers a JSON object of the same shape.
//! Reads are *queries*, writes are *mutations*, live views are *subscriptions*
//! (over a WebSocket); the schema (`graphql/schema.graphql`)
//! types every field and argument, and the server checks each document against it
//! before running any of it. See the GraphQL spec (<https://spec.graphql.org/>) and
//! the GraphQL-over-HTTP spec for the transport.
//!
//! ## On the wire
//!
//! ```text
//! POST /api/graphql HTTP/1.1
//! Host: localhost:8004
//! Content-Type: application/json
//! Accept: application/graphql-response+json
//!
//! {"query":"mutation { createDummy(input: {day: 2, weekday: TUESDAY, month: FEBRUARY, year: 1985}) { id day createdAt } }"}
//! ```
//!
//! ```text
//! HTTP/1.1 200 OK
//! content-type: application/graphql-response+json
//!
//! {"data":{"createDummy":{"id":"11","day":2,"createdAt":"2026-12-03T10:11:52.123456Z"}}}
//! ```
//!
//! Only the three fields asked for travel back. A write that breaks a rule still gets
//! `200`: the error is in the body, beside a `data` whose failed field is `null`.
//!
//! ```text
//! {"data":null,"errors":[{"message":"day: Ensure this value is less than or equal to 31.",
//!   "locations":[{"line":1,"column":12}],"path":["createDummy"],
//!   "extensions":{"code":"INVALID","field":"day","messages":["Ensure this value is less than or equal to 31."]}}]}
//! ```
//!
//! ## Where to read
//!
//! 1. [`schema`]: the types, queries and mutations.
//! 2. [`http`]: GraphQL over HTTP: POST and GET, media types and status codes.
//! 3. [`error`]: which model error becomes which `extensions.code`.
//! 4. [`limits`]: what one request may cost (depth, complexity, aliases, size, batch, time).
//! 5. [`ws`]: subscriptions over WebSocket (`graphql-transport-ws`, and the legacy `graphql-ws`).
//!
//! ## Left out on purpose
//!
//! No authentication, no persisted queries, no file uploads, no federation.
//!
//! ## Try it
//!
//! ```text
//! cargo run -p graphql-svc
//! curl -s localhost:8004/api/graphql -H 'Content-Type: application/json' -d '{"query":"{ dummiesCount }"}'
//! curl -s 'localhost:8004/api/graphql?query=%7BdummiesCount%7D'
//! ```

#![warn(missing_docs)]

pub mod config;
pub mod error;
pub mod http;
pub mod limits;
pub mod routes;
pub mod schema;
pub mod startup;
pub mod ws;

pub use config::Args;
