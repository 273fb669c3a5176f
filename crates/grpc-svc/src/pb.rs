//! The Rust types and services generated from `proto/` by `build.rs`.
//!
//! Always written with their package path (`pb::dummy::Dummy`, not `Dummy`), so that
//! the wire type is never confused with `model::Dummy`.

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

/// Every file above, encoded, for server reflection (`grpcurl list`, `describe`).
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("protocols_descriptor");
