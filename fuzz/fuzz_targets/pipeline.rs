//! Fuzz target for everything a report body goes through: parsing and validation, scrubbing,
//! normalization and fingerprinting, and issue rendering. Besides panics, it checks the
//! properties the rest of tally relies on: scrubbing and normalization are idempotent, and the
//! rendered body always carries the fingerprint marker.

#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use tally_core::fingerprint::{analyze, analyze_trace};
use tally_core::normalize::normalize;
use tally_core::render::{find_fingerprint_marker, issue_body, issue_title, replace_summary};
use tally_core::report::Report;
use tally_core::scrub::scrub;

fuzz_target!(|data: &[u8]| {
    // The bytes as a report body, as the ingest function receives them.
    if let Ok(report) = Report::from_json(data) {
        let report = report.scrubbed();
        let analysis = analyze(&report);
        let first_seen = Utc.timestamp_opt(0, 0).single().unwrap_or_default();
        let body = issue_body(&report, &analysis.fingerprint, first_seen);
        assert_eq!(find_fingerprint_marker(&body), Some(analysis.fingerprint));
        let title = issue_title(&report);
        assert!(!title.contains('\n'));
        let updated = replace_summary(&body, "2 occurrences so far.");
        assert_eq!(find_fingerprint_marker(&updated), Some(analysis.fingerprint));
    }

    // The bytes as a plain trace.
    if let Ok(text) = std::str::from_utf8(data) {
        let scrubbed = scrub(text);
        assert_eq!(scrub(&scrubbed), scrubbed, "scrubbing is idempotent");

        let analysis = analyze_trace(&scrubbed);
        let again = normalize(&analysis.normalized);
        assert_eq!(again.text, analysis.normalized, "normalization is idempotent");
    }
});
