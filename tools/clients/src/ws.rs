//! WebSocket: the services speak JSON in text frames (`{"message": …}` to echo and
//! chat, `{"event": …, "dummy": …}` on the feed), and ping every few seconds.
//! tokio-tungstenite does the handshake and the framing; this adds the JSON and the
//! waiting, the same way for every test and tool.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use tokio_tungstenite::tungstenite;

/// An open WebSocket to a service.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long [`next_json`] and [`close_code`] wait.
pub const WAIT: Duration = Duration::from_secs(10);

/// Opens `url` (`ws://host:port/api/ws/…`): the HTTP/1.1 upgrade, answered 101.
///
/// # Errors
/// When the connection or the handshake fails, or the answer is not 101.
pub async fn connect(url: &str) -> Result<Socket, tungstenite::Error> {
    let (socket, _response) = tokio_tungstenite::connect_async(url).await?;
    Ok(socket)
}

/// The same handshake over a connection the caller opened: the hook for a transport
/// of its own, such as the shootout's connections that count their bytes.
///
/// # Errors
/// When the handshake fails or the answer is not 101.
pub async fn connect_over<S>(url: &str, stream: S) -> Result<WebSocketStream<S>, tungstenite::Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (socket, _response) = tokio_tungstenite::client_async(url, stream).await?;
    Ok(socket)
}

/// Sends `value` as one text frame.
///
/// # Errors
/// When the connection fails.
pub async fn send_json(socket: &mut Socket, value: &Value) -> Result<(), tungstenite::Error> {
    socket.send(Message::text(value.to_string())).await
}

/// The next text frame, as JSON, within [`WAIT`]; pings and pongs are skipped. One
/// deadline for all frames: the server's heartbeat must not keep a missing message
/// waited for.
///
/// # Errors
/// A message saying what came instead: nothing in time, the end of the connection, a
/// frame of another kind, or text that is not JSON.
pub async fn next_json<S>(socket: &mut S) -> Result<Value, String>
where
    S: futures_util::Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .map_err(|_| format!("no message within {WAIT:?}"))?
            .ok_or("the connection ended")?
            .map_err(|e| format!("the connection failed: {e}"))?;
        match message {
            Message::Text(text) => {
                return serde_json::from_str(&text).map_err(|e| format!("not JSON ({e}): {text}"));
            }
            Message::Ping(_) | Message::Pong(_) => {}
            other => return Err(format!("expected a text frame, got {other:?}")),
        }
    }
}

/// Reads until the server's close frame, within [`WAIT`], and returns its code.
///
/// # Errors
/// When no close frame with a code comes in time.
pub async fn close_code(socket: &mut Socket) -> Result<CloseCode, String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .map_err(|_| format!("no close frame within {WAIT:?}"))?;
        match message {
            Some(Ok(Message::Close(Some(frame)))) => return Ok(frame.code),
            Some(Ok(Message::Close(None))) => return Err("a close frame without a code".into()),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("the connection failed before a close frame: {e}")),
            None => return Err("the connection ended without a close frame".into()),
        }
    }
}
