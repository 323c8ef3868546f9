//! The function's input and output, as the state machine's task states send and read them.

use serde::{Deserialize, Serialize};

/// The state machine's request, tagged by `action`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Request {
    /// Run sync round `round` (0 for the first) of the loop of sync generation `generation`.
    Sync {
        /// Lowercase hex fingerprint.
        fingerprint: String,
        /// The sync generation the loop runs under.
        generation: u64,
        /// Rounds completed so far in this execution.
        round: u32,
    },
    /// End the loop of `generation` after it failed, so the next report resumes it.
    Release {
        /// Lowercase hex fingerprint.
        fingerprint: String,
        /// The sync generation of the failed loop.
        generation: u64,
    },
}

/// Output of [`Request::Sync`]; the state machine waits `wait_seconds`, then runs round `round`,
/// unless `done`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    /// The next round's number.
    pub round: u32,
    /// Seconds to wait before the next round.
    pub wait_seconds: u64,
    /// Whether the loop has ended.
    pub done: bool,
    /// The reason the loop ended or goes on, for the console.
    pub status: RoundStatus,
    /// The count the issue shows now.
    pub occurrences: u64,
    /// The issue the count is kept on.
    pub issue_number: u64,
}

/// The reason a round ended the loop or goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    /// Reports arrived within the quiet period; the loop goes on.
    Counting,
    /// No report within the quiet period; the loop ended.
    Quiet,
    /// A newer sync generation owns the item; this loop stopped.
    Superseded,
}

/// Output of [`Request::Release`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Released {
    /// False when another generation owns the item or the loop had already ended.
    pub released: bool,
}
