//! tally's CloudWatch metrics, published as Embedded Metric Format (EMF) lines on stdout, which
//! Lambda ships to CloudWatch Logs and CloudWatch turns into metrics without an API call.
//!
//! The functions publish these names and the stack's dashboard and alarms read them, so both use
//! the constants here.

use serde_json::{Map, Value, json};

/// CloudWatch namespace of tally's metrics.
pub const NAMESPACE: &str = "Tally";

/// Reports accepted by the ingest function.
pub const REPORTS_RECEIVED: &str = "ReportsReceived";

/// Reports whose fingerprint was already claimed, counted instead of opening an issue.
pub const DUPLICATE_REPORTS: &str = "DuplicateReports";

/// Issues opened on GitHub.
pub const ISSUES_OPENED: &str = "IssuesOpened";

/// Failed GitHub API calls.
pub const GITHUB_ERRORS: &str = "GitHubErrors";

/// Every metric tally publishes in [`NAMESPACE`].
pub const ALL: [&str; 4] = [REPORTS_RECEIVED, DUPLICATE_REPORTS, ISSUES_OPENED, GITHUB_ERRORS];

/// Builds one EMF log line that records `counts` (metric name, value) as `Count` metrics without
/// dimensions, at `timestamp_ms`.
pub fn emf_line(timestamp_ms: i64, counts: &[(&str, u64)]) -> String {
    let definitions: Vec<Value> = counts.iter().map(|(name, _)| json!({"Name": name, "Unit": "Count"})).collect();

    let mut line = Map::new();
    line.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{"Namespace": NAMESPACE, "Dimensions": [[]], "Metrics": definitions}],
        }),
    );
    for (name, value) in counts {
        line.insert((*name).to_owned(), json!(value));
    }
    Value::Object(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_line_declares_and_sets_each_metric() {
        let line = emf_line(1_700_000_000_000, &[(REPORTS_RECEIVED, 1), (DUPLICATE_REPORTS, 0)]);
        let parsed: Value = serde_json::from_str(&line).expect("EMF line is JSON");

        let directive = &parsed["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(parsed["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Metrics"][0]["Name"], REPORTS_RECEIVED);
        assert_eq!(directive["Metrics"][1]["Unit"], "Count");
        assert_eq!(parsed[REPORTS_RECEIVED], 1);
        assert_eq!(parsed[DUPLICATE_REPORTS], 0);
    }
}
