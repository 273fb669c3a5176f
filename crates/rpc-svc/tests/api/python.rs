//! Interoperability with clients this project did not write: Python's standard
//! `xmlrpc.client` and `urllib`, driven by `tests/python/rpc_interop.py`.

use crate::helpers::TestApp;

#[tokio::test]
async fn python_standard_library_clients_work_unchanged() {
    if !test_support::python_has(
        "xmlrpc.client, urllib.request",
        "Python's xmlrpc.client interop test",
    ) {
        return;
    }
    let app = TestApp::sqlite().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/rpc_interop.py");
    test_support::run_python(script, &[app.url("")], "all interoperability checks passed").await;
}
