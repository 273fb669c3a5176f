//! The `/messaging` page in Chromium: its own MQTT client, over a WebSocket straight
//! to the test's Mosquitto, shows a change and the retained state.

use test_support::Backend;

use crate::helpers::TestApp;

async fn the_page_shows_changes_live_over_mqtt() {
    test_support::browser::require("the /messaging page test");
    let app = TestApp::spawn(Backend::Sqlite).await;
    let broker = format!("ws://127.0.0.1:{}/", app.mosquitto.ws_port());
    test_support::pages::check_messaging_page(&app.url(""), Some(&broker), async || {
        app.create(7).await.id.0
    })
    .await;
}

test_support::tests! {
    tokio: the_page_shows_changes_live_over_mqtt;
}
