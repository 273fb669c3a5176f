//! The pages `protocols serve` hosts, in a real browser (Debian's headless Chromium,
//! driven over WebDriver by `test_support::browser`): the gRPC-Web page against the gRPC
//! port, and the WebSocket pages (echo, two pages in one room, the live feed) and the
//! GraphQL page on the composed port. The checks are in `test_support::pages`, shared so that other
//! addresses (a gateway, say) can be checked the same way.

use test_support::{TestDb, browser, pages};

use crate::helpers::{Served, seed};

async fn the_grpc_web_page_calls_every_kind_of_rpc_and_shows_the_frames() {
    browser::require("browser tests");
    let db = TestDb::sqlite();
    seed(&db.url, 5);
    let served = Served::start(&db.url);
    pages::check_grpc_page(
        &format!("http://{}", served.http),
        &format!("http://{}", served.grpc),
    )
    .await;
}

async fn the_websocket_pages_echo_chat_and_show_the_live_feed() {
    browser::require("browser tests");
    let db = TestDb::sqlite();
    // The composed port serves /api/ws/* and /api/rest/* from one process.
    let served = Served::start(&db.url);
    pages::check_ws_pages(&format!("http://{}", served.http)).await;
}

async fn the_graphql_page_works_on_the_composed_port() {
    browser::require("browser tests");
    let db = TestDb::sqlite();
    let served = Served::start(&db.url);
    pages::check_graphql_page(&format!("http://{}", served.http)).await;
}

/// Serves `html` for every request on a free port of 127.0.0.1; returns its URL.
async fn serve(html: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                // One read takes the small request head; the answer is the same for all.
                let mut head = [0; 4096];
                let _ = stream.read(&mut head).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{html}",
                    html.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    url
}

/// The checker itself: a page that loads another origin or throws fails the check.
async fn close_fails_on_a_foreign_request_a_foreign_socket_and_an_uncaught_error() {
    browser::require("the browser driver's own check");
    // Port 9 (discard) is on Chromium's list of unsafe ports: nothing is sent there.
    let url = serve(
        "<!doctype html><title>bad</title><script>
        fetch('http://127.0.0.1:9/elsewhere').catch(() => {});
        new WebSocket('ws://127.0.0.1:9/socket');
        setTimeout(() => { window.thrown = true; throw new Error('thrown on purpose'); });
        </script>",
    )
    .await;
    let browser = browser::Browser::launch(&[]).await;
    let page = browser.open(&url).await;
    page.wait_until("the timer", "return window.thrown === true;", vec![])
        .await;

    let closed = tokio::spawn(browser.close()).await;

    let panic = closed.expect_err("close must fail").into_panic();
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert!(
        message.contains("http://127.0.0.1:9/elsewhere"),
        "{message}"
    );
    assert!(message.contains("ws://127.0.0.1:9/socket"), "{message}");
    assert!(message.contains("thrown on purpose"), "{message}");
    let foreign = message
        .lines()
        .find(|l| l.contains("other origins"))
        .unwrap();
    assert!(
        !foreign.contains(&url),
        "its own origin is allowed: {message}"
    );
}

test_support::tests! {
    tokio:
        the_grpc_web_page_calls_every_kind_of_rpc_and_shows_the_frames,
        the_websocket_pages_echo_chat_and_show_the_live_feed,
        the_graphql_page_works_on_the_composed_port,
        close_fails_on_a_foreign_request_a_foreign_socket_and_an_uncaught_error;
}
