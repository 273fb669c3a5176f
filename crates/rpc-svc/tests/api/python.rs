//! Interoperability with clients this project did not write: Python's standard
//! `xmlrpc.client` and `urllib`, driven by `tests/python/rpc_interop.py`.

use crate::helpers::TestApp;

async fn python_standard_library_clients_work_unchanged() {
    test_support::require_python(
        "xmlrpc.client, urllib.request",
        "Python's xmlrpc.client interop test",
    );
    let app = TestApp::sqlite().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/rpc_interop.py");
    test_support::run_python(script, &[app.url("")], "all interoperability checks passed").await;
}

test_support::tests! {
    tokio: python_standard_library_clients_work_unchanged;
}
