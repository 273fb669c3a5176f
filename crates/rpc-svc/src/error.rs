//! The one code table both envelopes use.
//!
//! | Situation | Code | JSON-RPC | XML-RPC |
//! |---|---|---|---|
//! | body is not JSON / not XML | -32700 | `error.code` | `faultCode` |
//! | not a valid request object / `methodCall` | -32600 | `error.code` | `faultCode` |
//! | no such procedure | -32601 | `error.code` | `faultCode` |
//! | params don't fit the procedure's signature | -32602 | `error.code` | `faultCode` |
//! | unexpected server failure | -32603 | `error.code` | `faultCode` |
//! | no Dummy with this id | 1 | `error.code` | `faultCode` |
//! | values break a Dummy rule (`data` has the per-field messages) | 2 | `error.code` | `faultCode` |
//! | the write clashes with existing data | 3 | `error.code` | `faultCode` |
//! | the database is unavailable, retry later | 4 | `error.code` | `faultCode` |
//! | a journal position retention no longer keeps | 5 | `error.code` | `faultCode` |
//!
//! The negative codes are the ones JSON-RPC 2.0 reserves for the protocol itself (the
//! XML-RPC "fault code interoperability" convention uses the same numbers). Application
//! errors are positive, so a client can tell "you called it wrong" from "the data said no".
//!
//! Errors travel inside a `200 OK` body: XML-RPC's spec says so, and for JSON-RPC over
//! HTTP it is our convention (no spec covers it).

use serde_json::{Map, Value as Json, json};

/// The body is not well-formed JSON or XML.
pub const PARSE_ERROR: i32 = -32700;
/// The body parses, but is not a valid request.
pub const INVALID_REQUEST: i32 = -32600;
/// No procedure has this name.
pub const METHOD_NOT_FOUND: i32 = -32601;
/// The params do not match the procedure's signature.
pub const INVALID_PARAMS: i32 = -32602;
/// Something failed on the server.
pub const INTERNAL_ERROR: i32 = -32603;
/// No Dummy has this id.
pub const NOT_FOUND: i32 = 1;
/// The values break a Dummy rule.
pub const INVALID_DUMMY: i32 = 2;
/// The write clashes with existing data.
pub const CONFLICT: i32 = 3;
/// The database can't be reached; retry later.
pub const UNAVAILABLE: i32 = 4;
/// A position in the event journal that retention no longer keeps.
pub const TOO_OLD: i32 = 5;

/// An error on its way to either envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    /// A code from the table above.
    pub code: i32,
    /// A short, human-readable message.
    pub message: String,
    /// Structured details (JSON-RPC `error.data`; folded into XML-RPC's `faultString`).
    pub data: Option<Json>,
}

impl RpcError {
    /// An error with a code and a message.
    pub fn new(code: i32, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// -32700
    pub fn parse_error() -> RpcError {
        RpcError::new(PARSE_ERROR, "Parse error")
    }

    /// -32600, with what is wrong.
    pub fn invalid_request(why: impl Into<String>) -> RpcError {
        RpcError::new(INVALID_REQUEST, format!("Invalid Request: {}", why.into()))
    }

    /// -32601 for this name.
    pub fn method_not_found(name: &str) -> RpcError {
        RpcError::new(METHOD_NOT_FOUND, format!("Method not found: {name}"))
    }

    /// -32602, with what does not fit.
    pub fn invalid_params(why: impl Into<String>) -> RpcError {
        RpcError::new(INVALID_PARAMS, format!("Invalid params: {}", why.into()))
    }

    /// The message with any field errors appended: XML-RPC has only `faultString`.
    pub fn fault_string(&self) -> String {
        match &self.data {
            Some(Json::Object(fields)) if self.code == INVALID_DUMMY => {
                let details: Vec<String> = fields
                    .iter()
                    .map(|(field, messages)| {
                        let messages: Vec<&str> = messages
                            .as_array()
                            .map(|m| m.iter().filter_map(Json::as_str).collect())
                            .unwrap_or_default();
                        format!("{field}: {}", messages.join(" "))
                    })
                    .collect();
                format!("{} ({})", self.message, details.join("; "))
            }
            _ => self.message.clone(),
        }
    }
}

impl From<model::Error> for RpcError {
    /// The whole mapping from the domain error, in one `match`.
    fn from(err: model::Error) -> RpcError {
        use model::Error as M;
        match err {
            M::NotFound { id } => RpcError::new(NOT_FOUND, format!("Dummy {id} not found")),
            M::Invalid(errors) => {
                let mut data = Map::new();
                for (field, messages) in errors.by_field() {
                    data.insert(field.to_owned(), json!(messages));
                }
                RpcError {
                    code: INVALID_DUMMY,
                    message: "Invalid Dummy".to_owned(),
                    data: Some(Json::Object(data)),
                }
            }
            M::Conflict(message) => RpcError::new(CONFLICT, message),
            error @ M::TooOld { .. } => RpcError::new(TOO_OLD, error.to_string()),
            M::Unavailable(source) => {
                tracing::error!(error = %source, "database unavailable");
                RpcError::new(
                    UNAVAILABLE,
                    "The database is unavailable; try again shortly.",
                )
            }
            M::Internal(source) => {
                tracing::error!(error = %source, "internal error");
                RpcError::new(INTERNAL_ERROR, "Internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_model_error_has_its_code() {
        assert_eq!(
            RpcError::from(model::Error::NotFound {
                id: model::DummyId(3)
            })
            .code,
            NOT_FOUND
        );
        assert_eq!(
            RpcError::from(model::Error::invalid("day", "bad")).code,
            INVALID_DUMMY
        );
        assert_eq!(
            RpcError::from(model::Error::Conflict("x".into())).code,
            CONFLICT
        );
        assert_eq!(
            RpcError::from(model::Error::Unavailable("down".into())).code,
            UNAVAILABLE
        );
        assert_eq!(
            RpcError::from(model::Error::internal("bug")).code,
            INTERNAL_ERROR
        );
    }

    #[test]
    fn field_errors_go_to_data_and_into_the_fault_string() {
        let err = RpcError::from(model::Error::invalid(
            "day",
            "Ensure this value is less than or equal to 31.",
        ));
        assert_eq!(
            err.data,
            Some(json!({"day": ["Ensure this value is less than or equal to 31."]}))
        );
        assert_eq!(
            err.fault_string(),
            "Invalid Dummy (day: Ensure this value is less than or equal to 31.)"
        );
    }

    #[test]
    fn internal_details_stay_out_of_the_message() {
        let err = RpcError::from(model::Error::internal("password=hunter2"));
        assert!(!err.message.contains("hunter2"));
    }
}
