//! Interoperability with a client this project did not write: Python's `httpx-sse`,
//! driven by `tests/python/sse_interop.py`: events as they come, then a resume with
//! `Last-Event-ID`.

use test_support::Backend;

use crate::helpers::TestApp;

async fn the_httpx_sse_client_reads_and_resumes_the_event_stream() {
    test_support::require_python("httpx, httpx_sse", "the SSE interop test");
    let app = TestApp::spawn(Backend::Sqlite).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sse_interop.py");
    test_support::run_python(script, &[app.url("")], "all interoperability checks passed").await;
}

test_support::tests! {
    tokio: the_httpx_sse_client_reads_and_resumes_the_event_stream;
}
