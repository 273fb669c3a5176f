//! The domain error, and the one place where database errors are classified.
//!
//! [`Error`] says nothing about any protocol. Each service maps it to its own wire
//! form in one `match` (REST status codes, JSON-RPC codes, gRPC statuses, ...).

use std::fmt;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::dummy::DummyId;

/// A boxed error kept as the `source` of [`Error::Unavailable`] and [`Error::Internal`], for the logs.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What can go wrong with a Dummy, whatever protocol asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No Dummy has this id.
    #[error("Dummy {id} not found")]
    NotFound {
        /// The id that was asked for.
        id: DummyId,
    },
    /// The input broke one or more validation rules; one message per broken field.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// The write clashes with existing data.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A resume position older than the event journal keeps: retention deleted events
    /// after it, so the client must read the data again, not the changes.
    #[error(
        "the events after {after} are no longer kept: the journal starts after {pruned_through}"
    )]
    TooOld {
        /// The position asked for.
        after: i64,
        /// Every event up to this number was deleted.
        pruned_through: i64,
    },
    /// The database can't be reached right now (down, pool exhausted, locked); retrying later may work.
    #[error("database unavailable")]
    Unavailable(#[source] BoxError),
    /// A bug or an unexpected database answer. The source is logged, never sent to clients.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

impl Error {
    /// An [`Error::Invalid`] with a single field message.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Error {
        let mut errors = FieldErrors::default();
        errors.push(field, message);
        Error::Invalid(errors)
    }

    /// Wraps anything as [`Error::Internal`].
    pub fn internal(err: impl Into<BoxError>) -> Error {
        Error::Internal(err.into())
    }
}

/// Validation messages per field, in the order the fields were checked.
///
/// A field may have several messages. Field names are the wire names (`day`, `year`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    /// Adds a message for a field.
    pub fn push(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// True when no rule was broken.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each `(field, message)` pair, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0
            .iter()
            .map(|(field, message)| (*field, message.as_str()))
    }

    /// The messages grouped by field, fields in the order they first appear.
    pub fn by_field(&self) -> Vec<(&'static str, Vec<&str>)> {
        let mut grouped: Vec<(&'static str, Vec<&str>)> = Vec::new();
        for (field, message) in self.iter() {
            match grouped.iter_mut().find(|(f, _)| *f == field) {
                Some((_, messages)) => messages.push(message),
                None => grouped.push((field, vec![message])),
            }
        }
        grouped
    }
}

impl IntoIterator for FieldErrors {
    type Item = (&'static str, String);
    type IntoIter = std::vec::IntoIter<(&'static str, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (field, message)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{field}: {message}")?;
        }
        Ok(())
    }
}

/// Classifies a diesel error. This is the only place that looks inside one.
///
/// `id` is the Dummy the query was about, so that a missing row becomes
/// [`Error::NotFound`] with the right id.
pub(crate) fn from_diesel(err: DieselError, id: Option<DummyId>) -> Error {
    match err {
        DieselError::NotFound => match id {
            Some(id) => Error::NotFound { id },
            None => Error::internal(err),
        },
        DieselError::DatabaseError(kind, ref info) => match kind {
            DatabaseErrorKind::UniqueViolation => Error::Conflict(info.message().to_owned()),
            DatabaseErrorKind::CheckViolation
            | DatabaseErrorKind::NotNullViolation
            | DatabaseErrorKind::ForeignKeyViolation => {
                // Validation should have caught this: the database is only a backstop.
                tracing::warn!(error = %info.message(), "database constraint refused a write");
                Error::invalid("non_field_errors", "The database refused this value.")
            }
            DatabaseErrorKind::ClosedConnection
            | DatabaseErrorKind::SerializationFailure
            | DatabaseErrorKind::ReadOnlyTransaction => Error::Unavailable(err.into()),
            _ if is_transient(info.message()) => Error::Unavailable(err.into()),
            _ => Error::internal(err),
        },
        DieselError::BrokenTransactionManager => Error::Unavailable(err.into()),
        other => Error::internal(other),
    }
}

/// A statement PostgreSQL cancelled (its `statement_timeout`) or that could not get
/// its lock, as tokio-postgres reports it (the pipelined reads, [`crate::pg_reader`]):
/// the database is there but busy, so "unavailable".
pub(crate) fn is_cancelled(error: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    error.code().is_some_and(|code| {
        *code == SqlState::QUERY_CANCELED || *code == SqlState::LOCK_NOT_AVAILABLE
    })
}

/// Messages that mean "try again later" rather than "this is a bug".
pub(crate) fn is_transient(message: &str) -> bool {
    const TRANSIENT: &[&str] = &[
        // SQLite
        "database is locked",
        "database table is locked",
        "attempt to write a readonly database",
        "unable to open database file",
        "disk I/O error",
        // PostgreSQL, when the server goes away mid-session
        "server closed the connection",
        "terminating connection",
        "no connection to the server",
        "connection to server",
        "the database system is",
        "canceling statement due to statement timeout",
        // Either, before the migrations have created the table (a fresh database at start-up)
        "relation \"dummies\" does not exist",
        "no such table: dummies",
    ];
    TRANSIENT.iter().any(|t| message.contains(t))
}

/// A pool that could not hand out a connection in time means the database is unavailable.
///
/// r2d2 gives the last connection error to only one of the callers that time out
/// together; the others get a bare "timed out", so `last_failure` (the pool's last
/// failed attempt, while the database is unreachable) fills in the reason. The message
/// is kept on one line, for the logs.
pub(crate) fn from_pool(err: diesel::r2d2::PoolError, last_failure: Option<String>) -> Error {
    let message = crate::db::one_line(&err);
    match last_failure {
        Some(reason) if !message.contains(": ") => {
            Error::Unavailable(format!("{message}: {reason}").into())
        }
        _ => Error::Unavailable(message.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_row_becomes_not_found_with_the_id() {
        let err = from_diesel(DieselError::NotFound, Some(DummyId(7)));
        assert!(matches!(err, Error::NotFound { id: DummyId(7) }));
    }

    #[test]
    fn errors_group_by_field_in_order() {
        let mut errors = FieldErrors::default();
        errors.push("year", "a");
        errors.push("day", "b");
        errors.push("year", "c");
        assert_eq!(
            errors.by_field(),
            vec![("year", vec!["a", "c"]), ("day", vec!["b"])]
        );
        assert_eq!(errors.to_string(), "year: a; day: b; year: c");
    }

    #[test]
    fn locked_sqlite_database_is_unavailable_not_internal() {
        assert!(is_transient("database is locked"));
        // Before the migrations ran (start-up): try again shortly.
        assert!(is_transient("no such table: dummies"));
        assert!(!is_transient("no such column: dummies.colour"));
    }
}
