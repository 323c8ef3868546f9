//! The function's input and output, as the state machine's task states send and read them.

use serde::{Deserialize, Serialize};

/// The state machine's request, tagged by `action`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Request {
    /// Open the issue of `fingerprint`, or return it when it is already open.
    Open {
        /// Lowercase hex fingerprint.
        fingerprint: String,
        /// The open attempt the execution runs (the execution input's `generation`).
        attempt: u64,
    },
    /// Record that open attempt `attempt` failed permanently.
    RecordFailure {
        /// Lowercase hex fingerprint.
        fingerprint: String,
        /// The open attempt that failed.
        attempt: u64,
        /// The error Step Functions caught.
        failure: CaughtError,
    },
}

/// An error as a `Catch` with `ResultPath` passes it on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CaughtError {
    /// The error name, such as `GitHubRejected`.
    #[serde(rename = "Error")]
    pub error: String,
    /// The cause: the function's error JSON, or text for service errors and timeouts.
    #[serde(rename = "Cause", default)]
    pub cause: Option<String>,
}

/// The way the open step obtained the issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// This call created it.
    Created,
    /// An earlier attempt created it but its response was lost; the marker search found it.
    Found,
    /// The item already recorded it.
    AlreadyOpen,
}

/// Output of [`Request::Open`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opened {
    /// GitHub issue number.
    pub issue_number: u64,
    /// GitHub issue URL.
    pub issue_url: String,
    /// How the issue was obtained.
    pub outcome: Outcome,
    /// The item's sync generation, which the count loop that follows runs under.
    pub sync_generation: u64,
}

/// Output of [`Request::RecordFailure`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureRecorded {
    /// False when the item had moved on (issue open, or a newer attempt) and kept its state.
    pub recorded: bool,
    /// The message stored on the item.
    pub message: String,
}
