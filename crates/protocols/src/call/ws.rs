//! WebSocket: the handshake, then each message given (or each line typed) sent as a
//! text frame, and every frame that comes back printed, on tokio-tungstenite over a
//! [`Tap`].
//!
//! ```text
//! $ protocols call --wire ws /api/ws/echo/ '{"message":"hi"}'
//! → GET /api/ws/echo/ HTTP/1.1\r\n  …  Upgrade: websocket\r\n  Sec-WebSocket-Key: …\r\n
//! ← HTTP/1.1 101 Switching Protocols\r\n  …  sec-websocket-accept: …\r\n
//! → frame 81 90 + mask 5e 1f 0c 77: FIN, text, masked, 16 bytes: {"message":"hi"}
//! ← frame 81 10: FIN, text, 16 bytes: {"message":"hi"}
//! → frame 88 82 + mask …: FIN, close, masked, 2 bytes: code 1000
//! ```

use std::time::Duration;

use anyhow::Context as _;
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncBufReadExt;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::tap::{self, Dir, Tap, Transcript};
use super::{CallArgs, load};

/// How long the server may stay quiet after the last message before `call` closes.
const QUIET: Duration = Duration::from_secs(1);

type Socket = WebSocketStream<Tap>;

async fn connect(
    args: &CallArgs,
    path: &str,
    transcript: Option<Transcript>,
    announce: bool,
) -> anyhow::Result<Socket> {
    let host = args.host();
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    let mut request = format!("ws://{host}{path}").into_client_request()?;
    for (name, value) in args.header_pairs()? {
        request.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes())?,
            http::HeaderValue::from_str(&value)?,
        );
    }
    let stream = Tap::connect(&host, transcript)
        .await
        .with_context(|| format!("cannot connect to {host}"))?;
    let (socket, response) = tokio_tungstenite::client_async(request, stream)
        .await
        .with_context(|| format!("the WebSocket handshake on {path} failed"))?;
    if announce {
        let status = response.status();
        println!(
            "connected: {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
    }
    Ok(socket)
}

/// Prints one frame that arrived; false once the connection is over.
fn show(message: &Message) -> bool {
    match message {
        Message::Text(text) => println!("← {text}"),
        Message::Binary(bytes) => {
            println!("← binary, {} bytes: {}", bytes.len(), tap::hex(bytes, 64))
        }
        Message::Ping(payload) => println!("← ping {}", tap::escape(payload, 125)),
        Message::Pong(payload) => println!("← pong {}", tap::escape(payload, 125)),
        Message::Close(frame) => {
            match frame {
                Some(frame) => println!("← close {} {}", u16::from(frame.code), frame.reason),
                None => println!("← close (no code)"),
            }
            return false;
        }
        Message::Frame(_) => {}
    }
    true
}

/// Reads and prints frames until the server is quiet for `quiet`, or closes.
async fn drain(socket: &mut Socket, quiet: Duration) -> anyhow::Result<bool> {
    loop {
        match tokio::time::timeout(quiet, socket.next()).await {
            Err(_) => return Ok(true),
            Ok(None) => return Ok(false),
            Ok(Some(message)) => {
                if !show(&message?) {
                    return Ok(false);
                }
            }
        }
    }
}

/// Runs the call (or the load run, or the interactive session).
pub async fn run(args: &CallArgs) -> anyhow::Result<()> {
    let [path, messages @ ..] = args.target.as_slice() else {
        anyhow::bail!(
            "call ws PATH [MESSAGE…], e.g. call ws /api/ws/echo/ '{{\"message\":\"hi\"}}'"
        );
    };
    if args.count > 1 {
        let message = messages
            .first()
            .context("--count needs a message to send")?
            .clone();
        let opening = (args, path, &message);
        return load::run(args.count, args.concurrency, || async move {
            let (args, path, message) = opening;
            Ok(Repeat {
                socket: connect(args, path, None, false).await?,
                message: message.clone(),
            })
        })
        .await;
    }
    let transcript = Transcript::default();
    let mut socket = connect(args, path, args.wire.then(|| transcript.clone()), true).await?;
    let mut open = true;
    if messages.is_empty() {
        println!("type a line to send it as a text frame; end with Ctrl-D");
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        while open {
            tokio::select! {
                line = lines.next_line() => match line? {
                    Some(line) => socket.send(Message::text(line)).await?,
                    None => break,
                },
                message = socket.next() => match message {
                    Some(message) => open = show(&message?),
                    None => open = false,
                },
            }
        }
    } else {
        for message in messages {
            if !open {
                break;
            }
            println!("→ {message}");
            socket.send(Message::text(message.clone())).await?;
            open = drain(&mut socket, QUIET).await?;
        }
    }
    if open {
        socket.close(None).await?;
        drain(&mut socket, QUIET).await?;
    }
    if args.wire {
        print_wire(&transcript);
    }
    Ok(())
}

/// One worker of a load run: its socket and the message whose answer it waits for.
struct Repeat {
    socket: Socket,
    message: String,
}

impl load::Caller for Repeat {
    async fn call(&mut self) -> anyhow::Result<()> {
        self.socket
            .send(Message::text(self.message.clone()))
            .await?;
        loop {
            let next = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .context("no answer within 10 s")?
                .context("the server closed the connection")??;
            match next {
                Message::Text(_) | Message::Binary(_) => return Ok(()),
                Message::Close(frame) => anyhow::bail!("closed: {frame:?}"),
                _ => {}
            }
        }
    }
}

/// What a frame header says (RFC 6455 section 5.2), and the payload unmasked.
struct Frame {
    header: Vec<u8>,
    fin: bool,
    opcode: u8,
    mask: Option<[u8; 4]>,
    payload: Vec<u8>,
}

/// The first whole frame at the start of `bytes`, and its size on the wire.
fn frame(bytes: &[u8]) -> Option<(Frame, usize)> {
    let (&b0, &b1) = (bytes.first()?, bytes.get(1)?);
    let mut at = 2;
    let mut length = u64::from(b1 & 0x7f);
    if length == 126 {
        length = u64::from(u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?]));
        at = 4;
    } else if length == 127 {
        length = u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?);
        at = 10;
    }
    let mask = if b1 & 0x80 == 0 {
        None
    } else {
        let key: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        at += 4;
        Some(key)
    };
    let end = at + usize::try_from(length).ok()?;
    let mut payload = bytes.get(at..end)?.to_vec();
    if let Some(key) = mask {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
    }
    let header = bytes[..at].to_vec();
    Some((
        Frame {
            header,
            fin: b0 & 0x80 != 0,
            opcode: b0 & 0x0f,
            mask,
            payload,
        },
        end,
    ))
}

fn describe(frame: &Frame) -> String {
    let kind = match frame.opcode {
        0x0 => "continuation",
        0x1 => "text",
        0x2 => "binary",
        0x8 => "close",
        0x9 => "ping",
        0xa => "pong",
        _ => "reserved opcode",
    };
    let shown = match frame.opcode {
        0x8 if frame.payload.len() >= 2 => format!(
            "code {} {}",
            u16::from_be_bytes([frame.payload[0], frame.payload[1]]),
            String::from_utf8_lossy(&frame.payload[2..])
        ),
        0x2 => tap::hex(&frame.payload, 32),
        _ => tap::escape(&frame.payload, 200),
    };
    let header_bytes = frame.header.len() - frame.mask.map_or(0, |_| 4);
    format!(
        "frame {}{}: {}{kind}{}, {} bytes: {shown}",
        tap::hex(&frame.header[..header_bytes], 10),
        frame.mask.map_or(String::new(), |key| format!(
            " + mask {}",
            tap::hex(&key, 4)
        )),
        if frame.fin { "FIN, " } else { "" },
        if frame.mask.is_some() { ", masked" } else { "" },
        frame.payload.len(),
    )
}

fn print_wire(transcript: &Transcript) {
    let chunks = transcript.lock().expect("transcript lock").clone();
    // Per direction: the handshake's head first, then frames.
    let mut pending = [Vec::new(), Vec::new()];
    let mut past_head = [false, false];
    for (dir, bytes) in &chunks {
        let side = usize::from(*dir == Dir::Received);
        pending[side].extend_from_slice(bytes);
        if !past_head[side] {
            let Some(end) = tap::head_end(&pending[side]) else {
                continue;
            };
            let head: Vec<u8> = pending[side].drain(..end).collect();
            tap::print_head(*dir, &head);
            past_head[side] = true;
        }
        while let Some((frame, size)) = frame(&pending[side]) {
            println!("{} {}", dir.arrow(), describe(&frame));
            pending[side].drain(..size);
        }
    }
    let (sent, received) = tap::totals(transcript);
    println!(
        "-- {sent} bytes sent, {received} received, over plain TCP (no TLS): an HTTP/1.1 upgrade, then frames; the client masks what it sends"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_and_unmasked() {
        // A masked text frame "Hi" (RFC 6455 section 5.7's example uses "Hello").
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let masked: Vec<u8> = b"Hi".iter().zip(key).map(|(b, k)| b ^ k).collect();
        let mut bytes = vec![0x81, 0x82];
        bytes.extend_from_slice(&key);
        bytes.extend_from_slice(&masked);
        let (frame, size) = frame(&bytes).unwrap();
        assert_eq!(size, 8);
        assert!(frame.fin);
        assert_eq!(frame.opcode, 1);
        assert_eq!(frame.payload, b"Hi");
        assert_eq!(
            describe(&frame),
            "frame 81 82 + mask 37 fa 21 3d: FIN, text, masked, 2 bytes: Hi"
        );
        let (close, _) = super::frame(&[0x88, 0x02, 0x03, 0xe8]).unwrap();
        assert_eq!(
            describe(&close),
            "frame 88 02: FIN, close, 2 bytes: code 1000 "
        );
        assert!(super::frame(&[0x81, 0x05, b'a']).is_none(), "not whole yet");
    }
}
