//! The JSON shape of a Dummy on the wire, and the request body's fields.
//!
//! ```text
//! {"id":1,"day":1,"weekday":"Monday","month":"January","year":1984,"pre_seeded":false,
//!  "created_at":"2026-11-29T10:11:52.123456Z","updated_at":"2026-11-29T10:11:52.123456Z"}
//! ```
//!
//! Keys come in the original API's order. Timestamps are RFC 3339 in UTC with
//! microseconds (the original printed a `strftime` pattern that mixed epoch seconds
//! into the time; we chose the standard form).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// A Dummy as the REST API returns it.
#[derive(Debug, Serialize)]
pub struct DummyResponse {
    /// Primary key.
    pub id: i64,
    /// 1..=31.
    pub day: u8,
    /// English name, e.g. "Monday".
    pub weekday: &'static str,
    /// English name, e.g. "January".
    pub month: &'static str,
    /// The year.
    pub year: i32,
    /// Whether `protocols seed` wrote it.
    pub pre_seeded: bool,
    /// RFC 3339, UTC.
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    /// RFC 3339, UTC.
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

fn rfc3339<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Micros, true))
}

impl From<model::Dummy> for DummyResponse {
    fn from(d: model::Dummy) -> Self {
        DummyResponse {
            id: d.id.0,
            day: d.day.get(),
            weekday: d.weekday.as_str(),
            month: d.month.as_str(),
            year: d.year,
            pre_seeded: d.pre_seeded,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

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
