//! One WebSocket connection's housekeeping, shared by every endpoint: heartbeats,
//! the idle timeout, control frames, limits, shutdown, and closing with the right code.
//!
//! An endpoint loops on [`Connection::next`] next to its own sources (a room, the
//! feed) in a `tokio::select!`; `next` hands it only text messages and deals with the
//! rest itself.
//!
//! A client that stops reading fills the socket, and then every send waits. No send
//! waits longer than the client timeout: past it the client counts as gone and the
//! connection is dropped without a close frame (there is no room left to send one).

use std::future::Future;
use std::time::{Duration, Instant};

use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use tokio::time::{Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::close::{self, Limits};

/// What [`Connection::next_frame`] produced: any data frame.
#[derive(Debug)]
pub enum Frame {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(actix_web::web::Bytes),
    /// The connection is over; the close frame has already been sent.
    Gone,
}

/// What [`Connection::next`] produced.
#[derive(Debug)]
pub enum Next {
    /// A text message for the endpoint to handle.
    Text(String),
    /// The connection is over; the close frame has already been sent.
    Gone,
}

/// A WebSocket connection with its limits and the server's shutdown signal.
pub struct Connection {
    session: Session,
    stream: AggregatedMessageStream,
    limits: Limits,
    shutdown: CancellationToken,
    heartbeat: Interval,
    last_heard: Instant,
    invalid_in_a_row: u32,
    closed: bool,
}

impl Connection {
    /// Wraps the pieces `actix_ws::handle` returns.
    pub fn new(
        session: Session,
        stream: actix_ws::MessageStream,
        limits: Limits,
        shutdown: CancellationToken,
    ) -> Connection {
        let stream = stream
            .max_frame_size(limits.max_message_bytes)
            .aggregate_continuations()
            .max_continuation_size(limits.max_message_bytes);
        let mut heartbeat = tokio::time::interval_at(
            tokio::time::Instant::now() + limits.heartbeat,
            limits.heartbeat,
        );
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Connection {
            session,
            stream,
            limits,
            shutdown,
            heartbeat,
            last_heard: Instant::now(),
            invalid_in_a_row: 0,
            closed: false,
        }
    }

    /// Waits for the next text message, handling everything else on the way. A binary
    /// message closes the connection with 1003: the endpoints that use this speak JSON.
    pub async fn next(&mut self) -> Next {
        match self.next_frame().await {
            Frame::Text(text) => Next::Text(text),
            Frame::Binary(_) => {
                self.close(close::reason(
                    CloseCode::Unsupported,
                    "binary frames are not supported; send JSON text",
                ))
                .await
            }
            Frame::Gone => Next::Gone,
        }
    }

    /// Waits for the next data frame, text or binary, answering pings, sending
    /// heartbeats and closing on shutdown on the way.
    pub async fn next_frame(&mut self) -> Frame {
        if self.closed {
            return Frame::Gone;
        }
        loop {
            tokio::select! {
                // The server is stopping: tell the client (1001) rather than just vanishing.
                () = self.shutdown.cancelled() => {
                    self.close(close::reason(CloseCode::Away, "server shutting down")).await;
                    return Frame::Gone;
                }
                // Heartbeat: ping, and give up on a client that has stopped answering.
                _ = self.heartbeat.tick() => {
                    if self.last_heard.elapsed() > self.limits.client_timeout {
                        self.close(close::reason(CloseCode::Away, "idle timeout")).await;
                        return Frame::Gone;
                    }
                    let mut session = self.session.clone();
                    if !self.within(self.limits.client_timeout, async move { session.ping(b"").await }).await {
                        self.gone();
                        return Frame::Gone;
                    }
                }
                message = self.stream.recv() => {
                    self.last_heard = Instant::now();
                    match message {
                        Some(Ok(AggregatedMessage::Text(text))) => return Frame::Text(text.to_string()),
                        Some(Ok(AggregatedMessage::Binary(bytes))) => return Frame::Binary(bytes),
                        Some(Ok(AggregatedMessage::Ping(bytes))) => {
                            let mut session = self.session.clone();
                            if !self.within(self.limits.client_timeout, async move { session.pong(&bytes).await }).await {
                                self.gone();
                                return Frame::Gone;
                            }
                        }
                        Some(Ok(AggregatedMessage::Pong(_))) => {}
                        // The client closes: answer with the same code, as RFC 6455 asks.
                        Some(Ok(AggregatedMessage::Close(reason))) => {
                            let code = reason.map_or(CloseCode::Normal, |r| r.code);
                            self.close(CloseReason { code, description: None }).await;
                            return Frame::Gone;
                        }
                        Some(Err(error)) => {
                            tracing::debug!(%error, "websocket protocol error");
                            self.close(close::for_protocol_error(&error)).await;
                            return Frame::Gone;
                        }
                        None => {
                            self.gone();
                            return Frame::Gone;
                        }
                    }
                }
            }
        }
    }

    /// Sends a text frame; false when the client is gone, or has not read for the
    /// client timeout (then the connection is over).
    pub async fn text(&mut self, text: impl Into<String>) -> bool {
        let text = text.into();
        self.send(|mut session| async move { session.text(text).await })
            .await
    }

    /// Sends a binary frame, as [`Connection::text`] sends text.
    pub async fn binary(&mut self, bytes: actix_web::web::Bytes) -> bool {
        self.send(|mut session| async move { session.binary(bytes).await })
            .await
    }

    /// Sends a ping with this payload (at most 125 bytes); the client answers with a
    /// pong carrying the same bytes.
    pub async fn ping(&mut self, payload: Vec<u8>) -> bool {
        self.send(|mut session| async move { session.ping(&payload).await })
            .await
    }

    /// Runs one send on a clone of the session, within the client timeout.
    async fn send<F, Fut>(&mut self, send: F) -> bool
    where
        F: FnOnce(Session) -> Fut,
        Fut: Future<Output = Result<(), actix_ws::Closed>>,
    {
        if self.closed {
            return false;
        }
        let sent = self
            .within(self.limits.client_timeout, send(self.session.clone()))
            .await;
        if !sent {
            self.closed = true;
        }
        sent
    }

    /// Runs one send, giving up after `limit`; true when it went out.
    async fn within<E>(&self, limit: Duration, send: impl Future<Output = Result<(), E>>) -> bool {
        match tokio::time::timeout(limit, send).await {
            Ok(result) => result.is_ok(),
            Err(_) => {
                tracing::debug!(?limit, "websocket client stopped reading; dropping it");
                false
            }
        }
    }

    /// Answers a message that is not what the endpoint expects with an `error` frame;
    /// after too many in a row, closes with 1008.
    pub async fn invalid(&mut self, problem: &str) -> bool {
        self.invalid_in_a_row += 1;
        if self.invalid_in_a_row > close::MAX_INVALID_IN_A_ROW {
            self.close(close::reason(
                CloseCode::Policy,
                "too many invalid messages",
            ))
            .await;
            return false;
        }
        self.text(crate::messages::error(problem)).await
    }

    /// A valid message arrived: the count of invalid ones starts over.
    pub fn valid(&mut self) {
        self.invalid_in_a_row = 0;
    }

    /// Sends a close frame (once) and ends the connection.
    pub async fn close(&mut self, reason: CloseReason) -> Next {
        if !self.closed {
            self.closed = true;
            let code: u16 = reason.code.into();
            tracing::debug!(ws.close_code = code, "closing websocket");
            // A client that does not read may never take the close frame: don't wait long.
            let session = self.session.clone();
            let _ = tokio::time::timeout(Duration::from_secs(1), session.close(Some(reason))).await;
        }
        Next::Gone
    }

    fn gone(&mut self) {
        self.closed = true;
    }
}
