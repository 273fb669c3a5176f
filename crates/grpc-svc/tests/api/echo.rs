//! One test per RPC kind, plus cancellation of a stream mid-way.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use grpc_pb::echo::{EchoRequest, ServerStreamingEchoRequest};
use tokio_stream::wrappers::ReceiverStream;

use crate::helpers::{TestApp, within};

fn request(message: &str) -> EchoRequest {
    EchoRequest {
        message: message.into(),
        delay_ms: 0,
    }
}

async fn unary_echo_returns_the_message() {
    let app = TestApp::sqlite().await;
    let reply = app
        .echo()
        .unary_echo(request("ping"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.message, "ping");
}

async fn server_streaming_sends_one_message_per_word_spaced_by_the_delay() {
    let app = TestApp::sqlite().await;
    let started = Instant::now();
    let mut stream = app
        .echo()
        .server_streaming_echo(ServerStreamingEchoRequest {
            message: "one two  three".into(),
            delay_ms: 50,
        })
        .await
        .unwrap()
        .into_inner();
    let mut words = Vec::new();
    while let Some(reply) = within(stream.next()).await {
        words.push(reply.unwrap().message);
    }
    assert_eq!(words, ["one", "two", "three"]);
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "the delay was not applied"
    );
}

async fn client_streaming_joins_and_counts() {
    let app = TestApp::sqlite().await;
    let outbound = tokio_stream::iter(["a", "b", "c"].map(request));
    let reply = app
        .echo()
        .client_streaming_echo(outbound)
        .await
        .unwrap()
        .into_inner();
    assert_eq!((reply.message.as_str(), reply.count), ("a b c", 3));
}

async fn bidirectional_streaming_answers_each_message_as_it_arrives() {
    let app = TestApp::sqlite().await;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut inbound = app
        .echo()
        .bidirectional_streaming_echo(ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    // Send one, read its echo, then the next: the answers come before the stream ends.
    for word in ["first", "second", "third"] {
        tx.send(request(word)).await.unwrap();
        let echoed = within(inbound.next()).await.expect("an echo").unwrap();
        assert_eq!(echoed.message, word);
    }
    drop(tx);
    assert!(
        within(inbound.next()).await.is_none(),
        "the stream ends when the client's side ends"
    );
}

async fn a_cancelled_stream_leaves_the_server_serving() {
    let app = TestApp::sqlite().await;
    let mut stream = app
        .echo()
        .server_streaming_echo(ServerStreamingEchoRequest {
            message: "w ".repeat(100),
            delay_ms: 100,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(within(stream.next()).await.unwrap().unwrap().message, "w");
    drop(stream); // the client walks away mid-stream
    let reply = app
        .echo()
        .unary_echo(request("still here"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.message, "still here");
}

test_support::tests! {
    tokio:
        unary_echo_returns_the_message,
        server_streaming_sends_one_message_per_word_spaced_by_the_delay,
        client_streaming_joins_and_counts,
        bidirectional_streaming_answers_each_message_as_it_arrives,
        a_cancelled_stream_leaves_the_server_serving;
}
