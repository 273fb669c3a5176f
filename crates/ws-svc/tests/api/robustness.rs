//! Bad frames, limits, slow readers, origins and shutdown: each ends the way the
//! close-code table says, and nothing takes the server down.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use ws_svc::close::Limits;
use ws_svc::origin::AllowedOrigins;

use crate::helpers::{TestApp, close_code, recv, send};

async fn a_message_over_the_limit_closes_with_1009() {
    let app = TestApp::sqlite().await;
    let mut ws = app.connect("/api/ws/echo/").await;
    let huge = json!({"message": "x".repeat(Limits::default().max_message_bytes)});
    ws.send(Message::text(huge.to_string())).await.unwrap();
    assert_eq!(close_code(&mut ws).await, CloseCode::Size);
    still_serving(&app).await;
}

async fn invalid_utf8_in_a_text_frame_closes_with_1007() {
    let app = TestApp::sqlite().await;
    let mut ws = app.connect("/api/ws/echo/").await;
    let frame = Frame::message(vec![0xff, 0xfe, 0x00], OpCode::Data(Data::Text), true);
    ws.send(Message::Frame(frame)).await.unwrap();
    assert_eq!(close_code(&mut ws).await, CloseCode::Invalid);
    still_serving(&app).await;
}

async fn a_binary_frame_closes_with_1003() {
    let app = TestApp::sqlite().await;
    let mut ws = app.connect("/api/ws/chat/lobby/").await;
    ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(close_code(&mut ws).await, CloseCode::Unsupported);
}

async fn text_that_is_not_the_expected_json_gets_an_error_frame_and_the_connection_stays() {
    let app = TestApp::sqlite().await;
    let mut ws = app.connect("/api/ws/echo/").await;
    for bad in [
        "hello",
        "{\"message\": 5}",
        "[]",
        "{\"message\": \"x\", \"delay\": 99}",
    ] {
        ws.send(Message::text(bad)).await.unwrap();
        let reply = recv(&mut ws).await;
        assert!(reply["error"].is_string(), "{bad}: {reply}");
    }
    send(&mut ws, json!({"message": "still here"})).await;
    assert_eq!(recv(&mut ws).await, json!({"message": "still here"}));
}

async fn endless_invalid_messages_close_with_1008() {
    let app = TestApp::sqlite().await;
    let mut ws = app.connect("/api/ws/echo/").await;
    for _ in 0..=ws_svc::close::MAX_INVALID_IN_A_ROW {
        ws.send(Message::text("nope")).await.unwrap();
    }
    assert_eq!(close_code(&mut ws).await, CloseCode::Policy);
}

async fn a_client_that_stops_answering_pings_is_closed_with_1001() {
    let db = test_support::TestDb::sqlite();
    let store = db.migrated_store().await;
    let limits = Limits {
        heartbeat: Duration::from_millis(100),
        client_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let app = TestApp::start(store, None, limits, AllowedOrigins::default());
    // A raw client that never answers: it only reads what the server sends.
    let frames =
        crate::wire::silent_client(app.addr, "/api/ws/echo/", Duration::from_millis(800)).await;
    let pings = frames.iter().filter(|(opcode, _)| *opcode == 0x9).count();
    assert!(pings >= 2, "the server pinged before giving up: {frames:?}");
    let (opcode, payload) = frames.last().expect("a close frame").clone();
    assert_eq!(opcode, 0x8, "the last frame is a close");
    assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), 1001);
    assert_eq!(&payload[2..], b"idle timeout");
}

async fn a_slow_reader_is_dropped_and_the_room_keeps_going() {
    let db = test_support::TestDb::sqlite();
    let store = db.migrated_store().await;
    let limits = Limits {
        send_queue: 4,
        ..Limits::default()
    };
    let app = TestApp::start(store, None, limits, AllowedOrigins::default());
    let mut slow = app.connect("/api/ws/chat/busy/").await;
    let mut fast = app.connect("/api/ws/chat/busy/").await;
    let text = "y".repeat(6_000);
    // The slow member never reads: its socket buffers fill, then its queue, then the hub drops it.
    for i in 0..2_000 {
        send(&mut fast, json!({"message": format!("{i} {text}")})).await;
        let echoed = recv(&mut fast).await;
        assert!(
            echoed["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{i} "))
        );
    }
    // The room never stalled: the fast member got every message back. The slow one was cut off.
    let mut saw_close = None;
    while let Ok(Some(message)) = tokio::time::timeout(Duration::from_secs(5), slow.next()).await {
        match message {
            Ok(Message::Close(frame)) => {
                saw_close = frame.map(|f| f.code);
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    assert_eq!(
        saw_close,
        Some(CloseCode::Policy),
        "the slow member is closed with 1008"
    );
}

async fn a_foreign_origin_is_refused_before_the_upgrade() {
    let db = test_support::TestDb::sqlite();
    let store = db.migrated_store().await;
    let app = TestApp::start(
        store,
        None,
        Limits::default(),
        AllowedOrigins::parse("http://allowed.test"),
    );
    let request = |origin: &str| {
        let mut request = format!("ws://{}/api/ws/echo/", app.addr)
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
        request
    };
    let refused = tokio_tungstenite::connect_async(request("http://evil.test")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("expected 403, got {other:?}"),
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(request("http://allowed.test"))
        .await
        .unwrap();
    send(&mut ws, json!({"message": "ok"})).await;
    assert_eq!(recv(&mut ws).await["message"], "ok");
}

async fn shutdown_closes_every_client_with_1001() {
    let mut app = TestApp::sqlite().await;
    let mut echo = app.connect("/api/ws/echo/").await;
    let mut chat = app.connect("/api/ws/chat/lobby/").await;
    let mut feed = app.connect("/api/ws/dummies/").await;
    app.shutdown.cancel();
    for ws in [&mut echo, &mut chat, &mut feed] {
        assert_eq!(close_code(ws).await, CloseCode::Away);
    }
    app.server
        .stopped()
        .await
        .expect("the server stops cleanly after its clients are closed");
}

async fn still_serving(app: &TestApp) {
    let mut ws = app.connect("/api/ws/echo/").await;
    send(&mut ws, json!({"message": "alive"})).await;
    assert_eq!(recv(&mut ws).await["message"], "alive");
}

test_support::tests! {
    tokio:
        a_message_over_the_limit_closes_with_1009,
        invalid_utf8_in_a_text_frame_closes_with_1007,
        a_binary_frame_closes_with_1003,
        text_that_is_not_the_expected_json_gets_an_error_frame_and_the_connection_stays,
        endless_invalid_messages_close_with_1008,
        a_client_that_stops_answering_pings_is_closed_with_1001,
        a_slow_reader_is_dropped_and_the_room_keeps_going,
        a_foreign_origin_is_refused_before_the_upgrade,
        shutdown_closes_every_client_with_1001;
}
