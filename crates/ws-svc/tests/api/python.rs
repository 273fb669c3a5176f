//! Interoperability with a client this project did not write: Python's `websockets`.

use crate::helpers::TestApp;

async fn python_websockets_clients_echo_and_chat() {
    test_support::require_python("websockets", "WebSocket interop");
    let app = TestApp::sqlite().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/ws_interop.py");
    test_support::run_python(
        script,
        &[format!("ws://{}", app.addr)],
        "all WebSocket interoperability checks passed",
    )
    .await;
}

test_support::tests! {
    tokio: python_websockets_clients_echo_and_chat;
}
