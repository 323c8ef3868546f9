//! Mapping outcomes to HTTP responses, in one place. Clients see a short, fixed message and the
//! field at fault; the internal cause is logged once here with the request id.

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;
use tally_core::report::{MAX_BODY_BYTES, ReportError};
use tally_store::StoreError;
use tracing::{error, info, warn};

use crate::auth::AuthError;
use crate::record::{RecordError, Recorded};
use crate::workflow::StartError;

/// A recorded report, as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// Lowercase hex fingerprint.
    pub fingerprint: String,
    /// What recording did.
    pub recorded: Recorded,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Not a `POST`.
    #[error("method not allowed; send POST /report")]
    MethodNotAllowed,
    /// Not `application/json`.
    #[error("unsupported media type; send Content-Type: application/json")]
    UnsupportedMediaType,
    /// The body is over [`MAX_BODY_BYTES`].
    #[error("request body is {size} bytes, over the limit of {MAX_BODY_BYTES} bytes")]
    PayloadTooLarge {
        /// Size of the body sent.
        size: usize,
    },
    /// The report is not authenticated.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The report is invalid.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// Recording failed.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A bug: something that cannot fail did.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Serialize)]
struct AcceptedBody<'a> {
    fingerprint: &'a str,
    status: &'static str,
    occurrences: u64,
    issue_url: Option<&'a str>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

/// `202 Accepted` with the fingerprint, `new` or `duplicate`, the count and the issue URL.
pub fn accepted(accepted: &Accepted) -> Response<Body> {
    let body = AcceptedBody {
        fingerprint: &accepted.fingerprint,
        status: if accepted.recorded.new { "new" } else { "duplicate" },
        occurrences: accepted.recorded.occurrences,
        issue_url: accepted.recorded.issue_url.as_deref(),
    };
    json(StatusCode::ACCEPTED, &body, None)
}

/// The error response for `error`; logs its cause once.
pub fn error(error: &IngestError, request_id: &str) -> Response<Body> {
    let (status, message, field) = classify(error);

    if status.is_server_error() {
        error!(request_id, error = %error, cause = ?std::error::Error::source(error), "report not recorded");
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        warn!(request_id, error = %error, "report throttled");
    } else {
        info!(request_id, status = status.as_u16(), error = %message, "report rejected");
    }

    let retry_after = matches!(status, StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE);
    json(status, &ErrorBody { error: &message, field }, retry_after.then_some("1"))
}

fn classify(error: &IngestError) -> (StatusCode, String, Option<&'static str>) {
    let unavailable = "the report could not be recorded; retry later".to_owned();
    match error {
        IngestError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, error.to_string(), None),
        IngestError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, error.to_string(), None),
        IngestError::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, error.to_string(), None),
        IngestError::Auth(AuthError::Mismatch) => (StatusCode::FORBIDDEN, error.to_string(), None),
        IngestError::Auth(_) => (StatusCode::UNAUTHORIZED, error.to_string(), None),
        IngestError::Report(report_error) => (StatusCode::BAD_REQUEST, report_error.to_string(), report_error.field()),
        IngestError::Record(RecordError::Store(StoreError::Throttled { .. }))
        | IngestError::Record(RecordError::Start(StartError::Throttled { .. })) => {
            (StatusCode::TOO_MANY_REQUESTS, "too many reports; retry after a short wait".to_owned(), None)
        }
        IngestError::Record(_) => (StatusCode::SERVICE_UNAVAILABLE, unavailable, None),
        IngestError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error".to_owned(), None),
    }
}

fn json(status: StatusCode, body: &impl Serialize, retry_after: Option<&str>) -> Response<Body> {
    // Serializing these plain structs cannot fail.
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
    let mut builder = Response::builder().status(status).header(header::CONTENT_TYPE, "application/json");
    if status == StatusCode::METHOD_NOT_ALLOWED {
        builder = builder.header(header::ALLOW, "POST");
    }
    if let Some(seconds) = retry_after {
        builder = builder.header(header::RETRY_AFTER, seconds);
    }
    builder.body(Body::Text(text)).unwrap_or_else(|_| Response::new(Body::Empty))
}
