//! Inputs found by `tools/fuzz/` (cargo-fuzz), kept as tests. Each one's bytes are also in
//! `tools/fuzz/regressions/<target>/`, which `scripts/fuzz.sh` replays on every run.

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use ws_svc::close::Limits;

use crate::helpers::{TestApp, close_code};

async fn a_fragmented_message_over_the_limit_closes_with_1009() {
    // tools/fuzz/regressions/ws_message/fragmented-message-over-limit (at the 1 KiB limit):
    // each frame fits the limit, the message they add up to does not. actix-ws reports
    // that as an io::Error of kind Other, which close.rs mapped to 1002.
    let app = TestApp::sqlite().await;
    let mut ws = app.connect("/api/ws/echo/").await;
    let half = Limits::default().max_message_bytes / 2 + 1;
    let first = Frame::message(vec![b'a'; half], OpCode::Data(Data::Text), false);
    let last = Frame::message(vec![b'b'; half], OpCode::Data(Data::Continue), true);

    ws.send(Message::Frame(first)).await.unwrap();
    ws.send(Message::Frame(last)).await.unwrap();

    assert_eq!(close_code(&mut ws).await, CloseCode::Size);
}

test_support::tests! {
    tokio: a_fragmented_message_over_the_limit_closes_with_1009;
}
