//! `model::Error` to gRPC status, in one `match`.
//!
//! | model::Error | gRPC status | details |
//! |---|---|---|
//! | `Invalid` | `INVALID_ARGUMENT` (3) | `google.rpc.BadRequest`, one field violation per message |
//! | `NotFound` | `NOT_FOUND` (5) | |
//! | `Conflict` | `ALREADY_EXISTS` (6) | |
//! | `Unavailable` | `UNAVAILABLE` (14) | clients may retry |
//! | `Internal` | `INTERNAL` (13) | the cause is logged, not sent |
//!
//! The status travels in the HTTP/2 trailers: `grpc-status: 3`, a percent-encoded
//! `grpc-message`, and the details as base64 protobuf in `grpc-status-details-bin`.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// The status a model error becomes.
pub fn to_status(err: model::Error) -> Status {
    use model::Error as M;
    match err {
        M::Invalid(errors) => {
            let violations: Vec<FieldViolation> = errors
                .iter()
                .map(|(field, message)| FieldViolation::new(field, message))
                .collect();
            Status::with_error_details(
                Code::InvalidArgument,
                format!("invalid Dummy: {errors}"),
                ErrorDetails::with_bad_request(violations),
            )
        }
        M::NotFound { id } => Status::not_found(format!("Dummy {id} not found")),
        M::Conflict(message) => Status::already_exists(message),
        error @ M::TooOld { .. } => Status::out_of_range(error.to_string()),
        M::Unavailable(source) => {
            tracing::error!(error = %source, "database unavailable");
            Status::unavailable("the database is unavailable; try again shortly")
        }
        M::Internal(source) => {
            tracing::error!(error = %source, "internal error");
            Status::internal("internal error")
        }
    }
}

/// An INVALID_ARGUMENT about one request field that is not a Dummy field.
pub fn bad_field(field: &str, message: &str) -> Status {
    Status::with_error_details(
        Code::InvalidArgument,
        format!("{field}: {message}"),
        ErrorDetails::with_bad_request(vec![FieldViolation::new(field, message)]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_model_error_has_its_code() {
        assert_eq!(
            to_status(model::Error::invalid("day", "x")).code(),
            Code::InvalidArgument
        );
        assert_eq!(
            to_status(model::Error::NotFound {
                id: model::DummyId(1)
            })
            .code(),
            Code::NotFound
        );
        assert_eq!(
            to_status(model::Error::Conflict("x".into())).code(),
            Code::AlreadyExists
        );
        assert_eq!(
            to_status(model::Error::Unavailable("x".into())).code(),
            Code::Unavailable
        );
        assert_eq!(
            to_status(model::Error::internal("secret")).code(),
            Code::Internal
        );
        assert!(
            !to_status(model::Error::internal("secret"))
                .message()
                .contains("secret")
        );
    }

    #[test]
    fn field_errors_travel_as_bad_request_violations() {
        let status = to_status(model::Error::invalid(
            "day",
            "Ensure this value is less than or equal to 31.",
        ));
        let details = status.get_error_details();
        let violations = details
            .bad_request()
            .expect("a BadRequest detail")
            .field_violations
            .clone();
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, "day");
        assert_eq!(
            violations[0].description,
            "Ensure this value is less than or equal to 31."
        );
    }
}
