//! The function's errors, each reported to Step Functions under a stable `errorType`.

use lambda_runtime::Diagnostic;
use tally_core::error_type;
use tally_github::GitHubError;
use tally_store::StoreError;

/// A failed sync round or release.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The request is not valid JSON of a known action.
    #[error("invalid request: {0}")]
    InvalidInput(String),

    /// GitHub failed or rejected a call.
    #[error(transparent)]
    GitHub(#[from] GitHubError),

    /// Reading or writing the item failed.
    #[error(transparent)]
    Store(#[from] StoreError),

    /// The item cannot be synced, for example because its issue is not open.
    #[error("item {fingerprint} cannot be synced: {reason}")]
    InvalidItem {
        /// The item's key.
        fingerprint: String,
        /// What is wrong.
        reason: String,
    },
}

impl SyncError {
    /// The stable name the state machine matches.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => error_type::INVALID_INPUT,
            Self::GitHub(error) => error.error_type(),
            Self::Store(error) => error.error_type(),
            Self::InvalidItem { .. } => error_type::ITEM_INVALID,
        }
    }
}

impl From<SyncError> for Diagnostic {
    fn from(error: SyncError) -> Self {
        Diagnostic { error_type: error.error_type().to_owned(), error_message: error.to_string() }
    }
}
