//! A real browser (Debian's headless Chromium, driven over WebDriver by
//! `test_support::browser`) uses `/rpc`: the page makes an XML-RPC and a JSON-RPC call by
//! itself, then one of each from the form. The checks are in `test_support::pages`, shared
//! so that other addresses (a gateway, say) can be checked the same way.

use test_support::{browser, pages};

use crate::helpers::TestApp;

async fn the_rpc_page_calls_both_endpoints_and_shows_the_bytes() {
    browser::require("browser test of /rpc");
    let app = TestApp::sqlite().await;
    pages::check_rpc_page(&app.url("")).await;
}

test_support::tests! {
    tokio: the_rpc_page_calls_both_endpoints_and_shows_the_bytes;
}
