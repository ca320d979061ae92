//! One error type, rendered in one place as `application/problem+json` (RFC 9457).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;

use crate::metrics::DbErrorKind;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid input: which field, and what is wrong with it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// The field (JSON property, query parameter or header) at fault.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every way a request can fail. Each variant has a stable `type` slug.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request is malformed; `errors` names the fields.
    BadRequest {
        /// Human explanation.
        detail: String,
        /// The fields at fault.
        errors: Vec<FieldError>,
    },
    /// 401: no valid bearer token.
    Unauthorized(String),
    /// 403: authenticated, but not allowed.
    Forbidden(String),
    /// 404: no such path or resource.
    NotFound(String),
    /// 405: the path exists but not with this method.
    MethodNotAllowed {
        /// The methods the path supports.
        allow: String,
    },
    /// 409: the request conflicts with the current state.
    Conflict(String),
    /// 409 naming the parts of the state that are missing or in the way.
    ConflictWith {
        /// Human explanation.
        detail: String,
        /// What is missing, one entry each.
        errors: Vec<FieldError>,
    },
    /// 412: a precondition (`If-Match`, membership) failed.
    PreconditionFailed(String),
    /// 413: the body is over the limit.
    PayloadTooLarge(String),
    /// 415: the body's media type is not accepted here.
    UnsupportedMediaType(String),
    /// 422: well-formed, but semantically wrong (a reference to nothing).
    Unprocessable {
        /// Human explanation.
        detail: String,
        /// The fields at fault.
        errors: Vec<FieldError>,
    },
    /// 503: the database is unavailable or busy; retry.
    Unavailable(String),
    /// 500: a bug or an unexpected failure; the cause goes to the log only.
    Internal(String),
}

impl ApiError {
    /// A 400 about one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        ApiError::BadRequest {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError::new(field, message)],
        }
    }

    /// A 400 about several fields.
    pub fn fields(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        ApiError::BadRequest { detail, errors }
    }

    /// A 422 about one field that names a resource that does not exist.
    pub fn missing(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        ApiError::Unprocessable {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError::new(field, message)],
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadRequest { .. } => ("bad-request", "The request is not valid"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication is required"),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            ApiError::Conflict(_) | ApiError::ConflictWith { .. } => ("conflict", "Conflict"),
            ApiError::PreconditionFailed(_) => ("precondition-failed", "Precondition failed"),
            ApiError::PayloadTooLarge(_) => ("payload-too-large", "Request body too large"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::Unprocessable { .. } => ("unprocessable", "The request cannot be processed"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal server error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::BadRequest { detail, .. }
            | ApiError::Unprocessable { detail, .. }
            | ApiError::ConflictWith { detail, .. } => detail.clone(),
            ApiError::Unauthorized(d)
            | ApiError::Forbidden(d)
            | ApiError::NotFound(d)
            | ApiError::Conflict(d)
            | ApiError::PreconditionFailed(d)
            | ApiError::PayloadTooLarge(d)
            | ApiError::UnsupportedMediaType(d)
            | ApiError::Unavailable(d) => d.clone(),
            ApiError::MethodNotAllowed { allow } => {
                format!("this path supports only {allow}")
            }
            // Never the cause: it may hold SQL text.
            ApiError::Internal(_) => "the server failed to handle the request".into(),
        }
    }
}

/// The problem document: `type`, `title`, `status`, `detail`, and `errors` when fields
/// are at fault.
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldError],
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.detail())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::ConflictWith { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            log::error!("internal error: {cause}");
        }
        let (slug, title) = self.slug_and_title();
        let status = self.status_code();
        let no_errors = Vec::new();
        let errors = match self {
            ApiError::BadRequest { errors, .. }
            | ApiError::Unprocessable { errors, .. }
            | ApiError::ConflictWith { errors, .. } => errors,
            _ => &no_errors,
        };
        let problem = Problem {
            kind: format!("urn:halyard:problem:{slug}"),
            title,
            status: status.as_u16(),
            detail: self.detail(),
            errors,
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        // A browser gets the same problem as a page (src/html): caches must tell apart.
        response.append_header((header::VARY, "Accept"));
        match self {
            ApiError::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(allow) {
                    response.insert_header((header::ALLOW, value));
                }
            }
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        let mut response = response.body(serde_json::to_string(&problem).unwrap_or_default());
        response.extensions_mut().insert(ProblemType(slug));
        response
    }
}

/// A response extension: the problem type of an error answer, for the request log.
#[derive(Debug, Clone, Copy)]
pub struct ProblemType(pub &'static str);

/// True for a foreign-key violation on either backend. SQLite reports some of them
/// (`ON DELETE RESTRICT`) only as a generic constraint failure with this message.
pub fn is_foreign_key_violation(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => true,
        DieselError::DatabaseError(_, info) => {
            info.message().contains("FOREIGN KEY constraint failed")
        }
        _ => false,
    }
}

/// Database messages that mean "try again" rather than "this request is wrong": SQLite's
/// busy lock, PostgreSQL's serialization failures and deadlocks, a statement cut short by
/// `statement_timeout`, and the messages of a server that is shutting down or
/// restarting (SQLSTATE class 57, which diesel reports without a kind of its own).
fn is_transient(message: &str) -> bool {
    const TRANSIENT: [&str; 9] = [
        "database is locked",
        "could not serialize",
        "deadlock detected",
        "canceling statement due to statement timeout",
        "canceling statement due to lock timeout",
        "terminating connection",
        "the database system is shutting down",
        "the database system is starting up",
        "server closed the connection",
    ];
    TRANSIENT.iter().any(|needle| message.contains(needle))
}

/// The 503 message for a database failure the client can retry, or `None` for one it
/// cannot. A connection lost mid-request (the server restarted, the network dropped),
/// a transaction aborted with it, a serialization failure or deadlock, a statement cut
/// short by a timeout: outages, not bugs.
fn retry_message(error: &DieselError) -> Option<&'static str> {
    match error {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => Some("the database connection was lost; retry"),
        // A rollback that failed because the connection went away leaves the transaction
        // manager broken; the pool drops such a connection (`db::Manager::has_broken`), so
        // a retry gets a fresh one.
        DieselError::BrokenTransactionManager => Some("the database connection was lost; retry"),
        DieselError::RollbackErrorOnCommit { commit_error, .. } => retry_message(commit_error),
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
            Some("the database is busy; retry")
        }
        DieselError::DatabaseError(_, info) if is_transient(info.message()) => {
            Some("the database is busy or restarting; retry")
        }
        _ => None,
    }
}

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> Self {
        let count = |kind| crate::metrics::metrics().db_error(kind);
        if let Some(message) = retry_message(&error) {
            count(DbErrorKind::Transient);
            log::warn!("transient database failure: {error}");
            return ApiError::Unavailable(message.into());
        }
        match &error {
            DieselError::NotFound => ApiError::NotFound("no such resource".into()),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                count(DbErrorKind::Constraint);
                ApiError::Conflict("a resource with these values already exists".into())
            }
            _ if is_foreign_key_violation(&error) => {
                count(DbErrorKind::Constraint);
                ApiError::Unprocessable {
                    detail: "a referenced resource does not exist".into(),
                    errors: Vec::new(),
                }
            }
            _ => {
                count(DbErrorKind::Other);
                ApiError::Internal(format!("database: {error}"))
            }
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(error: r2d2::Error) -> Self {
        crate::metrics::metrics().db_error(DbErrorKind::Transient);
        log::warn!("no database connection: {error}");
        ApiError::Unavailable("the database is not answering; retry shortly".into())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(format!("blocking pool: {error}"))
    }
}

/// The result of every handler and database unit of work.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn a_connection_lost_mid_request_is_503_not_500() {
        for kind in [
            DatabaseErrorKind::ClosedConnection,
            DatabaseErrorKind::UnableToSendCommand,
        ] {
            let error = ApiError::from(database_error(kind, "server closed the connection"));
            assert_eq!(error.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        }
    }

    #[test]
    fn a_transaction_broken_by_a_lost_connection_is_503() {
        let broken = ApiError::from(DieselError::BrokenTransactionManager);
        let commit = ApiError::from(DieselError::RollbackErrorOnCommit {
            rollback_error: Box::new(DieselError::BrokenTransactionManager),
            commit_error: Box::new(database_error(
                DatabaseErrorKind::ClosedConnection,
                "server closed the connection unexpectedly",
            )),
        });
        assert_eq!(broken.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(commit.status_code(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn a_server_shutting_down_or_a_statement_timeout_is_503() {
        for message in [
            "terminating connection due to administrator command",
            "the database system is shutting down",
            "canceling statement due to statement timeout",
            "database is locked",
        ] {
            let error = ApiError::from(database_error(DatabaseErrorKind::Unknown, message));
            assert_eq!(
                error.status_code(),
                StatusCode::SERVICE_UNAVAILABLE,
                "{message}"
            );
        }
    }

    #[test]
    fn a_503_tells_the_client_when_to_retry() {
        let response = ApiError::Unavailable("busy".into()).error_response();
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "1");
    }

    #[test]
    fn other_database_errors_stay_opaque_500s() {
        let error = ApiError::from(database_error(DatabaseErrorKind::Unknown, "syntax error"));
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!error.to_string().contains("syntax"));
    }
}
