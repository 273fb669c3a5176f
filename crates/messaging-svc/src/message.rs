//! What the service publishes for a change of the journal, on either broker: the same
//! JSON body, and the names that route it.
//!
//! ```text
//! {"seq":41,"type":"dummy.created","dummy":{"id":17,"day":3,"weekday":"Monday",…}}
//! ```
//!
//! `seq` is the change's number in the event journal: a consumer that sees a number
//! twice (delivery is at least once) drops the second; one that sees numbers grow
//! knows the order the changes were committed in.

use model::{ChangeEvent, DummyJson};

/// The body of a change message.
pub fn body(event: &ChangeEvent) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "seq": event.seq,
        "type": event_type(event),
        "dummy": DummyJson::from(&event.dummy),
    }))
    .expect("a change message is JSON of plain values")
}

/// `dummy.created`, `dummy.updated` or `dummy.deleted`: the AMQP routing key and
/// message type.
pub fn event_type(event: &ChangeEvent) -> String {
    format!("dummy.{}", event.kind.as_str())
}

/// The Dummy's state alone, as retained on its MQTT topic.
pub fn state(event: &ChangeEvent) -> Vec<u8> {
    serde_json::to_vec(&DummyJson::from(&event.dummy)).expect("a Dummy is JSON of plain values")
}
