//! Chat rooms: `/api/ws/chat/{room}/` (and `/api/ws/async_chat/{room}/`, the same
//! handler under the original's second path).
//!
//! ```text
//! session ──RoomMessage::publish──▶ Store::notify ──(NOTIFY chat_messages | in-process)──▶ every replica
//!                                                                                             │
//! session ◀──bounded queue◀── Hub (this replica's room members) ◀──Feed::channel(CHANNEL)───┘
//! ```
//!
//! A message goes out through the database (PostgreSQL) so that members connected to
//! another `ws-svc` replica get it too; each replica's [`hub::Hub`] hands what comes
//! back to its own members. The sender is a member too, so it sees its own message.

pub mod hub;
pub mod session;

use model::Store;
use serde::{Deserialize, Serialize};

/// The NOTIFY channel chat-room messages travel on.
pub const CHANNEL: &str = "chat_messages";
/// Largest room message payload: with its room, in JSON, it must fit a NOTIFY payload.
pub const MAX_PAYLOAD: usize = 7_000;

/// A message for every member of a chat room, on every replica: what travels on
/// [`CHANNEL`], as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomMessage {
    /// The room's name.
    pub room: String,
    /// What to deliver, already encoded for the wire (a JSON text frame).
    pub payload: String,
}

impl RoomMessage {
    /// Sends it to the room's members on every replica.
    ///
    /// # Errors
    /// [`model::Error::Invalid`] for a payload over [`MAX_PAYLOAD`] bytes (the client's
    /// doing); [`model::Error::Unavailable`] when the database can't be reached.
    pub async fn publish(&self, store: &Store) -> Result<(), model::Error> {
        if self.payload.len() > MAX_PAYLOAD {
            return Err(model::Error::invalid(
                "message",
                format!("Ensure this message has at most {MAX_PAYLOAD} bytes."),
            ));
        }
        let json = serde_json::to_string(self).map_err(model::Error::internal)?;
        store.notify(CHANNEL, json).await
    }
}

/// Whether a room name is valid: word characters only (`\w+`, as the original's
/// route), 1 to 100 of them.
pub fn valid_room(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 100
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::valid_room;

    #[test]
    fn room_names_are_word_characters() {
        assert!(valid_room("lobby"));
        assert!(valid_room("room_42"));
        assert!(valid_room("café"));
        assert!(!valid_room(""));
        assert!(!valid_room("a-b"));
        assert!(!valid_room("a b"));
        assert!(!valid_room(&"x".repeat(101)));
    }
}
