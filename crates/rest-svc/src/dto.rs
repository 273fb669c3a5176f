//! The request body's fields, as the model reads them. (The JSON form of a Dummy that
//! the answers carry is [`model::DummyJson`], shared with the WebSocket feed.)

/// Maps a JSON value onto the model's loosely typed input value.
pub fn json_to_value(value: serde_json::Value) -> model::Value {
    use serde_json::Value as J;
    match value {
        J::Null => model::Value::Null,
        J::Bool(b) => model::Value::Bool(b),
        J::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => model::Value::Int(i),
            (None, Some(f)) if n.is_f64() => model::Value::Float(f),
            _ => model::Value::Other,
        },
        J::String(s) => model::Value::Text(s),
        J::Array(_) | J::Object(_) => model::Value::Other,
    }
}
