//! The parts of GitHub's issue and comment payloads that tally reads and writes.
//!
//! Responses are decoded leniently: unknown fields are ignored, so GitHub adding fields never
//! breaks the client, and only the fields below must be present.

use serde::{Deserialize, Serialize};

/// Whether an issue is open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueState {
    /// Open.
    Open,
    /// Closed, for the [`CloseReason`] in `state_reason`.
    Closed,
}

/// Why an issue was closed, or that it was reopened (GitHub's `state_reason`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// Closed as completed (fixed).
    Completed,
    /// Closed as not planned (won't fix, duplicate, stale).
    NotPlanned,
    /// Reopened after being closed.
    Reopened,
    /// A reason this client does not know.
    #[serde(other)]
    Other,
}

/// An issue as the REST API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Issue {
    /// Issue number in its repository.
    pub number: u64,
    /// Web URL of the issue.
    pub html_url: String,
    /// Title.
    pub title: String,
    /// Markdown body, absent when empty.
    #[serde(default)]
    pub body: Option<String>,
    /// Open or closed.
    pub state: IssueState,
    /// Why it was closed or reopened, when GitHub recorded a reason.
    #[serde(default)]
    pub state_reason: Option<CloseReason>,
    /// Present when the entry is a pull request; the issues list returns both.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

/// A new issue.
#[derive(Debug, Clone, Serialize)]
pub struct NewIssue {
    /// Title.
    pub title: String,
    /// Markdown body.
    pub body: String,
    /// Labels to set; the repository must allow the token to set them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
}

/// A change to an issue; fields left `None` stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IssueUpdate {
    /// New markdown body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// New state, for example [`IssueState::Open`] to reopen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<IssueState>,
    /// Reason that goes with the new state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<CloseReason>,
}

/// A comment on an issue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Comment {
    /// Comment id.
    pub id: u64,
    /// Markdown body.
    #[serde(default)]
    pub body: Option<String>,
    /// Web URL of the comment.
    pub html_url: String,
}
