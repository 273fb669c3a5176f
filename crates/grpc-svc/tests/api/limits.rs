//! Deadlines and message size limits.

use std::time::Duration;

use grpc_pb::echo::EchoRequest;
use prost::Message;
use tonic::Code;

use crate::helpers::{MAX_MESSAGE, TestApp};

/// The deadline travels as the `grpc-timeout` header. A plain HTTP/1.1 client (gRPC-Web)
/// keeps no timer of its own, so the answer seen here is the server's.
async fn a_client_deadline_is_honoured_with_deadline_exceeded() {
    let app = TestApp::sqlite().await;
    let message = EchoRequest {
        message: "slow".into(),
        delay_ms: 2_000,
    }
    .encode_to_vec();
    let mut body = vec![0u8];
    body.extend_from_slice(&(message.len() as u32).to_be_bytes());
    body.extend_from_slice(&message);
    let started = std::time::Instant::now();
    let response = reqwest::Client::new()
        .post(app.url("/echo.v1.EchoService/UnaryEcho"))
        .header("content-type", "application/grpc-web+proto")
        .header("grpc-timeout", "100m")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["grpc-status"], "4", "DEADLINE_EXCEEDED");
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "the server did not stop at the deadline"
    );
}

async fn a_message_over_the_limit_is_resource_exhausted() {
    let app = TestApp::sqlite().await;
    let status = app
        .echo()
        .unary_echo(EchoRequest {
            message: "x".repeat(MAX_MESSAGE + 1),
            delay_ms: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    // The server is still fine.
    let ok = app
        .echo()
        .unary_echo(EchoRequest {
            message: "small".into(),
            delay_ms: 0,
        })
        .await
        .unwrap();
    assert_eq!(ok.into_inner().message, "small");
}

async fn malformed_protobuf_and_wrong_content_types_are_answered_cleanly() {
    let app = TestApp::sqlite().await;
    // gRPC-Web over HTTP/1.1 lets a plain HTTP client send arbitrary frames.
    let client = reqwest::Client::new();
    let garbage = [0u8, 0, 0, 0, 3, 0xff, 0xff, 0xff];
    let response = client
        .post(app.url("/app.Greeter/SayHello"))
        .header("content-type", "application/grpc-web+proto")
        .body(garbage.to_vec())
        .send()
        .await
        .unwrap();
    let status = response
        .headers()
        .get("grpc-status")
        .map(|s| s.to_str().unwrap().to_owned());
    let body = response.bytes().await.unwrap();
    let trailer = String::from_utf8_lossy(&body).to_string();
    let code = status.or_else(|| {
        trailer
            .split("grpc-status:")
            .nth(1)
            .map(|s| s.chars().take_while(char::is_ascii_digit).collect())
    });
    assert_eq!(
        code.as_deref(),
        Some("13"),
        "malformed protobuf is INTERNAL (tonic's decode error)"
    );

    let response = client
        .post(app.url("/app.Greeter/SayHello"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_client_error() || response.headers().contains_key("grpc-status"),
        "a wrong content type gets an HTTP or gRPC error, got {}",
        response.status()
    );
    let ok = app
        .greeter()
        .say_hello(grpc_pb::app::HelloRequest {
            name: "after".into(),
        })
        .await
        .unwrap();
    assert_eq!(ok.into_inner().message, "Hello, after!");
}

test_support::tests! {
    tokio:
        a_client_deadline_is_honoured_with_deadline_exceeded,
        a_message_over_the_limit_is_resource_exhausted,
        malformed_protobuf_and_wrong_content_types_are_answered_cleanly;
}
