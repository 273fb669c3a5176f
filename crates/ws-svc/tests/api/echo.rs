//! `/api/ws/echo/`: the original's message flow, plus delayed answers.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{TestApp, recv, send};

async fn each_message_comes_back_to_its_sender() {
    let app = TestApp::sqlite().await;
    let mut ws = app.connect("/api/ws/echo/").await;
    for text in ["hello", "zażółć", ""] {
        send(&mut ws, json!({"message": text})).await;
        assert_eq!(recv(&mut ws).await, json!({"message": text}));
    }
}

async fn a_delayed_echo_comes_later_and_does_not_block_the_connection() {
    let app = TestApp::sqlite().await;
    let mut ws = app.connect("/api/ws/echo/").await;
    let started = Instant::now();
    send(&mut ws, json!({"message": "later", "delay": 0.4})).await;
    send(&mut ws, json!({"message": "now"})).await;
    assert_eq!(recv(&mut ws).await, json!({"message": "now"}));
    assert_eq!(recv(&mut ws).await, json!({"message": "later"}));
    assert!(started.elapsed() >= Duration::from_millis(400));
}

async fn a_plain_get_serves_the_echo_page() {
    let app = TestApp::sqlite().await;
    let page = reqwest::get(format!("http://{}/api/ws/echo/", app.addr))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<html"));
}

test_support::tests! {
    tokio:
        each_message_comes_back_to_its_sender,
        a_delayed_echo_comes_later_and_does_not_block_the_connection,
        a_plain_get_serves_the_echo_page;
}
