//! Black-box tests of rest-svc: the real server on a free port, a real HTTP client,
//! a fresh database per test. Every test runs on SQLite and on PostgreSQL.

mod helpers;

mod atom;
mod bad_input;
mod browser;
mod conformance;
mod crud;
mod data_path;
mod health;
mod list;
mod openapi;
mod playground;
mod python;
mod sse;
mod tls;
mod webhooks;

fn main() {
    test_support::harness::main([
        atom::trials(),
        bad_input::trials(),
        browser::trials(),
        conformance::trials(),
        crud::trials(),
        data_path::trials(),
        health::trials(),
        list::trials(),
        openapi::trials(),
        playground::trials(),
        python::trials(),
        sse::trials(),
        tls::trials(),
        webhooks::trials(),
    ])
}
