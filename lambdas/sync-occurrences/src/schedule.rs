//! How long the sync loop waits between rounds, and when it ends.
//!
//! The first wait is the debounce window; each later wait doubles, up to the maximum, so a burst
//! of reports costs a few issue edits rather than one per report. The loop ends once no report
//! arrived for the quiet period.

use tally_core::env;

/// Default debounce window, in seconds.
pub const DEFAULT_DEBOUNCE_SECONDS: u64 = 60;
/// Default longest wait between rounds, in seconds.
pub const DEFAULT_MAX_WAIT_SECONDS: u64 = 3600;
/// Default quiet period after which the loop ends, in seconds.
pub const DEFAULT_QUIET_SECONDS: u64 = 6 * 3600;

/// The loop's timing, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Wait before the second round.
    pub debounce_seconds: u64,
    /// Maximum wait between rounds.
    pub max_wait_seconds: u64,
    /// Time without a report after which the loop ends.
    pub quiet_seconds: u64,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            debounce_seconds: DEFAULT_DEBOUNCE_SECONDS,
            max_wait_seconds: DEFAULT_MAX_WAIT_SECONDS,
            quiet_seconds: DEFAULT_QUIET_SECONDS,
        }
    }
}

impl Schedule {
    /// Reads the schedule through `lookup`, with defaults for unset variables, and reports every
    /// invalid one at once.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let mut read = |name: &str, default: u64| match lookup(name).map(|value| value.trim().to_owned()) {
            None => default,
            Some(value) if value.is_empty() => default,
            Some(value) => match value.parse::<u64>() {
                Ok(seconds) if seconds > 0 => seconds,
                _ => {
                    problems.push(format!("{name} is {value:?}, not a positive number of seconds"));
                    default
                }
            },
        };
        let schedule = Self {
            debounce_seconds: read(env::SYNC_DEBOUNCE_SECONDS, DEFAULT_DEBOUNCE_SECONDS),
            max_wait_seconds: read(env::SYNC_MAX_WAIT_SECONDS, DEFAULT_MAX_WAIT_SECONDS),
            quiet_seconds: read(env::SYNC_QUIET_SECONDS, DEFAULT_QUIET_SECONDS),
        };
        if problems.is_empty() { Ok(schedule) } else { Err(problems) }
    }

    /// Computes the wait after round `round` (0 for the first): the debounce window doubled per
    /// round, at most the maximum wait.
    pub fn wait_after(&self, round: u32) -> u64 {
        let factor = 1u64.checked_shl(round.min(63)).unwrap_or(u64::MAX);
        self.debounce_seconds.saturating_mul(factor).min(self.max_wait_seconds.max(self.debounce_seconds))
    }

    /// Returns whether the loop may end: no report for the quiet period.
    pub fn is_quiet(&self, last_seen_ms: i64, now_ms: i64) -> bool {
        now_ms.saturating_sub(last_seen_ms) >= (self.quiet_seconds as i64).saturating_mul(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_maximum() {
        let schedule = Schedule { debounce_seconds: 60, max_wait_seconds: 600, quiet_seconds: 3600 };
        let waits: Vec<u64> = (0..6).map(|round| schedule.wait_after(round)).collect();
        assert_eq!(waits, vec![60, 120, 240, 480, 600, 600]);
        assert_eq!(schedule.wait_after(u32::MAX), 600);
    }

    #[test]
    fn quiet_after_the_quiet_period() {
        let schedule = Schedule { debounce_seconds: 1, max_wait_seconds: 3, quiet_seconds: 6 };
        assert!(!schedule.is_quiet(10_000, 15_999));
        assert!(schedule.is_quiet(10_000, 16_000));
    }

    #[test]
    fn invalid_values_are_all_reported() {
        let problems = Schedule::from_lookup(|name| match name {
            env::SYNC_DEBOUNCE_SECONDS => Some("0".to_owned()),
            env::SYNC_QUIET_SECONDS => Some("soon".to_owned()),
            _ => None,
        })
        .expect_err("invalid");
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
