//! The contract between the ingest function and the state machine: execution names and input.
//!
//! Execution names are derived from the fingerprint and a counter stored on its item, so a retried or repeated start of the
//! same work reuses the same name and Step Functions deduplicates it. Names are at most 80
//! characters of `[A-Za-z0-9_-]`, as Step Functions requires.

use serde::{Deserialize, Serialize};

/// Hex digits of the fingerprint kept in execution names: 128 bits, enough to never collide.
const NAME_FINGERPRINT_HEX: usize = 32;

/// What an execution is started to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Open the issue for a new fingerprint, then keep its count.
    Open,
    /// Resume keeping the count of an issue whose earlier sync loop has ended.
    Sync,
}

/// Input of every execution. It is derived only from the stored item, never from one request, so
/// two starts of the same work send the same input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionInput {
    /// Lowercase hex fingerprint: the table's key.
    pub fingerprint: String,
    /// What the execution does.
    pub mode: Mode,
    /// Attempt number for [`Mode::Open`] (raised when a failed open is retried), or sync
    /// generation for [`Mode::Sync`]. Part of the name, so each retry or resumed sync gets a fresh
    /// execution while a repeated start of the same one is deduplicated.
    pub generation: u64,
}

impl ExecutionInput {
    /// Input of open attempt number `attempt` for `fingerprint`.
    pub fn open(fingerprint: &str, attempt: u64) -> Self {
        Self { fingerprint: fingerprint.to_owned(), mode: Mode::Open, generation: attempt }
    }

    /// Input of the sync execution number `generation` for `fingerprint`.
    pub fn sync(fingerprint: &str, generation: u64) -> Self {
        Self { fingerprint: fingerprint.to_owned(), mode: Mode::Sync, generation }
    }

    /// Execution name: `open-<hex>-<generation>` or `sync-<hex>-<generation>`, at most 80
    /// characters.
    pub fn execution_name(&self) -> String {
        let end = self.fingerprint.len().min(NAME_FINGERPRINT_HEX);
        let short = &self.fingerprint[..end];
        match self.mode {
            Mode::Open => format!("open-{short}-{}", self.generation),
            Mode::Sync => format!("sync-{short}-{}", self.generation),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn execution_names_fit_step_functions_rules() {
        for input in [ExecutionInput::open(HEX, u64::MAX), ExecutionInput::sync(HEX, u64::MAX)] {
            let name = input.execution_name();
            assert!(name.len() <= 80, "{name} is {} characters", name.len());
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        }
    }

    #[test]
    fn execution_names_depend_only_on_input() {
        assert_eq!(ExecutionInput::open(HEX, 0).execution_name(), format!("open-{}-0", &HEX[..32]));
        assert_eq!(ExecutionInput::sync(HEX, 3).execution_name(), format!("sync-{}-3", &HEX[..32]));
    }
}
