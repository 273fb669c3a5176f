//! The pages `protocols serve` hosts, in a real browser (Debian's headless Chromium,
//! driven over WebDriver by `test_support::browser`): the gRPC-Web page against the gRPC
//! port, and the WebSocket pages (echo, two pages in one room, the live feed) on the
//! composed port. The checks are in `test_support::pages`, shared so that other
//! addresses (a gateway, say) can be checked the same way.

use test_support::{TestDb, browser, pages};

use crate::helpers::{Served, seed};

#[tokio::test]
async fn the_grpc_web_page_calls_every_kind_of_rpc_and_shows_the_frames() {
    if !browser::available("browser tests") {
        return;
    }
    let db = TestDb::sqlite();
    seed(&db.url, 5);
    let served = Served::start(&db.url);
    pages::check_grpc_page(
        &format!("http://{}", served.http),
        &format!("http://{}", served.grpc),
    )
    .await;
}

#[tokio::test]
async fn the_websocket_pages_echo_chat_and_show_the_live_feed() {
    if !browser::available("browser tests") {
        return;
    }
    let db = TestDb::sqlite();
    // The composed port serves /api/ws/* and /api/rest/* from one process.
    let served = Served::start(&db.url);
    pages::check_ws_pages(&format!("http://{}", served.http)).await;
}
