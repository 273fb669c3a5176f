//! `/api/ws/raw/`: the raw echo, the WebSocket playground. Every data frame goes back
//! to its sender as it came, text as text and binary as binary, with no JSON envelope,
//! as the public raw echo servers do; so any client can be pointed at it.
//!
//! The query string asks for the rest, before the handshake:
//!
//! | Parameter | Effect | Bounds |
//! |---|---|---|
//! | `close_after=N` | after echoing N messages (0: at once) the server closes | N ≤ [`MAX_CLOSE_AFTER`] |
//! | `code=4000` | the close code it closes with (default 1000) | 1000–1003, 1007–1014, 3000–4999 |
//! | `reason=bye` | the close frame's reason (default empty) | ≤ 123 bytes of UTF-8 |
//! | `ping_every=0.5` | a ping every so many seconds, its payload `ping 1`, `ping 2`, … | 0.1 to 60 |
//!
//! ```text
//! GET /api/ws/raw/?close_after=1&code=4000&reason=bye HTTP/1.1  ->  101
//! 82 83 <mask> <3 masked bytes>        client -> server: FIN + binary, 3 bytes
//! 82 03 01 02 03                       server -> client: the same 3 bytes, unmasked
//! 88 05 0f a0 62 79 65                 server -> client: close 4000 "bye"
//! 89 06 70 69 6e 67 20 31              with ping_every: a ping, payload "ping 1"
//! ```
//!
//! A query out of bounds is a `400` with `{"detail": …}` and no upgrade. Messages are
//! bounded as on every endpoint (`WS_MAX_FRAME_BYTES`, close 1009).

use std::time::Duration;

use actix_ws::{CloseCode, CloseReason};

use crate::connection::{Connection, Frame};

/// Most messages `close_after` may wait for.
pub const MAX_CLOSE_AFTER: u32 = 1_000;

/// What the query string asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// Close after echoing this many messages.
    pub close_after: Option<u32>,
    /// The close code, when closing of its own accord.
    pub code: u16,
    /// The close reason.
    pub reason: String,
    /// Send a ping this often.
    pub ping_every: Option<Duration>,
}

impl Options {
    /// Reads the query string; the error says which parameter is wrong and why.
    ///
    /// # Errors
    /// As said.
    pub fn parse(query: &str) -> Result<Options, String> {
        let mut options = Options {
            code: 1000,
            ..Options::default()
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "close_after" => {
                    options.close_after = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|n| *n <= MAX_CLOSE_AFTER)
                            .ok_or_else(|| {
                                format!("close_after must be a whole number from 0 to {MAX_CLOSE_AFTER}.")
                            })?,
                    );
                }
                "code" => {
                    options.code = value
                        .parse()
                        .ok()
                        .filter(|code| matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999))
                        .ok_or_else(|| {
                            "code must be one a server may send: 1000-1003, 1007-1014 or 3000-4999."
                                .to_owned()
                        })?;
                }
                "reason" => {
                    if value.len() > 123 {
                        return Err("reason must fit a close frame: at most 123 bytes.".into());
                    }
                    options.reason = value.into_owned();
                }
                "ping_every" => {
                    let secs: f64 = value
                        .parse()
                        .ok()
                        .filter(|secs| (0.1..=60.0).contains(secs))
                        .ok_or("ping_every must be a number of seconds from 0.1 to 60.")?;
                    options.ping_every = Some(Duration::from_secs_f64(secs));
                }
                other => {
                    return Err(format!(
                        "unknown parameter \"{other}\"; known: close_after, code, reason, ping_every."
                    ));
                }
            }
        }
        Ok(options)
    }
}

/// Runs a raw echo session until either side ends it.
pub async fn run(mut conn: Connection, options: Options) {
    let mut echoed = 0u32;
    let mut pings = 0u64;
    let mut ticker = options.ping_every.map(|every| {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker
    });
    loop {
        if options.close_after == Some(echoed) {
            conn.close(CloseReason {
                code: CloseCode::from(options.code),
                description: Some(options.reason.clone()).filter(|r| !r.is_empty()),
            })
            .await;
            return;
        }
        let next_ping = async {
            match ticker.as_mut() {
                Some(ticker) => ticker.tick().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            frame = conn.next_frame() => {
                let sent = match frame {
                    Frame::Text(text) => conn.text(text).await,
                    Frame::Binary(bytes) => conn.binary(bytes).await,
                    Frame::Gone => return,
                };
                if !sent {
                    return;
                }
                echoed += 1;
            }
            _ = next_ping => {
                pings += 1;
                if !conn.ping(format!("ping {pings}").into_bytes()).await {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_read_within_its_bounds() {
        assert_eq!(
            Options::parse("").unwrap(),
            Options {
                code: 1000,
                ..Options::default()
            }
        );
        let options = Options::parse("close_after=2&code=4000&reason=bye&ping_every=0.5").unwrap();
        assert_eq!(options.close_after, Some(2));
        assert_eq!(options.code, 4000);
        assert_eq!(options.reason, "bye");
        assert_eq!(options.ping_every, Some(Duration::from_millis(500)));
        for bad in [
            "close_after=-1",
            "close_after=1001",
            "code=1005",
            "code=1006",
            "code=1015",
            "code=999",
            "code=5000",
            "ping_every=0",
            "ping_every=61",
            "ping_every=x",
            "what=1",
        ] {
            assert!(Options::parse(bad).is_err(), "{bad}");
        }
        assert!(Options::parse(&format!("reason={}", "x".repeat(124))).is_err());
    }
}
