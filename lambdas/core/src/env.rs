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

/// Seconds a GitHub request may take to connect, and between reads or writes, before it fails
/// with `GitHubTimeout`; defaults to 10.
pub const GITHUB_TIMEOUT_SECONDS: &str = "TALLY_GITHUB_TIMEOUT_SECONDS";

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
    GITHUB_TIMEOUT_SECONDS,
    REGRESSION_MODE,
    SYNC_DEBOUNCE_SECONDS,
    SYNC_MAX_WAIT_SECONDS,
    SYNC_QUIET_SECONDS,
];

/// Reads configuration variables and collects every missing or invalid one, so a function that
/// fails at cold start names all of them in one message instead of one per deploy.
///
/// `lookup` returns a variable's value; functions pass `std::env::var(name).ok()`, tests pass a
/// map, so no test needs to change the process environment.
pub struct EnvReader<F> {
    lookup: F,
    problems: Vec<String>,
}

impl<F: Fn(&str) -> Option<String>> EnvReader<F> {
    /// Starts reading through `lookup`.
    pub fn new(lookup: F) -> Self {
        Self { lookup, problems: Vec::new() }
    }

    /// An optional variable; an empty value counts as unset.
    pub fn optional(&mut self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|value| !value.trim().is_empty())
    }

    /// A required variable; records it as missing and returns an empty string when unset.
    pub fn required(&mut self, name: &str) -> String {
        match self.optional(name) {
            Some(value) => value,
            None => {
                self.problems.push(format!("{name} is missing"));
                String::new()
            }
        }
    }

    /// An optional variable parsed with `parse`, `default` when unset; records an invalid value
    /// with the reason `parse` gives.
    pub fn parsed<T>(&mut self, name: &str, default: T, parse: impl Fn(&str) -> Result<T, String>) -> T {
        let Some(value) = self.optional(name) else {
            return default;
        };
        match parse(&value) {
            Ok(parsed) => parsed,
            Err(reason) => {
                self.problems.push(format!("{name}={value:?} is invalid: {reason}"));
                default
            }
        }
    }

    /// Records a problem found while combining variables, such as two that exclude each other.
    pub fn reject(&mut self, problem: impl Into<String>) {
        self.problems.push(problem.into());
    }

    /// Finishes reading: `Err` lists every problem recorded.
    pub fn finish(self) -> Result<(), EnvError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(EnvError { problems: self.problems })
        }
    }
}

/// Configuration that could not be loaded; lists every missing or invalid variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {}; set these environment variables and restart", problems.join("; "))]
pub struct EnvError {
    /// One line per missing or invalid variable.
    pub problems: Vec<String>,
}

/// Parses a whole number of seconds, as the `*_SECONDS` variables hold.
pub fn parse_seconds(value: &str) -> Result<u64, String> {
    value.trim().parse().map_err(|_| "expected a whole number of seconds".to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn env_reader_names_every_problem_at_once() {
        let values = HashMap::from([(CLAIM_LEASE_SECONDS, "soon"), (AUTH_MODE, " ")]);
        let mut reader = EnvReader::new(|name: &str| values.get(name).map(|value| value.to_string()));

        reader.required(TABLE_NAME);
        reader.required(AUTH_MODE);
        let lease = reader.parsed(CLAIM_LEASE_SECONDS, 60, parse_seconds);
        let error = reader.finish().expect_err("three problems were recorded");

        assert_eq!(lease, 60);
        assert_eq!(error.problems.len(), 3);
        assert!(error.problems[0].contains(TABLE_NAME));
        assert!(error.problems[1].contains(AUTH_MODE));
        assert!(error.problems[2].contains("\"soon\" is invalid"));
    }
}
