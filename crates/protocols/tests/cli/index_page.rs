//! The landing page of the composed port in a real browser: the clock, and the REST
//! exchange, whose output boxes stay hidden until they have something to show. (The
//! check is `test_support::pages::check_index_page`; like every page check it also
//! wants the page's icon inline, so no `/favicon.ico` is asked for.)

use test_support::{TestDb, browser, pages};

use crate::helpers::{Served, seed};

async fn the_index_page_shows_the_rest_exchange_only_once_there_is_one() {
    browser::require("browser tests");
    let db = TestDb::sqlite();
    seed(&db.url, 3);
    let served = Served::start(&db.url);
    pages::check_index_page(&format!("http://{}", served.http)).await;
}

test_support::tests! {
    tokio: the_index_page_shows_the_rest_exchange_only_once_there_is_one;
}
