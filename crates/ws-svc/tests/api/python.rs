//! Interoperability with a client this project did not write: Python's `websockets`.

use crate::helpers::TestApp;

#[tokio::test]
async fn python_websockets_clients_echo_and_chat() {
    if !test_support::tool_available("python3", "--version", "WebSocket interop") {
        return;
    }
    let has_package = std::process::Command::new("python3")
        .args(["-c", "import websockets"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_package {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "the websockets package is required under CI: pip install -r tests/python/requirements.txt"
        );
        eprintln!(
            "skipping: pip install -r tests/python/requirements.txt for the websockets interop test"
        );
        return;
    }
    let app = TestApp::sqlite().await;
    let output = tokio::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/ws_interop.py"
        ))
        .arg(format!("ws://{}", app.addr))
        .output()
        .await
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "python websockets interop failed\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("all WebSocket interoperability checks passed"),
        "{stdout}"
    );
}
