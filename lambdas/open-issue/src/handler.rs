//! Opening the issue exactly once, and recording a permanent failure.
//!
//! Exactly once rests on the item: the step marks it `opening` before creating, and an attempt
//! that finds it already marked looks for the fingerprint's hidden marker among the newest issues
//! before creating, because an earlier attempt may have created the issue and lost the response.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tally_core::fingerprint::Fingerprint;
use tally_core::render::{fingerprint_marker, issue_body, replace_summary};
use tally_core::report::Report;
use tally_core::summary::{Occurrences, highest_milestone, newest_version, render_summary};
use tally_github::{Issue, IssuesClient, NewIssue};
use tally_store::issue::{OpenStart, OpenedIssue};
use tally_store::{Item, Table};

use crate::OpenError;
use crate::request::{FailureRecorded, Opened, Outcome, Request};

/// How far before the first `opening` mark the marker search looks, to allow for clock skew
/// between Lambda and GitHub.
const SEARCH_SKEW_MS: i64 = 5 * 60 * 1000;

/// Maximum length, in characters, of the failure message stored on the item.
const MAX_FAILURE_MESSAGE_CHARS: usize = 1000;

/// The function's dependencies, built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    /// The fingerprint table.
    pub table: Table,
    /// The issues repository.
    pub github: IssuesClient,
}

/// Handles one invocation: decodes the request and runs it.
pub async fn handle(app: &App, payload: Value) -> Result<Value, OpenError> {
    let request: Request =
        serde_json::from_value(payload).map_err(|error| OpenError::InvalidInput(error.to_string()))?;

    let output = match request {
        Request::Open { fingerprint, attempt } => serde_json::to_value(open(app, &fingerprint, attempt).await?),
        Request::RecordFailure { fingerprint, attempt, failure } => serde_json::to_value(
            record_failure(app, &fingerprint, attempt, &failure.error, failure.cause.as_deref()).await?,
        ),
    };
    output.map_err(|error| OpenError::InvalidInput(format!("the response could not be encoded: {error}")))
}

fn parse_fingerprint(fingerprint: &str) -> Result<Fingerprint, OpenError> {
    fingerprint
        .parse()
        .map_err(|_| OpenError::InvalidInput(format!("fingerprint {fingerprint:?} is not 64 lowercase hex digits")))
}

fn time_of(fingerprint: &str, ms: i64) -> Result<DateTime<Utc>, OpenError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| OpenError::InvalidItem {
        fingerprint: fingerprint.to_owned(),
        reason: format!("time {ms} ms is out of range"),
    })
}

/// Opens the issue of `fingerprint` for open attempt `attempt`.
pub async fn open(app: &App, fingerprint: &str, attempt: u64) -> Result<Opened, OpenError> {
    let parsed = parse_fingerprint(fingerprint)?;
    let now_ms = Utc::now().timestamp_millis();

    let start = app.table.start_opening(fingerprint, attempt, now_ms).await?;
    let (item, issue, outcome) = match start {
        OpenStart::AlreadyOpen(item) => return already_open(&item),
        OpenStart::Stale { current_attempt } => {
            return Err(OpenError::StaleAttempt { fingerprint: fingerprint.to_owned(), attempt, current: current_attempt });
        }
        OpenStart::SearchFirst { item, since_ms } => {
            let since = time_of(fingerprint, since_ms - SEARCH_SKEW_MS)?;
            let marker = fingerprint_marker(&parsed);
            match app.github.find_issue_with_marker(&marker, since).await? {
                Some(issue) => {
                    tracing::info!(fingerprint, attempt, issue = issue.number, "found the issue an earlier attempt created");
                    (item, issue, Outcome::Found)
                }
                None => {
                    tracing::info!(fingerprint, attempt, "no issue from an earlier attempt; creating it");
                    let issue = create(app, &parsed, &item).await?;
                    (item, issue, Outcome::Created)
                }
            }
        }
        OpenStart::Create(item) => {
            let issue = create(app, &parsed, &item).await?;
            (item, issue, Outcome::Created)
        }
    };

    let newest = newest_version(&item.versions);
    let recorded = app
        .table
        .record_opened(&OpenedIssue {
            fingerprint,
            number: issue.number,
            url: &issue.html_url,
            shown_occurrences: item.occurrences,
            milestone: highest_milestone(item.occurrences).unwrap_or(0),
            newest_version: newest,
        })
        .await?;
    if !recorded {
        return Err(OpenError::InvalidItem {
            fingerprint: fingerprint.to_owned(),
            reason: format!("the item records another issue than #{}", issue.number),
        });
    }

    tracing::info!(fingerprint, attempt, issue = issue.number, ?outcome, "issue recorded");
    Ok(Opened { issue_number: issue.number, issue_url: issue.html_url, outcome, sync_generation: item.sync_generation })
}

fn already_open(item: &Item) -> Result<Opened, OpenError> {
    match (item.issue_number, &item.issue_url) {
        (Some(issue_number), Some(issue_url)) => Ok(Opened {
            issue_number,
            issue_url: issue_url.clone(),
            outcome: Outcome::AlreadyOpen,
            sync_generation: item.sync_generation,
        }),
        _ => Err(OpenError::InvalidItem {
            fingerprint: item.fingerprint.clone(),
            reason: "the issue is open but its number or URL is missing".to_owned(),
        }),
    }
}

/// Renders the issue from the stored sample report and the current count, and creates it.
async fn create(app: &App, fingerprint: &Fingerprint, item: &Item) -> Result<Issue, OpenError> {
    let invalid = |reason: String| OpenError::InvalidItem { fingerprint: item.fingerprint.clone(), reason };
    let report: Report =
        serde_json::from_str(&item.sample).map_err(|error| invalid(format!("the stored sample report is invalid: {error}")))?;
    let first_seen = time_of(&item.fingerprint, item.first_seen)?;
    let last_seen = time_of(&item.fingerprint, item.last_seen)?;

    let summary = render_summary(&Occurrences {
        total: item.occurrences,
        first_seen,
        last_seen,
        first_repository: &item.repo,
        repositories: &item.repos,
        unlisted_repository_reports: item.repos_overflow,
        versions: &item.versions,
    });
    let body = replace_summary(&issue_body(&report, fingerprint, first_seen), &summary);

    let issue = app.github.create_issue(&NewIssue { title: item.title.clone(), body, labels: Vec::new() }).await?;
    tracing::info!(fingerprint = %item.fingerprint, issue = issue.number, "created the issue");
    Ok(issue)
}

/// Records the permanent failure of open attempt `attempt`.
pub async fn record_failure(
    app: &App,
    fingerprint: &str,
    attempt: u64,
    error: &str,
    cause: Option<&str>,
) -> Result<FailureRecorded, OpenError> {
    parse_fingerprint(fingerprint)?;
    let message = failure_message(error, cause);

    let recorded = app.table.record_open_failure(fingerprint, attempt, error, &message).await?;
    if recorded {
        tracing::warn!(fingerprint, attempt, error, %message, "recorded the failure to open the issue");
    } else {
        tracing::info!(fingerprint, attempt, error, "the item moved on; the failure was not recorded");
    }
    Ok(FailureRecorded { recorded, message })
}

/// Builds the operator-facing message of a caught error: the function's `errorMessage` when the
/// cause is the function's error JSON, else the cause text, cut to `MAX_FAILURE_MESSAGE_CHARS`.
fn failure_message(error: &str, cause: Option<&str>) -> String {
    let detail = cause.map(|cause| {
        serde_json::from_str::<Value>(cause)
            .ok()
            .and_then(|value| value.get("errorMessage").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| cause.to_owned())
    });
    let message = match detail {
        Some(detail) if !detail.is_empty() => format!("{error}: {detail}"),
        _ => error.to_owned(),
    };
    message.chars().take(MAX_FAILURE_MESSAGE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_message_prefers_the_function_message() {
        let cause = r#"{"errorType":"GitHubRejected","errorMessage":"GitHub rejected create issue with HTTP 422"}"#;
        assert_eq!(
            failure_message("GitHubRejected", Some(cause)),
            "GitHubRejected: GitHub rejected create issue with HTTP 422"
        );
    }

    #[test]
    fn failure_message_keeps_plain_causes_and_bounds_length() {
        assert_eq!(failure_message("States.Timeout", Some("timed out")), "States.Timeout: timed out");
        assert_eq!(failure_message("States.Timeout", None), "States.Timeout");
        let long = "x".repeat(5000);
        assert_eq!(failure_message("E", Some(&long)).chars().count(), MAX_FAILURE_MESSAGE_CHARS);
    }

    #[test]
    fn requests_decode_by_action() {
        let open: Request = serde_json::from_str(r#"{"action":"open","fingerprint":"ab","attempt":2}"#).expect("open");
        assert_eq!(open, Request::Open { fingerprint: "ab".to_owned(), attempt: 2 });
        let failure: Request =
            serde_json::from_str(r#"{"action":"record_failure","fingerprint":"ab","attempt":0,"failure":{"Error":"E","Cause":"c"}}"#)
                .expect("record_failure");
        let Request::RecordFailure { failure, .. } = failure else { panic!("decoded {failure:?}") };
        assert_eq!(failure.error, "E");
        assert_eq!(failure.cause.as_deref(), Some("c"));
        assert!(serde_json::from_str::<Request>(r#"{"action":"delete"}"#).is_err());
    }
}
