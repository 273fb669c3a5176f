//! WebSocket at the byte level: a hand-written handshake and frame reader, to see
//! exactly what the server puts on the wire.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Connects, completes the handshake, then only reads until the server closes the
/// TCP connection (or `for_at_most` passes). Returns every server frame as
/// (opcode, payload). Server frames are never masked.
pub async fn silent_client(
    addr: SocketAddr,
    path: &str,
    for_at_most: Duration,
) -> Vec<(u8, Vec<u8>)> {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let handshake = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(handshake.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(
        for_at_most + Duration::from_secs(5),
        tcp.read_to_end(&mut bytes),
    )
    .await;
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response head")
        + 4;
    let head = String::from_utf8_lossy(&bytes[..head_end]);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    // RFC 6455's own example key and accept value.
    assert!(
        head.to_ascii_lowercase()
            .contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
    parse_frames(&bytes[head_end..])
}

fn parse_frames(mut rest: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while rest.len() >= 2 {
        let opcode = rest[0] & 0x0f;
        assert_eq!(rest[1] & 0x80, 0, "server frames are not masked");
        let (len, header) = match rest[1] & 0x7f {
            126 => (u16::from_be_bytes([rest[2], rest[3]]) as usize, 4),
            127 => (
                u64::from_be_bytes(rest[2..10].try_into().unwrap()) as usize,
                10,
            ),
            n => (n as usize, 2),
        };
        frames.push((opcode, rest[header..header + len].to_vec()));
        rest = &rest[header + len..];
    }
    frames
}
