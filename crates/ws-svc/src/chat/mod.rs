//! Chat rooms: `/api/ws/chat/{room}/` (and `/api/ws/async_chat/{room}/`, the same
//! handler under the original's second path).
//!
//! ```text
//! session ──publish──▶ Store::publish_room ──(NOTIFY chat_messages | in-process)──▶ every replica
//!                                                                                      │
//! session ◀──bounded queue◀── Hub (this replica's room members) ◀──subscribe_rooms─────┘
//! ```
//!
//! A message goes out through the database (PostgreSQL) so that members connected to
//! another `ws-svc` replica get it too; each replica's [`hub::Hub`] hands what comes
//! back to its own members. The sender is a member too, so it sees its own message.

pub mod hub;
pub mod session;

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
