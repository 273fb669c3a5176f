//! `/api/ws/raw/`: the raw echo, with tokio-tungstenite, which shows each frame as it
//! came: text and binary back as sent, the close asked for in the query, and pings.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::TestApp;

/// The next frame that is not a ping or pong, within 10 s.
async fn next_data(ws: &mut crate::helpers::Ws) -> Message {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("the connection is open")
            .expect("a frame");
        if !matches!(frame, Message::Ping(_) | Message::Pong(_)) {
            return frame;
        }
    }
}

async fn text_and_binary_frames_come_back_as_they_were_sent() {
    let app = TestApp::sqlite().await;
    let mut ws = app.connect("/api/ws/raw/").await;
    let binary: Vec<u8> = (0..=255).collect();
    for message in [
        Message::text("not JSON at all {"),
        Message::text(""),
        Message::binary(binary.clone()),
        Message::binary(Vec::new()),
        Message::text("zażółć"),
    ] {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(next_data(&mut ws).await, message);
    }
}

async fn the_server_closes_with_the_code_and_reason_asked_for() {
    let app = TestApp::sqlite().await;
    let mut ws = app
        .connect("/api/ws/raw/?close_after=2&code=4000&reason=bye%20now")
        .await;
    for n in 0..2 {
        ws.send(Message::text(format!("m{n}"))).await.unwrap();
        assert_eq!(next_data(&mut ws).await, Message::text(format!("m{n}")));
    }
    match next_data(&mut ws).await {
        Message::Close(Some(frame)) => {
            assert_eq!(frame.code, CloseCode::from(4000));
            assert_eq!(frame.reason.as_str(), "bye now");
        }
        other => panic!("expected the close frame, got {other:?}"),
    }

    let mut at_once = app.connect("/api/ws/raw/?close_after=0&code=1001").await;
    match next_data(&mut at_once).await {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected the close frame, got {other:?}"),
    }
}

async fn pings_come_as_often_as_asked_with_numbered_payloads() {
    let app = TestApp::sqlite().await;
    let mut ws = app.connect("/api/ws/raw/?ping_every=0.1").await;
    let mut payloads = Vec::new();
    while payloads.len() < 3 {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a ping within 5 s")
            .unwrap()
            .unwrap();
        if let Message::Ping(payload) = frame {
            payloads.push(String::from_utf8(payload.to_vec()).unwrap());
        }
    }
    assert_eq!(payloads, ["ping 1", "ping 2", "ping 3"]);
    // Still an echo meanwhile.
    ws.send(Message::text("still here")).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::text("still here"));
}

async fn a_bad_query_is_refused_before_any_upgrade() {
    let app = TestApp::sqlite().await;
    for query in ["code=1006", "close_after=x", "ping_every=0", "colour=red"] {
        let url = format!("ws://{}/api/ws/raw/?{query}", app.addr);
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 400, "{query}");
                let body = String::from_utf8(response.into_body().unwrap_or_default()).unwrap();
                assert!(body.contains("detail"), "{query}: {body}");
            }
            other => panic!("{query}: expected a refused handshake, got {other:?}"),
        }
    }
    let page = reqwest::get(format!("http://{}/api/ws/raw/", app.addr))
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "a plain GET is the page");
    assert!(page.text().await.unwrap().contains("raw echo"));
}

async fn a_message_over_the_limit_closes_with_1009() {
    let app = TestApp::sqlite().await;
    let mut ws = app.connect("/api/ws/raw/").await;
    ws.send(Message::binary(vec![0u8; 64 * 1024 + 1]))
        .await
        .unwrap();
    match next_data(&mut ws).await {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected close 1009, got {other:?}"),
    }
}

test_support::tests! {
    tokio:
        text_and_binary_frames_come_back_as_they_were_sent,
        the_server_closes_with_the_code_and_reason_asked_for,
        pings_come_as_often_as_asked_with_numbered_payloads,
        a_bad_query_is_refused_before_any_upgrade,
        a_message_over_the_limit_closes_with_1009;
}
