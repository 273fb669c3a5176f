//! Close codes (RFC 6455 section 7.4) and the limits that lead to them.
//!
//! | Code | Name | When this service sends it |
//! |---|---|---|
//! | 1000 | Normal Closure | answering a client's own close |
//! | 1001 | Going Away | the server is shutting down, or the client stopped answering pings |
//! | 1002 | Protocol Error | a malformed frame |
//! | 1003 | Unsupported Data | a binary frame: this service speaks JSON text |
//! | 1007 | Invalid Payload Data | a text frame that is not valid UTF-8 |
//! | 1008 | Policy Violation | too many invalid messages in a row, or too slow to keep up with a room |
//! | 1009 | Message Too Big | a message over `WS_MAX_FRAME_BYTES` |
//! | 1011 | Internal Error | the server failed |
//!
//! A close frame carries the 2-byte code and a short UTF-8 reason:
//!
//! ```text
//! 88 0f 03 f1 6d 65 73 73 61 67 65 20 74 6f 6f 20 62 69 67     FIN+close, 15 bytes: 1009 "message too big"
//! ```

use std::time::Duration;

use actix_ws::{CloseCode, CloseReason, ProtocolError};

/// How long connections may idle and how big messages may be.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A ping goes out this often.
    pub heartbeat: Duration,
    /// A client silent this long (no pong, no message) is closed with 1001.
    pub client_timeout: Duration,
    /// Largest message, in bytes; larger ones close the connection with 1009.
    pub max_message_bytes: usize,
    /// Messages a connection may have queued before it counts as too slow (1008).
    pub send_queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            heartbeat: Duration::from_secs(5),
            client_timeout: Duration::from_secs(10),
            max_message_bytes: 64 * 1024,
            send_queue: 64,
        }
    }
}

/// Invalid messages in a row after which a connection is closed with 1008.
pub const MAX_INVALID_IN_A_ROW: u32 = 20;

/// A close reason with a code and a short description.
pub fn reason(code: CloseCode, description: &str) -> CloseReason {
    CloseReason {
        code,
        description: Some(description.to_owned()),
    }
}

/// The close a protocol error deserves.
pub fn for_protocol_error(error: &ProtocolError) -> CloseReason {
    match error {
        ProtocolError::Overflow => reason(CloseCode::Size, "message too big"),
        // actix-ws reports a fragmented message whose frames add up to more than the
        // limit as an `Other` I/O error with this text: it has no typed error for it
        // (actix-http's `ProtocolError` has no variant). An upgrade that changes the text
        // fails `a_fragmented_message_over_the_limit_closes_with_1009`.
        ProtocolError::Io(io)
            if io.kind() == std::io::ErrorKind::Other
                && io.to_string().contains("maximum continuation size") =>
        {
            reason(CloseCode::Size, "message too big")
        }
        ProtocolError::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            reason(CloseCode::Invalid, "text frames must be valid UTF-8")
        }
        _ => reason(CloseCode::Protocol, "protocol error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(reason: CloseReason) -> u16 {
        reason.code.into()
    }

    #[test]
    fn each_protocol_error_has_its_close_code() {
        assert_eq!(code(for_protocol_error(&ProtocolError::Overflow)), 1009);
        let utf8 = ProtocolError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "bad utf-8",
        ));
        assert_eq!(code(for_protocol_error(&utf8)), 1007);
        assert_eq!(code(for_protocol_error(&ProtocolError::BadOpCode)), 1002);
    }
}
