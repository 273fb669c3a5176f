//! The service implementations: each one turns protobuf requests into calls on the
//! model and back, and nothing else. Conversions live in [`crate::convert`], error
//! mapping in [`crate::status`].

pub mod dummy;
pub mod echo;
pub mod greeter;
pub mod playground;
