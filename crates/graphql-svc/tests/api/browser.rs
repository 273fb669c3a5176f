//! A real browser (Debian's headless Chromium, driven over WebDriver by
//! `test_support::browser`) uses `/graphql`: a live subscription, a mutation over POST
//! seen arriving on it, a query over GET and a syntax error. The checks are in
//! `test_support::pages`, shared with the gateway's test.

use test_support::{Backend, browser, pages};

use crate::helpers::TestApp;

async fn the_graphql_page_queries_mutates_and_shows_live_changes() {
    browser::require("browser test of /graphql");
    let app = TestApp::spawn(Backend::Sqlite).await;
    pages::check_graphql_page(&app.url("")).await;
}

test_support::tests! {
    tokio: the_graphql_page_queries_mutates_and_shows_live_changes;
}
