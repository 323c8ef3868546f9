//! Failures of GitHub requests, sorted into what retrying can fix and what it cannot.
//!
//! The sorting follows GitHub's REST documentation: a 429, or a 403 carrying `retry-after` or
//! `x-ratelimit-remaining: 0`, is a rate limit; 5xx is a server error; other 4xx (401, 403, 404,
//! 410, 422) is a rejection that repeats on every retry.

use std::time::Duration;

use http::StatusCode;
use tally_core::error_type;

/// A failed GitHub request.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// A primary or secondary rate limit stopped the request.
    #[error("GitHub rate limit hit on {operation} (HTTP {status}, retry after {retry_after:?}): {message}")]
    RateLimited {
        /// What the client was doing, such as `create issue`.
        operation: &'static str,
        /// 403 or 429.
        status: StatusCode,
        /// Wait GitHub asked for in `retry-after`, when it sent one.
        retry_after: Option<Duration>,
        /// GitHub's message.
        message: String,
    },

    /// GitHub failed the request with a 5xx status.
    #[error("GitHub failed {operation} with HTTP {status}: {message}")]
    Server {
        /// What the client was doing.
        operation: &'static str,
        /// The 5xx status.
        status: StatusCode,
        /// GitHub's message.
        message: String,
    },

    /// The response arrived but its body is not the JSON GitHub documents.
    #[error("GitHub returned an undecodable response to {operation}: {message}")]
    InvalidResponse {
        /// What the client was doing.
        operation: &'static str,
        /// The decoding error.
        message: String,
    },

    /// No response arrived within the configured timeout.
    #[error("GitHub did not respond to {operation} within the timeout")]
    Timeout {
        /// What the client was doing.
        operation: &'static str,
    },

    /// The connection failed or dropped before a complete response arrived.
    #[error("connection to GitHub failed during {operation}: {message}")]
    Connection {
        /// What the client was doing.
        operation: &'static str,
        /// The transport error and its causes.
        message: String,
    },

    /// GitHub rejected the request (401, 403 without a rate limit, 404, 410, 422, ...).
    #[error(
        "GitHub rejected {operation} with HTTP {status}: {message}; check the token's access to \
         the repository and that the repository has issues enabled"
    )]
    Rejected {
        /// What the client was doing.
        operation: &'static str,
        /// The 4xx status.
        status: StatusCode,
        /// GitHub's message.
        message: String,
    },

    /// The client could not build or authenticate the request (bad URL, bad App key).
    #[error("GitHub request for {operation} could not be built: {message}")]
    Request {
        /// What the client was doing.
        operation: &'static str,
        /// What was wrong.
        message: String,
    },

    /// The client's configuration is invalid.
    #[error("invalid GitHub client configuration: {0}")]
    Config(String),
}

impl GitHubError {
    /// The stable name the state machine matches in `Retry` and `Catch`.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::RateLimited { .. } => error_type::GITHUB_RATE_LIMITED,
            Self::Server { .. } | Self::InvalidResponse { .. } => error_type::GITHUB_SERVER_ERROR,
            Self::Timeout { .. } => error_type::GITHUB_TIMEOUT,
            Self::Connection { .. } => error_type::GITHUB_CONNECTION_FAILED,
            Self::Rejected { .. } | Self::Request { .. } | Self::Config(_) => error_type::GITHUB_REJECTED,
        }
    }

    /// Whether running the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        error_type::is_retryable(self.error_type())
    }

    /// The HTTP status GitHub answered with, when it answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::RateLimited { status, .. } | Self::Server { status, .. } | Self::Rejected { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// Sorts an octocrab error from `operation`.
    pub(crate) fn from_octocrab(operation: &'static str, error: octocrab::Error) -> Self {
        match error {
            octocrab::Error::GitHub { source, .. } => Self::from_status(operation, &source),
            octocrab::Error::Service { source, .. } => Self::from_transport(operation, source.as_ref()),
            octocrab::Error::Hyper { source, .. } => Self::from_transport(operation, &source),
            octocrab::Error::Json { source, .. } => {
                Self::InvalidResponse { operation, message: source.to_string() }
            }
            octocrab::Error::Serde { source, .. } => {
                Self::InvalidResponse { operation, message: source.to_string() }
            }
            other => Self::Request { operation, message: other.to_string() },
        }
    }

    fn from_status(operation: &'static str, error: &octocrab::GitHubError) -> Self {
        let status = error.status_code;
        let message = error.message.clone();
        let header = |name: &str| {
            error.headers.as_ref().and_then(|headers| headers.get(name)).and_then(|value| value.to_str().ok())
        };
        let retry_after = header("retry-after").and_then(|value| value.trim().parse().ok()).map(Duration::from_secs);
        let primary_exhausted = header("x-ratelimit-remaining").is_some_and(|value| value.trim() == "0");

        let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN && (retry_after.is_some() || primary_exhausted));
        if rate_limited {
            Self::RateLimited { operation, status, retry_after, message }
        } else if status.is_server_error() {
            Self::Server { operation, status, message }
        } else {
            Self::Rejected { operation, status, message }
        }
    }

    fn from_transport(operation: &'static str, error: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = Vec::new();
        let mut timed_out = false;
        let mut current = Some(error);
        while let Some(cause) = current {
            chain.push(cause.to_string());
            if cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut) {
                timed_out = true;
            }
            current = cause.source();
        }

        if timed_out {
            Self::Timeout { operation }
        } else {
            Self::Connection { operation, message: chain.join(": ") }
        }
    }
}
