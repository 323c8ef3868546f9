//! Issue rendering: titles, bodies, fences, markers and the summary block.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use tally_core::fingerprint::{Fingerprint, analyze};
use tally_core::render::{
    MAX_BODY_CHARS, MAX_TITLE_CHARS, SUMMARY_END, SUMMARY_START, find_fingerprint_marker, fingerprint_marker,
    issue_body, issue_title, replace_summary,
};
use tally_core::report::Report;

fn report(error: &str) -> Report {
    Report {
        repo: "acme/app".to_owned(),
        error: error.to_owned(),
        run_url: Some("https://github.com/acme/app/actions/runs/42".to_owned()),
        title: None,
        fingerprint: None,
        version: Some("1.4.2".to_owned()),
        context: BTreeMap::new(),
        image: None,
        manual_intervention_url: None,
    }
}

const PYTHON: &str = "Traceback (most recent call last):\n  File \"/srv/app/main.py\", line 12, in <module>\n    run()\nValueError: invalid literal for int() with base 10: '80a'\n";

fn body_of(report: &Report) -> String {
    let fingerprint = analyze(report).fingerprint;
    issue_body(report, &fingerprint, Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).single().expect("valid time"))
}

#[test]
fn title_is_type_and_masked_message() {
    assert_eq!(issue_title(&report(PYTHON)), "ValueError: invalid literal for int() with base <n>: <str>");
}

#[test]
fn title_per_language() {
    let cases = [
        (
            "Exception in thread \"main\" java.lang.IllegalStateException: order 42 missing\n\tat a.B.c(B.java:1)",
            "java.lang.IllegalStateException: order <n> missing",
        ),
        (
            "/app/x.js:1\nthrow e\n^\n\nTypeError: Cannot read properties of undefined (reading 'id')\n    at f (/app/x.js:1:1)",
            "TypeError: Cannot read properties of undefined (reading <str>)",
        ),
        (
            "thread 'main' panicked at src/main.rs:4:5:\nindex out of bounds: the len is 3 but the index is 5",
            "index out of bounds: the len is <n> but the index is <n>",
        ),
        (
            "panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d",
            "panic: runtime error: index out of range [<n>] with length <n>",
        ),
        (
            "ERROR: LoadError: MethodError: no method matching f(::Int64)\nStacktrace:\n [1] top-level scope\n   @ none:1",
            "MethodError: no method matching f(::Int64)",
        ),
        ("something broke after 3 tries", "something broke after <n> tries"),
    ];
    for (trace, expected) in cases {
        assert_eq!(issue_title(&report(trace)), expected, "trace: {trace}");
    }
}

#[test]
fn client_title_wins_and_is_one_line() {
    let mut report = report(PYTHON);
    report.title = Some("Deploy\nfailed   on\tprod".to_owned());
    assert_eq!(issue_title(&report), "Deploy failed on prod");
}

#[test]
fn title_cannot_mention_or_link() {
    let mut report = report(PYTHON);
    report.title = Some("ping @octocat about #123 and acme/app#7".to_owned());
    let title = issue_title(&report);

    assert!(!title.contains("@octocat"), "{title}");
    assert!(!title.contains("#123"), "{title}");
    assert!(!title.contains("#7"), "{title}");
    assert_eq!(title.replace('\u{200B}', ""), "ping @octocat about #123 and acme/app#7");
}

#[test]
fn title_is_at_most_the_limit() {
    let mut report = report(PYTHON);
    report.title = Some("é".repeat(500));
    let title = issue_title(&report);
    assert_eq!(title.chars().count(), MAX_TITLE_CHARS);
    assert!(title.ends_with('…'));

    // The cut falls between an `@` and the zero-width space that follows it.
    report.title = Some(format!("{}@octocat", "x".repeat(MAX_TITLE_CHARS - 2)));
    let title = issue_title(&report);
    assert!(title.chars().count() <= MAX_TITLE_CHARS, "{title}");
    assert!(!title.contains('@'), "{title}");

    let long_message = format!("ValueError: {}", "word ".repeat(100));
    let title = issue_title(&self::report(&long_message));
    assert!(title.chars().count() <= MAX_TITLE_CHARS, "{title}");
    assert!(title.starts_with("ValueError: word"));
}

#[test]
fn body_has_metadata_markers_and_trace() {
    let report = report(PYTHON);
    let fingerprint = analyze(&report).fingerprint;
    let body = body_of(&report);

    assert!(body.starts_with(&fingerprint_marker(&fingerprint)), "{body}");
    assert_eq!(find_fingerprint_marker(&body), Some(fingerprint));
    assert!(body.contains(&format!("{SUMMARY_START}\n1 occurrence so far.\n{SUMMARY_END}")), "{body}");
    assert!(body.contains("`acme/app`"), "{body}");
    assert!(body.contains("<https://github.com/acme/app/actions/runs/42>"), "{body}");
    assert!(body.contains("`1.4.2`"), "{body}");
    assert!(body.contains("2024-05-01T12:00:00Z"), "{body}");
    assert!(body.contains(&format!("```\n{PYTHON}```\n")), "{body}");
}

#[test]
fn fence_is_longer_than_any_backtick_run() {
    let trace = "x\n```\nbreakout attempt\n`````\n@octocat";
    let body = body_of(&report(trace));
    assert!(body.contains(&format!("``````\n{trace}\n``````\n")), "{body}");
}

#[test]
fn quoted_markers_in_the_trace_are_not_found_first() {
    let decoy = Fingerprint::of_client_key("decoy");
    let trace = format!("{}\n{SUMMARY_START}\nfake\n{SUMMARY_END}", fingerprint_marker(&decoy));
    let report = report(&trace);
    let body = body_of(&report);

    assert_eq!(find_fingerprint_marker(&body), Some(analyze(&report).fingerprint));
    let replaced = replace_summary(&body, "5 occurrences so far.");
    assert!(replaced.contains(&format!("{SUMMARY_START}\n5 occurrences so far.\n{SUMMARY_END}")));
    assert!(replaced.contains(&format!("{SUMMARY_START}\nfake\n{SUMMARY_END}")), "the trace must stay intact");
}

#[test]
fn context_and_tagbot_fields_are_shown_inert() {
    let mut report = report(PYTHON);
    report.context.insert("os".to_owned(), "linux | `x`".to_owned());
    report.image = Some("ghcr.io/juliaregistries/tagbot:1.17.2".to_owned());
    report.manual_intervention_url = Some("https://github.com/acme/app/issues/9".to_owned());
    let body = body_of(&report);

    assert!(body.contains("| `os` | `` linux \\| `x` `` |"), "{body}");
    assert!(body.contains("`ghcr.io/juliaregistries/tagbot:1.17.2`"), "{body}");
    assert!(body.contains("<https://github.com/acme/app/issues/9>"), "{body}");
}

#[test]
fn body_fits_github_limit() {
    let trace = "é".repeat(64 * 1024);
    let body = body_of(&report(&trace));
    assert!(body.chars().count() <= MAX_BODY_CHARS, "{} characters", body.chars().count());
    assert!(body.contains("_Trace cut:"), "a cut trace must say so");
    assert!(find_fingerprint_marker(&body).is_some());
}

#[test]
fn replace_summary_rewrites_only_the_block() {
    let body = format!("intro\n{SUMMARY_START}\n1 occurrence so far.\n{SUMMARY_END}\noutro");
    let replaced = replace_summary(&body, "3 occurrences so far.\n");
    assert_eq!(replaced, format!("intro\n{SUMMARY_START}\n3 occurrences so far.\n{SUMMARY_END}\noutro"));
    assert_eq!(replace_summary(&replaced, "3 occurrences so far."), replaced, "same content, same body");
}

#[test]
fn replace_summary_appends_a_missing_block() {
    let replaced = replace_summary("edited by a human", "2 occurrences");
    assert_eq!(replaced, format!("edited by a human\n\n{SUMMARY_START}\n2 occurrences\n{SUMMARY_END}\n"));

    // A start marker without an end counts as missing.
    let broken = format!("x {SUMMARY_START} y");
    assert!(replace_summary(&broken, "z").ends_with(&format!("{SUMMARY_START}\nz\n{SUMMARY_END}\n")));
}

#[test]
fn replace_summary_strips_markers_from_content() {
    let body = format!("{SUMMARY_START}\nold\n{SUMMARY_END}");
    let replaced = replace_summary(&body, &format!("new {SUMMARY_END} {SUMMARY_START}"));
    assert_eq!(replaced.matches(SUMMARY_START).count(), 1);
    assert_eq!(replaced.matches(SUMMARY_END).count(), 1);
}

#[test]
fn marker_round_trips_and_rejects_garbage() {
    let fingerprint = Fingerprint::of_client_key("key");
    let marker = fingerprint_marker(&fingerprint);
    assert_eq!(marker, format!("<!-- tally:fingerprint={} -->", fingerprint.to_hex()));
    assert_eq!(find_fingerprint_marker(&format!("text\n{marker}\nmore")), Some(fingerprint));

    assert_eq!(find_fingerprint_marker("no marker"), None);
    assert_eq!(find_fingerprint_marker("<!-- tally:fingerprint=abc -->"), None);
    let not_hex = format!("<!-- tally:fingerprint={} -->", "z".repeat(64));
    assert_eq!(find_fingerprint_marker(&not_hex), None);
    let unterminated = format!("<!-- tally:fingerprint={}", fingerprint.to_hex());
    assert_eq!(find_fingerprint_marker(&unterminated), None);
    assert_eq!(find_fingerprint_marker(&format!("<!-- tally:fingerprint={}é", "0".repeat(63))), None);
}
