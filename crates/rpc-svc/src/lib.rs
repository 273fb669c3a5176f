//! # rpc-svc: JSON-RPC 2.0 and XML-RPC over HTTP
//!
//! In the RPC style the addressable things are *procedures*, not resources: the client
//! names a procedure and passes arguments, and calling it reads like calling a local
//! function. Everything travels as an HTTP `POST` to one URL per encoding; the body
//! says which procedure to run.
//!
//! - JSON-RPC 2.0 (<https://www.jsonrpc.org/specification>): a JSON object with
//!   `jsonrpc`, `method`, `params` and `id`; batches are arrays; a request without an
//!   `id` is a notification and gets no reply.
//! - XML-RPC (<http://xmlrpc.com/spec.md>): a `<methodCall>` document with typed
//!   values, answered by a `<methodResponse>` holding one value or a `<fault>`.
//!
//! ## The same call in both encodings
//!
//! ```text
//! POST /api/rpc/json HTTP/1.1
//! Content-Type: application/json
//!
//! {"jsonrpc":"2.0","method":"dummies.get","params":[2],"id":1}
//!
//! HTTP/1.1 200 OK
//! content-type: application/json
//!
//! {"jsonrpc":"2.0","result":{"created_at":"2026-11-29T10:11:52.123456Z","day":1,"id":2,"month":"January",
//!  "pre_seeded":true,"updated_at":"2026-11-29T10:11:52.123456Z","weekday":"Monday","year":1984},"id":1}
//! ```
//!
//! ```text
//! POST /api/rpc/xml HTTP/1.1
//! Content-Type: text/xml
//!
//! <?xml version="1.0"?>
//! <methodCall><methodName>dummies.get</methodName>
//!   <params><param><value><int>2</int></value></param></params></methodCall>
//!
//! HTTP/1.1 200 OK
//! content-type: text/xml; charset=utf-8
//!
//! <?xml version="1.0"?>
//! <methodResponse><params><param><value><struct>
//!   <member><name>created_at</name><value><dateTime.iso8601>20261129T10:11:52</dateTime.iso8601></value></member>
//!   <member><name>day</name><value><i4>1</i4></value></member> …
//! </struct></value></param></params></methodResponse>
//! ```
//!
//! A JSON-RPC notification (`{"jsonrpc":"2.0","method":"dummies.delete","params":[2]}`)
//! runs the procedure and gets `204 No Content`. A batch (`[{…,"id":1},{…,"id":2}]`)
//! gets an array of answers. Errors use one code table for both encodings: see
//! [`error`] (and the project-wide table in `shared/STYLE.md`, section 4).
//!
//! ## Where to read
//!
//! 1. [`methods`]: the procedures, defined once.
//! 2. [`jsonrpc`] and [`xmlrpc`]: each envelope, and nothing else.
//! 3. [`value`]: the value model between them; [`error`]: the code table.
//! 4. [`routes`] (the URL map), [`state`] (what handlers reach, body limits) and
//!    [`help`] (what `GET` on an endpoint answers).
//!
//! ## Left out on purpose
//!
//! No authentication, no TLS, no HTTP compression, no XML-RPC extensions beyond `nil`
//! and `i8`. XML-RPC `dateTime.iso8601` carries no zone and whole seconds; the values
//! sent are UTC.
//!
//! ## Try it
//!
//! ```text
//! cargo run -p protocols -- serve
//! curl -s localhost:8080/api/rpc/json -d '{"jsonrpc":"2.0","method":"upper","params":["hello"],"id":1}'
//! python3 -c "import xmlrpc.client as x; print(x.ServerProxy('http://localhost:8080/api/rpc/xml').add(2, 3))"
//! ```
//! Or open <http://localhost:8080/rpc> in a browser.

#![warn(missing_docs)]

pub mod config;
pub mod error;
pub mod help;
pub mod jsonrpc;
pub mod methods;
pub mod routes;
pub mod startup;
pub mod state;
pub mod value;
pub mod xmlrpc;

pub use config::Args;
