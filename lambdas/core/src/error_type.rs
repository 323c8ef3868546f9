//! Stable names of the errors the workflow functions raise, shared with the state machine.
//!
//! Each function reports a failure to Step Functions with one of these names as its `errorType`,
//! and the state machine's `Retry` and `Catch` match on them. Renaming one breaks the state
//! machine, so the names are fixed here and the ASL is checked against these lists in the tests.

/// GitHub refused the request because of a primary or secondary rate limit.
pub const GITHUB_RATE_LIMITED: &str = "GitHubRateLimited";
/// GitHub answered with a 5xx status, or with a body that could not be decoded.
pub const GITHUB_SERVER_ERROR: &str = "GitHubServerError";
/// GitHub did not answer within the client's timeout.
pub const GITHUB_TIMEOUT: &str = "GitHubTimeout";
/// The connection to GitHub failed or dropped before a response arrived.
pub const GITHUB_CONNECTION_FAILED: &str = "GitHubConnectionFailed";
/// GitHub rejected the request in a way retrying cannot fix (401, 403 without a rate limit, 404
/// on the repository, 410, 422).
pub const GITHUB_REJECTED: &str = "GitHubRejected";
/// DynamoDB failed or throttled a read or write of the item.
pub const STORE_UNAVAILABLE: &str = "StoreUnavailable";
/// The fingerprint has no item in the table.
pub const ITEM_NOT_FOUND: &str = "ItemNotFound";
/// The item exists but an attribute is missing, has the wrong type, or contradicts the request
/// (for example a sync of an item whose issue is not open).
pub const ITEM_INVALID: &str = "ItemInvalid";
/// A newer open attempt has replaced the one this execution runs, so this one stops.
pub const STALE_ATTEMPT: &str = "StaleAttempt";
/// The function's input is not valid JSON of the expected shape.
pub const INVALID_INPUT: &str = "InvalidInput";

/// Errors that may succeed when the same step runs again: the state machine retries them with
/// backoff and jitter.
pub const RETRYABLE: &[&str] =
    &[GITHUB_RATE_LIMITED, GITHUB_SERVER_ERROR, GITHUB_TIMEOUT, GITHUB_CONNECTION_FAILED, STORE_UNAVAILABLE];

/// Errors that repeat on every retry: the state machine catches them at once.
pub const PERMANENT: &[&str] = &[GITHUB_REJECTED, ITEM_NOT_FOUND, ITEM_INVALID, STALE_ATTEMPT, INVALID_INPUT];

/// Whether `name` is one of [`RETRYABLE`].
pub fn is_retryable(name: &str) -> bool {
    RETRYABLE.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_disjoint_and_cover_every_name() {
        for name in RETRYABLE {
            assert!(!PERMANENT.contains(name), "{name} is both retryable and permanent");
        }
        assert_eq!(RETRYABLE.len() + PERMANENT.len(), 10);
    }
}
