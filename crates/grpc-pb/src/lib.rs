//! # grpc-pb: the Rust side of `proto/`
//!
//! `build.rs` turns the contracts in `proto/` into Rust: prost writes a struct per
//! message and an enum per enum, tonic writes a client and a server trait per service.
//! grpc-svc implements the traits; the examples, tests, shootout and reliability suite
//! use the clients. This crate is small on purpose, so that a client links the
//! generated code and not the server.
//!
//! grpc-svc calls it `pb`, and writes each type with its package path
//! (`pb::dummy::Dummy`, not `Dummy`), so that the wire type is never confused with
//! `model::Dummy`.

#![allow(missing_docs, clippy::all, clippy::pedantic)]

/// `package app;`: the quickstart Greeter.
pub mod app {
    tonic::include_proto!("app");
}

/// `package echo.v1;`: one RPC of each kind.
pub mod echo {
    tonic::include_proto!("echo.v1");
}

/// `package dummy.v1;`: the Dummy service.
pub mod dummy {
    tonic::include_proto!("dummy.v1");
}

/// `package playground.v1;`: the gRPC playground.
pub mod playground {
    tonic::include_proto!("playground.v1");
}

/// Every file above, encoded, for server reflection (`grpcurl list`, `describe`).
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("protocols_descriptor");
