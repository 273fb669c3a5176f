//! WebSocket bytes from a client, after the upgrade: framing as ws-svc configures it,
//! then the JSON inside each text message.
//!
//! Each input is used three ways:
//!
//! 1. as the request body of an upgraded connection, read through actix-ws exactly as
//!    `ws_svc::connection::Connection::new` sets it up (`max_frame_size`,
//!    `aggregate_continuations`, `max_continuation_size`, all at `WS_MAX_FRAME_BYTES`):
//!    every text message goes to `ClientMsg::parse`, and the first protocol error goes
//!    through `ws_svc::close::for_protocol_error`, which must give 1002, 1007 or 1009;
//! 2. frame by frame through `actix_http::ws::Codec` (server side, so client frames must
//!    be masked) with the same `max_size`, as a `tokio_util` `Decoder`;
//! 3. as one text message, decoded lossily, straight into `ClientMsg::parse`.
//!
//! 1 and 2 run twice: at ws-svc's default limit (64 KiB) and at the smallest one it
//! accepts (1 KiB), so that inputs of a few KiB reach the size checks too.
//!
//! Frames on the wire (RFC 6455 section 5.2), e.g. a masked text frame with 5 bytes:
//!
//! ```text
//! 81 85 37 fa 21 3d 7f 9f 4d 51 58    FIN+text, MASK+len 5, key, "Hello" masked
//! ```

#![no_main]

use std::sync::OnceLock;

use actix_http::ws::{Codec, Frame, ProtocolError};
use actix_web::http::header;
use actix_web::test::TestRequest;
use actix_web::{FromRequest, HttpRequest, web};
use actix_ws::AggregatedMessage;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::Decoder;
use ws_svc::close::for_protocol_error;
use ws_svc::messages::ClientMsg;

/// The two message limits each input runs with: ws-svc's default, and the smallest
/// `WS_MAX_FRAME_BYTES` it accepts (it raises lower ones), which small inputs can
/// exceed. Both come from ws-svc's own settings.
fn limits() -> [usize; 2] {
    static LIMITS: OnceLock<[usize; 2]> = OnceLock::new();
    *LIMITS.get_or_init(|| {
        let limit = |args: &[&str]| {
            runtime::service::parse::<ws_svc::Args>(args)
                .expect("ws-svc's settings have defaults for everything")
                .limits()
                .max_message_bytes
        };
        [
            limit(&[]),
            limit(&["--ws-max-frame-bytes", "0"]),
        ]
    })
}

/// actix-ws's error for a fragmented message over `max_continuation_size`.
fn is_continuation_overflow(error: &ProtocolError) -> bool {
    matches!(error, ProtocolError::Io(io)
        if io.kind() == std::io::ErrorKind::Other
            && io.to_string().contains("maximum continuation size"))
}

thread_local! {
    /// actix's request and payload types are `!Send`: one current-thread runtime per thread.
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime");

    /// The upgrade request, built once and never dropped. A `TestRequest` dropped after
    /// each input would leak: the request returns itself to its own app state's pool,
    /// an `Rc` cycle that a real server breaks when the worker stops.
    static UPGRADE: &'static HttpRequest = Box::leak(Box::new(TestRequest::get()
        .uri("/api/ws/echo/")
        .insert_header((header::UPGRADE, "websocket"))
        .insert_header((header::CONNECTION, "Upgrade"))
        .insert_header((header::SEC_WEBSOCKET_VERSION, "13"))
        .insert_header((header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ=="))
        .to_http_request()));
}

/// The close code ws-svc sends for a protocol error; only three are right.
fn close_code(error: &ProtocolError) -> u16 {
    let code: u16 = for_protocol_error(error).code.into();
    assert!(
        matches!(code, 1002 | 1007 | 1009),
        "{error:?} closes with {code}"
    );
    code
}

fn parse(text: &str) {
    if let Ok(msg) = ClientMsg::parse(text)
        && let Some(delay) = msg.delay
    {
        assert!(
            (0.0..=ws_svc::messages::MAX_DELAY_SECS).contains(&delay),
            "an out-of-range delay was accepted: {text:?}"
        );
    }
}

/// 1. The connection's message stream, configured as `Connection::new` configures it.
async fn through_actix_ws(data: &[u8], max: usize) {
    let req = UPGRADE.with(|req| HttpRequest::clone(req));
    let mut payload = actix_web::dev::Payload::from(data.to_vec());
    let payload = web::Payload::from_request(&req, &mut payload)
        .await
        .expect("web::Payload always extracts");
    // The response holds the other end of the stream's "connection closed" signal:
    // keep it alive, or the stream stops reading at once.
    let (_response, _session, stream) =
        actix_ws::handle(&req, payload).expect("the upgrade request is valid");
    let mut stream = stream
        .max_frame_size(max)
        .aggregate_continuations()
        .max_continuation_size(max);
    while let Some(message) = stream.recv().await {
        match message {
            Ok(AggregatedMessage::Text(text)) => parse(&text),
            Ok(AggregatedMessage::Ping(_) | AggregatedMessage::Pong(_)) => {}
            // ws-svc closes on these (1003 for binary, the client's own code for close).
            Ok(AggregatedMessage::Binary(_) | AggregatedMessage::Close(_)) => return,
            Err(error) => {
                let code = close_code(&error);
                // A fragmented message over the limit once closed with 1002
                // (tools/fuzz/regressions/ws_message).
                if is_continuation_overflow(&error) {
                    assert_eq!(code, 1009, "a fragmented message over the limit");
                }
                return;
            }
        }
    }
}

/// 2. The codec alone, frame by frame.
fn through_codec(data: &[u8], max: usize) {
    let mut codec = Codec::new().max_size(max);
    let mut buf = BytesMut::from(data);
    loop {
        match codec.decode(&mut buf) {
            Ok(Some(Frame::Text(bytes))) => match std::str::from_utf8(&bytes) {
                Ok(text) => parse(text),
                Err(err) => {
                    let error = ProtocolError::Io(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        err,
                    ));
                    assert_eq!(close_code(&error), 1007);
                    return;
                }
            },
            Ok(Some(Frame::Binary(b) | Frame::Ping(b) | Frame::Pong(b))) => {
                assert!(b.len() <= max, "a {}-byte frame passed the limit", b.len());
            }
            Ok(Some(Frame::Close(_) | Frame::Continuation(_))) => {}
            Ok(None) => return,
            Err(error) => {
                let code = close_code(&error);
                if matches!(error, ProtocolError::Overflow) {
                    assert_eq!(code, 1009);
                }
                return;
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    for max in limits() {
        RUNTIME.with(|runtime| runtime.block_on(through_actix_ws(data, max)));
        through_codec(data, max);
    }
    parse(&String::from_utf8_lossy(data));
});
