//! One round of the sync loop, and the release of a failed loop.
//!
//! A round that finds no new report since the last one makes no GitHub call. Otherwise it reads
//! the issue, posts the planned comments (each at most once, found again by its hidden marker),
//! then changes the issue, then records the round on the item. Because of that order, a retried
//! round never loses a comment and never posts one twice.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use tally_core::fingerprint::Fingerprint;
use tally_core::render::{fingerprint_marker, issue_body, replace_summary};
use tally_core::report::Report;
use tally_core::summary::Announcement;
use tally_github::{Issue, IssueState, IssueUpdate, IssuesClient, NewIssue};
use tally_store::sync::{ClosedRecord, Replacement, SyncRecord};
use tally_store::{IssueState as ItemIssueState, Item, StoreError, Table};

use crate::SyncError;
use crate::plan::{ClosedChange, IssueView, RegressionMode, RoundPlan, plan_round};
use crate::request::{Released, Request, Round, RoundStatus};
use crate::schedule::Schedule;

/// How far back a round looks for a comment or replacement issue it may already have posted.
/// Step Functions retries a failed round within minutes; the margin covers a loop that failed
/// after posting and was resumed later.
// NOTE: a comment posted more than this long before a failed item write would be posted again.
// That needs the loop to die between the two writes and no report to arrive for a week.
const ALREADY_POSTED_WINDOW_DAYS: i64 = 7;

/// The function's dependencies, built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    /// The fingerprint table.
    pub table: Table,
    /// The issues repository.
    pub github: IssuesClient,
    /// The loop's timing.
    pub schedule: Schedule,
    /// The action taken when a completed issue regresses.
    pub regression: RegressionMode,
}

/// Handles one invocation: decodes the request and runs it.
pub async fn handle(app: &App, payload: Value) -> Result<Value, SyncError> {
    let request: Request =
        serde_json::from_value(payload).map_err(|error| SyncError::InvalidInput(error.to_string()))?;

    let output = match request {
        Request::Sync { fingerprint, generation, round } => {
            serde_json::to_value(sync_round(app, &fingerprint, generation, round).await?)
        }
        Request::Release { fingerprint, generation } => {
            serde_json::to_value(release(app, &fingerprint, generation).await?)
        }
    };
    output.map_err(|error| SyncError::InvalidInput(format!("the response could not be encoded: {error}")))
}

fn parse_fingerprint(fingerprint: &str) -> Result<Fingerprint, SyncError> {
    fingerprint
        .parse()
        .map_err(|_| SyncError::InvalidInput(format!("fingerprint {fingerprint:?} is not 64 lowercase hex digits")))
}

/// Runs round `round` of the loop of sync generation `generation`.
pub async fn sync_round(app: &App, fingerprint: &str, generation: u64, round: u32) -> Result<Round, SyncError> {
    let parsed = parse_fingerprint(fingerprint)?;
    let item = app.table.get(fingerprint).await?.ok_or_else(|| StoreError::NotFound(fingerprint.to_owned()))?;
    let invalid = |reason: &str| SyncError::InvalidItem { fingerprint: fingerprint.to_owned(), reason: reason.to_owned() };
    let number = match (item.issue_state, item.issue_number) {
        (Some(ItemIssueState::Open), Some(number)) => number,
        _ => return Err(invalid("its issue is not recorded as open")),
    };

    let superseded = |issue_number| Round {
        round: round + 1,
        wait_seconds: 0,
        done: true,
        status: RoundStatus::Superseded,
        occurrences: item.synced_occurrences,
        issue_number,
    };
    if !item.sync_active || item.sync_generation != generation {
        tracing::info!(fingerprint, generation, current = item.sync_generation, "another sync generation owns the item");
        return Ok(superseded(number));
    }

    let mut issue_number = number;
    if item.occurrences != item.synced_occurrences {
        match update_issue(app, &parsed, &item, number, generation).await? {
            Some(current) => issue_number = current,
            None => return Ok(superseded(number)),
        }
    }
    let shown = item.occurrences;

    let now_ms = Utc::now().timestamp_millis();
    if app.schedule.is_quiet(item.last_seen, now_ms) {
        if app.table.finish_sync(fingerprint, generation, shown).await? {
            tracing::info!(fingerprint, generation, occurrences = shown, "no report for the quiet period; the loop ended");
            return Ok(Round {
                round: round + 1,
                wait_seconds: 0,
                done: true,
                status: RoundStatus::Quiet,
                occurrences: shown,
                issue_number,
            });
        }
        tracing::info!(fingerprint, generation, "a report arrived while ending the loop; it goes on");
    }

    Ok(Round {
        round: round + 1,
        wait_seconds: app.schedule.wait_after(round),
        done: false,
        status: RoundStatus::Counting,
        occurrences: shown,
        issue_number,
    })
}

/// Brings issue `number` up to date with `item` and records the round. Returns the issue the
/// count is kept on afterwards, or `None` when another sync generation took the item over.
async fn update_issue(
    app: &App,
    fingerprint: &Fingerprint,
    item: &Item,
    number: u64,
    generation: u64,
) -> Result<Option<u64>, SyncError> {
    let issue = app.github.get_issue(number).await?;
    let body = issue.body.clone().unwrap_or_default();
    let view = IssueView { open: issue.state == IssueState::Open, close_reason: issue.state_reason.clone(), body: &body };
    let plan = plan_round(item, &view, app.regression);
    let since = Utc::now() - Duration::days(ALREADY_POSTED_WINDOW_DAYS);

    for announcement in &plan.announcements {
        post_once(app, &item.fingerprint, number, announcement, since).await?;
    }

    let replacement = if plan.open_new_issue {
        Some(open_replacement(app, fingerprint, item, number, &plan, since).await?)
    } else {
        let new_body = replace_summary(&body, &plan.summary);
        let update = IssueUpdate {
            body: (new_body != body).then_some(new_body),
            state: plan.reopen.then_some(IssueState::Open),
            state_reason: None,
        };
        if update != IssueUpdate::default() {
            app.github.update_issue(number, &update).await?;
        }
        if plan.reopen {
            tracing::info!(fingerprint = %item.fingerprint, issue = number, "reopened the issue after a regression");
        }
        None
    };

    let closed = match &plan.closed {
        ClosedChange::Keep => ClosedRecord::Keep,
        ClosedChange::Set { reason, at_occurrences, version } => {
            ClosedRecord::Set { reason, at_occurrences: *at_occurrences, version: version.as_deref() }
        }
        ClosedChange::Clear => ClosedRecord::Clear,
    };
    let recorded = app
        .table
        .record_sync(&SyncRecord {
            fingerprint: &item.fingerprint,
            generation,
            synced_occurrences: item.occurrences,
            last_milestone: plan.last_milestone,
            announced_version: plan.announced_version.as_deref(),
            closed,
            replacement: replacement.as_ref().map(|issue| Replacement {
                old_number: number,
                number: issue.number,
                url: &issue.html_url,
            }),
        })
        .await?;
    if !recorded {
        return Ok(None);
    }

    tracing::info!(
        fingerprint = %item.fingerprint,
        issue = number,
        occurrences = item.occurrences,
        comments = plan.announcements.len(),
        "updated the count on the issue"
    );
    Ok(Some(replacement.map_or(number, |issue| issue.number)))
}

/// Posts `announcement` on issue `number` unless a comment with its marker exists already.
async fn post_once(
    app: &App,
    fingerprint: &str,
    number: u64,
    announcement: &Announcement,
    since: DateTime<Utc>,
) -> Result<(), SyncError> {
    let marker = announcement.marker();
    if app.github.find_comment_with_marker(number, &marker, since).await?.is_some() {
        tracing::info!(fingerprint, issue = number, %marker, "comment already posted by an earlier attempt");
        return Ok(());
    }
    app.github.create_comment(number, &announcement.render()).await?;
    tracing::info!(fingerprint, issue = number, %marker, "posted a comment");
    Ok(())
}

/// Opens a new issue for a regression of closed issue `old_number`, or finds the one an earlier
/// attempt opened.
async fn open_replacement(
    app: &App,
    fingerprint: &Fingerprint,
    item: &Item,
    old_number: u64,
    plan: &RoundPlan,
    since: DateTime<Utc>,
) -> Result<Issue, SyncError> {
    let marker = fingerprint_marker(fingerprint);
    if let Some(issue) = app.github.find_issue_with_marker(&marker, since).await?
        && issue.number > old_number
    {
        tracing::info!(fingerprint = %item.fingerprint, issue = issue.number, "found the new issue an earlier attempt opened");
        return Ok(issue);
    }

    let invalid = |reason: String| SyncError::InvalidItem { fingerprint: item.fingerprint.clone(), reason };
    let report: Report =
        serde_json::from_str(&item.sample).map_err(|error| invalid(format!("the stored sample report is invalid: {error}")))?;
    let first_seen = DateTime::from_timestamp_millis(item.first_seen)
        .ok_or_else(|| invalid(format!("first_seen {} ms is out of range", item.first_seen)))?;
    let summary = format!("{}\n\nThis error came back after #{old_number} was closed as completed.", plan.summary);
    let body = replace_summary(&issue_body(&report, fingerprint, first_seen), &summary);

    let issue = app.github.create_issue(&NewIssue { title: item.title.clone(), body, labels: Vec::new() }).await?;
    tracing::info!(fingerprint = %item.fingerprint, issue = issue.number, old_issue = old_number, "opened a new issue after a regression");
    Ok(issue)
}

/// Ends the failed loop of `generation`.
pub async fn release(app: &App, fingerprint: &str, generation: u64) -> Result<Released, SyncError> {
    parse_fingerprint(fingerprint)?;
    let released = app.table.release_sync(fingerprint, generation).await?;
    tracing::warn!(fingerprint, generation, released, "released the sync loop after a failure");
    Ok(Released { released })
}
