//! The choices that shape the template: authentication modes, throttling, function sizes, log
//! retention and the optional tuning values handed to the functions.
//!
//! Values that differ per deployment but not in shape (secret ARNs, the issues repository, code
//! locations) are template parameters instead, filled in by `tally deploy`.

use thiserror::Error;

use crate::cfn::logs::RETENTION_DAYS;

/// Largest integration timeout of an HTTP API, in seconds.
const MAX_API_TIMEOUT_SECONDS: u32 = 30;

/// Largest Lambda timeout, in seconds.
const MAX_FUNCTION_TIMEOUT_SECONDS: u32 = 900;

/// Smallest and largest Lambda memory sizes, in MB.
const FUNCTION_MEMORY_MB: (u32, u32) = (128, 10_240);

/// How the ingest function authenticates reports; the value of `TALLY_AUTH_MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportAuth {
    /// Reports carry an HMAC signature made with the shared secret in Secrets Manager.
    Hmac,
    /// Reports are accepted unsigned.
    None,
}

impl ReportAuth {
    /// The value the ingest function reads.
    pub fn as_env_value(self) -> &'static str {
        match self {
            Self::Hmac => "hmac",
            Self::None => "none",
        }
    }
}

/// How the issue functions authenticate to GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GitHubAuth {
    /// A token stored in Secrets Manager.
    Token,
    /// A GitHub App: its id and its PEM private key stored in Secrets Manager.
    App,
}

/// What the issue functions do when the error of a completed issue comes back; the value of
/// `TALLY_REGRESSION_MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RegressionMode {
    /// Reopen the completed issue.
    Reopen,
    /// Open a new issue that links to the completed one.
    NewIssue,
}

impl RegressionMode {
    /// The value the issue functions read.
    pub fn as_env_value(self) -> &'static str {
        match self {
            Self::Reopen => "reopen",
            Self::NewIssue => "new-issue",
        }
    }
}

/// Memory and timeout of one function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionSize {
    /// Memory in MB.
    pub memory_mb: u32,
    /// Timeout in seconds.
    pub timeout_seconds: u32,
}

/// Everything that shapes the template.
#[derive(Debug, Clone, PartialEq)]
pub struct StackOptions {
    /// How reports are authenticated.
    pub report_auth: ReportAuth,
    /// How the issue functions authenticate to GitHub.
    pub github_auth: GitHubAuth,
    /// Steady requests per second allowed on `POST /report`.
    pub throttle_rate: f64,
    /// Requests allowed in a burst above the steady rate.
    pub throttle_burst: u32,
    /// Size of the ingest function.
    pub ingest: FunctionSize,
    /// Size of the open-issue function.
    pub open_issue: FunctionSize,
    /// Size of the sync-occurrences function.
    pub sync_occurrences: FunctionSize,
    /// Days every log group keeps its events.
    pub log_retention_days: u32,
    /// Regression handling; `None` keeps the functions' default.
    pub regression_mode: Option<RegressionMode>,
    /// Claim lease of the ingest function in seconds; `None` keeps its default.
    pub claim_lease_seconds: Option<u32>,
    /// Debounce before the first count update in seconds; `None` keeps the default.
    pub sync_debounce_seconds: Option<u32>,
    /// Longest wait between count updates in seconds; `None` keeps the default.
    pub sync_max_wait_seconds: Option<u32>,
    /// Quiet time that ends the sync loop in seconds; `None` keeps the default.
    pub sync_quiet_seconds: Option<u32>,
    /// SNS topic ARN notified by every alarm; `None` creates alarms without actions.
    pub alarm_topic_arn: Option<String>,
}

impl Default for StackOptions {
    /// HMAC-signed reports, a GitHub token, 10 requests per second with bursts of 20, 256 MB
    /// functions, and 30 days of logs.
    fn default() -> Self {
        Self {
            report_auth: ReportAuth::Hmac,
            github_auth: GitHubAuth::Token,
            throttle_rate: 10.0,
            throttle_burst: 20,
            ingest: FunctionSize { memory_mb: 256, timeout_seconds: 10 },
            open_issue: FunctionSize { memory_mb: 256, timeout_seconds: 30 },
            sync_occurrences: FunctionSize { memory_mb: 256, timeout_seconds: 30 },
            log_retention_days: 30,
            regression_mode: None,
            claim_lease_seconds: None,
            sync_debounce_seconds: None,
            sync_max_wait_seconds: None,
            sync_quiet_seconds: None,
            alarm_topic_arn: None,
        }
    }
}

/// A [`StackOptions`] value that CloudFormation or AWS would reject.
#[derive(Debug, Error, PartialEq)]
pub enum OptionsError {
    /// The throttling rate is not a positive number.
    #[error("invalid throttle rate {0}: give a positive number of requests per second")]
    ThrottleRate(f64),
    /// Memory outside Lambda's range.
    #[error("invalid memory {memory_mb} MB for {function}: give a value from 128 to 10240")]
    Memory {
        /// Function name.
        function: &'static str,
        /// Rejected value.
        memory_mb: u32,
    },
    /// Timeout outside the range allowed for the function.
    #[error("invalid timeout {seconds} s for {function}: give a value from 1 to {max}")]
    Timeout {
        /// Function name.
        function: &'static str,
        /// Rejected value.
        seconds: u32,
        /// Largest value allowed.
        max: u32,
    },
    /// A retention period CloudWatch Logs does not offer.
    #[error("invalid log retention {0} days: use one of {RETENTION_DAYS:?}")]
    Retention(u32),
    /// The alarm topic is not an SNS topic ARN.
    #[error("invalid alarm topic {0:?}: give an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)")]
    AlarmTopic(String),
}

impl StackOptions {
    /// Checks every value against the limits of the AWS services, so mistakes fail before a
    /// deployment starts.
    pub fn validate(&self) -> Result<(), OptionsError> {
        if !(self.throttle_rate.is_finite() && self.throttle_rate > 0.0) {
            return Err(OptionsError::ThrottleRate(self.throttle_rate));
        }

        // The ingest function answers through API Gateway, which gives up after 30 seconds.
        let sizes = [
            ("ingest", self.ingest, MAX_API_TIMEOUT_SECONDS),
            ("open-issue", self.open_issue, MAX_FUNCTION_TIMEOUT_SECONDS),
            ("sync-occurrences", self.sync_occurrences, MAX_FUNCTION_TIMEOUT_SECONDS),
        ];
        for (function, size, max) in sizes {
            let (min_memory, max_memory) = FUNCTION_MEMORY_MB;
            if !(min_memory..=max_memory).contains(&size.memory_mb) {
                return Err(OptionsError::Memory { function, memory_mb: size.memory_mb });
            }
            if !(1..=max).contains(&size.timeout_seconds) {
                return Err(OptionsError::Timeout { function, seconds: size.timeout_seconds, max });
            }
        }

        if !RETENTION_DAYS.contains(&self.log_retention_days) {
            return Err(OptionsError::Retention(self.log_retention_days));
        }

        if let Some(topic) = &self.alarm_topic_arn {
            let parts: Vec<&str> = topic.split(':').collect();
            let is_sns_arn = parts.len() == 6 && parts[0] == "arn" && parts[2] == "sns";
            if !is_sns_arn {
                return Err(OptionsError::AlarmTopic(topic.clone()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(StackOptions::default().validate(), Ok(()));
    }

    #[test]
    fn validate_rejects_out_of_range_values() {
        let cases = [
            StackOptions { throttle_rate: 0.0, ..StackOptions::default() },
            StackOptions { throttle_rate: f64::NAN, ..StackOptions::default() },
            StackOptions {
                ingest: FunctionSize { memory_mb: 64, timeout_seconds: 10 },
                ..StackOptions::default()
            },
            StackOptions {
                ingest: FunctionSize { memory_mb: 256, timeout_seconds: 31 },
                ..StackOptions::default()
            },
            StackOptions {
                open_issue: FunctionSize { memory_mb: 256, timeout_seconds: 0 },
                ..StackOptions::default()
            },
            StackOptions { log_retention_days: 2, ..StackOptions::default() },
            StackOptions {
                alarm_topic_arn: Some("arn:aws:sqs:us-east-1:123456789012:q".to_owned()),
                ..StackOptions::default()
            },
        ];
        for options in cases {
            assert!(options.validate().is_err(), "accepted {options:?}");
        }
    }

    #[test]
    fn open_issue_timeout_may_exceed_api_limit() {
        let options = StackOptions {
            open_issue: FunctionSize { memory_mb: 256, timeout_seconds: 120 },
            ..StackOptions::default()
        };
        assert_eq!(options.validate(), Ok(()));
    }
}
