//! Errors of the store: what failed, on which fingerprint.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use tally_core::error_type;

/// Error codes with which DynamoDB says "slow down" rather than "failed".
const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
];

/// A failed read or write of a fingerprint item.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB rejected or failed the call; the caller may retry.
    #[error("DynamoDB {operation} failed for fingerprint {fingerprint}")]
    DynamoDb {
        /// The API operation, such as `PutItem`.
        operation: &'static str,
        /// The item's key.
        fingerprint: String,
        /// The SDK error, kept for logs.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// DynamoDB throttled the call; the client should retry after a short wait.
    #[error("DynamoDB throttled {operation} for fingerprint {fingerprint}")]
    Throttled {
        /// The API operation, such as `PutItem`.
        operation: &'static str,
        /// The item's key.
        fingerprint: String,
    },

    /// The item exists but an attribute is missing or has the wrong type.
    #[error("item {fingerprint} has an invalid attribute {attribute}: {reason}")]
    Corrupt {
        /// The item's key.
        fingerprint: String,
        /// The attribute at fault.
        attribute: &'static str,
        /// What was wrong with it.
        reason: String,
    },

    /// The item was expected but is not in the table.
    #[error("no item for fingerprint {0}")]
    NotFound(String),
}

impl StoreError {
    /// The stable `errorType` under which a workflow function reports this error, so the state
    /// machine retries an unavailable table and fails fast on a missing or unusable item.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::DynamoDb { .. } | Self::Throttled { .. } => error_type::STORE_UNAVAILABLE,
            Self::NotFound(_) => error_type::ITEM_NOT_FOUND,
            Self::Corrupt { .. } => error_type::ITEM_INVALID,
        }
    }

    /// Wraps an SDK error of `operation` on `fingerprint`, telling throttling apart so the
    /// caller can answer 429 instead of 503.
    pub fn dynamodb<E, R>(operation: &'static str, fingerprint: &str, source: SdkError<E, R>) -> Self
    where
        E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let throttled = source
            .as_service_error()
            .and_then(|error| error.code())
            .is_some_and(|code| THROTTLING_CODES.contains(&code));
        if throttled {
            return Self::Throttled { operation, fingerprint: fingerprint.to_owned() };
        }
        Self::DynamoDb { operation, fingerprint: fingerprint.to_owned(), source: Box::new(source) }
    }
}
