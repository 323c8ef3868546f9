//! Recording one validated report: claim its fingerprint or count it, and start whatever
//! execution the item needs.
//!
//! A report either wins the claim and starts the open execution, or counts as a duplicate. A
//! duplicate then checks, through conditional writes, whether it must restart work that is
//! stuck: an unstarted claim past its lease, a recorded open failure, or an ended sync loop.

use std::time::Duration;

use tally_core::workflow::ExecutionInput;
use tally_store::claim::{Claim, NewItem, Occurrence};
use tally_store::{Item, StoreError, Table};
use tracing::{error, info, warn};

use crate::cache::ClaimedCache;
use crate::workflow::{StartError, StartWorkflow};

/// The report to record, already scrubbed and fingerprinted.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// Lowercase hex fingerprint.
    pub fingerprint: &'a str,
    /// Reporting repository.
    pub repo: &'a str,
    /// Reported version.
    pub version: Option<&'a str>,
    /// Issue title.
    pub title: &'a str,
    /// Detected language name.
    pub language: &'a str,
    /// Scrubbed report as JSON.
    pub sample: &'a str,
    /// Time of the report, epoch ms.
    pub now_ms: i64,
}

/// The outcome of recording one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Whether this report created the item.
    pub new: bool,
    /// Occurrences counted so far, this one included.
    pub occurrences: u64,
    /// Issue URL, once the workflow recorded it.
    pub issue_url: Option<String>,
}

/// Why a report could not be recorded. Nothing of it is stored in either case.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The table failed or throttled.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The open execution of a new fingerprint could not be started; the claim was undone.
    #[error(transparent)]
    Start(#[from] StartError),
}

/// Dependencies of [`record`].
#[derive(Debug)]
pub struct Recorder<'a, W> {
    /// Fingerprint table.
    pub table: &'a Table,
    /// Workflow starter.
    pub workflow: &'a W,
    /// Lease on unstarted claims.
    pub claim_lease: Duration,
    /// Fingerprints known to be claimed.
    pub cache: &'a ClaimedCache,
}

/// Rounds of claim-then-count before giving up. An item can vanish between a lost claim and the
/// count only when its winner undid the claim or its TTL expired, so a second round succeeds.
const MAX_ROUNDS: usize = 3;

/// Claims or counts `report` and starts the execution it needs.
pub async fn record<W: StartWorkflow>(deps: &Recorder<'_, W>, report: &Incoming<'_>) -> Result<Recorded, RecordError> {
    let new_item = NewItem {
        fingerprint: report.fingerprint,
        repo: report.repo,
        version: report.version,
        title: report.title,
        language: report.language,
        sample: report.sample,
        now_ms: report.now_ms,
    };

    for _ in 0..MAX_ROUNDS {
        // A known fingerprint goes straight to the counting update and skips the put that
        // would fail.
        let known = deps.cache.contains(report.fingerprint);
        if !known {
            match deps.table.claim(&new_item).await? {
                Claim::Won => return start_new(deps, report).await,
                Claim::Lost => deps.cache.insert(report.fingerprint),
            }
        }

        match count(deps, report).await {
            Err(RecordError::Store(StoreError::NotFound(_))) => deps.cache.remove(report.fingerprint),
            other => return other,
        }
    }
    Err(StoreError::NotFound(report.fingerprint.to_owned()).into())
}

/// Starts the open execution of a fingerprint this report just claimed.
async fn start_new<W: StartWorkflow>(deps: &Recorder<'_, W>, report: &Incoming<'_>) -> Result<Recorded, RecordError> {
    let fingerprint = report.fingerprint;
    let input = ExecutionInput::open(fingerprint, 0);

    match deps.workflow.start(&input).await {
        Ok(arn) => {
            info!(fingerprint, execution = %input.execution_name(), "new fingerprint, open execution started");
            deps.cache.insert(fingerprint);
            // The execution runs either way; a failure here only leaves the ARN unrecorded, and a
            // later takeover finds the same execution by its name.
            if let Err(error) = deps.table.record_execution(fingerprint, &arn).await {
                warn!(fingerprint, error = %error, "could not record the execution ARN");
            }
            Ok(Recorded { new: true, occurrences: 1, issue_url: None })
        }
        Err(start_error) => {
            if let Err(store_error) = deps.table.abandon_claim(fingerprint, report.now_ms).await {
                error!(
                    fingerprint,
                    error = %store_error,
                    "could not undo the claim after StartExecution failed; the claim lease will release it"
                );
            }
            Err(start_error.into())
        }
    }
}

/// Counts a duplicate and restarts stuck work on its item.
async fn count<W: StartWorkflow>(deps: &Recorder<'_, W>, report: &Incoming<'_>) -> Result<Recorded, RecordError> {
    let occurrence = Occurrence {
        fingerprint: report.fingerprint,
        repo: report.repo,
        version: report.version,
        now_ms: report.now_ms,
    };
    let item = deps.table.count_occurrence(&occurrence).await?;

    // The report is counted from here on, so a failure to restart work is logged and left to the
    // next report instead of failing this one, which the client would then send again.
    if let Err(error) = restart_stuck_work(deps, &item, report.now_ms).await {
        error!(fingerprint = report.fingerprint, error = %error, "could not restart stuck work; the next report retries");
    }

    Ok(Recorded { new: false, occurrences: item.occurrences, issue_url: item.issue_url })
}

/// Starts the execution that `item` is missing, when this caller wins the conditional write that
/// decides it. At most one of the cases applies to an item at a time.
async fn restart_stuck_work<W: StartWorkflow>(deps: &Recorder<'_, W>, item: &Item, now_ms: i64) -> Result<(), RecordError> {
    let fingerprint = item.fingerprint.as_str();
    let lease_ms = i64::try_from(deps.claim_lease.as_millis()).unwrap_or(i64::MAX);

    if deps.table.take_over_stale_claim(item, now_ms, lease_ms).await? {
        warn!(fingerprint, claimed_at = item.claimed_at, "took over a stale claim");
        let arn = deps.workflow.start(&ExecutionInput::open(fingerprint, item.open_attempt)).await?;
        deps.table.record_execution(fingerprint, &arn).await?;
        return Ok(());
    }

    if let Some(attempt) = deps.table.retry_failed_open(item, now_ms).await? {
        info!(fingerprint, attempt, failure = item.failure_type.as_deref(), "retrying a failed open");
        let arn = deps.workflow.start(&ExecutionInput::open(fingerprint, attempt)).await?;
        deps.table.record_execution(fingerprint, &arn).await?;
        return Ok(());
    }

    if let Some(generation) = deps.table.resume_sync(item, now_ms).await? {
        info!(fingerprint, generation, "resuming the sync loop");
        let arn = deps.workflow.start(&ExecutionInput::sync(fingerprint, generation)).await?;
        deps.table.record_sync_execution(fingerprint, &arn).await?;
        return Ok(());
    }

    if deps.table.take_over_stale_sync(item, now_ms, lease_ms).await? {
        warn!(fingerprint, generation = item.sync_generation, "took over a stale sync claim");
        let arn = deps.workflow.start(&ExecutionInput::sync(fingerprint, item.sync_generation)).await?;
        deps.table.record_sync_execution(fingerprint, &arn).await?;
    }
    Ok(())
}
