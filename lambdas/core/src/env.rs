//! Names of the environment variables that configure tally's functions.
//!
//! The functions read these at cold start and `infra` sets them in the template, so both sides use
//! these constants and cannot drift apart.

/// DynamoDB table that stores one item per fingerprint.
pub const TABLE_NAME: &str = "TALLY_TABLE_NAME";

/// ARN of the Step Functions state machine that opens and syncs issues.
pub const STATE_MACHINE_ARN: &str = "TALLY_STATE_MACHINE_ARN";

/// How the ingest function authenticates reports: `hmac` or `none`.
pub const AUTH_MODE: &str = "TALLY_AUTH_MODE";

/// Secrets Manager ARN of the shared HMAC secret (deployed stacks).
pub const HMAC_SECRET_ARN: &str = "TALLY_HMAC_SECRET_ARN";

/// The shared HMAC secret itself, for local runs without Secrets Manager.
pub const HMAC_SECRET: &str = "TALLY_HMAC_SECRET";

/// Seconds after which an unstarted claim may be taken over by a later report.
pub const CLAIM_LEASE_SECONDS: &str = "TALLY_CLAIM_LEASE_SECONDS";

/// The repository that receives the issues, as `owner/name`.
pub const ISSUES_REPO: &str = "TALLY_ISSUES_REPO";

/// Secrets Manager ARN of the GitHub token (deployed stacks).
pub const GITHUB_TOKEN_SECRET_ARN: &str = "TALLY_GITHUB_TOKEN_SECRET_ARN";

/// The GitHub token itself, for local runs without Secrets Manager.
pub const GITHUB_TOKEN: &str = "TALLY_GITHUB_TOKEN";

/// GitHub App id, used with [`GITHUB_APP_KEY_SECRET_ARN`] instead of a token.
pub const GITHUB_APP_ID: &str = "TALLY_GITHUB_APP_ID";

/// Secrets Manager ARN of the GitHub App's PEM private key.
pub const GITHUB_APP_KEY_SECRET_ARN: &str = "TALLY_GITHUB_APP_KEY_SECRET_ARN";

/// Base URL of the GitHub REST API; defaults to `https://api.github.com`.
pub const GITHUB_API_URL: &str = "TALLY_GITHUB_API_URL";

/// What to do when a completed issue's error comes back: `reopen` or `new-issue`.
pub const REGRESSION_MODE: &str = "TALLY_REGRESSION_MODE";

/// Seconds the workflow waits after the issue opens before its first count update.
pub const SYNC_DEBOUNCE_SECONDS: &str = "TALLY_SYNC_DEBOUNCE_SECONDS";

/// Longest wait, in seconds, between two count updates while reports keep arriving.
pub const SYNC_MAX_WAIT_SECONDS: &str = "TALLY_SYNC_MAX_WAIT_SECONDS";

/// Seconds without a new report after which the sync loop ends.
pub const SYNC_QUIET_SECONDS: &str = "TALLY_SYNC_QUIET_SECONDS";

/// Every variable name above, for documentation and checks.
pub const ALL: &[&str] = &[
    TABLE_NAME,
    STATE_MACHINE_ARN,
    AUTH_MODE,
    HMAC_SECRET_ARN,
    HMAC_SECRET,
    CLAIM_LEASE_SECONDS,
    ISSUES_REPO,
    GITHUB_TOKEN_SECRET_ARN,
    GITHUB_TOKEN,
    GITHUB_APP_ID,
    GITHUB_APP_KEY_SECRET_ARN,
    GITHUB_API_URL,
    REGRESSION_MODE,
    SYNC_DEBOUNCE_SECONDS,
    SYNC_MAX_WAIT_SECONDS,
    SYNC_QUIET_SECONDS,
];
