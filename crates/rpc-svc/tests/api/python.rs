//! Interoperability with clients this project did not write: Python's standard
//! `xmlrpc.client` and `urllib`, driven by `tests/python/rpc_interop.py`.

use crate::helpers::TestApp;

#[tokio::test]
async fn python_standard_library_clients_work_unchanged() {
    if !test_support::tool_available(
        "python3",
        "--version",
        "Python's xmlrpc.client interop test",
    ) {
        return;
    }
    let app = TestApp::sqlite().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/rpc_interop.py");
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .arg(app.url(""))
        .output()
        .await
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "python interop failed\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("all interoperability checks passed"),
        "{stdout}"
    );
}
