//! Interoperability with an implementation this project did not write: Python's
//! grpcio (gRPC's C core), its code generator, reflection and health clients.

use crate::helpers::TestApp;

async fn python_grpcio_clients_work_unchanged() {
    let modules = "grpc, grpc_tools, grpc_reflection, grpc_health, grpc_status";
    test_support::require_python(modules, "gRPC interop with grpcio");
    let app = TestApp::sqlite().await;
    let work = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/grpc_interop.py");
    let protos = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto");
    let args = [
        app.addr.to_string(),
        protos.to_owned(),
        work.path().display().to_string(),
    ];
    test_support::run_python(script, &args, "all gRPC interoperability checks passed").await;
}

test_support::tests! {
    tokio: python_grpcio_clients_work_unchanged;
}
