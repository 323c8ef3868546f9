//! The function's errors, each reported to Step Functions under a stable `errorType`.

use lambda_runtime::Diagnostic;
use tally_core::error_type;
use tally_github::GitHubError;
use tally_store::StoreError;

/// A failed open or record-failure request.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The request is not valid JSON of a known action.
    #[error("invalid request: {0}")]
    InvalidInput(String),

    /// GitHub failed or rejected a call.
    #[error(transparent)]
    GitHub(#[from] GitHubError),

    /// Reading or writing the item failed.
    #[error(transparent)]
    Store(#[from] StoreError),

    /// The item's stored report or state cannot be used.
    #[error("item {fingerprint} cannot be opened: {reason}")]
    InvalidItem {
        /// The item's key.
        fingerprint: String,
        /// What is wrong.
        reason: String,
    },

    /// Another open attempt owns the item, so this execution stops.
    #[error("open attempt {attempt} of {fingerprint} is stale: the item is at attempt {current}")]
    StaleAttempt {
        /// The item's key.
        fingerprint: String,
        /// This execution's attempt.
        attempt: u64,
        /// The item's attempt.
        current: u64,
    },
}

impl OpenError {
    /// The stable name the state machine matches.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => error_type::INVALID_INPUT,
            Self::GitHub(error) => error.error_type(),
            Self::Store(error) => error.error_type(),
            Self::InvalidItem { .. } => error_type::ITEM_INVALID,
            Self::StaleAttempt { .. } => error_type::STALE_ATTEMPT,
        }
    }
}

impl From<OpenError> for Diagnostic {
    fn from(error: OpenError) -> Self {
        Diagnostic { error_type: error.error_type().to_owned(), error_message: error.to_string() }
    }
}
