//! gRPC-Web over plain HTTP/1.1, frames built by hand: what a browser sends.

use prost::Message;

use grpc_pb::app::{HelloRequest, HelloResponse};

use crate::helpers::TestApp;

/// A gRPC frame: flag byte, 4-byte big-endian length, payload.
fn frame(flag: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![flag];
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Splits a gRPC-Web body into (flag, payload) frames.
fn frames(mut body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while body.len() >= 5 {
        let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
        out.push((body[0], body[5..5 + len].to_vec()));
        body = &body[5 + len..];
    }
    assert!(body.is_empty(), "trailing bytes after the last frame");
    out
}

async fn a_grpc_web_call_is_a_data_frame_then_a_trailer_frame() {
    let app = TestApp::sqlite().await;
    let request = HelloRequest { name: "web".into() }.encode_to_vec();
    assert_eq!(request, b"\x0a\x03web", "field 1, length 3, the bytes");
    let response = reqwest::Client::new()
        .post(app.url("/app.Greeter/SayHello"))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("origin", "http://example.test")
        .body(frame(0, &request))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    assert_eq!(
        response.headers()["content-type"],
        "application/grpc-web+proto"
    );
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://example.test"
    );
    let body = response.bytes().await.unwrap();
    let frames = frames(&body);
    assert_eq!(frames.len(), 2, "one message frame and one trailer frame");
    assert_eq!(frames[0].0, 0x00);
    let hello = HelloResponse::decode(frames[0].1.as_slice()).unwrap();
    assert_eq!(hello.message, "Hello, web!");
    assert_eq!(frames[1].0, 0x80, "the trailer frame is flagged 0x80");
    let trailers = String::from_utf8(frames[1].1.clone())
        .unwrap()
        .to_ascii_lowercase();
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
}

async fn the_cors_preflight_allows_grpc_web_headers() {
    let app = TestApp::sqlite().await;
    let response = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, app.url("/app.Greeter/SayHello"))
        .header("origin", "http://example.test")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,x-grpc-web")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let headers = response.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://example.test"
    );
    let allowed = headers["access-control-allow-headers"].to_str().unwrap();
    assert!(
        allowed.contains("x-grpc-web") && allowed.contains("content-type"),
        "{allowed}"
    );
}

test_support::tests! {
    tokio:
        a_grpc_web_call_is_a_data_frame_then_a_trailer_frame,
        the_cors_preflight_allows_grpc_web_headers;
}
