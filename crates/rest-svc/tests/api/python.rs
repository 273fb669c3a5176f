//! Interoperability with clients this project did not write: Python's `httpx-sse`
//! (`tests/python/sse_interop.py`: events as they come, then a resume with
//! `Last-Event-ID`) and `feedparser` (`tests/python/feed_interop.py`: the Atom feed is
//! well-formed, and a conditional GET is 304), and `standardwebhooks`
//! (`tests/python/webhook_interop.py`: it verifies each delivery's signature, and refuses
//! a changed body, a stale timestamp and another secret), and urllib with httpie
//! (`tests/python/playground_interop.py`: the HTTP playground as each sees it).

use test_support::Backend;

use crate::helpers::TestApp;

async fn the_httpx_sse_client_reads_and_resumes_the_event_stream() {
    test_support::require_python("httpx, httpx_sse", "the SSE interop test");
    let app = TestApp::spawn(Backend::Sqlite).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sse_interop.py");
    test_support::run_python(script, &[app.url("")], "all interoperability checks passed").await;
}

async fn feedparser_reads_the_atom_feed_and_its_conditional_get() {
    test_support::require_python("feedparser", "the Atom interop test");
    let app = TestApp::spawn(Backend::Sqlite).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/feed_interop.py");
    test_support::run_python(script, &[app.url("")], "all interoperability checks passed").await;
}

async fn standardwebhooks_verifies_the_signed_deliveries() {
    test_support::require_python("httpx, standardwebhooks", "the webhook interop test");
    let app = TestApp::spawn(Backend::Sqlite).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/webhook_interop.py"
    );
    test_support::run_python(script, &[app.url("")], "all interoperability checks passed").await;
}

async fn urllib_and_httpie_poke_the_http_playground() {
    test_support::require_python("httpie", "the HTTP playground interop test");
    let app = TestApp::spawn(Backend::Sqlite).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/playground_interop.py"
    );
    test_support::run_python(script, &[app.url("")], "all interoperability checks passed").await;
}

test_support::tests! {
    tokio: the_httpx_sse_client_reads_and_resumes_the_event_stream,
        feedparser_reads_the_atom_feed_and_its_conditional_get,
        standardwebhooks_verifies_the_signed_deliveries,
        urllib_and_httpie_poke_the_http_playground;
}
