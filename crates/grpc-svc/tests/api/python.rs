//! Interoperability with an implementation this project did not write: Python's
//! grpcio (gRPC's C core), its code generator, reflection and health clients.

use crate::helpers::TestApp;

#[tokio::test]
async fn python_grpcio_clients_work_unchanged() {
    if !test_support::tool_available("python3", "--version", "gRPC interop with grpcio")
        || !python_has_grpcio()
    {
        return;
    }
    let app = TestApp::sqlite().await;
    let work = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/grpc_interop.py");
    let protos = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto");
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .arg(app.addr.to_string())
        .arg(protos)
        .arg(work.path())
        .output()
        .await
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "python gRPC interop failed\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("all gRPC interoperability checks passed"),
        "{stdout}"
    );
}

/// grpcio and friends are pip packages (`tests/python/requirements.txt`).
fn python_has_grpcio() -> bool {
    let ok = std::process::Command::new("python3")
        .args([
            "-c",
            "import grpc, grpc_tools, grpc_reflection, grpc_health, grpc_status",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
            "grpcio is required under CI: pip install -r tests/python/requirements.txt"
        );
        eprintln!(
            "skipping: pip install -r tests/python/requirements.txt for the grpcio interop test"
        );
    }
    ok
}
