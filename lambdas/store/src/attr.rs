//! Attribute names of the fingerprint item, and the bounds on its sets.
//!
//! Times are epoch milliseconds (`N`) except [`EXPIRES_AT`], which DynamoDB's TTL reads as epoch
//! seconds.

/// Partition key: the lowercase hex fingerprint (`S`).
pub const FINGERPRINT: &str = "fingerprint";
/// Occurrences counted so far (`N`), 1 after the first report.
pub const OCCURRENCES: &str = "occurrences";
/// Time of the first report (`N`, epoch ms).
pub const FIRST_SEEN: &str = "first_seen";
/// Time of the latest report (`N`, epoch ms).
pub const LAST_SEEN: &str = "last_seen";
/// Repository of the first report, `owner/name` (`S`).
pub const REPO: &str = "repo";
/// Distinct reporting repositories (`SS`), at most [`MAX_REPOS`].
pub const REPOS: &str = "repos";
/// Reports from repositories that no longer fit in [`REPOS`] (`N`).
pub const REPOS_OVERFLOW: &str = "repos_overflow";
/// Distinct reported versions (`SS`), at most [`MAX_VERSIONS`].
pub const VERSIONS: &str = "versions";
/// Issue title rendered from the first report (`S`).
pub const TITLE: &str = "title";
/// Detected language of the trace (`S`).
pub const LANGUAGE: &str = "language";
/// The first report, scrubbed, as JSON of `tally_core::report::Report` (`S`).
pub const SAMPLE: &str = "sample";
/// When the current open attempt was claimed (`N`, epoch ms); the lease runs from here.
pub const CLAIMED_AT: &str = "claimed_at";
/// Open attempt number (`N`), part of the open execution's name.
pub const OPEN_ATTEMPT: &str = "open_attempt";
/// ARN of the started open execution (`S`); absent until `StartExecution` succeeded.
pub const EXECUTION_ARN: &str = "execution_arn";
/// `opening`, `open` or `failed` (`S`); absent before the workflow touches the item.
pub const ISSUE_STATE: &str = "issue_state";
/// When the open step marked the item `opening` (`N`, epoch ms).
pub const OPENING_AT: &str = "opening_at";
/// GitHub issue number (`N`).
pub const ISSUE_NUMBER: &str = "issue_number";
/// GitHub issue URL (`S`).
pub const ISSUE_URL: &str = "issue_url";
/// Stable error type of the permanent failure that stopped the open step (`S`).
pub const FAILURE_TYPE: &str = "failure_type";
/// Message of that failure (`S`), safe to show to operators.
pub const FAILURE_MESSAGE: &str = "failure_message";
/// Whether a sync loop owns the item now (`BOOL`).
pub const SYNC_ACTIVE: &str = "sync_active";
/// Sync generation (`N`), part of the sync execution's name; raised on each resume.
pub const SYNC_GENERATION: &str = "sync_generation";
/// When the current sync generation was claimed (`N`, epoch ms).
pub const SYNC_CLAIMED_AT: &str = "sync_claimed_at";
/// ARN of the started sync execution (`S`); absent until `StartExecution` succeeded.
pub const SYNC_EXECUTION_ARN: &str = "sync_execution_arn";
/// Occurrence count last written to the issue (`N`).
pub const SYNCED_OCCURRENCES: &str = "synced_occurrences";
/// Highest milestone already announced in a comment (`N`).
pub const LAST_MILESTONE: &str = "last_milestone";
/// How the issue was closed when last seen closed: `completed` or `not_planned` (`S`).
pub const CLOSED_REASON: &str = "closed_reason";
/// Occurrence count when the issue was seen closed (`N`).
pub const CLOSED_AT_OCCURRENCES: &str = "closed_at_occurrences";
/// Newest reported version when the issue was seen closed (`S`).
pub const CLOSED_VERSION: &str = "closed_version";
/// Newest version already announced on the issue (`S`): the newest version when the issue
/// opened, then each newer version that a comment announced.
pub const ANNOUNCED_VERSION: &str = "announced_version";
/// TTL (`N`, epoch seconds): the item expires this long after its last report.
pub const EXPIRES_AT: &str = "expires_at";

/// Most repositories kept in [`REPOS`]; later ones only raise [`REPOS_OVERFLOW`].
pub const MAX_REPOS: usize = 50;
/// Most versions kept in [`VERSIONS`].
pub const MAX_VERSIONS: usize = 50;
/// Days an item lives after its last report before DynamoDB's TTL deletes it.
pub const TTL_DAYS: i64 = 180;
