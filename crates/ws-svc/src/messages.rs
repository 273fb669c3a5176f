//! The JSON that travels in text frames, as in the original project:
//!
//! ```text
//! client -> server   {"message": "hello"}                      chat, echo
//!                    {"message": "hello", "delay": 2.5}        echo: answer 2.5 s later
//! server -> client   {"message": "hello"}                      echo
//!                    {"message": "hello", "room": "lobby", "sender": "9f3a1c2e",
//!                     "timestamp": "2026-11-29T10:11:52.123456Z"}         chat
//!                    {"event": "created", "seq": 42, "dummy": {...}}   the Dummy feed
//!                    {"event": "interrupted", "reason": "…"}   the database went away: events wait
//!                    {"event": "resumed"}                      …and came back: the events made meanwhile follow
//!                    {"event": "too_old", "after": 3, …}       a resume position the journal no longer keeps
//!                    {"error": "expected a JSON object like {\"message\": \"…\"}"}
//! ```
//!
//! A frame that is not such JSON gets an `error` frame back and the connection stays open.

use serde::{Deserialize, Serialize};
use serde_json::json;

/// Longest delay an echo may ask for, in seconds.
pub const MAX_DELAY_SECS: f64 = 10.0;

/// What a client sends.
#[derive(Debug, Deserialize)]
pub struct ClientMsg {
    /// The text.
    pub message: String,
    /// Echo only: answer after this many seconds.
    #[serde(default)]
    pub delay: Option<f64>,
}

impl ClientMsg {
    /// Reads a text frame, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<ClientMsg, String> {
        let msg: ClientMsg = serde_json::from_str(text)
            .map_err(|_| "expected a JSON object like {\"message\": \"…\"}".to_owned())?;
        if let Some(delay) = msg.delay
            && !(0.0..=MAX_DELAY_SECS).contains(&delay)
        {
            return Err(format!(
                "delay must be between 0 and {MAX_DELAY_SECS} seconds"
            ));
        }
        Ok(msg)
    }
}

/// An echo reply.
pub fn echo(message: &str) -> String {
    json!({ "message": message }).to_string()
}

/// A chat message as every member of the room receives it.
#[derive(Debug, Serialize)]
pub struct ChatMessage<'a> {
    /// The text, as the sender wrote it.
    pub message: &'a str,
    /// Which room.
    pub room: &'a str,
    /// Which connection sent it (random, per connection).
    pub sender: &'a str,
    /// When the server received it, RFC 3339 UTC.
    pub timestamp: String,
}

/// An `error` frame.
pub fn error(message: &str) -> String {
    json!({ "error": message }).to_string()
}

/// A feed event: `created`, `updated` or `deleted`, its journal number (`seq`, where a
/// client resumes with `?after=`), and the record as REST shows it.
pub fn feed_event(event: &model::ChangeEvent) -> String {
    let dummy = model::DummyJson::from(&event.dummy);
    json!({ "event": event.kind.as_str(), "seq": event.seq, "dummy": dummy }).to_string()
}

/// The feed lost its database connection: changes made meanwhile arrive after `resumed`.
pub fn interrupted() -> String {
    json!({
        "event": "interrupted",
        "reason": "the database is unavailable; the changes made meanwhile arrive after \"resumed\"",
    })
    .to_string()
}

/// The feed is live again after `interrupted`; the changes made meanwhile follow.
pub fn resumed() -> String {
    json!({ "event": "resumed" }).to_string()
}

/// A resume position (`?after=`) the journal no longer keeps: read the data again.
pub fn too_old(after: i64, pruned_through: i64, message: &str) -> String {
    json!({
        "event": "too_old",
        "after": after,
        "pruned_through": pruned_through,
        "message": message,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_are_checked() {
        assert_eq!(
            ClientMsg::parse(r#"{"message":"hi"}"#).unwrap().message,
            "hi"
        );
        assert_eq!(
            ClientMsg::parse(r#"{"message":"hi","delay":1.5}"#)
                .unwrap()
                .delay,
            Some(1.5)
        );
        assert!(ClientMsg::parse("hi").is_err());
        assert!(ClientMsg::parse(r#"{"message":5}"#).is_err());
        assert!(ClientMsg::parse(r#"{"message":"x","delay":60}"#).is_err());
        assert!(ClientMsg::parse(r#"{"message":"x","delay":-1}"#).is_err());
    }

    #[test]
    fn replies_keep_the_original_message_key() {
        let reply: serde_json::Value = serde_json::from_str(&echo("a\"b")).unwrap();
        assert_eq!(reply, json!({"message": "a\"b"}));
    }
}
