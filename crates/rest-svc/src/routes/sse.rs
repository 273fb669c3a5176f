//! `GET /api/sse/dummies`: every change to a Dummy as Server-Sent Events, the web's
//! one-way push over a plain HTTP response that never ends (WHATWG HTML, "Server-sent
//! events"). A browser reads it with `new EventSource(url)`; any HTTP client can too.
//!
//! ```text
//! GET /api/sse/dummies?kinds=created,deleted HTTP/1.1
//! Accept: text/event-stream
//! Last-Event-ID: 41                        (sent by EventSource when it reconnects)
//!
//! HTTP/1.1 200 OK
//! content-type: text/event-stream
//! cache-control: no-cache
//! x-accel-buffering: no                    (tells nginx not to hold the stream back)
//!
//! retry: 2000                              reconnect 2 s after the connection drops
//! : resuming after 41                      a comment: clients ignore it
//!
//! id: 42                                   the change's number in the event journal
//! event: created                           created, updated or deleted
//! data: {"id":17,"day":3,"weekday":"Friday",…}
//!
//! : keep-alive                             every 15 s while nothing else is sent, with
//! id: 42                                   the position (moves Last-Event-ID past skipped kinds)
//! ```
//!
//! Each event is `field: value` lines ended by an empty line. `id:` is what the
//! browser keeps and sends back as `Last-Event-ID` when it reconnects, so the stream
//! resumes from the event journal (`model::journal`) where it stopped: nothing is
//! lost and nothing comes twice. A client that is not a browser may resume with
//! `?after=41` instead; the header wins when both are given.
//!
//! Other events: `interrupted` and `resumed` around a database outage (the changes
//! made meanwhile follow `resumed`), and `too_old` when the position asked for is no
//! longer kept: the stream then goes on from now, and the client should read the data
//! again. A position that is not a number or not given out yet, or an unknown kind,
//! is a `400` in the REST API's JSON form, before any stream starts.
//!
//! Why on rest-svc rather than a service of its own: an event stream is one more
//! representation of the same collection over the same HTTP server (same port, same
//! limits, same drain on shutdown); a sixth container would add a hop and nothing a
//! learner can see on the wire. On shutdown the stream ends at once, and EventSource
//! reconnects to another replica with its `Last-Event-ID`.

use std::convert::Infallible;
use std::time::Duration;

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::stream;
use model::{ChangeKind, DummyJson, Error, Store, Update, Watch};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::AppState;
use crate::error::ApiError;

/// How long EventSource waits before it reconnects (the `retry:` field), in ms.
pub const RETRY_MS: u64 = 2_000;
/// A comment goes out this often while nothing else does, so proxies and clients
/// see a live connection.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// The query string: `?kinds=created,deleted&after=41`.
#[derive(Debug, serde::Deserialize)]
pub struct SseQuery {
    kinds: Option<String>,
    after: Option<String>,
}

/// The event stream (see the module docs).
pub async fn dummies(
    req: HttpRequest,
    query: web::Query<SseQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let kinds = parse_kinds(query.kinds.as_deref())?;
    let header = req
        .headers()
        .get("last-event-id")
        .map(|value| value.to_str().unwrap_or("?").to_owned());
    let after = match (header, query.after) {
        (Some(id), _) => Some(parse_position("Last-Event-ID", &id)?),
        (None, Some(after)) => Some(parse_position("after", &after)?),
        (None, None) => None,
    };
    let (watch, opening) = open(&state.store, after).await?;
    let body = stream::unfold(
        Session {
            watch,
            kinds,
            shutdown: state.shutdown.clone(),
            pending: Some(opening),
            beat: tokio::time::Instant::now() + HEARTBEAT,
            ended: false,
        },
        Session::next,
    );
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body))
}

/// Opens the watch, and the first bytes: the retry hint and a comment, or a
/// `too_old` event and the watch from now.
async fn open(store: &Store, after: Option<i64>) -> Result<(Watch, String), ApiError> {
    let mut opening = format!("retry: {RETRY_MS}\n");
    let watch = match store.watch(after).await {
        Ok(watch) => {
            match after {
                Some(after) => opening.push_str(&format!(": resuming after {after}\n\n")),
                None => opening.push_str(": watching from now\n\n"),
            }
            watch
        }
        Err(
            error @ Error::TooOld {
                after,
                pruned_through,
            },
        ) => {
            let data = json!({"after": after, "pruned_through": pruned_through, "message": error.to_string()});
            let watch = store.watch(None).await?;
            // The id moves the client's Last-Event-ID to now, so that a reconnect before
            // the next change does not ask for the lost position again.
            opening.push_str(&format!(
                "\nid: {}\nevent: too_old\ndata: {data}\n\n",
                watch.position()
            ));
            watch
        }
        Err(error) => return Err(error.into()),
    };
    Ok((watch, opening))
}

/// A comma-separated list of kinds; `None` for all of them.
fn parse_kinds(kinds: Option<&str>) -> Result<Option<Vec<ChangeKind>>, ApiError> {
    let Some(kinds) = kinds else { return Ok(None) };
    let mut parsed = Vec::new();
    for name in kinds.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        match ChangeKind::parse(name) {
            Some(kind) => parsed.push(kind),
            None => {
                let shown: String = name.chars().take(40).collect();
                return Err(Error::invalid(
                    "kinds",
                    format!("\"{shown}\" is not a valid choice: use created, updated or deleted."),
                )
                .into());
            }
        }
    }
    if parsed.is_empty() {
        return Err(
            Error::invalid("kinds", "Name at least one of created, updated or deleted.").into(),
        );
    }
    Ok(Some(parsed))
}

/// A journal position: a whole number.
fn parse_position(field: &'static str, value: &str) -> Result<i64, ApiError> {
    Ok(model::journal::parse_position(field, value)?)
}

/// One client's stream: its watch, and what it asked for.
struct Session {
    watch: Watch,
    kinds: Option<Vec<ChangeKind>>,
    shutdown: CancellationToken,
    /// Bytes to send before anything else (the opening).
    pending: Option<String>,
    /// When the next keep-alive comment is due, if nothing else goes out first.
    beat: tokio::time::Instant,
    /// The last chunk went out: end the stream.
    ended: bool,
}

impl Session {
    /// The next chunk of the body; the stream ends on shutdown or when the watch does.
    async fn next(mut self) -> Option<(Result<Bytes, Infallible>, Session)> {
        if self.ended {
            return None;
        }
        if let Some(pending) = self.pending.take() {
            return Some((Ok(Bytes::from(pending)), self));
        }
        let chunk = loop {
            tokio::select! {
                () = self.shutdown.cancelled() => return None,
                // With the position: changes the `kinds` filter skipped still move the
                // client's Last-Event-ID (an `id:` without `data:` dispatches nothing).
                () = tokio::time::sleep_until(self.beat) => {
                    break format!(": keep-alive\nid: {}\n\n", self.watch.position());
                }
                update = self.watch.next() => match update? {
                    Ok(Update::Changed(event)) => {
                        if self.kinds.as_ref().is_some_and(|k| !k.contains(&event.kind)) {
                            continue;
                        }
                        let data = serde_json::to_string(&DummyJson::from(&event.dummy))
                            .unwrap_or_default();
                        break format!("id: {}\nevent: {}\ndata: {data}\n\n", event.seq, event.kind.as_str());
                    }
                    Ok(Update::Interrupted) => {
                        let data = json!({"reason": "the database is unavailable; the changes made meanwhile arrive after \"resumed\""});
                        break format!("event: interrupted\ndata: {data}\n\n");
                    }
                    Ok(Update::Resumed) => break "event: resumed\ndata: {}\n\n".to_owned(),
                    Err(error) => {
                        // Fell so far behind that retention deleted what it had not
                        // read (too_old), or the journal holds a row the model does not
                        // accept (error): say so and end; the client reconnects.
                        tracing::warn!(%error, "an event stream ended");
                        self.ended = true;
                        let (name, message) = match &error {
                            Error::TooOld { .. } => ("too_old", error.to_string()),
                            _ => ("error", "the event stream failed".to_owned()),
                        };
                        let data = json!({"message": message});
                        break format!("event: {name}\ndata: {data}\n\n");
                    }
                },
            }
        };
        self.beat = tokio::time::Instant::now() + HEARTBEAT;
        Some((Ok(Bytes::from(chunk)), self))
    }
}
