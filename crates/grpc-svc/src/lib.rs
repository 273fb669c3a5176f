//! # grpc-svc: gRPC over HTTP/2, and gRPC-Web for browsers
//!
//! gRPC is RPC with Protocol Buffers as the interface language and binary encoding.
//! The `.proto` files in `proto/` are the contract: the `grpc-pb` crate turns them into
//! Rust types and a service trait, and any language's generator makes a client that speaks
//! to this server. Four kinds of call exist (unary, server streaming, client streaming,
//! bidirectional); all of them are one HTTP/2 stream. See gRPC's
//! [PROTOCOL-HTTP2.md](https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md)
//! and [PROTOCOL-WEB.md](https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md).
//!
//! ## On the wire
//!
//! ```text
//! HEADERS   :method POST  :path /dummy.v1.DummyService/GetDummy  :scheme http
//!           content-type: application/grpc   te: trailers   grpc-timeout: 1S (optional deadline)
//! DATA      00 | 00 00 00 02 | 08 07             <- not compressed | length 2 | field 1 varint = 7 (id)
//!
//! HEADERS   :status 200  content-type: application/grpc
//! DATA      00 | 00 00 00 2e | 08 07 12 …        <- one length-prefixed pb::dummy::Dummy
//! HEADERS   grpc-status: 0                       <- trailers: the call's outcome
//! ```
//!
//! A failure is a status in the trailers: `grpc-status: 5`, `grpc-message: Dummy 7 not
//! found`; validation failures add `grpc-status-details-bin` (a `google.rpc.Status` with
//! a `BadRequest`). See [`status`] for the mapping, and the project-wide table in
//! `shared/STYLE.md`, section 4.
//!
//! **gRPC-Web** (browsers cannot read HTTP/2 trailers) carries the same frames over
//! HTTP/1.1 with `content-type: application/grpc-web+proto` (or `-web-text`, base64), and
//! sends the trailers as a last frame in the body, flagged `0x80`:
//!
//! ```text
//! 80 | 00 00 00 0f | "grpc-status:0\r\n"
//! ```
//! It supports unary and server-streaming calls only.
//!
//! ## Where to read
//!
//! 1. `proto/` (the contract), then `grpc-pb` (what it generates; `pb` here).
//! 2. [`service`]: greeter, echo (the four kinds), dummy (CRUD and watch), playground
//!    (metadata reflected, failures with details, streams, deadlines, gzip).
//! 3. [`convert`] and [`status`]: protobuf to model, model errors to statuses.
//! 4. [`startup`]: reflection, health, gRPC-Web, CORS, TLS, shutdown.
//!
//! ## Left out on purpose
//!
//! No authentication, no compression, no load balancing or retries policy; TLS is
//! optional and off by default so that Wireshark can show the frames.
//!
//! ## Try it
//!
//! ```text
//! cargo run -p protocols -- serve
//! grpcurl -plaintext localhost:50051 list
//! grpcurl -plaintext -d '{"name":"Lukasz"}' localhost:50051 app.Greeter/SayHello
//! grpcurl -plaintext -d '{"id": 1}' localhost:50051 dummy.v1.DummyService/GetDummy
//! cargo run -p grpc-svc --example echo_client
//! ```

#![warn(missing_docs)]

pub mod config;
pub mod convert;
pub mod limits;
pub mod request_log;
pub mod service;
pub mod startup;
pub mod status;

/// The generated types, always written with their package path (`pb::dummy::Dummy`).
use grpc_pb as pb;

pub use config::Args;
