//! Every error the REST API can answer, and its one mapping to an HTTP status and JSON body.
//!
//! Bodies follow the original Django REST framework API, so clients written for it
//! keep working:
//!
//! ```text
//! 400 {"day": ["Ensure this value is less than or equal to 31."], "weekday": ["\"Mon\" is not a valid choice."]}
//! 400 {"detail": "JSON parse error - expected value at line 1 column 1"}
//! 404 {"detail": "Not found."}
//! 405 {"detail": "Method \"POST\" not allowed."}
//! 413 {"detail": "Request body is larger than 65536 bytes."}
//! 415 {"detail": "Unsupported media type \"text/plain\" in request."}
//! 401 {"detail": "Authentication credentials were not provided or are wrong."}   (with WWW-Authenticate)
//! 406 {"detail": "..."}   416 {"detail": "..."} (with Content-Range)   412 {"detail": "..."}
//! 409 {"detail": "..."}
//! 503 {"detail": "The database is unavailable; try again shortly."}   (with Retry-After)
//! 500 {"detail": "A server error occurred."}
//! ```

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};

/// An error on its way to the client. Domain errors wrap [`model::Error`]; the other
/// variants are HTTP's own (bad body, wrong content type, unknown route...).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A rule in the model was broken, or a row was missing, or the database failed.
    #[error(transparent)]
    Model(#[from] model::Error),
    /// The body could not be decoded (malformed JSON, broken multipart, ...).
    #[error("{0}")]
    BadRequest(String),
    /// No route matches, or the id in the path is not a number.
    #[error("not found")]
    NotFound,
    /// The route exists but not with this method.
    #[error("method {method} not allowed")]
    MethodNotAllowed {
        /// The method the client used.
        method: String,
        /// The methods the route accepts, for the `Allow` header.
        allow: &'static str,
    },
    /// The body is larger than the configured limit.
    #[error("body over {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A body with a content type we do not decode.
    #[error("unsupported media type {0}")]
    UnsupportedMediaType(String),
    /// Credentials missing or wrong (the HTTP playground's auth routes).
    #[error("unauthorized")]
    Unauthorized {
        /// The `WWW-Authenticate` challenge: which scheme to answer with.
        challenge: &'static str,
    },
    /// No representation the client accepts (the playground's encoded answers).
    #[error("not acceptable: {0}")]
    NotAcceptable(String),
    /// A `Range` that starts past the end of the representation.
    #[error("range not satisfiable in {length} bytes")]
    RangeNotSatisfiable {
        /// The representation's length, for `Content-Range: bytes */length`.
        length: u64,
    },
    /// An `If-Match` that matches no current tag.
    #[error("precondition failed")]
    PreconditionFailed,
}

/// The body of an error answer: messages per field, or one `detail`.
#[derive(Debug, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ErrorBody {
    /// A write that broke the model's rules.
    Fields(FieldErrors),
    /// Anything else.
    Detail(Detail),
}

/// `{"detail": "Not found."}`: the body of every error that is not about fields.
#[derive(Debug, PartialEq, Serialize, ToSchema)]
pub struct Detail {
    /// What went wrong, for a person to read.
    pub detail: String,
}

/// `{"day": ["Ensure this value is less than or equal to 31."]}`: a list of messages
/// per field, fields in the order the model checks them.
#[derive(Debug, PartialEq, Serialize)]
pub struct FieldErrors(Map<String, Value>);

impl utoipa::PartialSchema for FieldErrors {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some(
                "Messages per field name, e.g. {\"day\": [\"Ensure this value is less than or equal to 31.\"]}.",
            ))
            .additional_properties(Some(
                ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)),
            ))
            .into()
    }
}

impl ToSchema for FieldErrors {}

fn detail(message: impl Into<String>) -> ErrorBody {
    ErrorBody::Detail(Detail {
        detail: message.into(),
    })
}

impl ApiError {
    /// The status and JSON body for this error. The whole mapping is this one `match`.
    fn status_and_body(&self) -> (StatusCode, ErrorBody) {
        use model::Error as M;
        match self {
            ApiError::Model(M::Invalid(errors)) => {
                let body = errors
                    .by_field()
                    .into_iter()
                    .map(|(field, messages)| (field.to_owned(), Value::from(messages)))
                    .collect();
                (
                    StatusCode::BAD_REQUEST,
                    ErrorBody::Fields(FieldErrors(body)),
                )
            }
            ApiError::Model(M::NotFound { .. }) | ApiError::NotFound => {
                (StatusCode::NOT_FOUND, detail("Not found."))
            }
            ApiError::Model(M::Conflict(message)) => {
                (StatusCode::CONFLICT, detail(message.clone()))
            }
            ApiError::Model(error @ M::TooOld { .. }) => {
                (StatusCode::GONE, detail(error.to_string()))
            }
            ApiError::Model(M::Unavailable(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                detail("The database is unavailable; try again shortly."),
            ),
            ApiError::Model(M::Internal(_)) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                detail("A server error occurred."),
            ),
            ApiError::BadRequest(message) => (StatusCode::BAD_REQUEST, detail(message.clone())),
            ApiError::MethodNotAllowed { method, .. } => (
                StatusCode::METHOD_NOT_ALLOWED,
                detail(format!("Method \"{method}\" not allowed.")),
            ),
            ApiError::PayloadTooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                detail(format!("Request body is larger than {limit} bytes.")),
            ),
            ApiError::UnsupportedMediaType(content_type) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                detail(format!(
                    "Unsupported media type \"{content_type}\" in request."
                )),
            ),
            ApiError::Unauthorized { .. } => (
                StatusCode::UNAUTHORIZED,
                detail("Authentication credentials were not provided or are wrong."),
            ),
            ApiError::NotAcceptable(message) => {
                (StatusCode::NOT_ACCEPTABLE, detail(message.clone()))
            }
            ApiError::RangeNotSatisfiable { length } => (
                StatusCode::RANGE_NOT_SATISFIABLE,
                detail(format!(
                    "The range asked for starts past the last of {length} bytes."
                )),
            ),
            ApiError::PreconditionFailed => (
                StatusCode::PRECONDITION_FAILED,
                detail("If-Match names no current tag."),
            ),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status_and_body().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, body) = self.status_and_body();
        if status.is_server_error() {
            // The one place a server-side failure is logged, with its whole source chain.
            tracing::error!(error = ?self, "request failed");
        }
        let mut response = HttpResponse::build(status);
        match self {
            ApiError::MethodNotAllowed { allow, .. } => {
                response.insert_header((header::ALLOW, HeaderValue::from_static(allow)));
            }
            ApiError::Model(model::Error::Unavailable(_)) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
            }
            ApiError::Unauthorized { challenge } => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                ));
            }
            ApiError::RangeNotSatisfiable { length } => {
                response.insert_header((header::CONTENT_RANGE, format!("bytes */{length}")));
            }
            // The rest of the body was never read, so this connection cannot carry another
            // request: say so, and clients open a fresh one instead of reusing it.
            ApiError::PayloadTooLarge { .. } => {
                response.force_close();
            }
            _ => {}
        }
        response.json(body)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn status(err: ApiError) -> u16 {
        err.status_code().as_u16()
    }

    #[test]
    fn each_model_error_has_its_status() {
        assert_eq!(status(model::Error::invalid("day", "bad").into()), 400);
        assert_eq!(
            status(
                model::Error::NotFound {
                    id: model::DummyId(1)
                }
                .into()
            ),
            404
        );
        assert_eq!(status(model::Error::Conflict("x".into()).into()), 409);
        assert_eq!(status(model::Error::Unavailable("down".into()).into()), 503);
        assert_eq!(status(model::Error::internal("bug").into()), 500);
    }

    #[test]
    fn each_http_error_has_its_status() {
        assert_eq!(status(ApiError::BadRequest("x".into())), 400);
        assert_eq!(status(ApiError::NotFound), 404);
        assert_eq!(
            status(ApiError::MethodNotAllowed {
                method: "PUT".into(),
                allow: "GET"
            }),
            405
        );
        assert_eq!(status(ApiError::PayloadTooLarge { limit: 1 }), 413);
        assert_eq!(
            status(ApiError::UnsupportedMediaType("text/plain".into())),
            415
        );
    }

    #[test]
    fn field_errors_become_lists_per_field() {
        let mut errors = model::FieldErrors::default();
        errors.push("day", "a");
        errors.push("day", "b");
        let (_, body) = ApiError::from(model::Error::Invalid(errors)).status_and_body();
        assert_eq!(
            serde_json::to_value(body).unwrap(),
            json!({"day": ["a", "b"]})
        );
    }

    #[test]
    fn internal_details_never_reach_the_body() {
        let (_, body) =
            ApiError::from(model::Error::internal("password=hunter2")).status_and_body();
        assert!(!format!("{body:?}").contains("hunter2"));
    }
}
