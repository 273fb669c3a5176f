//! A socket that keeps a copy of every byte it carries, in order, with its direction:
//! the client libraries above it (hyper, h2, tungstenite) never show their bytes, so
//! `--wire` takes them here, under the client, as the kernel got and gave them.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Which way bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Client to server.
    Sent,
    /// Server to client.
    Received,
}

impl Dir {
    /// The arrow the transcript shows.
    pub fn arrow(self) -> &'static str {
        match self {
            Dir::Sent => "→",
            Dir::Received => "←",
        }
    }
}

/// Every chunk, in the order they passed; consecutive chunks one way are merged.
pub type Transcript = Arc<Mutex<Vec<(Dir, Vec<u8>)>>>;

/// A TCP stream that records its traffic into a [`Transcript`].
pub struct Tap {
    inner: TcpStream,
    transcript: Option<Transcript>,
}

impl Tap {
    /// Connects to `host` (HOST:PORT), with Nagle off, writing what passes into
    /// `transcript` if there is one (a load run keeps none).
    pub async fn connect(host: &str, transcript: Option<Transcript>) -> io::Result<Tap> {
        let inner = TcpStream::connect(host).await?;
        inner.set_nodelay(true)?;
        Ok(Tap { inner, transcript })
    }

    fn record(&self, dir: Dir, bytes: &[u8]) {
        let Some(transcript) = &self.transcript else {
            return;
        };
        if bytes.is_empty() {
            return;
        }
        let mut transcript = transcript.lock().expect("transcript lock");
        match transcript.last_mut() {
            Some((last, chunk)) if *last == dir => chunk.extend_from_slice(bytes),
            _ => transcript.push((dir, bytes.to_vec())),
        }
    }
}

impl AsyncRead for Tap {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &poll {
            let read = buf.filled()[before..].to_vec();
            this.record(Dir::Received, &read);
        }
        poll
    }
}

impl AsyncWrite for Tap {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = &poll {
            this.record(Dir::Sent, &buf[..*written]);
        }
        poll
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Bytes as a learner reads them: printable ASCII as itself, CR and LF as `\r` `\n`,
/// anything else as `\xNN`; at most `max` bytes, then how many more there were.
pub fn escape(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    for &b in bytes.iter().take(max) {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    if bytes.len() > max {
        out.push_str(&format!(" … ({} more bytes)", bytes.len() - max));
    }
    out
}

/// Bytes in hex, `1f 8b 08`, at most `max` of them.
pub fn hex(bytes: &[u8], max: usize) -> String {
    let mut out: Vec<String> = bytes.iter().take(max).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > max {
        out.push(format!("… ({} more)", bytes.len() - max));
    }
    out.join(" ")
}

/// Totals per direction, for the summary line.
pub fn totals(transcript: &Transcript) -> (usize, usize) {
    let transcript = transcript.lock().expect("transcript lock");
    transcript
        .iter()
        .fold((0, 0), |(sent, received), (dir, bytes)| match dir {
            Dir::Sent => (sent + bytes.len(), received),
            Dir::Received => (sent, received + bytes.len()),
        })
}

/// Where an HTTP/1.1 head ends (after its empty line), if it has.
pub fn head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// Prints an HTTP/1.1 head line by line, each with its CRLF shown.
pub fn print_head(dir: Dir, head: &[u8]) {
    for line in head.split_inclusive(|&b| b == b'\n') {
        println!("{} {}", dir.arrow(), escape(line, 200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_shown_escaped_and_cut() {
        assert_eq!(escape(b"GET / HTTP/1.1\r\n", 100), "GET / HTTP/1.1\\r\\n");
        assert_eq!(escape(&[0x00, 0x41, 0xff], 100), "\\x00A\\xff");
        assert_eq!(escape(b"abcdef", 3), "abc … (3 more bytes)");
        assert_eq!(hex(&[0x1f, 0x8b, 0x08], 2), "1f 8b … (1 more)");
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\n\r\nbody"), Some(19));
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\n"), None);
    }
}
