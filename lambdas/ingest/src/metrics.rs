//! Metrics sink of the ingest handler: EMF lines on stdout in Lambda, or in-memory totals that
//! tests and the load test read back without printing a line per report.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use tally_core::metrics::emf_line;

/// The handler's metrics sink.
#[derive(Debug, Clone, Default)]
pub enum Metrics {
    /// One EMF line per report on stdout, which Lambda ships to CloudWatch Logs and CloudWatch
    /// turns into metrics.
    #[default]
    Emf,
    /// Totals per metric name, kept in memory and never printed.
    Totals(Arc<Mutex<BTreeMap<&'static str, u64>>>),
}

impl Metrics {
    /// Creates a sink that keeps totals in memory.
    pub fn totals() -> Self {
        Self::Totals(Arc::default())
    }

    /// Records `counts` (metric name, value) at `timestamp_ms`.
    pub fn record(&self, timestamp_ms: i64, counts: &[(&'static str, u64)]) {
        match self {
            Self::Emf => println!("{}", emf_line(timestamp_ms, counts)),
            Self::Totals(totals) => {
                let mut totals = totals.lock().unwrap_or_else(PoisonError::into_inner);
                for (name, value) in counts {
                    *totals.entry(name).or_default() += value;
                }
            }
        }
    }

    /// Returns the total recorded for `name`. The EMF sink keeps nothing, so it always returns 0.
    pub fn total(&self, name: &str) -> u64 {
        match self {
            Self::Emf => 0,
            Self::Totals(totals) => totals.lock().unwrap_or_else(PoisonError::into_inner).get(name).copied().unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use tally_core::metrics::{DUPLICATE_REPORTS, REPORTS_RECEIVED};

    use super::*;

    #[test]
    fn totals_add_up_across_clones() {
        let metrics = Metrics::totals();
        let clone = metrics.clone();
        metrics.record(1, &[(REPORTS_RECEIVED, 1), (DUPLICATE_REPORTS, 0)]);
        clone.record(2, &[(REPORTS_RECEIVED, 1), (DUPLICATE_REPORTS, 1)]);
        assert_eq!(metrics.total(REPORTS_RECEIVED), 2);
        assert_eq!(metrics.total(DUPLICATE_REPORTS), 1);
        assert_eq!(metrics.total("Unknown"), 0);
    }
}
