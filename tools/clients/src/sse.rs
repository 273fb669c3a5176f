//! Server-Sent Events: an open `text/event-stream` answer, read block by block as the
//! bytes arrive (reqwest's `chunk`, no buffering of the whole body).
//!
//! The format (WHATWG HTML, "Server-sent events"): lines `field: value`, an event
//! ended by an empty line; `id`, `event`, `data` (several `data` lines join with
//! `\n`) and `retry`; a line starting with `:` is a comment.

use std::time::Duration;

/// How long [`EventStream::next`] waits for the next block.
pub const WAIT: Duration = Duration::from_secs(10);

/// One block of the stream: an event, or only comments and a `retry` hint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// `id:`, the server's position (here the journal's `seq`).
    pub id: Option<String>,
    /// `event:`, the event's name; `None` for a nameless block.
    pub event: Option<String>,
    /// `data:`, the lines joined with `\n`.
    pub data: String,
    /// `retry:`, how many milliseconds to wait before a reconnect.
    pub retry: Option<u64>,
    /// The comments, without their `:`.
    pub comments: Vec<String>,
}

/// An open event stream.
#[derive(Debug)]
pub struct EventStream {
    /// The answer, its headers already read.
    pub response: reqwest::Response,
    /// Bytes read but not parsed yet: a chunk may end inside a character.
    buffer: Vec<u8>,
}

/// Opens `url` with `Accept: text/event-stream`, and `Last-Event-ID` when given.
///
/// # Errors
/// When the request fails or the answer is not `200` with `text/event-stream`.
pub async fn connect(
    http: &reqwest::Client,
    url: &str,
    last_event_id: Option<&str>,
) -> Result<EventStream, String> {
    let mut request = http.get(url).header("accept", "text/event-stream");
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if response.status() != 200 || kind != "text/event-stream" {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        return Err(format!("GET {url}: {status} {kind}: {body}"));
    }
    Ok(EventStream {
        response,
        buffer: Vec::new(),
    })
}

impl EventStream {
    /// The next block; `None` once the server ended the stream.
    ///
    /// # Errors
    /// When nothing complete arrives within [`WAIT`], the connection fails, or a line
    /// is not `field: value`.
    pub async fn next(&mut self) -> Result<Option<Event>, String> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let block = String::from_utf8(block).map_err(|e| format!("not UTF-8: {e}"))?;
                return parse(&block).map(Some);
            }
            let chunk = tokio::time::timeout(WAIT, self.response.chunk())
                .await
                .map_err(|_| format!("nothing within {WAIT:?}"))?
                .map_err(|e| format!("reading the stream: {e}"))?;
            let Some(chunk) = chunk else { return Ok(None) };
            self.buffer.extend_from_slice(&chunk);
        }
    }

    /// The next block that names an event, skipping comments and hints.
    ///
    /// # Errors
    /// As [`EventStream::next`], and when the stream ends first.
    pub async fn event(&mut self) -> Result<Event, String> {
        loop {
            match self.next().await? {
                Some(event) if event.event.is_some() => return Ok(event),
                Some(_) => {}
                None => return Err("the stream ended".to_owned()),
            }
        }
    }
}

/// One block, up to and including its empty line.
fn parse(block: &str) -> Result<Event, String> {
    let mut event = Event::default();
    let mut data: Vec<&str> = Vec::new();
    for line in block.lines().filter(|l| !l.is_empty()) {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "" => event.comments.push(value.to_owned()),
            "id" => event.id = Some(value.to_owned()),
            "event" => event.event = Some(value.to_owned()),
            "data" => data.push(value),
            "retry" => {
                event.retry = Some(value.parse().map_err(|_| format!("retry: {value:?}"))?);
            }
            other => return Err(format!("an unknown field {other:?} in {block:?}")),
        }
    }
    event.data = data.join("\n");
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_parse_field_by_field() {
        let opening = parse("retry: 2000\n: resuming after 4\n\n").unwrap();
        assert_eq!(opening.retry, Some(2000));
        assert_eq!(opening.comments, ["resuming after 4"]);
        assert_eq!(opening.event, None);
        let event = parse("id: 5\nevent: created\ndata: {\"a\":1}\ndata: two\n\n").unwrap();
        assert_eq!(event.id.as_deref(), Some("5"));
        assert_eq!(event.event.as_deref(), Some("created"));
        assert_eq!(event.data, "{\"a\":1}\ntwo");
        assert!(parse("colour: red\n\n").is_err());
    }
}
