//! Interoperability with a client this project did not write: Python's `gql`, driven
//! by `tests/python/gql_interop.py`: a query, a mutation, and a subscription over
//! each WebSocket sub-protocol.

use test_support::Backend;

use crate::helpers::TestApp;

async fn the_gql_client_queries_mutates_and_subscribes() {
    test_support::require_python("gql, requests, websockets", "the gql interop test");
    let app = TestApp::spawn(Backend::Sqlite).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/gql_interop.py");
    test_support::run_python(script, &[app.url("")], "all interoperability checks passed").await;
}

test_support::tests! {
    tokio: the_gql_client_queries_mutates_and_subscribes;
}
