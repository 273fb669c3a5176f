//! The procedures' own value model, between JSON and XML-RPC.
//!
//! Procedures take and return [`RpcValue`]s. The JSON-RPC layer converts
//! `serde_json::Value` to and from it, the XML-RPC layer `dxr::Value`, and nothing
//! else in the crate sees either. Where the encodings differ:
//!
//! | RpcValue | JSON | XML-RPC |
//! |---|---|---|
//! | `Int` | number | `<int>` (or `<i8>` beyond 32 bits) |
//! | `Double` | number with a fraction | `<double>` |
//! | `Bytes` | base64 string | `<base64>` |
//! | `DateTime` (UTC) | RFC 3339 string, microseconds | `<dateTime.iso8601>` (no zone, whole seconds) |
//! | `Nil` | `null` | `<nil/>` (the common extension) |
//! | `Struct` | object | `<struct>` |

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// A value a procedure receives or returns, whichever envelope carried it.
#[derive(Debug, Clone, PartialEq)]
pub enum RpcValue {
    /// `null` / `<nil/>`
    Nil,
    /// `true`/`false` / `<boolean>`
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Double(f64),
    /// Text.
    String(String),
    /// Raw bytes (XML-RPC `<base64>`).
    Bytes(Vec<u8>),
    /// A point in time, always UTC.
    DateTime(DateTime<Utc>),
    /// An ordered list.
    Array(Vec<RpcValue>),
    /// Named members.
    Struct(BTreeMap<String, RpcValue>),
}

impl RpcValue {
    /// The XML-RPC name of this value's type, used in error messages and signatures.
    pub fn type_name(&self) -> &'static str {
        match self {
            RpcValue::Nil => "nil",
            RpcValue::Bool(_) => "boolean",
            RpcValue::Int(_) => "int",
            RpcValue::Double(_) => "double",
            RpcValue::String(_) => "string",
            RpcValue::Bytes(_) => "base64",
            RpcValue::DateTime(_) => "dateTime.iso8601",
            RpcValue::Array(_) => "array",
            RpcValue::Struct(_) => "struct",
        }
    }

    /// Maps onto the model's loosely typed input, for Dummy fields.
    pub fn to_model(&self) -> model::Value {
        match self {
            RpcValue::Nil => model::Value::Null,
            RpcValue::Bool(b) => model::Value::Bool(*b),
            RpcValue::Int(i) => model::Value::Int(*i),
            RpcValue::Double(f) => model::Value::Float(*f),
            RpcValue::String(s) => model::Value::Text(s.clone()),
            _ => model::Value::Other,
        }
    }
}

impl From<model::Dummy> for RpcValue {
    /// A Dummy as a struct with the same keys as the REST API's JSON object.
    fn from(d: model::Dummy) -> RpcValue {
        let mut members = BTreeMap::new();
        members.insert("id".to_owned(), RpcValue::Int(d.id.0));
        members.insert("day".to_owned(), RpcValue::Int(i64::from(d.day.get())));
        members.insert(
            "weekday".to_owned(),
            RpcValue::String(d.weekday.as_str().to_owned()),
        );
        members.insert(
            "month".to_owned(),
            RpcValue::String(d.month.as_str().to_owned()),
        );
        members.insert("year".to_owned(), RpcValue::Int(i64::from(d.year)));
        members.insert("pre_seeded".to_owned(), RpcValue::Bool(d.pre_seeded));
        members.insert("created_at".to_owned(), RpcValue::DateTime(d.created_at));
        members.insert("updated_at".to_owned(), RpcValue::DateTime(d.updated_at));
        RpcValue::Struct(members)
    }
}
