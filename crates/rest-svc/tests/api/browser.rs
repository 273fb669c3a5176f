//! A real browser (Debian's headless Chromium over WebDriver, `test_support::browser`)
//! on `/sse`: its `EventSource` shows the changes, and resumes without loss after a
//! reconnect; and on `/http`, the HTTP playground's request builder. The checks are in
//! `test_support::pages`.

use test_support::{Backend, browser, pages};

use crate::helpers::TestApp;

async fn the_sse_page_shows_changes_and_resumes_without_loss() {
    browser::require("browser test of /sse");
    let app = TestApp::spawn(Backend::Sqlite).await;
    pages::check_sse_page(&app.url("")).await;
}

async fn the_http_playground_page_shows_what_the_browser_really_sent() {
    browser::require("browser test of /http");
    let app = TestApp::spawn(Backend::Sqlite).await;
    pages::check_http_playground_page(&app.url("")).await;
}

test_support::tests! {
    tokio: the_sse_page_shows_changes_and_resumes_without_loss,
        the_http_playground_page_shows_what_the_browser_really_sent;
}
