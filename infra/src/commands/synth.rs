//! `tally synth`: writes the CloudFormation template to stdout or a file.
//!
//! [`TemplateArgs`] contains the options that shape the template; `tally deploy` takes the same
//! options, so a synthesized template is exactly what a deployment with those options creates.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::stack::{self, FunctionSize, GitHubAuth, RegressionMode, ReportAuth, StackOptions};

/// Options that shape the template, shared by `tally synth` and `tally deploy`.
#[derive(Debug, Clone, clap::Args)]
pub struct TemplateArgs {
    /// Report authentication: `hmac` requires the HMAC secret, `none` accepts unsigned reports.
    #[arg(long, value_enum, default_value = "hmac")]
    pub auth_mode: ReportAuth,

    /// Steady requests per second allowed on POST /report.
    #[arg(long, default_value_t = 10.0, value_name = "PER_SECOND")]
    pub throttle_rate: f64,

    /// Requests allowed in a burst above the steady rate.
    #[arg(long, default_value_t = 20, value_name = "REQUESTS")]
    pub throttle_burst: u32,

    /// Memory of the ingest function, in MB.
    #[arg(long, default_value_t = 256, value_name = "MB")]
    pub ingest_memory: u32,

    /// Timeout of the ingest function, in seconds (at most 30, API Gateway's limit).
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub ingest_timeout: u32,

    /// Memory of the open-issue function, in MB.
    #[arg(long, default_value_t = 256, value_name = "MB")]
    pub open_issue_memory: u32,

    /// Timeout of the open-issue function, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub open_issue_timeout: u32,

    /// Memory of the sync-occurrences function, in MB.
    #[arg(long, default_value_t = 256, value_name = "MB")]
    pub sync_occurrences_memory: u32,

    /// Timeout of the sync-occurrences function, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub sync_occurrences_timeout: u32,

    /// Days the log groups keep events (a CloudWatch Logs retention value such as 7, 30, 365).
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    pub log_retention_days: u32,

    /// Handling of an error whose issue was completed and that is reported again; the
    /// functions' default when unset.
    #[arg(long, value_enum)]
    pub regression_mode: Option<RegressionMode>,

    /// Seconds after which an unstarted claim may be taken over; the functions' default when
    /// unset.
    #[arg(long, value_name = "SECONDS")]
    pub claim_lease_seconds: Option<u32>,

    /// Seconds between opening an issue and its first count update; the default when unset.
    #[arg(long, value_name = "SECONDS")]
    pub sync_debounce_seconds: Option<u32>,

    /// Maximum wait between count updates, in seconds; the default when unset.
    #[arg(long, value_name = "SECONDS")]
    pub sync_max_wait_seconds: Option<u32>,

    /// Seconds without a new report after which the sync loop ends; the default when unset.
    #[arg(long, value_name = "SECONDS")]
    pub sync_quiet_seconds: Option<u32>,

    /// SNS topic ARN that every alarm notifies; alarms have no actions when unset.
    #[arg(long, value_name = "ARN")]
    pub alarm_topic: Option<String>,

    /// State machine definition to deploy instead of the bundled one.
    #[arg(long, value_name = "FILE")]
    pub definition: Option<PathBuf>,
}

impl TemplateArgs {
    /// Converts these arguments and the GitHub authentication into stack options.
    pub fn stack_options(&self, github_auth: GitHubAuth) -> StackOptions {
        StackOptions {
            report_auth: self.auth_mode,
            github_auth,
            throttle_rate: self.throttle_rate,
            throttle_burst: self.throttle_burst,
            ingest: FunctionSize {
                memory_mb: self.ingest_memory,
                timeout_seconds: self.ingest_timeout,
            },
            open_issue: FunctionSize {
                memory_mb: self.open_issue_memory,
                timeout_seconds: self.open_issue_timeout,
            },
            sync_occurrences: FunctionSize {
                memory_mb: self.sync_occurrences_memory,
                timeout_seconds: self.sync_occurrences_timeout,
            },
            log_retention_days: self.log_retention_days,
            regression_mode: self.regression_mode,
            claim_lease_seconds: self.claim_lease_seconds,
            sync_debounce_seconds: self.sync_debounce_seconds,
            sync_max_wait_seconds: self.sync_max_wait_seconds,
            sync_quiet_seconds: self.sync_quiet_seconds,
            alarm_topic_arn: self.alarm_topic.clone(),
        }
    }

    /// Reads the state machine definition: the `--definition` file or the bundled one.
    pub fn definition(&self) -> anyhow::Result<String> {
        match &self.definition {
            Some(path) => std::fs::read_to_string(path).with_context(|| {
                format!("failed to read the state machine definition {}", path.display())
            }),
            None => Ok(stack::definition::BUNDLED.to_owned()),
        }
    }

    /// Builds the template JSON for these arguments.
    pub fn synthesize(&self, github_auth: GitHubAuth) -> anyhow::Result<String> {
        let options = self.stack_options(github_auth);
        let definition = self.definition()?;
        let template = stack::template(&options, &definition)?;
        Ok(template.to_json())
    }
}

/// Options of `tally synth`.
#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// How the issue functions authenticate to GitHub: a token secret, or a GitHub App id and
    /// key secret. This decides which parameters the template requires.
    #[arg(long, value_enum, default_value = "token")]
    pub github_auth: GitHubAuth,

    /// Options that shape the template.
    #[command(flatten)]
    pub template: TemplateArgs,

    /// File to write the template to instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Runs `tally synth`.
pub fn run(args: &SynthArgs) -> anyhow::Result<ExitCode> {
    let json = args.template.synthesize(args.github_auth)?;

    match &args.out {
        Some(path) => std::fs::write(path, json)
            .with_context(|| format!("failed to write the template to {}", path.display()))?,
        None => print!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}
