//! Black-box tests of graphql-svc: the real server on a free port, a real HTTP client,
//! a fresh database per test. Every test that touches the database runs on SQLite and
//! on PostgreSQL.

mod helpers;

mod bad_input;
mod browser;
mod crud;
mod limits;
mod python;
mod schema;
mod subscriptions;
mod transport;

fn main() {
    test_support::harness::main([
        bad_input::trials(),
        browser::trials(),
        crud::trials(),
        limits::trials(),
        python::trials(),
        schema::trials(),
        subscriptions::trials(),
        transport::trials(),
    ])
}
