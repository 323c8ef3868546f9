//! What one sync round does to the issue, decided from the item and the issue as read.
//!
//! Open issue: rewrite the summary, announce a crossed milestone or a newer version. Closed as
//! completed: when reports arrive from a version newer than the newest one at closing (or from
//! any version, when none are reported), reopen with a regression comment, or open a new issue
//! that links the old one; reports from older versions only count. Closed as not planned: count
//! silently, never reopen.

use chrono::{DateTime, Utc};
use tally_core::summary::{
    Announcement, Occurrences, closed_note, compare_versions, highest_milestone, milestone_crossed, newest_version,
    render_summary, versions_newer_than,
};
use tally_github::CloseReason;
use tally_store::Item;

/// The action taken when an issue closed as completed gets new reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegressionMode {
    /// Reopen the issue with a comment.
    Reopen,
    /// Open a new issue that links the closed one.
    NewIssue,
}

impl RegressionMode {
    /// Parses `reopen` or `new-issue`.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "reopen" => Some(Self::Reopen),
            "new-issue" => Some(Self::NewIssue),
            _ => None,
        }
    }
}

/// The issue as the round read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueView<'a> {
    /// Whether it is open.
    pub open: bool,
    /// Why it was closed; `None` or [`CloseReason::Other`] count as completed, GitHub's default.
    pub close_reason: Option<CloseReason>,
    /// Its body.
    pub body: &'a str,
}

/// How the round changes the item's record of the issue's closing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClosedChange {
    /// Leave it.
    Keep,
    /// First seen closed.
    Set {
        /// `completed` or `not_planned`.
        reason: &'static str,
        /// Count shown when seen closed.
        at_occurrences: u64,
        /// Newest version announced when seen closed.
        version: Option<String>,
    },
    /// Open again.
    Clear,
}

/// The round's decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundPlan {
    /// Comments to post on the current issue, in order, before changing it.
    pub announcements: Vec<Announcement>,
    /// Summary Markdown the issue body should show.
    pub summary: String,
    /// Reopen the current issue.
    pub reopen: bool,
    /// Open a new issue that links the current one.
    pub open_new_issue: bool,
    /// Change to the closing record.
    pub closed: ClosedChange,
    /// Highest milestone announced or passed after this round.
    pub last_milestone: u64,
    /// Newest version announced after this round.
    pub announced_version: Option<String>,
}

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn reason_name(reason: Option<&CloseReason>) -> &'static str {
    match reason {
        Some(CloseReason::NotPlanned) => "not_planned",
        _ => "completed",
    }
}

/// Decides the round for `item` whose issue reads as `issue`.
pub fn plan_round(item: &Item, issue: &IssueView<'_>, mode: RegressionMode) -> RoundPlan {
    let total = item.occurrences;
    let newest = newest_version(&item.versions).map(str::to_owned);
    let passed_milestone = item.last_milestone.max(highest_milestone(total).unwrap_or(0));
    let occurrences = Occurrences {
        total,
        first_seen: time(item.first_seen),
        last_seen: time(item.last_seen),
        first_repository: &item.repo,
        repositories: &item.repos,
        unlisted_repository_reports: item.repos_overflow,
        versions: &item.versions,
    };
    let summary = render_summary(&occurrences);

    if issue.open {
        let mut announcements = Vec::new();
        if let Some(milestone) = milestone_crossed(item.last_milestone, total) {
            announcements.push(Announcement::Milestone { milestone, total });
        }
        if let (Some(announced), Some(newest)) = (&item.announced_version, &newest)
            && compare_versions(newest, announced).is_gt()
        {
            announcements.push(Announcement::NewVersion { version: newest.clone(), total });
        }
        let closed = if item.closed_reason.is_some() { ClosedChange::Clear } else { ClosedChange::Keep };
        return RoundPlan {
            announcements,
            summary,
            reopen: false,
            open_new_issue: false,
            closed,
            last_milestone: passed_milestone,
            announced_version: newest.or_else(|| item.announced_version.clone()),
        };
    }

    // Closed: the closing record is what it was, or is set now from the count last shown.
    let (reason, at_occurrences, closed_version, closed) = match (&item.closed_reason, item.closed_at_occurrences) {
        (Some(reason), Some(at)) => (reason.as_str(), at, item.closed_version.clone(), ClosedChange::Keep),
        _ => {
            let reason = reason_name(issue.close_reason.as_ref());
            let version = item.announced_version.clone();
            let at = item.synced_occurrences;
            (reason, at, version.clone(), ClosedChange::Set { reason, at_occurrences: at, version })
        }
    };
    let since_closing = total.saturating_sub(at_occurrences);
    let not_planned = reason == "not_planned";

    // NOTE: the item keeps the set of versions, not each report's version, so a report from
    // exactly the closing version is indistinguishable from earlier ones and only adds to the count.
    let newer_versions: Vec<String> =
        versions_newer_than(&item.versions, closed_version.as_deref()).into_iter().map(str::to_owned).collect();
    let regressed = !not_planned
        && since_closing > 0
        && (item.versions.is_empty() || closed_version.is_none() || !newer_versions.is_empty());

    if regressed {
        let (announcements, reopen, open_new_issue) = match mode {
            RegressionMode::Reopen => (
                vec![Announcement::Regression { closed_at_count: at_occurrences, since_closing, versions: newer_versions }],
                true,
                false,
            ),
            RegressionMode::NewIssue => (Vec::new(), false, true),
        };
        return RoundPlan {
            announcements,
            summary,
            reopen,
            open_new_issue,
            closed: ClosedChange::Clear,
            last_milestone: passed_milestone,
            announced_version: newest.or_else(|| item.announced_version.clone()),
        };
    }

    RoundPlan {
        announcements: Vec::new(),
        summary: format!("{summary}\n{}", closed_note(not_planned, since_closing)),
        reopen: false,
        open_new_issue: false,
        closed,
        last_milestone: passed_milestone,
        announced_version: item.announced_version.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn item(occurrences: u64, synced: u64, versions: &[&str]) -> Item {
        let versions: BTreeSet<String> = versions.iter().map(|v| (*v).to_owned()).collect();
        Item {
            fingerprint: "ab".repeat(32),
            occurrences,
            first_seen: 1_700_000_000_000,
            last_seen: 1_700_000_100_000,
            repo: "acme/app".to_owned(),
            repos: BTreeSet::from(["acme/app".to_owned()]),
            repos_overflow: 0,
            announced_version: newest_version(&versions).map(str::to_owned),
            versions,
            title: "Error".to_owned(),
            language: "rust".to_owned(),
            sample: "{}".to_owned(),
            claimed_at: 0,
            open_attempt: 0,
            execution_arn: None,
            issue_state: Some(tally_store::IssueState::Open),
            opening_at: Some(0),
            issue_number: Some(1),
            issue_url: Some("https://github.com/o/r/issues/1".to_owned()),
            failure_type: None,
            failure_message: None,
            sync_active: true,
            sync_generation: 0,
            sync_claimed_at: None,
            sync_execution_arn: None,
            synced_occurrences: synced,
            last_milestone: highest_milestone(synced).unwrap_or(0),
            closed_reason: None,
            closed_at_occurrences: None,
            closed_version: None,
        }
    }

    const OPEN: IssueView<'static> = IssueView { open: true, close_reason: None, body: "" };

    fn closed(reason: CloseReason) -> IssueView<'static> {
        IssueView { open: false, close_reason: Some(reason), body: "" }
    }

    #[test]
    fn open_issue_announces_the_highest_crossed_milestone() {
        let plan = plan_round(&item(12, 1, &[]), &OPEN, RegressionMode::Reopen);
        assert_eq!(plan.announcements, vec![Announcement::Milestone { milestone: 10, total: 12 }]);
        assert_eq!(plan.last_milestone, 10);
        assert!(plan.summary.contains("**Occurrences:** 12"));
        assert!(!plan.reopen);
    }

    #[test]
    fn open_issue_announces_a_newer_version_once() {
        let mut item = item(3, 2, &["1.0", "1.1"]);
        item.announced_version = Some("1.0".to_owned());
        let plan = plan_round(&item, &OPEN, RegressionMode::Reopen);
        assert_eq!(plan.announcements, vec![Announcement::NewVersion { version: "1.1".to_owned(), total: 3 }]);
        assert_eq!(plan.announced_version.as_deref(), Some("1.1"));

        item.announced_version = Some("1.1".to_owned());
        assert!(plan_round(&item, &OPEN, RegressionMode::Reopen).announcements.is_empty());
    }

    #[test]
    fn completed_issue_reopens_on_new_reports_without_versions() {
        let plan = plan_round(&item(5, 3, &[]), &closed(CloseReason::Completed), RegressionMode::Reopen);
        assert!(plan.reopen);
        assert_eq!(
            plan.announcements,
            vec![Announcement::Regression { closed_at_count: 3, since_closing: 2, versions: vec![] }]
        );
        assert_eq!(plan.closed, ClosedChange::Clear);
    }

    #[test]
    fn completed_issue_counts_older_versions_silently() {
        let mut item = item(5, 3, &["1.0", "0.9"]);
        item.announced_version = Some("1.0".to_owned());
        let plan = plan_round(&item, &closed(CloseReason::Completed), RegressionMode::Reopen);
        assert!(!plan.reopen);
        assert!(plan.announcements.is_empty());
        assert_eq!(plan.closed, ClosedChange::Set { reason: "completed", at_occurrences: 3, version: Some("1.0".to_owned()) });
        assert!(plan.summary.contains("Closed as completed; 2 occurrences since closing"), "{}", plan.summary);
    }

    #[test]
    fn completed_issue_reopens_for_a_newer_version() {
        let mut item = item(6, 3, &["1.0", "1.2"]);
        item.closed_reason = Some("completed".to_owned());
        item.closed_at_occurrences = Some(3);
        item.closed_version = Some("1.0".to_owned());
        let plan = plan_round(&item, &closed(CloseReason::Completed), RegressionMode::Reopen);
        assert!(plan.reopen);
        assert_eq!(
            plan.announcements,
            vec![Announcement::Regression { closed_at_count: 3, since_closing: 3, versions: vec!["1.2".to_owned()] }]
        );
    }

    #[test]
    fn completed_issue_opens_a_new_issue_in_that_mode() {
        let plan = plan_round(&item(5, 3, &[]), &closed(CloseReason::Completed), RegressionMode::NewIssue);
        assert!(plan.open_new_issue);
        assert!(!plan.reopen);
        assert!(plan.announcements.is_empty());
    }

    #[test]
    fn not_planned_issue_counts_silently() {
        let plan = plan_round(&item(50, 3, &[]), &closed(CloseReason::NotPlanned), RegressionMode::Reopen);
        assert!(!plan.reopen);
        assert!(!plan.open_new_issue);
        assert!(plan.announcements.is_empty());
        assert_eq!(plan.closed, ClosedChange::Set { reason: "not_planned", at_occurrences: 3, version: None });
        assert!(plan.summary.contains("Closed as not planned; 47 occurrences since closing"), "{}", plan.summary);
    }

    #[test]
    fn reopened_by_a_maintainer_clears_the_closing_record() {
        let mut item = item(4, 4, &[]);
        item.closed_reason = Some("not_planned".to_owned());
        item.closed_at_occurrences = Some(2);
        let plan = plan_round(&item, &OPEN, RegressionMode::Reopen);
        assert_eq!(plan.closed, ClosedChange::Clear);
    }
}
